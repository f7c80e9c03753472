import { describe, expect, it } from "vitest";
import { engineHarness, task } from "../testing/engine-harness.js";
import { runDataBytes } from "./run-data.js";

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
