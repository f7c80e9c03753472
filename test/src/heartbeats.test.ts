// Heartbeats and progress end to end: a task-server process on the SDK says
// how far its task got, and `dyna runs`, `dyna events` and `dyna run` show
// it; a silent task under a short heartbeat deadline ends in
// ERROR(HEARTBEAT_TIMEOUT) in real time, is aborted in its process and
// retried as its policy says.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { ControlService, ErrorCause, RunState, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Child,
  type ControlClient,
  exitCode,
  finishedRun,
  spawnTs,
  waitForServers,
  waitUntil,
} from "./processes.js";

let cerebro: Cerebro;
let control: ControlClient;
let server: Child;
const children: Child[] = [];

beforeAll(async () => {
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    progressIntervalMs: 200,
    // Deadlines are held for the recovery window after a start: none here.
    recoveryWindowMs: 0,
  });
  control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  server = spawnTs("progress-server", "test/src/fixtures/progress-server.ts", [], {
    CORDYNA_ADDR: cerebro.address,
    LOG_LEVEL: "warn",
  });
  children.push(server);
  await waitForServers(control, ["progress-server"]);
}, 60_000);

afterAll(async () => {
  for (const child of children) await child.stop();
  await cerebro?.stop();
});

/** Runs dyna with the arguments against the test's cerebro; its exit code and output. */
async function dyna(...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawnTs("dyna", "cli/src/bin.ts", [...args, "--cerebro", cerebro.address]);
  children.push(child);
  return { code: await exitCode(child), output: child.output() };
}

describe("heartbeats and progress of a task-server process", () => {
  it("show in `dyna runs <run>` while it runs, then in `dyna events --run`", async () => {
    const { run } = await control.startRun({
      targets: ["prog.count"],
      params: { rows: "4", step_ms: "50", hold: "yes" },
    });
    const runId = run?.id ?? "";
    await waitUntil("the task to count every row", async () => {
      const attempt = (await control.getRun({ runId })).run?.taskRuns[0]?.attempts[0];
      return attempt?.progress === 1 && attempt.heartbeatDetails === '{"row":4}';
    });
    const shown = await dyna("runs", runId);
    expect(shown.code, shown.output).toBe(0);
    expect(shown.output).toMatch(
      /prog\.count\s+progress-server\s+STARTED\s+1\s+\S+\s+100% 4 of 4 rows; details \{"row":4\}; last heartbeat \d+(\.\d)?m?s ago/,
    );
    await control.cancelRun({ runId, reason: "seen enough" });
    await finishedRun(control, runId);

    const events = await dyna("events", "--run", runId);
    expect(events.code, events.output).toBe(0);
    const progress = events.output.split("\n").filter((line) => / PROGRESS /.test(line));
    expect(progress.length, events.output).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toMatch(
      /prog\.count\s+PROGRESS\s+progress-server\s+100% 4 of 4 rows; details \{"row":4\}$/,
    );
  }, 60_000);

  it("show as PROGRESS lines of `dyna run`'s timeline, between STARTED and COMPLETED", async () => {
    const followed = await dyna("run", "prog.count", "--param", "rows=5", "--param", "step_ms=300");
    expect(followed.code, followed.output).toBe(0);
    const timeline = followed.output
      .split("\n")
      .filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line))
      .map((line) =>
        line
          .split(/\s{2,}/)
          .slice(1, 3)
          .join(" "),
      );
    expect(timeline.filter((change) => change !== "prog.count PROGRESS")).toEqual([
      "run RUNNING",
      "prog.count INVOKED",
      "prog.count STARTED",
      "prog.count COMPLETED",
      "run SUCCEEDED",
    ]);
    const started = timeline.indexOf("prog.count STARTED");
    const completed = timeline.indexOf("prog.count COMPLETED");
    // One a row at most: 300 ms apart, cerebro publishes each.
    expect(completed - started - 1).toBeGreaterThanOrEqual(3);
    expect(followed.output).toMatch(/prog\.count\s+PROGRESS\s+progress-server\s+20% 1 of 5 rows/);
  }, 60_000);

  it("a silent task ends in ERROR(HEARTBEAT_TIMEOUT) after its 300 ms heartbeat deadline, is aborted in its process, and retried once", async () => {
    const { run } = await control.startRun({ targets: ["prog.silent"] });
    const finished = await finishedRun(control, run?.id ?? "");
    expect(finished.state).toBe(RunState.FAILED);
    const taskRun = finished.taskRuns[0]!;
    expect(taskRun).toMatchObject({
      state: TaskState.ERROR,
      errorCause: ErrorCause.HEARTBEAT_TIMEOUT,
    });
    expect(taskRun.attempts.map((a) => [a.number, a.errorCause])).toEqual([
      [1, ErrorCause.HEARTBEAT_TIMEOUT],
      [2, ErrorCause.HEARTBEAT_TIMEOUT],
    ]);
    for (const attempt of taskRun.attempts) {
      expect(attempt.errorDescription).toMatch(
        /^no heartbeat or progress within the heartbeat deadline of 300ms \(none since STARTED \d+ms ago\)$/,
      );
      await waitUntil("the handler to be aborted", async () =>
        server.output().includes(`aborted ${attempt.id}: HEARTBEAT_TIMEOUT`),
      );
    }
  }, 60_000);
});
