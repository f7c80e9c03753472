// What the engine's events say about retries, cancels, waiting and
// instances that are away: what a follower of a run needs to show it.

import { describe, expect, it } from "vitest";
import { engineHarness, task } from "../testing/engine-harness.js";
import { NO_RETRY } from "./policies.js";

const SECOND = 1_000;

function oneTask(retry = NO_RETRY) {
  const h = engineHarness({ serverLostGraceMs: 5 * SECOND });
  h.graph.declare("server-a", [task("a.x", { team: "team-a", retry })]);
  return h;
}

describe("RunEngine events", () => {
  it("a retry says which attempt failed, why, and when the next is due", async () => {
    const h = oneTask({ ...NO_RETRY, maxAttempts: 2, initialBackoffMs: 4 * SECOND });
    h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    await h.report("a.x", "ERROR", "disk full");
    const retry = h.events.at(-1);
    expect(retry).toMatchObject({
      kind: "task-run-changed",
      state: "PENDING",
      errorCause: "TASK_FAILED",
      attemptNumber: 1,
      teams: ["team-a"],
    });
    expect(retry?.detail).toMatch(/^retry 2 of 2 in \d+ ms after TASK_FAILED: disk full$/);
    expect(retry?.dueAt).toBeGreaterThan(h.clock.now());
    const { taskRuns } = await h.engine.getRun(retry?.runId ?? "");
    expect(taskRuns[0]?.notBefore).toBe(retry?.dueAt);
  });

  it("a task's error type and details stay with its attempt and task-run, and events put the type first", async () => {
    const h = oneTask({ ...NO_RETRY, maxAttempts: 3, initialBackoffMs: SECOND });
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    await h.report("a.x", "ERROR", "relay refused", {
      errorType: "SmtpRefused",
      errorDetails: { host: "smtp.example.com" },
    });
    expect(h.events.at(-1)?.detail).toMatch(
      /^retry 2 of 3 in \d+ ms after TASK_FAILED: SmtpRefused: relay refused$/,
    );
    let [taskRun] = (await h.engine.getRun(snapshot.run.id)).taskRuns;
    expect([taskRun?.errorType, taskRun?.errorDetails]).toEqual([
      "SmtpRefused",
      { host: "smtp.example.com" },
    ]);

    // The second attempt fails without a type: nothing of the first one's is left on the task-run.
    h.clock.advance(SECOND);
    await h.settle();
    await h.report("a.x", "STARTED");
    await h.report("a.x", "ERROR", "disk full");
    [taskRun] = (await h.engine.getRun(snapshot.run.id)).taskRuns;
    expect([taskRun?.errorType, taskRun?.errorDetails]).toEqual([undefined, undefined]);
    expect(taskRun?.attempts.map((a) => [a.errorType, a.errorDetails])).toEqual([
      ["SmtpRefused", { host: "smtp.example.com" }],
      [undefined, undefined],
    ]);

    // The third fails for good, with a type: the task-run ends with it.
    h.clock.advance(2 * SECOND);
    await h.settle();
    await h.report("a.x", "STARTED");
    await h.report("a.x", "ERROR", "no customer c-17", {
      errorType: "UnknownCustomer",
      nonRetryable: true,
    });
    [taskRun] = (await h.engine.getRun(snapshot.run.id)).taskRuns;
    expect([taskRun?.state, taskRun?.errorType]).toEqual(["ERROR", "UnknownCustomer"]);
    const failed = h.events.find((e) => e.kind === "task-run-changed" && e.state === "ERROR");
    expect(failed?.detail).toBe("UnknownCustomer: no customer c-17");
    expect(failed?.message).toBe("a.x ERROR(TASK_FAILED): UnknownCustomer: no customer c-17");
  });

  it("a task-run that completes on a retry keeps no error type", async () => {
    const h = oneTask({ ...NO_RETRY, maxAttempts: 2, initialBackoffMs: SECOND });
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    await h.report("a.x", "ERROR", "busy", { errorType: "Busy", errorDetails: { n: "1" } });
    h.clock.advance(SECOND);
    await h.settle();
    await h.complete("a.x");
    const [taskRun] = (await h.engine.getRun(snapshot.run.id)).taskRuns;
    expect(taskRun?.state).toBe("COMPLETED");
    expect([taskRun?.errorType, taskRun?.errorDetails]).toEqual([undefined, undefined]);
    expect(taskRun?.attempts[0]?.errorType).toBe("Busy");
  });

  it("a cancel's reason is on every cancelled task-run, its events and the run's end", async () => {
    const h = oneTask();
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    const cancelled = await h.engine.cancelRun(snapshot.run.id, "wrong day");
    expect(cancelled.taskRuns[0]?.cancelReason).toBe("wrong day");
    const [taskRunEnd, runEnd] = h.events.slice(-2);
    expect(taskRunEnd).toMatchObject({ state: "CANCELLED", detail: "wrong day" });
    expect(runEnd).toMatchObject({
      kind: "run-finished",
      runState: "CANCELLED",
      detail: "wrong day",
    });
    expect(runEnd?.message).toBe(`run ${snapshot.run.id} CANCELLED (wrong day)`);
  });

  it("a task-run that waits for a server says so in an event", async () => {
    const h = oneTask();
    await h.engine.startRun({ targets: ["a.x"] });
    expect(h.events.at(-1)).toMatchObject({
      kind: "task-run-changed",
      state: "PENDING",
      detail: "no connected instance of server server-a",
    });
  });

  it("an attempt whose instance is away says until when, and that it is back", async () => {
    const h = oneTask();
    h.instances.connect("server-a");
    await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    const { command } = h.instances.lastInvoke("a.x");
    h.instances.disconnect("server-a-1");
    h.engine.instanceDisconnected("server-a-1");
    expect(h.events.at(-1)).toMatchObject({
      kind: "attempt-server-away",
      taskId: "a.x",
      attemptId: command.attemptId,
      attemptNumber: 1,
      instanceId: "server-a-1",
      dueAt: h.clock.now() + 5 * SECOND,
    });
    h.instances.connect("server-a");
    await h.engine.instanceResumed("server-a-1", [command.attemptId]);
    expect(h.events.at(-1)).toMatchObject({ kind: "attempt-server-back", taskId: "a.x" });
  });
});

describe("RunEngine.onFinishedRunStored", () => {
  it("tells each finished run once, when the store already holds it finished", async () => {
    const h = oneTask();
    h.instances.connect("server-a");
    const told: { runId: string; stored: string | undefined }[] = [];
    const pending: Promise<void>[] = [];
    h.engine.onFinishedRunStored((runId) => {
      pending.push(
        h.store.getRun(runId).then((stored) => {
          told.push({ runId, stored: stored?.run.state });
        }),
      );
    });
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    await h.report("a.x", "STARTED");
    expect(pending).toEqual([]);
    await h.report("a.x", "COMPLETED");
    await h.settle();
    await Promise.all(pending);
    expect(told).toEqual([{ runId: snapshot.run.id, stored: "SUCCEEDED" }]);
  });
});
