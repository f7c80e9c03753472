import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Attempt,
  type Event,
  EventKind,
  EventSchema,
  type Completion as ProtoCompletion,
  type RunSummary as ProtoRunSummary,
  type Run,
  RunSummarySchema,
  type TaskRun,
  TaskRunOutcomeSchema,
  timestampOf,
} from "@cordyna/contract";
import type {
  AttemptRecord,
  Completion,
  RunSnapshot,
  RunSummary,
  TaskRunOutcome,
  TaskRunRecord,
} from "../domain/model.js";
import type { CerebroEvent, CerebroEventKind } from "../events.js";
import type { LoggedEvent } from "../store/event-store.js";
import {
  errorCauseToProto,
  runModeToProto,
  runStateToProto,
  taskStateToProto,
  triggerToProto,
} from "./enums.js";

// Runs, task-runs and attempts are built as literals, field for field what
// create() makes (convert.test.ts checks it): create() walks the schema by
// reflection, and answering StartRun and GetRun with it was a tenth of
// cerebro's time in W3.

const timestamp = (ms: number | undefined): Timestamp | undefined =>
  ms === undefined ? undefined : timestampOf(ms);

// The order of String.prototype.localeCompare, without building a collator
// on each of a large run's hundred thousand comparisons.
const byTaskId = new Intl.Collator();

/** A run with its task-runs, as the control API shows it. */
export function runToProto({ run, taskRuns }: RunSnapshot): Run {
  return {
    $typeName: "cordyna.v1.Run",
    id: run.id,
    state: runStateToProto(run.state),
    trigger: triggerToProto(run.trigger),
    targets: [...run.targets],
    params: { ...run.params },
    mode: runModeToProto(run.mode),
    createdAt: timestamp(run.createdAt),
    finishedAt: timestamp(run.finishedAt),
    taskRuns: [...taskRuns]
      .sort((a, b) => byTaskId.compare(a.taskId, b.taskId))
      .map(taskRunToProto),
    summary: run.summary ? summaryToProto(run.summary) : undefined,
    idempotencyKey: run.idempotencyKey ?? "",
    logicalTime: timestamp(run.logicalTime ?? run.createdAt),
    traceId: run.trace?.traceId ?? "",
    candidate: run.candidate?.changeId ?? "",
    candidateServerName: run.candidate?.serverName ?? "",
  };
}

export function taskRunToProto(taskRun: TaskRunRecord): TaskRun {
  return {
    $typeName: "cordyna.v1.TaskRun",
    id: taskRun.id,
    taskId: taskRun.taskId,
    serverName: taskRun.serverName,
    owner: {
      $typeName: "cordyna.v1.Owner",
      team: taskRun.owner.team,
      contact: taskRun.owner.contact,
    },
    state: taskStateToProto(taskRun.state),
    errorCause: taskRun.errorCause ? errorCauseToProto(taskRun.errorCause) : 0,
    errorDescription: taskRun.errorDescription ?? "",
    blockedBy: taskRun.blockedBy ? [...taskRun.blockedBy] : [],
    reused: taskRun.reused ? completionToProto(taskRun.reused) : undefined,
    upstream: [...taskRun.upstream],
    attempts: taskRun.attempts.map(attemptToProto),
    updatedAt: timestamp(taskRun.updatedAt),
    waitingReason: taskRun.waitingReason ?? "",
    outputs: { ...taskRun.outputs },
    errorType: taskRun.errorType ?? "",
    errorDetails: { ...taskRun.errorDetails },
    retryAt: taskRun.state === "PENDING" ? timestamp(taskRun.notBefore) : undefined,
    cancelReason: taskRun.cancelReason ?? "",
    spanId: taskRun.spanId ?? "",
  };
}

function attemptToProto(attempt: AttemptRecord): Attempt {
  return {
    $typeName: "cordyna.v1.Attempt",
    id: attempt.id,
    number: attempt.number,
    state: taskStateToProto(attempt.state),
    instanceId: attempt.instanceId,
    errorCause: attempt.errorCause ? errorCauseToProto(attempt.errorCause) : 0,
    errorDescription: attempt.errorDescription ?? "",
    invokedAt: timestamp(attempt.invokedAt),
    queuedAt: timestamp(attempt.queuedAt),
    startedAt: timestamp(attempt.startedAt),
    finishedAt: timestamp(attempt.finishedAt),
    ...(attempt.exitCode === undefined ? {} : { exitCode: attempt.exitCode }),
    outputTail: attempt.outputTail ?? "",
    lastHeartbeatAt: timestamp(attempt.lastHeartbeatAt),
    ...(attempt.progress === undefined ? {} : { progress: attempt.progress }),
    progressMessage: attempt.progressMessage ?? "",
    heartbeatDetails: attempt.heartbeatDetails ?? "",
    spanId: attempt.spanId ?? "",
    errorType: attempt.errorType ?? "",
    errorDetails: { ...attempt.errorDetails },
  };
}

function summaryToProto(summary: RunSummary): ProtoRunSummary {
  const outcome = (entry: TaskRunOutcome) =>
    create(TaskRunOutcomeSchema, {
      taskId: entry.taskId,
      owner: entry.owner,
      serverName: entry.serverName,
      errorCause: entry.errorCause ? errorCauseToProto(entry.errorCause) : 0,
      errorDescription: entry.errorDescription ?? "",
      blockedBy: entry.blockedBy ?? [],
    });
  return create(RunSummarySchema, {
    failed: summary.failed.map(outcome),
    blocked: summary.blocked.map(outcome),
    completed: summary.completed,
    skipped: summary.skipped,
    cancelled: summary.cancelled,
  });
}

export function completionToProto(completion: Completion): ProtoCompletion {
  return {
    $typeName: "cordyna.v1.Completion",
    taskId: completion.taskId,
    runId: completion.runId,
    taskRunId: completion.taskRunId,
    completedAt: timestampOf(completion.completedAt),
  };
}

const EVENT_KINDS: Record<CerebroEventKind, EventKind> = {
  "run-started": EventKind.RUN_STARTED,
  "run-finished": EventKind.RUN_FINISHED,
  "task-run-changed": EventKind.TASK_RUN_CHANGED,
  "server-connected": EventKind.SERVER_CONNECTED,
  "server-disconnected": EventKind.SERVER_DISCONNECTED,
  "graph-changed": EventKind.GRAPH_CHANGED,
  "report-refused": EventKind.REPORT_REFUSED,
  "attempt-server-away": EventKind.ATTEMPT_SERVER_AWAY,
  "attempt-server-back": EventKind.ATTEMPT_SERVER_BACK,
  "attempt-progress": EventKind.ATTEMPT_PROGRESS,
};

/** The wire kind of one of cerebro's events. */
export function eventKindToProto(kind: CerebroEventKind): EventKind {
  return EVENT_KINDS[kind];
}

/** An event as watchers get it; a logged one carries its cursor and seq. */
export function eventToProto(event: CerebroEvent | LoggedEvent): Event {
  return create(EventSchema, {
    kind: eventKindToProto(event.kind),
    time: timestampFromMs(event.time),
    runId: event.runId ?? "",
    taskRunId: event.taskRunId ?? "",
    taskId: event.taskId ?? "",
    attemptId: event.attemptId ?? "",
    state: event.state ? taskStateToProto(event.state) : 0,
    errorCause: event.errorCause ? errorCauseToProto(event.errorCause) : 0,
    serverName: event.serverName ?? "",
    instanceId: event.instanceId ?? "",
    message: event.message,
    runState: event.runState ? runStateToProto(event.runState) : 0,
    detail: event.detail ?? "",
    cursor: "cursor" in event ? String(event.cursor) : "",
    seq: "seq" in event ? event.seq : 0,
    teams: [...(event.teams ?? [])],
    attemptNumber: event.attemptNumber ?? 0,
    dueAt: event.dueAt === undefined ? undefined : timestampFromMs(event.dueAt),
    ...(event.progress === undefined ? {} : { progress: event.progress }),
  });
}
