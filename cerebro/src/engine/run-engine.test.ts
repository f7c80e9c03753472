import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { MemoryStore } from "../store/memory-store.js";
import { engineHarness, task } from "../testing/engine-harness.js";
import { NO_RETRY } from "./policies.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** The seed's pair: server-a runs independent work, server-b depends on it. */
function seedGraph(h: ReturnType<typeof engineHarness>) {
  h.graph.declare("server-a", [
    task("a.extract", { team: "team-a" }),
    task("a.rates", { team: "team-a" }),
  ]);
  h.graph.declare("server-b", [
    task("b.transform", { team: "team-b", dependsOn: ["a.extract", "a.rates"] }),
    task("b.report", { team: "team-b", dependsOn: ["b.transform"] }),
  ]);
  h.instances.connect("server-a");
  h.instances.connect("server-b");
}

async function runOf(h: ReturnType<typeof engineHarness>, runId: string) {
  return h.engine.getRun(runId);
}

function states(snapshot: Awaited<ReturnType<typeof runOf>>) {
  return Object.fromEntries(snapshot.taskRuns.map((t) => [t.taskId, t.state]));
}

describe("RunEngine: order and servers", () => {
  it("invokes independent tasks in parallel, each dependant only after its upstream, on its own server", async () => {
    const h = engineHarness();
    seedGraph(h);
    const { snapshot } = await h.engine.startRun({ targets: ["b.report"] });

    expect(h.instances.invokedTasks().sort()).toEqual(["a.extract", "a.rates"]);
    expect(h.instances.lastInvoke("a.extract").instanceId).toBe("server-a-1");

    await h.complete("a.extract");
    expect(h.instances.invokedTasks()).not.toContain("b.transform");
    await h.complete("a.rates");
    expect(h.instances.lastInvoke("b.transform").instanceId).toBe("server-b-1");
    await h.complete("b.transform");
    await h.complete("b.report");

    expect(h.instances.invokedTasks().slice(2)).toEqual(["b.transform", "b.report"]);
    const finished = await runOf(h, snapshot.run.id);
    expect(finished.run.state).toBe("SUCCEEDED");
    expect(finished.run.summary).toMatchObject({ completed: 4, failed: [], blocked: [] });
    expect((await h.store.getRun(snapshot.run.id))?.run.state).toBe("SUCCEEDED");
  });

  it("passes run params, mode and deadlines with every invoke", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x", { deadlines: { ackMs: 2 * SECOND } })]);
    h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"], params: { day: "2026-06-01" }, mode: "test" });
    expect(h.instances.lastInvoke("a.x").command).toMatchObject({
      params: { day: "2026-06-01" },
      mode: "test",
      attemptNumber: 1,
      deadlines: { ackMs: 2 * SECOND, startMs: 10 * MINUTE, completeMs: 30 * MINUTE },
    });
  });

  it("keeps a task PENDING with the reason while no instance of its server is connected", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    const pending = (await runOf(h, snapshot.run.id)).taskRuns[0];
    expect(pending).toMatchObject({
      state: "PENDING",
      waitingReason: "no connected instance of server server-a",
    });

    h.instances.connect("server-a");
    h.engine.instanceAvailable("server-a");
    await h.settle();
    expect(h.instances.invokedTasks()).toEqual(["a.x"]);
  });

  it("returns the first run for a repeated idempotency key", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    const first = await h.engine.startRun({
      targets: ["a.x"],
      idempotencyKey: "nightly-2026-06-01",
    });
    const second = await h.engine.startRun({
      targets: ["a.x"],
      idempotencyKey: "nightly-2026-06-01",
    });
    expect(second.existing).toBe(true);
    expect(second.snapshot.run.id).toBe(first.snapshot.run.id);
    expect(h.instances.invokedTasks()).toEqual(["a.x"]);
  });

  it("records SKIPPED with the reused completion for a fresh upstream", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.rates")]);
    h.graph.declare("server-b", [
      task("b.use", { dependsOn: [{ taskId: "a.rates", freshWithinMs: 60 * MINUTE }] }),
    ]);
    h.instances.connect("server-a");
    h.instances.connect("server-b");
    const first = await h.engine.startRun({ targets: ["a.rates"] });
    await h.complete("a.rates");
    h.clock.advance(30 * MINUTE);

    const second = await h.engine.startRun({ targets: ["b.use"] });
    const rates = second.snapshot.taskRuns.find((t) => t.taskId === "a.rates");
    expect(rates).toMatchObject({ state: "SKIPPED", reused: { runId: first.snapshot.run.id } });
    expect(h.events.find((e) => e.state === "SKIPPED")).toMatchObject({
      taskId: "a.rates",
      detail: `reused completion of run ${first.snapshot.run.id}`,
    });
    expect(h.instances.invokedTasks()).toEqual(["a.rates", "b.use"]);
  });
});

describe("RunEngine: failures", () => {
  it("blocks only what depends on a failure, runs everything else, and names the owners", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [
      task("a.extract", { team: "team-a" }),
      task("a.side", { team: "team-a" }),
    ]);
    h.graph.declare("server-b", [
      task("b.transform", { team: "team-b", dependsOn: ["a.extract"] }),
      task("b.report", { team: "team-b", dependsOn: ["b.transform"] }),
      task("b.other", { team: "team-b", dependsOn: ["a.side"] }),
    ]);
    h.instances.connect("server-a");
    h.instances.connect("server-b");
    const { snapshot } = await h.engine.startRun({ targets: ["b.report", "b.other"] });

    await h.report("a.extract", "STARTED");
    await h.report("a.extract", "ERROR", "source database refused the connection");
    await h.complete("a.side");
    await h.complete("b.other");

    const finished = await runOf(h, snapshot.run.id);
    expect(states(finished)).toEqual({
      "a.extract": "ERROR",
      "a.side": "COMPLETED",
      "b.other": "COMPLETED",
      "b.report": "BLOCKED",
      "b.transform": "BLOCKED",
    });
    expect(finished.run.state).toBe("FAILED");
    expect(finished.run.summary?.failed).toEqual([
      {
        taskId: "a.extract",
        serverName: "server-a",
        owner: { team: "team-a", contact: "" },
        errorCause: "TASK_FAILED",
        errorDescription: "source database refused the connection",
      },
    ]);
    expect(finished.run.summary?.blocked.map((b) => [b.taskId, b.owner.team, b.blockedBy])).toEqual(
      [
        ["b.report", "team-b", ["b.transform"]],
        ["b.transform", "team-b", ["a.extract"]],
      ],
    );
    expect(h.instances.invokedTasks()).not.toContain("b.transform");
  });

  it("retries per policy with backoff, then succeeds on a new attempt", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [
      task("a.flaky", {
        retry: { ...NO_RETRY, maxAttempts: 3, initialBackoffMs: 10 * SECOND, maxBackoffMs: MINUTE },
      }),
    ]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.flaky"] });
    const firstAttempt = h.instances.lastInvoke("a.flaky").command.attemptId;
    await h.report("a.flaky", "ERROR", "timeout talking to the API");

    const waiting = (await runOf(h, snapshot.run.id)).taskRuns[0];
    expect(waiting?.state).toBe("PENDING");
    expect(waiting?.waitingReason).toMatch(/^retry 2 of 3 in \d+ ms after TASK_FAILED$/);
    h.clock.advance(4_999);
    await h.settle();
    expect(h.instances.log).toHaveLength(1);
    h.clock.advance(5_001);
    await h.settle();
    expect(h.instances.log).toHaveLength(2);
    const second = h.instances.lastInvoke("a.flaky").command;
    expect(second.attemptNumber).toBe(2);
    expect(second.attemptId).not.toBe(firstAttempt);
    await h.complete("a.flaky");
    const finished = await runOf(h, snapshot.run.id);
    expect(finished.run.state).toBe("SUCCEEDED");
    expect(finished.taskRuns[0]?.attempts.map((a) => [a.number, a.state])).toEqual([
      [1, "ERROR"],
      [2, "COMPLETED"],
    ]);
  });

  it("does not retry an error the task marked non-retryable", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x", { retry: { ...NO_RETRY, maxAttempts: 5 } })]);
    const instance = h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.engine.report({
      instanceId: instance.instanceId,
      attemptId: instance.invokes[0]!.attemptId,
      state: "ERROR",
      errorDescription: "bad input file",
      nonRetryable: true,
    });
    expect((await runOf(h, snapshot.run.id)).run.state).toBe("FAILED");
    expect(instance.invokes).toHaveLength(1);
  });
});

describe("RunEngine: deadlines on a controlled clock", () => {
  async function invoked(deadlines = {}) {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x", { deadlines })]);
    const instance = h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    const taskRun = async () => (await runOf(h, snapshot.run.id)).taskRuns[0]!;
    return { h, instance, taskRun };
  }

  it("ends in ERROR(ACK_TIMEOUT) exactly 10 s after the invoke without QUEUED or STARTED", async () => {
    const { h, instance, taskRun } = await invoked();
    h.clock.advance(10 * SECOND - 1);
    await h.settle();
    expect((await taskRun()).state).toBe("INVOKED");
    h.clock.advance(1);
    await h.settle();
    expect(await taskRun()).toMatchObject({
      state: "ERROR",
      errorCause: "ACK_TIMEOUT",
      errorDescription: "no QUEUED or STARTED within 10s of the invoke",
    });
    expect(instance.cancels).toEqual([
      { attemptId: instance.invokes[0]!.attemptId, reason: "ACK_TIMEOUT" },
    ]);
  });

  it("ends in ERROR(START_TIMEOUT) 10 min after QUEUED without STARTED", async () => {
    const { h, taskRun } = await invoked();
    h.clock.advance(5 * SECOND);
    await h.report("a.x", "QUEUED");
    h.clock.advance(10 * MINUTE - 1);
    await h.settle();
    expect((await taskRun()).state).toBe("QUEUED");
    h.clock.advance(1);
    await h.settle();
    expect(await taskRun()).toMatchObject({ state: "ERROR", errorCause: "START_TIMEOUT" });
  });

  it("ends in ERROR(COMPLETE_TIMEOUT) 30 min after STARTED without an end", async () => {
    const { h, taskRun } = await invoked();
    await h.report("a.x", "STARTED");
    h.clock.advance(30 * MINUTE - 1);
    await h.settle();
    expect((await taskRun()).state).toBe("STARTED");
    h.clock.advance(1);
    await h.settle();
    expect(await taskRun()).toMatchObject({
      state: "ERROR",
      errorCause: "COMPLETE_TIMEOUT",
      errorDescription: "not COMPLETED within 30m of STARTED",
    });
  });

  it("uses a task's own deadlines over the defaults", async () => {
    const { h, taskRun } = await invoked({ completeMs: 2 * MINUTE });
    await h.report("a.x", "STARTED");
    h.clock.advance(2 * MINUTE);
    await h.settle();
    expect(await taskRun()).toMatchObject({ state: "ERROR", errorCause: "COMPLETE_TIMEOUT" });
  });

  it("stores each deadline with its attempt, so a restarted cerebro keeps it", async () => {
    const { h, taskRun } = await invoked();
    await h.report("a.x", "QUEUED");
    const stored = (await h.store.getRun((await taskRun()).runId))?.taskRuns[0]?.attempts[0];
    expect(stored).toMatchObject({
      deadlineAt: h.clock.now() + 10 * MINUTE,
      deadlineCause: "START_TIMEOUT",
    });
  });
});

describe("RunEngine: late, duplicate and foreign reports", () => {
  it("applies a batch of reports in order with one store write, one outcome each", async () => {
    const store = new MemoryStore();
    const h = engineHarness({ store });
    h.graph.declare("server-a", [task("a.x"), task("a.y")]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x", "a.y"] });
    const attemptOf = (taskId: string) => h.instances.lastInvoke(taskId).command.attemptId;
    const instanceId = "server-a-1";
    const writes: number[] = [];
    const save = store.save.bind(store);
    store.save = (changes) => {
      writes.push(changes.taskRuns?.length ?? 0);
      return save(changes);
    };

    const outcomes = await h.engine.reportAll([
      { instanceId, attemptId: attemptOf("a.x"), state: "STARTED" },
      { instanceId, attemptId: attemptOf("a.x"), state: "COMPLETED" },
      { instanceId, attemptId: "att_unknown", state: "COMPLETED" },
      { instanceId, attemptId: attemptOf("a.y"), state: "STARTED" },
      { instanceId, attemptId: attemptOf("a.y"), state: "COMPLETED" },
    ]);

    expect(outcomes.map((o) => o.accepted)).toEqual([true, true, false, true, true]);
    expect(outcomes[2]).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect(writes).toEqual([2]);
    expect((await runOf(h, snapshot.run.id)).run.state).toBe("SUCCEEDED");
  });

  it("arms no deadline timer for an attempt whose STARTED and COMPLETED come in one batch", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"] });
    const attemptId = h.instances.lastInvoke("a.x").command.attemptId;
    const armed = vi.spyOn(h.clock, "at");
    await h.engine.reportAll([
      { instanceId: "server-a-1", attemptId, state: "STARTED" },
      { instanceId: "server-a-1", attemptId, state: "COMPLETED" },
    ]);
    expect(armed).not.toHaveBeenCalled();
    expect(h.clock.pendingTimers).toBe(0);
  });

  it("acknowledges a repeated update without changing anything", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    expect(await h.report("a.x", "STARTED")).toEqual({ accepted: true, duplicate: true });
    expect(await h.report("a.x", "QUEUED")).toEqual({ accepted: true, duplicate: true });
    await h.report("a.x", "COMPLETED");
    expect(await h.report("a.x", "COMPLETED")).toEqual({ accepted: true, duplicate: true });
  });

  it("refuses a report for an attempt that timed out and never resurrects the task-run", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    h.clock.advance(10 * SECOND);
    await h.settle();
    const outcome = await h.report("a.x", "COMPLETED");
    expect(outcome).toMatchObject({ accepted: false, code: "FAILED_PRECONDITION" });
    expect((await runOf(h, snapshot.run.id)).run.state).toBe("FAILED");
  });

  it("refuses a report from an instance the attempt was not invoked on", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    const instance = h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"] });
    const outcome = await h.engine.report({
      instanceId: "impostor",
      attemptId: instance.invokes[0]!.attemptId,
      state: "COMPLETED",
    });
    expect(outcome).toMatchObject({ accepted: false, code: "FAILED_PRECONDITION" });
  });

  it("refuses states a server may not report", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    const instance = h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"] });
    const outcome = await h.engine.report({
      instanceId: instance.instanceId,
      attemptId: instance.invokes[0]!.attemptId,
      state: "SKIPPED",
    });
    expect(outcome).toMatchObject({ accepted: false, code: "INVALID_ARGUMENT" });
  });
});

describe("RunEngine: lost servers and cancel", () => {
  it("ends attempts in ERROR(SERVER_LOST) when their instance stays away past the grace period", async () => {
    const h = engineHarness({ serverLostGraceMs: 5 * SECOND });
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    h.instances.disconnect("server-a-1");
    h.engine.instanceDisconnected("server-a-1");
    h.clock.advance(5 * SECOND);
    await h.settle();
    expect((await runOf(h, snapshot.run.id)).taskRuns[0]).toMatchObject({
      state: "ERROR",
      errorCause: "SERVER_LOST",
    });
  });

  it("keeps attempts of an instance back within the grace period that still runs them", async () => {
    const h = engineHarness({ serverLostGraceMs: 5 * SECOND });
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    const attemptId = h.instances.lastInvoke("a.x").command.attemptId;
    h.engine.instanceDisconnected("server-a-1");
    h.clock.advance(4 * SECOND);
    expect(h.engine.unwantedAttempts("server-a-1", [attemptId])).toEqual([]);
    expect(h.engine.unwantedAttempts("server-a-2", [attemptId])).toEqual([attemptId]);
    await h.engine.instanceResumed("server-a-1", [attemptId]);
    h.clock.advance(10 * SECOND);
    await h.settle();
    await h.report("a.x", "COMPLETED");
    expect((await runOf(h, snapshot.run.id)).run.state).toBe("SUCCEEDED");
  });

  it("ends at once the attempts a reconnecting instance no longer runs, and names the ones it should drop", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    expect(h.engine.unwantedAttempts("server-a-1", ["att_forgotten"])).toEqual(["att_forgotten"]);
    await h.engine.instanceResumed("server-a-1", ["att_forgotten"]);
    expect((await runOf(h, snapshot.run.id)).taskRuns[0]).toMatchObject({
      state: "ERROR",
      errorCause: "SERVER_LOST",
    });
  });

  it("sends an unacknowledged invoke again to an instance that reconnects without it", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    const instance = h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    const first = instance.invokes[0]!;
    h.engine.instanceDisconnected("server-a-1");
    await h.engine.instanceResumed("server-a-1", []);
    expect(instance.invokes).toHaveLength(2);
    expect(instance.invokes[1]).toEqual(first);
    await h.complete("a.x");
    const finished = await runOf(h, snapshot.run.id);
    expect(finished.run.state).toBe("SUCCEEDED");
    expect(finished.taskRuns[0]?.attempts).toHaveLength(1);
  });

  it("cancels pending and running task-runs and tells the server", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x"), task("a.y", { dependsOn: ["a.x"] })]);
    const instance = h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.y"] });
    await h.report("a.x", "STARTED");
    const cancelled = await h.engine.cancelRun(snapshot.run.id, "wrong day");
    expect(cancelled.run.state).toBe("CANCELLED");
    expect(states(cancelled)).toEqual({ "a.x": "CANCELLED", "a.y": "CANCELLED" });
    expect(instance.cancels).toEqual([
      { attemptId: instance.invokes[0]!.attemptId, reason: "wrong day" },
    ]);
    expect(await h.report("a.x", "COMPLETED")).toMatchObject({ accepted: false });
  });

  it("refuses to cancel a run that does not exist", async () => {
    const h = engineHarness();
    await expect(h.engine.cancelRun("run_missing", "")).rejects.toThrow(
      "[NOT_FOUND] no run with id run_missing",
    );
  });

  it("holds a task at its concurrency limit across runs, with the reason", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x", { concurrencyLimit: 1 })]);
    h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"] });
    const second = await h.engine.startRun({ targets: ["a.x"] });
    expect(second.snapshot.taskRuns[0]).toMatchObject({
      state: "PENDING",
      waitingReason: "concurrency limit of 1 for a.x reached",
    });
    await h.complete("a.x");
    await h.settle();
    expect(h.instances.log).toHaveLength(2);
  });
});

describe("RunEngine: logs", () => {
  it("logs each run and attempt as JSON carrying the run, task, attempt and instance ids", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "info" },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const h = engineHarness({ logger });
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "ERROR", "disk full");
    const attemptId = h.instances.lastInvoke("a.x").command.attemptId;
    expect(lines.find((line) => line.msg === "attempt failed: disk full")).toMatchObject({
      level: 40,
      runId: snapshot.run.id,
      taskId: "a.x",
      attemptId,
      instanceId: "server-a-1",
      cause: "TASK_FAILED",
    });
    expect(lines.find((line) => line.msg === "run finished")).toMatchObject({
      runId: snapshot.run.id,
      state: "FAILED",
    });
  });
});
