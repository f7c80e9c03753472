// Heartbeats and progress of a running attempt, and the heartbeat deadline,
// on a controlled clock: a silent attempt ends in ERROR(HEARTBEAT_TIMEOUT),
// progress is paced per attempt, stored with the next write and published
// as events.
import { describe, expect, it } from "vitest";
import type { TaskDefinition } from "../domain/model.js";
import type { CerebroEvent } from "../events.js";
import { MemoryStore } from "../store/memory-store.js";
import { engineHarness, task } from "../testing/engine-harness.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const INSTANCE = "server-a-1";

type Harness = ReturnType<typeof engineHarness>;

/** a.x (with the given options) invoked on server-a-1 and STARTED. */
async function started(
  options: Partial<Omit<TaskDefinition, "id">> = { deadlines: { heartbeatMs: 30 * SECOND } },
  harness: Parameters<typeof engineHarness>[0] = {},
) {
  const h = engineHarness(harness);
  h.graph.declare("server-a", [task("a.x", options)]);
  const instance = h.instances.connect("server-a");
  const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
  const attemptId = () => h.instances.lastInvoke("a.x").command.attemptId;
  await h.report("a.x", "STARTED");
  const taskRun = async () => (await h.engine.getRun(snapshot.run.id)).taskRuns[0]!;
  const progress = (fields: { fraction?: number; message?: string; details?: string } = {}) =>
    h.engine.progress({ instanceId: INSTANCE, attemptId: attemptId(), ...fields });
  return { h, instance, runId: snapshot.run.id, attemptId, taskRun, progress };
}

/** Moves the clock on and lets what it set off be stored. */
async function advance(h: Harness, ms: number): Promise<void> {
  h.clock.advance(ms);
  await h.settle();
}

function progressEvents(h: Harness): CerebroEvent[] {
  return h.events.filter((event) => event.kind === "attempt-progress");
}

describe("RunEngine: the heartbeat deadline", () => {
  it("ends a silent STARTED attempt in ERROR(HEARTBEAT_TIMEOUT) exactly one deadline after STARTED, long before its complete deadline", async () => {
    const { h, instance, attemptId, taskRun } = await started();
    await advance(h, 30 * SECOND - 1);
    expect((await taskRun()).state).toBe("STARTED");
    await advance(h, 1);
    expect(await taskRun()).toMatchObject({
      state: "ERROR",
      errorCause: "HEARTBEAT_TIMEOUT",
      errorDescription:
        "no heartbeat or progress within the heartbeat deadline of 30s (none since STARTED 30s ago)",
    });
    expect(instance.cancels).toEqual([{ attemptId: attemptId(), reason: "HEARTBEAT_TIMEOUT" }]);
  });

  it("is re-armed by every heartbeat, also those paced out of storing, and fires one deadline after the last", async () => {
    const { h, progress, taskRun } = await started();
    // Every 10 s for 5 minutes: heartbeats well within the deadline keep it alive.
    for (let i = 0; i < 30; i++) {
      expect(progress({ details: `tick ${i}` })).toEqual({ accepted: true, duplicate: false });
      await advance(h, 10 * SECOND);
    }
    // Bursts faster than the progress interval are merged into one store,
    // but each one still counts as a sign of life.
    for (let i = 0; i < 50; i++) {
      progress();
      await advance(h, 500);
    }
    expect((await taskRun()).state).toBe("STARTED");
    const lastBeatAt = h.clock.now() - 500;
    await advance(h, 30 * SECOND - 500 - 1);
    expect((await taskRun()).state).toBe("STARTED");
    await advance(h, 1);
    const failed = await taskRun();
    expect(failed).toMatchObject({ state: "ERROR", errorCause: "HEARTBEAT_TIMEOUT" });
    expect(failed.attempts[0]).toMatchObject({
      lastHeartbeatAt: lastBeatAt,
      heartbeatDetails: "tick 29",
      errorDescription:
        "no heartbeat or progress within the heartbeat deadline of 30s (the last 30s ago)",
    });
  });

  it("is retried like the other timeouts, per the retry policy, and the new attempt has its own deadline", async () => {
    const retry = {
      maxAttempts: 2,
      initialBackoffMs: SECOND,
      maxBackoffMs: SECOND,
      multiplier: 2,
      retryOn: [],
    };
    const { h, taskRun } = await started({ deadlines: { heartbeatMs: 20 * SECOND }, retry });
    await advance(h, 20 * SECOND);
    expect(await taskRun()).toMatchObject({ state: "PENDING", errorCause: "HEARTBEAT_TIMEOUT" });
    await advance(h, SECOND);
    expect((await taskRun()).attempts).toHaveLength(2);
    await h.report("a.x", "STARTED");
    await advance(h, 20 * SECOND);
    expect(await taskRun()).toMatchObject({ state: "ERROR", errorCause: "HEARTBEAT_TIMEOUT" });
  });

  it("is not retried when the policy retries other causes only", async () => {
    const retry = {
      maxAttempts: 3,
      initialBackoffMs: SECOND,
      maxBackoffMs: SECOND,
      multiplier: 2,
      retryOn: ["TASK_FAILED" as const],
    };
    const { h, taskRun } = await started({ deadlines: { heartbeatMs: 20 * SECOND }, retry });
    await advance(h, 20 * SECOND);
    expect(await taskRun()).toMatchObject({ state: "ERROR", errorCause: "HEARTBEAT_TIMEOUT" });
    expect((await taskRun()).attempts).toHaveLength(1);
  });

  it("passes the heartbeat deadline on with the invoke", async () => {
    const { h } = await started({ deadlines: { heartbeatMs: 45 * SECOND } });
    expect(h.instances.lastInvoke("a.x").command.deadlines).toEqual({
      ackMs: 10 * SECOND,
      startMs: 10 * MINUTE,
      completeMs: 30 * MINUTE,
      heartbeatMs: 45 * SECOND,
    });
  });

  it("does not apply before STARTED: a QUEUED attempt waits for its start deadline only", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x", { deadlines: { heartbeatMs: 5 * SECOND } })]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "QUEUED");
    await advance(h, 5 * MINUTE);
    expect((await h.engine.getRun(snapshot.run.id)).taskRuns[0]?.state).toBe("QUEUED");
  });

  it("without a heartbeat deadline, a silent attempt runs until its complete deadline", async () => {
    const { h, taskRun } = await started({ deadlines: { completeMs: 5 * MINUTE } });
    // The complete deadline is the only timer.
    expect(h.clock.pendingTimers).toBe(1);
    await advance(h, 5 * MINUTE - 1);
    expect((await taskRun()).state).toBe("STARTED");
    await advance(h, 1);
    expect(await taskRun()).toMatchObject({ state: "ERROR", errorCause: "COMPLETE_TIMEOUT" });
  });

  it("is held while the attempt's instance is away: SERVER_LOST if it stays away, silence counted from its return if it comes back", async () => {
    const grace = 5 * SECOND;
    const { h, attemptId, taskRun } = await started(
      { deadlines: { heartbeatMs: 10 * SECOND } },
      { serverLostGraceMs: grace },
    );
    await advance(h, 8 * SECOND);
    h.instances.disconnect(INSTANCE);
    h.engine.instanceDisconnected(INSTANCE);
    // The heartbeat deadline passes while the instance is away: nothing happens.
    await advance(h, 4 * SECOND);
    expect((await taskRun()).state).toBe("STARTED");
    h.instances.connect("server-a", INSTANCE);
    await h.engine.instanceResumed(INSTANCE, [attemptId()]);
    await advance(h, 10 * SECOND - 1);
    expect((await taskRun()).state).toBe("STARTED");
    await advance(h, 1);
    expect(await taskRun()).toMatchObject({ state: "ERROR", errorCause: "HEARTBEAT_TIMEOUT" });

    const gone = await started(
      { deadlines: { heartbeatMs: 3 * SECOND } },
      { serverLostGraceMs: grace },
    );
    gone.h.instances.disconnect(INSTANCE);
    gone.h.engine.instanceDisconnected(INSTANCE);
    await advance(gone.h, grace);
    expect(await gone.taskRun()).toMatchObject({ state: "ERROR", errorCause: "SERVER_LOST" });
  });

  it("after a restart, counts silence from the restore and fires no earlier than the recovery window's end", async () => {
    const window = 7 * SECOND;
    const first = await started({ deadlines: { heartbeatMs: 20 * SECOND } });
    first.progress({ fraction: 0.25 });
    await advance(first.h, 15 * SECOND);
    first.h.engine.close();
    // Down for a minute: the deadline passed while nobody could hear heartbeats.
    first.h.clock.advance(MINUTE);
    const h = engineHarness({
      store: first.h.store,
      clock: first.h.clock,
      recoveryWindowMs: window,
    });
    h.graph.declare("server-a", [task("a.x", { deadlines: { heartbeatMs: 20 * SECOND } })]);
    expect(await h.engine.restore()).toBe(1);
    h.instances.connect("server-a", INSTANCE);
    await h.engine.instanceResumed(INSTANCE, [first.attemptId()]);
    const taskRun = async () => (await h.engine.getRun(first.runId)).taskRuns[0]!;
    expect((await taskRun()).attempts[0]?.progress).toBe(0.25);
    await advance(h, 20 * SECOND - 1);
    expect((await taskRun()).state).toBe("STARTED");
    h.engine.progress({ instanceId: INSTANCE, attemptId: first.attemptId(), fraction: 0.5 });
    await advance(h, 20 * SECOND - 1);
    expect((await taskRun()).state).toBe("STARTED");
    await advance(h, 1);
    expect(await taskRun()).toMatchObject({ state: "ERROR", errorCause: "HEARTBEAT_TIMEOUT" });
  });
});

describe("RunEngine: progress", () => {
  it("shows progress, message and details on the attempt and publishes one ATTEMPT_PROGRESS event each", async () => {
    const { h, taskRun, progress, attemptId } = await started({}, { progressIntervalMs: SECOND });
    progress({ fraction: 0.42, message: "420 of 1,000 rows", details: '{"offset":420}' });
    expect((await taskRun()).attempts[0]).toMatchObject({
      lastHeartbeatAt: h.clock.now(),
      progress: 0.42,
      progressMessage: "420 of 1,000 rows",
      heartbeatDetails: '{"offset":420}',
    });
    expect(progressEvents(h)).toEqual([
      expect.objectContaining({
        kind: "attempt-progress",
        taskId: "a.x",
        attemptId: attemptId(),
        attemptNumber: 1,
        state: "STARTED",
        instanceId: INSTANCE,
        teams: ["team-a"],
        progress: 0.42,
        message: 'a.x attempt 1: 42% 420 of 1,000 rows; details {"offset":420}',
        detail: '42% 420 of 1,000 rows; details {"offset":420}',
      }),
    ]);
  });

  it("keeps what a report leaves out, and publishes nothing for a heartbeat that changes nothing", async () => {
    const { h, taskRun, progress } = await started({}, { progressIntervalMs: SECOND });
    progress({ fraction: 0.1, message: "warming up", details: "d1" });
    await advance(h, SECOND);
    progress({ fraction: 0.2 });
    await advance(h, SECOND);
    progress();
    await advance(h, SECOND);
    expect((await taskRun()).attempts[0]).toMatchObject({
      lastHeartbeatAt: h.clock.now() - SECOND,
      progress: 0.2,
      progressMessage: "warming up",
      heartbeatDetails: "d1",
    });
    expect(progressEvents(h).map((event) => event.progress)).toEqual([0.1, 0.2]);
  });

  it("stores and publishes at most one report per attempt an interval, merging the rest, the latest value winning", async () => {
    const store = new MemoryStore();
    const { h, taskRun, progress } = await started({}, { store, progressIntervalMs: SECOND });
    const saves: number[] = [];
    const save = store.save.bind(store);
    store.save = (changes) => {
      saves.push(h.clock.now());
      return save(changes);
    };
    const startedAt = h.clock.now();
    // A thousand reports in a second.
    for (let i = 1; i <= 1_000; i++) {
      const outcome = progress({
        fraction: i / 1_000,
        ...(i === 500 ? { details: "half" } : {}),
      });
      expect(outcome.accepted).toBe(true);
      h.clock.advance(1);
    }
    await h.settle();
    await advance(h, 2 * SECOND);
    expect(progressEvents(h).map((event) => event.progress)).toEqual([0.001, 1]);
    expect((await taskRun()).attempts[0]).toMatchObject({ progress: 1, heartbeatDetails: "half" });
    // Not one write per report: one an interval, with the latest.
    expect(saves.length).toBeLessThanOrEqual(2);
    expect(saves.every((at) => at > startedAt)).toBe(true);
    const stored = (await store.getRun((await taskRun()).runId))?.taskRuns[0]?.attempts[0];
    expect(stored).toMatchObject({ progress: 1, heartbeatDetails: "half" });
  });

  it("is stored with the next write, or within one interval when nothing else is written", async () => {
    const store = new MemoryStore();
    const { h, taskRun, progress } = await started({}, { store, progressIntervalMs: 2 * SECOND });
    const stored = async () =>
      (await store.getRun((await taskRun()).runId))?.taskRuns[0]?.attempts[0];
    progress({ fraction: 0.3, message: "reading" });
    await h.settle();
    expect((await stored())?.progress).toBeUndefined();
    await advance(h, 2 * SECOND);
    expect(await stored()).toMatchObject({
      progress: 0.3,
      progressMessage: "reading",
      lastHeartbeatAt: h.clock.now() - 2 * SECOND,
    });
  });

  it("puts progress still waiting for its turn on the attempt when it ends, without an event of its own", async () => {
    const { h, taskRun, progress } = await started({}, { progressIntervalMs: SECOND });
    progress({ fraction: 0.5 });
    progress({ fraction: 1, message: "done" });
    await h.report("a.x", "COMPLETED");
    await advance(h, 5 * SECOND);
    const done = await taskRun();
    expect(done.state).toBe("COMPLETED");
    expect(done.attempts[0]).toMatchObject({ progress: 1, progressMessage: "done" });
    expect(progressEvents(h).map((event) => event.progress)).toEqual([0.5]);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it("refuses progress for an unknown attempt, another instance's attempt, and an attempt that has ended, like a report", async () => {
    const { h, attemptId, progress } = await started();
    expect(h.engine.progress({ instanceId: INSTANCE, attemptId: "att_unknown" })).toEqual({
      accepted: false,
      code: "FAILED_PRECONDITION",
      message: "attempt att_unknown is not current: unknown, or its run has finished",
    });
    expect(h.engine.progress({ instanceId: "server-a-2", attemptId: attemptId() })).toEqual({
      accepted: false,
      code: "FAILED_PRECONDITION",
      message: `attempt ${attemptId()} was invoked on instance ${INSTANCE}, not server-a-2`,
    });
    await h.report("a.x", "ERROR", "broken");
    expect(progress({ fraction: 1 })).toMatchObject({
      accepted: false,
      code: "FAILED_PRECONDITION",
    });
    expect(progressEvents(h)).toEqual([]);
  });
});
