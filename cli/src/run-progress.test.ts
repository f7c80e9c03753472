import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AttemptSchema,
  ErrorCause,
  EventKind,
  EventSchema,
  RunSchema,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { plainStyle } from "./render.js";
import { RunProgress, renderProgress } from "./run-progress.js";

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
const at = (ms: number) => timestampFromMs(T0 + ms);
const owner = (team: string) => ({ team, contact: "" });

function plannedRun() {
  return create(RunSchema, {
    id: "run_1",
    state: RunState.RUNNING,
    createdAt: at(0),
    taskRuns: [
      { taskId: "a.fetch", owner: owner("team-a"), state: TaskState.PENDING },
      { taskId: "a.import", owner: owner("team-a"), state: TaskState.PENDING },
      { taskId: "b.transform", owner: owner("team-b"), state: TaskState.PENDING },
      {
        taskId: "b.report",
        owner: owner("team-b"),
        state: TaskState.PENDING,
        upstream: ["b.transform", "a.fetch"],
      },
      { taskId: "b.mail", owner: owner("team-b"), state: TaskState.PENDING },
    ],
  });
}

function changed(init: MessageInitShape<typeof EventSchema>) {
  return create(EventSchema, { kind: EventKind.TASK_RUN_CHANGED, runId: "run_1", ...init });
}

const size = { width: 200, maxTaskLines: 20 };

describe("the live view of a running attempt's progress", () => {
  it("shows what it last said of how far it got, until its state changes", () => {
    const view = new RunProgress(plannedRun());
    view.apply(changed({ taskId: "a.import", state: TaskState.STARTED, time: at(1_000) }));
    view.apply(
      create(EventSchema, {
        kind: EventKind.ATTEMPT_PROGRESS,
        taskId: "a.import",
        state: TaskState.STARTED,
        attemptNumber: 1,
        progress: 0.3,
        detail: "30% 3 of 10 files",
      }),
    );
    expect(renderProgress(view, T0 + 8_000, size, plainStyle)[1]).toBe(
      "  a.import     STARTED    7s  30% 3 of 10 files",
    );
    view.apply(changed({ taskId: "a.import", state: TaskState.COMPLETED, time: at(8_000) }));
    expect(renderProgress(view, T0 + 8_000, size, plainStyle)).toContain(
      "  a.import     COMPLETED",
    );
  });

  it("starts from what the run says of its attempts", () => {
    const run = plannedRun();
    const fetch = run.taskRuns[0]!;
    fetch.state = TaskState.STARTED;
    fetch.attempts = [
      create(AttemptSchema, {
        number: 1,
        state: TaskState.STARTED,
        progress: 0.75,
        progressMessage: "nearly",
      }),
    ];
    expect(renderProgress(new RunProgress(run), T0, size, plainStyle)[1]).toBe(
      "  a.fetch      STARTED      75% nearly",
    );
  });
});

describe("the live view of a run", () => {
  const progress = new RunProgress(plannedRun());
  progress.apply(changed({ taskId: "a.fetch", state: TaskState.STARTED, time: at(1_000) }));
  progress.apply(changed({ taskId: "a.import", state: TaskState.STARTED, time: at(1_000) }));
  progress.apply(
    create(EventSchema, {
      kind: EventKind.ATTEMPT_SERVER_AWAY,
      taskId: "a.import",
      instanceId: "inst-7",
      attemptNumber: 1,
      dueAt: at(9_000),
    }),
  );
  progress.apply(
    changed({
      taskId: "b.transform",
      state: TaskState.PENDING,
      time: at(2_000),
      attemptNumber: 1,
      errorCause: ErrorCause.TASK_FAILED,
      detail: "retry 2 of 3 in 4000 ms after TASK_FAILED: disk full",
      dueAt: at(6_000),
    }),
  );
  progress.apply(
    changed({
      taskId: "b.mail",
      state: TaskState.ERROR,
      time: at(3_000),
      errorCause: ErrorCause.TASK_FAILED,
      detail: "smtp refused",
    }),
  );

  it("shows what runs with its elapsed time, what retries and when, what is away and what waits for what", () => {
    expect(renderProgress(progress, T0 + 5_000, size, plainStyle)).toEqual([
      "run_1  RUNNING  5s  2 running, 2 waiting, 0 done, 1 failed",
      "  a.import     AWAY       attempt 1: instance inst-7 disconnected; SERVER_LOST in 4s unless it is back",
      "  a.fetch      STARTED    4s",
      "  b.transform  RETRY      attempt 1 failed (TASK_FAILED: disk full); attempt 2 in 1s",
      "  b.report     WAITING    upstream b.transform, a.fetch",
      "  b.mail       ERROR      team team-b: TASK_FAILED: smtp refused",
    ]);
  });

  it("moves on with the clock and with events: an instance back, a retry started, an upstream done", () => {
    progress.apply(
      create(EventSchema, { kind: EventKind.ATTEMPT_SERVER_BACK, taskId: "a.import" }),
    );
    progress.apply(
      changed({
        taskId: "b.transform",
        state: TaskState.STARTED,
        attemptNumber: 2,
        time: at(6_000),
      }),
    );
    progress.apply(changed({ taskId: "a.fetch", state: TaskState.COMPLETED, time: at(7_000) }));
    expect(renderProgress(progress, T0 + 8_000, size, plainStyle)).toEqual([
      "run_1  RUNNING  8s  2 running, 1 waiting, 1 done, 1 failed",
      "  a.import     STARTED    7s",
      "  b.transform  STARTED    2s  attempt 2",
      "  b.report     WAITING    upstream b.transform",
      "  b.mail       ERROR      team team-b: TASK_FAILED: smtp refused",
      "  a.fetch      COMPLETED",
    ]);
  });

  it("fits the terminal: no line wider than it, and the task lines it has room for", () => {
    const lines = renderProgress(progress, T0 + 8_000, { width: 30, maxTaskLines: 2 }, plainStyle);
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => [...line].length <= 30)).toBe(true);
    expect(lines[0]).toBe("run_1  RUNNING  8s  2 running…");
    expect(lines.at(-1)).toBe("  … 3 more");
  });

  it("keeps a cancelled run's reason", () => {
    progress.apply(
      create(EventSchema, {
        kind: EventKind.RUN_FINISHED,
        runState: RunState.CANCELLED,
        detail: "wrong day",
      }),
    );
    expect(progress.cancelReason).toBe("wrong day");
    expect(renderProgress(progress, T0 + 9_000, size, plainStyle)[0]).toMatch(
      /^run_1 {2}CANCELLED {2}9s/,
    );
  });
});
