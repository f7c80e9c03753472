// dyna events and dyna history against a real cerebro and a task-server
// speaking the protocol over real gRPC.

import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawSession } from "../../cerebro/src/testing/raw-session.js";
import { EXIT_OK } from "./context.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

let cerebro: Cerebro;
let server: RawSession;
let seq = 0n;

beforeAll(async () => {
  cerebro = await startCerebro({ port: 0, logger: pino({ level: "silent" }) });
  server = new RawSession(cerebro.address);
  server.hello("server-a", [
    { id: "a.fetch", owner: { team: "team-a" } },
    { id: "a.flaky", owner: { team: "team-a" } },
  ]);
  await server.next("welcome");
});

afterAll(async () => {
  server.cancel();
  await cerebro.stop();
});

async function dyna(args: string[]) {
  const io = recordingIo({ CORDYNA_ADDR: cerebro.address });
  const code = await runCli(args, { io, now: () => Date.now() });
  return { code, out: io.stdout.join("\n").split("\n"), err: io.stderr.join("\n") };
}

/** Runs a task to the end on the raw server: COMPLETED, or ERROR with `error`. */
async function runTask(taskId: string, error?: string): Promise<string> {
  const started = await dyna(["run", taskId, "--no-follow", "--json"]);
  const runId = /"id": "(run_[^"]+)"/.exec(started.out.join("\n"))?.[1] ?? "";
  let from = 0;
  for (;;) {
    const invoke = await server.next("invoke", from);
    from = server.received.findIndex((message) => message.message.value === invoke) + 1;
    if (invoke.runId !== runId) continue;
    const update = (state: TaskState, errorDescription = "") =>
      server.send({
        case: "taskState",
        value: { seq: ++seq, attemptId: invoke.attemptId, state, errorDescription },
      });
    update(TaskState.STARTED);
    update(error === undefined ? TaskState.COMPLETED : TaskState.ERROR, error);
    // Returns once the run is over: its watch ends with it.
    expect((await dyna(["events", "--run", runId, "--follow"])).code).toBe(EXIT_OK);
    return runId;
  }
}

describe("dyna events", () => {
  it("shows a finished run's events, from its start to its end, and returns", async () => {
    const runId = await runTask("a.fetch");
    const { code, out } = await dyna(["events", "--run", runId]);
    expect(code).toBe(EXIT_OK);
    expect(out.map((line) => line.replace(/^\S+\s+/, "").replace(/\s+/g, " "))).toEqual([
      `run RUNNING - run ${runId} started: a.fetch`,
      "a.fetch INVOKED server-a",
      "a.fetch STARTED server-a",
      "a.fetch COMPLETED server-a",
      `run SUCCEEDED - run ${runId} SUCCEEDED`,
    ]);
  });

  it("shows the newest events, then those after a cursor, and says where to go on", async () => {
    const first = await runTask("a.fetch");
    const newest = await dyna(["events", "--last", "2", "--json"]);
    const events = newest.out.map((line) => JSON.parse(line));
    expect(events.map((event) => event.kind)).toEqual([
      "EVENT_KIND_TASK_RUN_CHANGED",
      "EVENT_KIND_RUN_FINISHED",
    ]);
    expect(events[1].runId).toBe(first);

    const second = await runTask("a.fetch");
    const after = await dyna(["events", "--since", events[1].cursor]);
    expect(after.out.every((line) => line.includes(second))).toBe(true);
    expect(after.out.at(-1)).toContain(`run ${second} SUCCEEDED`);
    expect(after.err).toMatch(/^Go on from here with: dyna events --since \d+$/);
  });
});

describe("dyna history", () => {
  it("lists a task's task-runs newest first with outcome, cause and run, a page at a time", async () => {
    const failed = await runTask("a.flaky", "disk full");
    const succeeded = await runTask("a.flaky");
    const page = await dyna(["history", "a.flaky", "--limit", "1"]);
    expect(page.code).toBe(EXIT_OK);
    expect(page.out[0]).toMatch(/^STARTED\s+DURATION\s+OUTCOME\s+ATTEMPTS\s+RUN\s+CAUSE$/);
    expect(page.out[1]).toMatch(new RegExp(`COMPLETED\\s+1\\s+${succeeded}$`));
    const more = page.out[2] ?? "";
    expect(more).toMatch(/^More: dyna history a\.flaky --limit 1 --page \S+$/);
    const next = await dyna(more.replace(/^More: dyna /, "").split(" "));
    expect(next.out[1]).toMatch(new RegExp(`ERROR\\s+1\\s+${failed}\\s+TASK_FAILED: disk full$`));
    expect(next.out).toHaveLength(2);
    expect((await dyna(["history", "a.nothing"])).out).toEqual([
      "No task-runs of a.nothing are kept.",
    ]);
  });
});
