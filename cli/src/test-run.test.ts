// dyna test --candidate against a real cerebro, with the SDK's task-servers
// connected to it over gRPC: a team's candidate beside its live server, and
// a consumer team's live server downstream.

import { Code, ConnectError } from "@connectrpc/connect";
import { createControlClient, RunMode } from "@cordyna/contract";
import { type TaskContext, type TaskOptions, TaskServer } from "@cordyna/task-server";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loopbackCerebros } from "../../cerebro/src/testing/loopback-cerebros.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const silent = pino({ level: "silent" });
const cerebros = loopbackCerebros();

const teamA = { name: "server-a", team: "team-a", contact: "a@example.com" };
const teamB = { name: "server-b", team: "team-b", contact: "b@example.com" };

/** Which server ran which task, in which mode, in order. */
type Call = string;

async function connect(
  address: string,
  identity: typeof teamA,
  tasks: readonly TaskOptions[],
  handler: (taskId: string, ctx: TaskContext) => void,
  candidate?: string,
): Promise<TaskServer> {
  const server = new TaskServer({
    ...identity,
    cerebro: address,
    logger: silent,
    handleSignals: false,
    ...(candidate ? { candidate } : { candidate: false }),
  });
  for (const task of tasks) server.task(task, (ctx) => handler(task.id, ctx));
  cerebros.onCleanup(() => server.stop());
  await server.start();
  return server;
}

/**
 * team-a's live a.orders, team-b's b.sales downstream of it (fresh within
 * an hour), and team-a's candidate of change-1: a.orders changed, and a
 * new a.customers.
 */
async function teams(options: { candidateFails?: boolean } = {}) {
  const cerebro = await cerebros.start();
  const calls: Call[] = [];
  const record = (who: string) => (taskId: string, ctx: TaskContext) => {
    calls.push(`${who} ${taskId} ${ctx.mode}`);
  };
  await connect(cerebro.address, teamA, [{ id: "a.orders" }], record("live-a"));
  await connect(
    cerebro.address,
    teamB,
    [{ id: "b.sales", dependsOn: [{ task: "a.orders", freshWithin: "1h" }] }],
    record("live-b"),
  );
  await connect(
    cerebro.address,
    teamA,
    [{ id: "a.orders" }, { id: "a.customers" }],
    (taskId, ctx) => {
      record("candidate-a")(taskId, ctx);
      if (options.candidateFails) throw new Error("the new orders schema is wrong");
    },
    "change-1",
  );
  return { cerebro, calls };
}

async function dyna(address: string, args: string[]) {
  const io = recordingIo({ CORDYNA_ADDR: address });
  const code = await runCli(args, { io, now: () => Date.now() });
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("dyna test --candidate", () => {
  it("runs the candidate for its server's tasks and the consumers' live servers downstream, all in test mode", async () => {
    const { cerebro, calls } = await teams();
    const { code, out } = await dyna(cerebro.address, [
      "test",
      "a.orders",
      "--candidate",
      "change-1",
      "--downstream",
    ]);
    expect(code).toBe(0);
    expect(calls).toEqual(["candidate-a a.orders test", "live-b b.sales test"]);
    expect(out).toMatch(/Team team-a\n.*\na\.orders +PASS +server-a \(candidate change-1\)/);
    expect(out).toMatch(/Team team-b\n.*\nb\.sales +PASS +server-b\n/);
    expect(out).toContain("PASSED: 2 of 2 task-runs passed");
  });

  it("leaves the live graph as it was: the candidate's new task is not in it", async () => {
    const { cerebro } = await teams();
    const client = createControlClient(cerebro.address);
    const { tasks } = await client.listTasks({});
    expect(tasks.map((task) => `${task.taskId} ${task.serverName} ${task.instances}`)).toEqual([
      "a.orders server-a 1",
      "b.sales server-b 1",
    ]);
    const { code, err } = await dyna(cerebro.address, ["run", "a.customers"]);
    expect(code).not.toBe(0);
    expect(err).toContain("a.customers");
  });

  it("never lets a normal run reuse the candidate's completion for a fresh-within", async () => {
    const { cerebro, calls } = await teams();
    expect(
      (await dyna(cerebro.address, ["test", "a.orders", "--candidate", "change-1"])).code,
    ).toBe(0);
    calls.length = 0;
    expect((await dyna(cerebro.address, ["run", "b.sales"])).code).toBe(0);
    expect(calls).toEqual(["live-a a.orders normal", "live-b b.sales normal"]);
  });

  it("names the failing task with its team, blocks its consumers, and exits 1", async () => {
    const { cerebro, calls } = await teams({ candidateFails: true });
    const { code, out } = await dyna(cerebro.address, [
      "test",
      "a.orders",
      "--candidate",
      "change-1",
      "--downstream",
    ]);
    expect(code).toBe(1);
    expect(calls).toEqual(["candidate-a a.orders test"]);
    expect(out).toMatch(/a\.orders +FAIL +server-a \(candidate change-1\) +ERROR .*orders schema/);
    expect(out).toMatch(/b\.sales +FAIL +server-b +BLOCKED blocked by a\.orders/);
    expect(out).toContain("FAILED: 2 of 2 task-runs failed");
  });

  it("refuses an unknown change id, naming it and the connected ones", async () => {
    const { cerebro } = await teams();
    const { code, err } = await dyna(cerebro.address, [
      "test",
      "a.orders",
      "--candidate",
      "change-2",
    ]);
    expect(code).toBe(3);
    expect(err).toContain("no candidate of change change-2 is connected");
    expect(err).toContain("connected: change-1");
  });

  it("refuses a candidate run that is not a test run, naming the rule", async () => {
    const { cerebro, calls } = await teams();
    const client = createControlClient(cerebro.address);
    const refused = await client
      .startRun({ targets: ["a.orders"], candidate: "change-1", mode: RunMode.NORMAL })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.InvalidArgument);
    expect((refused as ConnectError).rawMessage).toContain(
      "a candidate run must be a test run (mode RUN_MODE_TEST)",
    );
    expect(calls).toEqual([]);
  });

  it("refuses a candidate past the limit of changes, naming the setting", async () => {
    const cerebro = await cerebros.start({ maxCandidates: 1 });
    const nothing = () => {};
    await connect(cerebro.address, teamA, [{ id: "a.orders" }], nothing, "change-1");
    const second = connect(cerebro.address, teamB, [{ id: "b.sales" }], nothing, "change-2");
    await expect(second).rejects.toThrow(/CORDYNA_MAX_CANDIDATES/);
  });

  it("forgets a change when its candidate disconnects", async () => {
    const cerebro = await cerebros.start();
    const candidate = await connect(cerebro.address, teamA, [{ id: "a.orders" }], () => {}, "c-9");
    await candidate.stop();
    const { code, err } = await dyna(cerebro.address, ["test", "a.orders", "--candidate", "c-9"]);
    expect(code).toBe(3);
    expect(err).toContain("no candidate of change c-9 is connected");
  });
});
