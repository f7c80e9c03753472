// The domain model of cerebro. Protobuf types stop at the RPC layer; this is
// what the graph, the planner, the engine and the store speak.

/** States of a task within a run (PRODUCT.md, "Task states within a run"). */
export const TaskState = {
  PENDING: "PENDING",
  INVOKED: "INVOKED",
  QUEUED: "QUEUED",
  STARTED: "STARTED",
  COMPLETED: "COMPLETED",
  ERROR: "ERROR",
  BLOCKED: "BLOCKED",
  SKIPPED: "SKIPPED",
  CANCELLED: "CANCELLED",
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** Why a task-run or attempt ended in ERROR. */
export const ErrorCause = {
  TASK_FAILED: "TASK_FAILED",
  ACK_TIMEOUT: "ACK_TIMEOUT",
  START_TIMEOUT: "START_TIMEOUT",
  COMPLETE_TIMEOUT: "COMPLETE_TIMEOUT",
  SERVER_LOST: "SERVER_LOST",
  REJECTED: "REJECTED",
  HEARTBEAT_TIMEOUT: "HEARTBEAT_TIMEOUT",
} as const;
export type ErrorCause = (typeof ErrorCause)[keyof typeof ErrorCause];

/** States of a whole run. */
export const RunState = {
  RUNNING: "RUNNING",
  SUCCEEDED: "SUCCEEDED",
  FAILED: "FAILED",
  CANCELLED: "CANCELLED",
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

export type RunMode = "normal" | "test";
export type TriggerKind = "api" | "cron" | "upstream" | "backfill";

/** The team answerable for a task. */
export interface Owner {
  readonly team: string;
  readonly contact: string;
}

/** One upstream edge: run first, or satisfied by a completion younger than freshWithinMs. */
export interface Dependency {
  readonly taskId: string;
  readonly freshWithinMs?: number;
}

/** Per-task deadline overrides, in milliseconds. */
export interface DeadlineOverrides {
  readonly ackMs?: number;
  readonly startMs?: number;
  readonly completeMs?: number;
  /** The longest a STARTED attempt may go without a heartbeat or progress; none by default. */
  readonly heartbeatMs?: number;
}

/** The deadlines in force for an attempt, in milliseconds. */
export interface Deadlines {
  readonly ackMs: number;
  readonly startMs: number;
  readonly completeMs: number;
  /** Absent: the attempt may be silent until its complete deadline. */
  readonly heartbeatMs?: number;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly multiplier: number;
  /** Causes that are retried; empty means every cause but REJECTED. */
  readonly retryOn: readonly ErrorCause[];
}

/** What happens to cron ticks missed while cerebro was down. */
export type CatchUpPolicy = "skip" | "latest" | "all";
/** What happens when a tick fires while the task's previous scheduled run is still active. */
export type OverlapPolicy = "skip" | "queue_one" | "allow" | "cancel_previous";

/** Defaults of the optional schedule fields (the protocol's UNSPECIFIED values). */
export const DEFAULT_CATCH_UP: CatchUpPolicy = "latest";
export const DEFAULT_OVERLAP: OverlapPolicy = "skip";
/** The most missed ticks caught up under "all" when the declaration gives no maximum. */
export const DEFAULT_CATCH_UP_MAX = 100;

export interface Schedule {
  /** Five fields, or six with leading seconds; parsed by croner. */
  readonly cron: string;
  /** IANA time zone; "UTC" when the declaration gave none. */
  readonly timeZone: string;
  /** Default DEFAULT_CATCH_UP. */
  readonly catchUp?: CatchUpPolicy;
  /** With catchUp "all": the most missed ticks to run. Default DEFAULT_CATCH_UP_MAX. */
  readonly catchUpMax?: number;
  /** Default DEFAULT_OVERLAP. */
  readonly overlap?: OverlapPolicy;
  /**
   * Each tick's task is expected to have COMPLETED this long after the tick;
   * otherwise its team is told it is late. Absent: nobody is told.
   */
  readonly expectedWithinMs?: number;
}

/** The longest expectedWithin a schedule may declare. */
export const MAX_EXPECTED_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;

/** Starts the task whenever its upstream tasks complete. */
export interface UpstreamTrigger {
  /** "all": once every upstream completed since the last triggered run; "any": after any one. */
  readonly mode: "all" | "any";
  /** Completions within this window start one run, not several. */
  readonly debounceMs: number;
}

/** A task as a server declared it, validated. */
export interface TaskDefinition {
  readonly id: string;
  readonly description: string;
  readonly owner: Owner;
  readonly dependencies: readonly Dependency[];
  readonly deadlines: DeadlineOverrides;
  readonly retry: RetryPolicy;
  readonly concurrencyLimit: number;
  readonly tags: readonly string[];
  readonly schedule?: Schedule;
  readonly trigger?: UpstreamTrigger;
}

/** A recorded COMPLETED task-run, the evidence freshness conditions are judged on. */
export interface Completion {
  readonly taskId: string;
  readonly runId: string;
  readonly taskRunId: string;
  readonly completedAt: number;
  /** What the task-run returned: passed on to the downstream of a run that reuses it. */
  readonly outputs?: Readonly<Record<string, string>>;
}

/** One try of a task-run on one server instance. */
export interface AttemptRecord {
  id: string;
  number: number;
  state: TaskState;
  instanceId: string;
  deadlines: Deadlines;
  errorCause?: ErrorCause;
  errorDescription?: string;
  /** With ERROR(TASK_FAILED): the kind of error the task reported, when it named one. */
  errorType?: string;
  /** With ERROR(TASK_FAILED): the facts the task reported about its error, when any. */
  errorDetails?: Record<string, string>;
  /** When the invoke was last sent: sent again after a reconnect, it counts from then. */
  invokedAt: number;
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** When the current step's deadline passes, and which deadline it is. */
  deadlineAt?: number;
  deadlineCause?: ErrorCause;
  /** A command task's exit code, once it ended (absent when a signal ended it). */
  exitCode?: number;
  /** A command task's last output, once it ended. */
  outputTail?: string;
  /** When its last heartbeat or progress was stored (at most one per progress interval). */
  lastHeartbeatAt?: number;
  /** How far it last said it got, from 0 to 1. */
  progress?: number;
  /** What it last said it was doing. */
  progressMessage?: string;
  /** The details it last sent with a heartbeat or progress. */
  heartbeatDetails?: string;
  /** Its span in the run's trace: the parent the invoke gives the task-server's handler span. */
  spanId?: string;
}

/** One task within one run. */
export interface TaskRunRecord {
  id: string;
  runId: string;
  taskId: string;
  serverName: string;
  owner: Owner;
  state: TaskState;
  /** Upstream task ids planned in the same run; this waits for each. */
  upstream: string[];
  attempts: AttemptRecord[];
  errorCause?: ErrorCause;
  errorDescription?: string;
  /** As its failed attempt's, with ERROR or a retry pending. */
  errorType?: string;
  /** As its failed attempt's, with ERROR or a retry pending. */
  errorDetails?: Record<string, string>;
  blockedBy?: string[];
  reused?: Completion;
  waitingReason?: string;
  /** With a retry pending: not to be invoked before this time. */
  notBefore?: number;
  /** With CANCELLED: why, as the cancel said. */
  cancelReason?: string;
  outputs?: Record<string, string>;
  updatedAt: number;
  /** Its span in the run's trace. */
  spanId?: string;
}

export interface RunSummary {
  failed: TaskRunOutcome[];
  blocked: TaskRunOutcome[];
  completed: number;
  skipped: number;
  cancelled: number;
}

/** A failed or blocked task-run with the team to tell. */
export interface TaskRunOutcome {
  taskId: string;
  serverName: string;
  owner: Owner;
  errorCause?: ErrorCause;
  errorDescription?: string;
  blockedBy?: string[];
}

export interface RunRecord {
  id: string;
  state: RunState;
  trigger: TriggerKind;
  targets: string[];
  params: Record<string, string>;
  mode: RunMode;
  createdAt: number;
  /** When the run was meant to happen (a cron tick, a backfilled time); default createdAt. */
  logicalTime?: number;
  finishedAt?: number;
  idempotencyKey?: string;
  summary?: RunSummary;
  /** The run's span, whose trace holds every span of the run; absent when tracing was off. */
  trace?: RunTrace;
  /**
   * A candidate run (always mode "test"): the change and the server whose
   * task-runs its candidate instances serve instead of the server's own.
   */
  candidate?: { changeId: string; serverName: string };
}

/**
 * The run's span as W3C trace context names it: stored with the run, so that
 * the spans a restarted cerebro makes stay in the run's trace.
 */
export interface RunTrace {
  traceId: string;
  spanId: string;
  /** The W3C trace flags; bit 1 says the trace is sampled. */
  flags: number;
}

/** A run with its task-runs, as the store returns it. */
export interface RunSnapshot {
  run: RunRecord;
  taskRuns: TaskRunRecord[];
}

/** States after which a task-run never changes again. */
export function isFinalTaskState(state: TaskState): boolean {
  return (
    state === TaskState.COMPLETED ||
    state === TaskState.ERROR ||
    state === TaskState.BLOCKED ||
    state === TaskState.SKIPPED ||
    state === TaskState.CANCELLED
  );
}

/** States in which an attempt is out on a server. */
export function isInFlight(state: TaskState): boolean {
  return state === TaskState.INVOKED || state === TaskState.QUEUED || state === TaskState.STARTED;
}

/** Whether a finished upstream lets its downstream go ahead. */
export function satisfiesDownstream(state: TaskState): boolean {
  return state === TaskState.COMPLETED || state === TaskState.SKIPPED;
}
