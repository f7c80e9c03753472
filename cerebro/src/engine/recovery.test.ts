// A cerebro restarted on a store that holds running attempts: the recovery
// window, during which nothing is given up on because cerebro was away.
import { describe, expect, it } from "vitest";
import { engineHarness, task } from "../testing/engine-harness.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const GRACE = 5 * SECOND;
const WINDOW = 7 * SECOND;

type Harness = ReturnType<typeof engineHarness>;

/**
 * The first cerebro invokes a.x on server-a-1 and takes the reports given;
 * then it dies, the clock moves on by `outage`, and a second cerebro on the
 * same store restores the run with no instance connected yet.
 */
async function restartedWith(
  reports: readonly ("QUEUED" | "STARTED")[],
  options: { outage: number; deadlines?: { ackMs?: number; completeMs?: number } },
) {
  const first = engineHarness({ serverLostGraceMs: GRACE, recoveryWindowMs: WINDOW });
  const declare = (h: Harness) =>
    h.graph.declare("server-a", [task("a.x", { deadlines: options.deadlines ?? {} })]);
  declare(first);
  first.instances.connect("server-a");
  const { snapshot } = await first.engine.startRun({ targets: ["a.x"] });
  for (const state of reports) await first.report("a.x", state);
  const attemptId = first.instances.lastInvoke("a.x").command.attemptId;
  first.engine.close();

  first.clock.advance(options.outage);
  const h = engineHarness({
    store: first.store,
    clock: first.clock,
    serverLostGraceMs: GRACE,
    recoveryWindowMs: WINDOW,
  });
  declare(h);
  expect(await h.engine.restore()).toBe(1);
  const taskRun = async () => (await h.engine.getRun(snapshot.run.id)).taskRuns[0]!;
  /** server-a-1 says hello again, listing these attempts as its own. */
  const reconnect = async (running: readonly string[]) => {
    const instance = h.instances.connect("server-a", "server-a-1");
    await h.engine.instanceResumed("server-a-1", running);
    await h.settle();
    return instance;
  };
  const report = (state: "QUEUED" | "STARTED" | "COMPLETED") =>
    h.engine.report({ instanceId: "server-a-1", attemptId, state });
  return { h, runId: snapshot.run.id, attemptId, taskRun, reconnect, report };
}

describe("RunEngine after a restart: the recovery window", () => {
  it("holds no deadline when the store had no running run to restore", async () => {
    const h = engineHarness({ serverLostGraceMs: GRACE, recoveryWindowMs: WINDOW });
    h.graph.declare("server-a", [task("a.x", { deadlines: { ackMs: SECOND } })]);
    expect(await h.engine.restore()).toBe(0);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    h.clock.advance(SECOND);
    await h.settle();
    expect((await h.engine.getRun(snapshot.run.id)).taskRuns[0]).toMatchObject({
      state: "ERROR",
      errorCause: "ACK_TIMEOUT",
    });
  });

  it("keeps a restored attempt past the grace period, and takes the COMPLETED its instance kept", async () => {
    const r = await restartedWith(["STARTED"], { outage: 30 * SECOND });
    r.h.clock.advance(GRACE + SECOND);
    await r.h.settle();
    expect((await r.taskRun()).state).toBe("STARTED");

    // Back within the window, with the attempt it finished while cerebro was down.
    const instance = await r.reconnect([r.attemptId]);
    expect(await r.report("COMPLETED")).toEqual({ accepted: true, duplicate: false });
    expect((await r.h.engine.getRun(r.runId)).run.state).toBe("SUCCEEDED");
    expect(instance.invokes).toEqual([]);
    expect((await r.taskRun()).attempts.map((a) => a.state)).toEqual(["COMPLETED"]);
  });

  it("ends the attempts of an instance that is not back by the window's end in SERVER_LOST", async () => {
    const r = await restartedWith(["STARTED"], { outage: 30 * SECOND });
    r.h.clock.advance(WINDOW - 1);
    await r.h.settle();
    expect((await r.taskRun()).state).toBe("STARTED");
    r.h.clock.advance(1);
    await r.h.settle();
    expect(await r.taskRun()).toMatchObject({
      state: "ERROR",
      errorCause: "SERVER_LOST",
      errorDescription: `server instance server-a-1 did not reconnect within the recovery window of ${WINDOW} ms after cerebro restarted`,
    });
  });

  it("fires no deadline that passed during the outage before the window ends", async () => {
    const r = await restartedWith(["STARTED"], {
      outage: 5 * MINUTE,
      deadlines: { completeMs: MINUTE },
    });
    r.h.clock.advance(WINDOW - SECOND);
    await r.h.settle();
    expect((await r.taskRun()).state).toBe("STARTED");
    await r.reconnect([r.attemptId]);
    expect(await r.report("COMPLETED")).toEqual({ accepted: true, duplicate: false });
    expect((await r.h.engine.getRun(r.runId)).run.state).toBe("SUCCEEDED");
  });

  it("counts the outage against a running task: its passed deadline fires at the window's end", async () => {
    const r = await restartedWith(["STARTED"], {
      outage: 5 * MINUTE,
      deadlines: { completeMs: MINUTE },
    });
    // The server is back and still runs it: the task ran longer than it may.
    await r.reconnect([r.attemptId]);
    r.h.clock.advance(WINDOW - 1);
    await r.h.settle();
    expect((await r.taskRun()).state).toBe("STARTED");
    r.h.clock.advance(1);
    await r.h.settle();
    expect(await r.taskRun()).toMatchObject({ state: "ERROR", errorCause: "COMPLETE_TIMEOUT" });
  });

  it("gives an invoke sent again after the outage a whole acknowledgement deadline", async () => {
    const r = await restartedWith([], { outage: 5 * MINUTE });
    // The invoke may never have left the first cerebro: the instance does not list it.
    r.h.clock.advance(2 * SECOND);
    const instance = await r.reconnect([]);
    expect(instance.invokes.map((invoke) => invoke.attemptId)).toEqual([r.attemptId]);
    // Past the window, but within 10 s of the invoke sent again.
    r.h.clock.advance(10 * SECOND - 1);
    await r.h.settle();
    expect((await r.taskRun()).state).toBe("INVOKED");
    expect(await r.report("QUEUED")).toEqual({ accepted: true, duplicate: false });

    const stored = (await r.h.store.getRun(r.runId))?.taskRuns[0]?.attempts[0];
    expect(stored).toMatchObject({ state: "QUEUED", deadlineCause: "START_TIMEOUT" });
  });

  it("ends an unacknowledged invoke ACK_TIMEOUT 10 s after it was sent again", async () => {
    const r = await restartedWith([], { outage: 5 * MINUTE });
    await r.reconnect([]);
    r.h.clock.advance(10 * SECOND);
    await r.h.settle();
    expect(await r.taskRun()).toMatchObject({ state: "ERROR", errorCause: "ACK_TIMEOUT" });
  });

  it("names SERVER_LOST, not the deadline, when both fall due at the window's end", async () => {
    const r = await restartedWith(["STARTED"], {
      outage: 5 * MINUTE,
      deadlines: { completeMs: MINUTE },
    });
    r.h.clock.advance(WINDOW);
    await r.h.settle();
    expect(await r.taskRun()).toMatchObject({ state: "ERROR", errorCause: "SERVER_LOST" });
  });
});
