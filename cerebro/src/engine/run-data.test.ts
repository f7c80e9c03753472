import { describe, expect, it } from "vitest";
import { engineHarness, task } from "../testing/engine-harness.js";
import { runDataBytes, upstreamOutputs } from "./run-data.js";

describe("the size of a run's params and a task-run's outputs", () => {
  it("counts keys and values in UTF-8 bytes", () => {
    expect(runDataBytes({ day: "2026-06-01", städte: "Zürich" })).toBe(3 + 10 + 7 + 7);
  });

  it("refuses a run whose params are over the limit, naming the limit, and stores nothing", async () => {
    const h = engineHarness({ maxRunDataBytes: 1_000 });
    h.graph.declare("server-a", [task("a.x")]);
    await expect(
      h.engine.startRun({ targets: ["a.x"], params: { blob: "x".repeat(1_000) } }),
    ).rejects.toThrow(
      "[INVALID_ARGUMENT] params take 1004 bytes, more than the limit of 1000 bytes (CORDYNA_MAX_RUN_DATA_BYTES): pass references to data (a path, a table name), not the data",
    );
    expect(await h.store.listRuns(10)).toEqual([]);
    expect((await h.engine.startRun({ targets: ["a.x"], params: { day: "1" } })).existing).toBe(
      false,
    );
  });

  it("ends a task-run whose outputs are over the limit in ERROR, without a retry", async () => {
    const h = engineHarness({ maxRunDataBytes: 100 });
    h.graph.declare("server-a", [
      task("a.x", {
        retry: { maxAttempts: 3, initialBackoffMs: 0, maxBackoffMs: 0, multiplier: 1, retryOn: [] },
      }),
    ]);
    const instance = h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({ targets: ["a.x"] });
    const attemptId = instance.invokes[0]!.attemptId;
    await h.engine.report({ instanceId: instance.instanceId, attemptId, state: "STARTED" });
    const outcome = await h.engine.report({
      instanceId: instance.instanceId,
      attemptId,
      state: "COMPLETED",
      outputs: { table: "y".repeat(200) },
    });
    expect(outcome).toEqual({ accepted: true, duplicate: false });
    const finished = await h.engine.getRun(snapshot.run.id);
    expect(finished.run.state).toBe("FAILED");
    expect(finished.taskRuns[0]).toMatchObject({
      state: "ERROR",
      errorCause: "TASK_FAILED",
      errorDescription:
        "the task completed, but its outputs take 205 bytes, more than the limit of 100 bytes (CORDYNA_MAX_RUN_DATA_BYTES): pass references to data (a path, a table name), not the data",
    });
    expect(finished.taskRuns[0]?.outputs).toBeUndefined();
    expect(instance.invokes).toHaveLength(1);
  });
});

describe("upstream outputs in an invoke", () => {
  /** Completes the latest attempt of a task with outputs, as its instance would. */
  async function completeWith(
    h: ReturnType<typeof engineHarness>,
    taskId: string,
    outputs: Record<string, string>,
  ) {
    const { instanceId, command } = h.instances.lastInvoke(taskId);
    await h.engine.report({ instanceId, attemptId: command.attemptId, state: "STARTED" });
    await h.engine.report({
      instanceId,
      attemptId: command.attemptId,
      state: "COMPLETED",
      outputs,
    });
  }

  it("carries what the completed upstream returned, in the order of the upstream", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.rates"), task("a.orders"), task("a.quiet")]);
    h.graph.declare("server-b", [
      task("b.report", { dependsOn: ["a.rates", "a.orders", "a.quiet"] }),
    ]);
    h.instances.connect("server-a");
    h.instances.connect("server-b");
    await h.engine.startRun({ targets: ["b.report"] });
    await completeWith(h, "a.orders", { count: "12" });
    await completeWith(h, "a.rates", { rows: "1204", path: "/data/rates" });
    await completeWith(h, "a.quiet", {});
    expect(h.instances.lastInvoke("b.report").command.upstream).toEqual([
      { taskId: "a.rates", outputs: { rows: "1204", path: "/data/rates" }, omitted: false },
      { taskId: "a.orders", outputs: { count: "12" }, omitted: false },
    ]);
  });

  it("carries a SKIPPED upstream's outputs from the completion it reuses", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.rates")]);
    h.graph.declare("server-b", [
      task("b.use", { dependsOn: [{ taskId: "a.rates", freshWithinMs: 3_600_000 }] }),
    ]);
    h.instances.connect("server-a");
    h.instances.connect("server-b");
    await h.engine.startRun({ targets: ["a.rates"] });
    await completeWith(h, "a.rates", { rows: "1204" });

    const second = await h.engine.startRun({ targets: ["b.use"] });
    const skipped = second.snapshot.taskRuns.find((t) => t.taskId === "a.rates");
    expect(skipped).toMatchObject({ state: "SKIPPED", outputs: { rows: "1204" } });
    expect(h.instances.lastInvoke("b.use").command.upstream).toEqual([
      { taskId: "a.rates", outputs: { rows: "1204" }, omitted: false },
    ]);
  });

  it("leaves out, and marks, upstream outputs past the run-data limit together", () => {
    const big = { blob: "x".repeat(600) };
    expect(
      upstreamOutputs(
        [
          { taskId: "a.one", outputs: big },
          { taskId: "a.two", outputs: big },
          { taskId: "a.small", outputs: { n: "1" } },
        ],
        1_000,
      ),
    ).toEqual([
      { taskId: "a.one", outputs: big, omitted: false },
      { taskId: "a.two", outputs: {}, omitted: true },
      { taskId: "a.small", outputs: { n: "1" }, omitted: false },
    ]);
  });
});
