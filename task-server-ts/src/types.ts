import type { ClientTls, DurationInput } from "@cordyna/contract";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Logger } from "pino";

/** The team answerable for a task, told when it fails. */
export interface OwnerOptions {
  /** Team name, e.g. "team-a". */
  readonly team: string;
  /** E-mail address, chat channel or pager handle. */
  readonly contact: string;
}

/** Options of a {@link TaskServer} instance. */
export interface TaskServerOptions {
  /** Server name shared by all replicas, e.g. "task-server-a". */
  readonly name: string;
  /** Default owning team for the server's tasks. */
  readonly team: string;
  /** Default owner contact for the server's tasks. */
  readonly contact: string;
  /** Cerebro's address, "host:port". Default: `CORDYNA_ADDR` or "localhost:7070". */
  readonly cerebro?: string;
  /**
   * TLS towards cerebro, or false for plaintext. Default: from `CORDYNA_TLS_CA`,
   * `CORDYNA_TLS_CLIENT_CERT`, `CORDYNA_TLS_CLIENT_KEY` and `CORDYNA_TLS`
   * (plaintext when none is set).
   */
  readonly tls?: ClientTls | false;
  /**
   * Bearer token of this server's credential (`dyna auth token create --role
   * server`), or false for none. Default: `CORDYNA_TOKEN`.
   */
  readonly token?: string | false;
  /** Attempts this instance runs at once; 0 means unlimited. Default 4. */
  readonly concurrency?: number;
  /**
   * Candidate mode: a change id (as a task id: lower-case letters, digits,
   * '.', '_', '-'). Cerebro keeps this server's declarations apart from the
   * live graph and invokes it only in test runs of the change (`dyna test
   * --candidate`). Default: `CORDYNA_CANDIDATE`; empty or false: a normal server.
   */
  readonly candidate?: string | false;
  /** Unique per process. Default: `${name}-${hostname}-${pid}-${random}`. */
  readonly instanceId?: string;
  /** Logger to use; a child carrying serverName and instanceId is derived from it. */
  readonly logger?: Logger;
  /**
   * The most bytes of log lines kept per attempt until they reach cerebro;
   * past it the oldest are dropped, and a line says how many. Default 1 MiB.
   */
  readonly maxLogBytesPerAttempt?: number;
  /**
   * Install SIGTERM/SIGINT handlers on start: the first signal drains the
   * server; then `run()` resolves, or, when nothing awaits `run()`, the
   * process exits with code 0. A second signal stops at once. False leaves
   * signals to you (call `drain()`). Default true.
   */
  readonly handleSignals?: boolean;
  /** How long drain() waits for running handlers before aborting them. Default 30 000. */
  readonly drainTimeoutMs?: number;
  /** How long drain() waits for cerebro to acknowledge the final updates. Default 5 000. */
  readonly ackTimeoutMs?: number;
  /**
   * Reconnect backoff: first delay and cap, in ms. Default 100 and 2 000,
   * the protocol's; a cap above cerebro's grace period loses attempts.
   */
  readonly reconnectBackoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * Called on the server's events, for a team's own alerting. A hook runs
   * after the SDK is done with the event (never in the middle of it); one
   * that throws, or returns a promise that rejects, is logged and changes
   * nothing.
   */
  readonly hooks?: TaskServerHooks;
}

/** Which attempt a hook is about. */
export interface AttemptInfo {
  readonly taskId: string;
  readonly runId: string;
  readonly taskRunId: string;
  readonly attemptId: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attemptNumber: number;
  readonly mode: RunMode;
}

/** An attempt that this instance reported COMPLETED. */
export interface AttemptCompletedInfo extends AttemptInfo {
  /** From STARTED to the end of the handler. */
  readonly durationMs: number;
  /** The outputs as reported (encoded as strings). */
  readonly outputs: Readonly<TaskOutputs>;
}

/** An attempt that this instance started and reported as ERROR. */
export interface AttemptFailedInfo extends AttemptInfo {
  /** From STARTED to the end of the handler. */
  readonly durationMs: number;
  /**
   * What failed: the handler's error, a NonRetryableError of type
   * "InvalidParams" or "InvalidOutputs" made by the SDK, or an
   * AttemptAbortedError when a drain gave up on the attempt.
   */
  readonly error: unknown;
  /** The reported `error_description`. */
  readonly description: string;
  /** The reported `error_type`; "" when none. */
  readonly errorType: string;
  /** The reported `error_details`. */
  readonly errorDetails: Readonly<Record<string, string>>;
  /** False when `non_retryable` was reported: no retry will follow. */
  readonly retryable: boolean;
  /**
   * True when the task's retry policy gives it another attempt (attempts
   * left, and task failures among the causes retried): cerebro tries again
   * unless the run is cancelled first. False means this was the last try.
   */
  readonly willRetry: boolean;
}

/** The stream to cerebro broke after cerebro had welcomed this instance. */
export interface DisconnectedInfo {
  /** Cerebro's address. */
  readonly address: string;
  /** The gRPC status name, e.g. "UNAVAILABLE"; "ENDED" when cerebro closed it cleanly. */
  readonly code: string;
  /** Why, as the transport said. */
  readonly message: string;
  /** In how long the SDK tries again. */
  readonly retryInMs: number;
  /** Attempts running meanwhile; they go on, and their updates wait. */
  readonly runningAttempts: number;
}

/** Cerebro welcomed this instance again after a disconnection. */
export interface ReconnectedInfo {
  /** Cerebro's address. */
  readonly address: string;
  /** From the disconnection to the Welcome. */
  readonly downtimeMs: number;
}

/**
 * A team's own callbacks on the server's events. Each is optional and may be
 * async; none can change what the SDK does.
 */
export interface TaskServerHooks {
  /** An attempt started (STARTED reported), before its params are checked. */
  readonly onAttemptStarted?: (info: AttemptInfo) => void | Promise<void>;
  /** An attempt ended COMPLETED. */
  readonly onAttemptCompleted?: (info: AttemptCompletedInfo) => void | Promise<void>;
  /** An attempt that started ended in ERROR: invalid params or outputs, a throw, a drain that gave up. */
  readonly onAttemptFailed?: (info: AttemptFailedInfo) => void | Promise<void>;
  /** The stream to cerebro broke; the SDK reconnects. Once per disconnection. */
  readonly onDisconnected?: (info: DisconnectedInfo) => void | Promise<void>;
  /** Cerebro welcomed this instance again after `onDisconnected`. */
  readonly onReconnected?: (info: ReconnectedInfo) => void | Promise<void>;
}

/**
 * One upstream task: a plain task id means "run first" (the upstream runs
 * earlier in the same run); with `freshWithin`, a completion younger than that
 * satisfies the dependency.
 */
export type DependencyOption =
  | string
  | { readonly task: string; readonly freshWithin?: DurationInput };

/** Per-task overrides of cerebro's default deadlines (10 s, 10 min, 30 min). */
export interface DeadlineOptions {
  /** From invoke to QUEUED or STARTED. */
  readonly ack?: DurationInput;
  /** From QUEUED to STARTED. */
  readonly start?: DurationInput;
  /** From STARTED to COMPLETED or ERROR. */
  readonly complete?: DurationInput;
  /**
   * The longest the handler may go without `ctx.heartbeat()` or
   * `ctx.progress()` (counted from STARTED): a silent attempt ends in
   * ERROR(HEARTBEAT_TIMEOUT), retried as the retry policy says, well before
   * its complete deadline. No default: without it an attempt may be silent.
   * Needs a cerebro of protocol 1.4 or later.
   */
  readonly heartbeat?: DurationInput;
}

/** An error cause a retry policy may be limited to. */
export type RetryCause =
  | "task_failed"
  | "ack_timeout"
  | "start_timeout"
  | "complete_timeout"
  | "server_lost"
  | "rejected"
  | "heartbeat_timeout";

/** How often and when a failed attempt is tried again. */
export interface RetryOptions {
  /** Attempts in all, the first included; 0 or 1 means no retry. */
  readonly maxAttempts: number;
  /** Delay before the first retry. */
  readonly initialBackoff?: DurationInput;
  /** Upper bound of the delay. */
  readonly maxBackoff?: DurationInput;
  /** Growth of the delay per attempt (at least 1). Default 2. */
  readonly multiplier?: number;
  /** Causes that are retried; empty or absent means every cause but "rejected". */
  readonly retryOn?: readonly RetryCause[];
}

/** A cron schedule. */
export interface ScheduleOptions {
  /** Cron expression of 5 fields, or 6 with leading seconds. */
  readonly cron: string;
  /** IANA time zone, e.g. "Europe/Berlin". Default UTC. */
  readonly timeZone?: string;
  /** What happens to ticks missed while cerebro was down. Default "latest". */
  readonly catchUp?: "skip" | "latest" | "all";
  /** With catchUp "all": the most missed ticks to run. */
  readonly catchUpMax?: number;
  /** What happens when a tick fires while the previous run is active. Default "skip". */
  readonly overlap?: "skip" | "queue-one" | "allow" | "cancel-previous";
  /**
   * How long after each tick the task should have completed, e.g. "2h" (at
   * most 7 days). A tick whose task has not completed by then makes cerebro
   * tell the task's team it is late. Default: nobody is told.
   */
  readonly expectedWithin?: DurationInput;
}

/** Run the task whenever its upstream tasks complete. */
export interface TriggerOptions {
  /** "all": once every upstream completed since the last run; "any": after any. */
  readonly mode: "all" | "any";
  /** Completions within this window start one run, not several. */
  readonly debounce?: DurationInput;
}

/**
 * The declaration of one task, given to `server.task(options, handler)`, with
 * optional schemas of its params and outputs.
 */
export interface TaskOptions<Params = TaskParams, Outputs = TaskOutputs> {
  /** Global task id: 1-128 of [a-z0-9._-], starting with a letter or digit. */
  readonly id: string;
  /** What the task does. Default: empty. */
  readonly description?: string;
  /** Overrides the server's default owner. */
  readonly owner?: OwnerOptions;
  /** Upstream tasks, possibly owned by other servers and teams. */
  readonly dependsOn?: readonly DependencyOption[];
  /** Per-task deadline overrides. */
  readonly deadlines?: DeadlineOptions;
  /** Retry policy. */
  readonly retry?: RetryOptions;
  /** Attempts of this task that may run at once across all instances; 0 = unlimited. */
  readonly concurrencyLimit?: number;
  /** Free-form labels. */
  readonly tags?: readonly string[];
  /** Optional cron schedule. */
  readonly schedule?: ScheduleOptions;
  /** Optional upstream-completion trigger. */
  readonly trigger?: TriggerOptions;
  /**
   * Checks and converts the params before the handler runs: any Standard
   * Schema (zod, valibot, ArkType, …) of an object. Params come as strings,
   * so the schema converts what should be something else (e.g.
   * `z.coerce.number()`); the handler gets its output as `ctx.params`. When
   * it finds a problem, the handler does not run and the attempt ends in
   * ERROR, non-retryable, of type "InvalidParams", its description naming
   * each field and problem.
   */
  readonly params?: StandardSchemaV1<unknown, Params>;
  /**
   * Checks what the handler returns before it is reported: any Standard
   * Schema of an object. Its output is encoded as the outputs (see
   * {@link TaskOutputs}). When it finds a problem, the attempt ends in ERROR,
   * non-retryable, of type "InvalidOutputs", naming each output and problem.
   */
  readonly outputs?: StandardSchemaV1<Outputs, unknown>;
}

/** Whether a run does real work ("normal") or runs against test resources ("test"). */
export type RunMode = "normal" | "test";

/** Params as they come with the invoke: strings by name. */
export type TaskParams = Record<string, string>;

/**
 * Small results of a task, recorded with the run (GetRun, `dyna runs <id>`)
 * and passed to the tasks downstream of it in the run, as
 * `ctx.upstream[taskId].outputs`. They travel as strings: a handler may
 * return other values, which are encoded as text: strings as they are,
 * numbers, booleans and bigints with `String()` (`3`, `true`), dates as
 * ISO 8601 (`toISOString()`), and objects, arrays and null as JSON. An
 * undefined value is left out. A function or symbol, a value JSON cannot
 * encode, or a name the protocol does not allow (empty, over 256 bytes,
 * control characters; more than 1,000 outputs) ends the attempt in ERROR,
 * non-retryable, of type "InvalidOutputs".
 */
export type TaskOutputs = Record<string, string>;

/** What one upstream task of the run returned. */
export interface UpstreamResult {
  /** Its outputs; empty when `omitted`. */
  readonly outputs: Readonly<TaskOutputs>;
  /**
   * True when its outputs did not fit in the invoke (all upstream outputs
   * together are bounded by cerebro's run-data limit, 256 KiB by default):
   * read them with GetRun.
   */
  readonly omitted: boolean;
}

/**
 * What a task handler receives for one attempt; `Params` is the output of the
 * task's params schema, or the params as they came.
 */
export interface TaskContext<Params = TaskParams> {
  /** The task being run. */
  readonly taskId: string;
  /** The run this attempt belongs to. */
  readonly runId: string;
  /** The task-run (this task within the run). */
  readonly taskRunId: string;
  /** The attempt token. */
  readonly attemptId: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attemptNumber: number;
  /** "normal" or "test" (integrated testing). */
  readonly mode: RunMode;
  /**
   * Parameters of the invocation: as they came (strings), or, with a params
   * schema, what it made of them.
   */
  readonly params: Readonly<Params>;
  /**
   * The W3C trace context ("traceparent", "tracestate") of the attempt's span
   * in cerebro; empty when cerebro exports no traces. The handler already
   * runs in a child span of it: spans it starts through `@opentelemetry/api`
   * nest under that one.
   */
  readonly traceContext: Readonly<Record<string, string>>;
  /**
   * What this task's upstream tasks returned, by task id: those that
   * completed earlier in this run, and the reused completions of those
   * SKIPPED. Upstream tasks without outputs are absent.
   */
  readonly upstream: Readonly<Record<string, UpstreamResult>>;
  /** Logical time of the run (e.g. the cron tick), when cerebro sent one. */
  readonly logicalTime: Date | undefined;
  /** Aborted when cerebro cancels the attempt or the server shuts down. */
  readonly signal: AbortSignal;
  /**
   * Logger carrying runId, taskRunId, attemptId and taskId. What it logs also
   * goes to cerebro, kept with the attempt (`dyna logs`).
   */
  readonly logger: Logger;
  /**
   * Tells cerebro the attempt is alive: it re-arms the task's heartbeat
   * deadline (`deadlines.heartbeat`) and shows in `dyna runs <run>` as the
   * last heartbeat. `details` (a string, or any other value, sent as JSON; at
   * most 4 KiB, longer is cut) are kept with the attempt, e.g. a checkpoint.
   * Cheap to call often: the SDK sends at most one message per attempt a
   * second (more often for a heartbeat deadline under 3 s), the latest value
   * winning. Does nothing with a cerebro older than protocol 1.4, or once
   * the attempt has ended.
   */
  heartbeat(details?: unknown): void;
  /**
   * Says how far the attempt got, from 0 (nothing done) to 1 (all done),
   * and optionally what it is doing (at most 1 KiB, longer is cut; omitted,
   * the previous message stays). Shown in `dyna runs <run>`, in `dyna run`'s
   * live view and as ATTEMPT_PROGRESS events; also a heartbeat. A fraction
   * outside 0..1 is clamped, one that is not a number is left out.
   */
  progress(fraction: number, message?: string): void;
}

/**
 * Runs one attempt of a task. Resolve (optionally with outputs) for
 * COMPLETED; throw for ERROR (a TaskError carries a type and details, a
 * NonRetryableError also prevents retries).
 */
export type TaskHandler<Params = TaskParams, Outputs = TaskOutputs> = (
  ctx: TaskContext<Params>,
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers may simply return nothing
) => Promise<Outputs | void> | Outputs | void;
