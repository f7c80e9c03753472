import { fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { RunSchema, TaskRunSchema } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { ErrorCause, type RunSnapshot, RunState, TaskState } from "../domain/model.js";
import { testRun, testTaskRun } from "../store/store-contract.js";
import { runToProto, taskRunToProto } from "./convert.js";

const deadlines = { ackMs: 10_000, startMs: 600_000, completeMs: 1_800_000 };

/** A finished run with every optional field somewhere, and a task-run with none. */
const snapshot: RunSnapshot = {
  run: testRun("run-1", 1_700_000_000_123, {
    state: RunState.FAILED,
    finishedAt: 1_700_000_009_999,
    logicalTime: 1_699_999_200_000,
    idempotencyKey: "nightly-2026-11-27",
    summary: {
      failed: [
        {
          taskId: "b.load",
          serverName: "server-b",
          owner: { team: "team-b", contact: "" },
          errorCause: ErrorCause.TASK_FAILED,
          errorDescription: "disk full",
        },
      ],
      blocked: [
        {
          taskId: "c.report",
          serverName: "server-c",
          owner: { team: "team-c", contact: "c@example.com" },
          blockedBy: ["b.load"],
        },
      ],
      completed: 1,
      skipped: 0,
      cancelled: 0,
    },
  }),
  taskRuns: [
    testTaskRun("run-1", "c.report", { state: TaskState.BLOCKED, blockedBy: ["b.load"] }),
    testTaskRun("run-1", "b.load", {
      state: TaskState.ERROR,
      upstream: ["a.fetch"],
      errorCause: ErrorCause.TASK_FAILED,
      errorDescription: "disk full",
      waitingReason: "",
      attempts: [
        {
          id: "att-1",
          number: 1,
          state: TaskState.ERROR,
          instanceId: "server-b-1",
          deadlines,
          errorCause: ErrorCause.START_TIMEOUT,
          errorDescription: "no STARTED within 10 min",
          invokedAt: 1_700_000_000_500,
          queuedAt: 1_700_000_000_501,
          finishedAt: 1_700_000_600_501,
        },
        {
          id: "att-2",
          number: 2,
          state: TaskState.ERROR,
          instanceId: "server-b-2",
          deadlines,
          invokedAt: 1_700_000_600_600,
          startedAt: 1_700_000_600_610,
          finishedAt: 1_700_000_600_700,
        },
      ],
    }),
    testTaskRun("run-1", "a.fetch", {
      state: TaskState.COMPLETED,
      reused: {
        taskId: "a.fetch",
        runId: "run-0",
        taskRunId: "tr-0",
        completedAt: 1_699_000_000_001,
      },
    }),
  ],
};

describe("runToProto", () => {
  it("builds the messages protobuf-es reads back from their bytes, types and all", () => {
    // toEqual: an unset message field is `undefined` here and absent there.
    const run = runToProto(snapshot);
    expect(run).toEqual(fromBinary(RunSchema, toBinary(RunSchema, run)));
    for (const taskRun of snapshot.taskRuns) {
      const message = taskRunToProto(taskRun);
      expect(message).toEqual(fromBinary(TaskRunSchema, toBinary(TaskRunSchema, message)));
    }
  });

  it("keeps every value: ids, states, causes, times to the millisecond, task-runs by task id", () => {
    const json = toJson(RunSchema, runToProto(snapshot)) as Record<string, unknown>;
    expect(json).toMatchObject({
      id: "run-1",
      state: "RUN_STATE_FAILED",
      createdAt: "2023-11-14T22:13:20.123Z",
      finishedAt: "2023-11-14T22:13:29.999Z",
      logicalTime: "2023-11-14T22:00:00Z",
      idempotencyKey: "nightly-2026-11-27",
      params: { day: "2024-05-01" },
      summary: { failed: [{ taskId: "b.load", errorDescription: "disk full" }] },
    });
    const taskRuns = json.taskRuns as Array<Record<string, unknown>>;
    expect(taskRuns.map((taskRun) => taskRun.taskId)).toEqual(["a.fetch", "b.load", "c.report"]);
    expect(taskRuns[0]?.reused).toEqual({
      taskId: "a.fetch",
      runId: "run-0",
      taskRunId: "tr-0",
      completedAt: "2023-11-03T08:26:40.001Z",
    });
    expect(taskRuns[1]).toMatchObject({
      upstream: ["a.fetch"],
      attempts: [
        {
          id: "att-1",
          errorCause: "ERROR_CAUSE_START_TIMEOUT",
          queuedAt: "2023-11-14T22:13:20.501Z",
        },
        { id: "att-2", number: 2, startedAt: "2023-11-14T22:23:20.610Z" },
      ],
    });
    expect(taskRuns[2]?.blockedBy).toEqual(["b.load"]);
  });

  it("shares no array or map with the records, which the engine goes on changing", () => {
    const run = runToProto(snapshot);
    run.targets.push("x");
    run.params.extra = "x";
    run.taskRuns[1]?.upstream.push("x");
    run.taskRuns[2]?.blockedBy.push("x");
    expect(snapshot.run.targets).toEqual(["a.report"]);
    expect(snapshot.run.params).toEqual({ day: "2024-05-01" });
    expect(snapshot.taskRuns[1]?.upstream).toEqual(["a.fetch"]);
    expect(snapshot.taskRuns[0]?.blockedBy).toEqual(["b.load"]);
  });
});
