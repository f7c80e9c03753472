import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type Invoke,
  type LogLine,
  RunMode,
  TaskState,
  type TaskStateUpdate,
  timestampOf,
} from "@cordyna/contract";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Logger } from "pino";
import { capturingLogger } from "./attempt-logger.js";
import { commandEndOf } from "./command-end.js";
import { AttemptAbortedError } from "./errors.js";
import { type HandlerSpan, startHandlerSpan } from "./handler-span.js";
import { logLine, logLinePieces } from "./log-shipper.js";
import {
  cutUtf8,
  detailsText,
  MAX_PROGRESS_MESSAGE_BYTES,
  type ProgressFields,
} from "./progress-sender.js";
import {
  checked,
  type ErrorFacts,
  encodeOutputs,
  errorFactsOf,
  invalidOutputs,
  invalidParams,
  isRecord,
  isThenable,
} from "./task-values.js";
import type { TaskContext, TaskHandler, TaskOutputs, UpstreamResult } from "./types.js";

/** How many finished attempt ids are remembered to ignore duplicate invokes. */
const REMEMBERED_FINISHED = 10_000;

/** What the runner needs to know of a task to run its attempts. */
export interface RunnableTask {
  /** Runs one attempt. */
  // biome-ignore lint/suspicious/noExplicitAny: each task has its own params and outputs
  readonly handler: TaskHandler<any, any>;
  /** Checks and converts the params before the handler runs. */
  readonly params?: StandardSchemaV1<unknown, unknown> | undefined;
  /** Checks what the handler returns before it is reported. */
  readonly outputs?: StandardSchemaV1<unknown, unknown> | undefined;
  /** Attempts in all that its retry policy allows. Default 1: no retry. */
  readonly maxAttempts?: number;
  /** Whether its retry policy retries a task's own failure (TASK_FAILED). Default true. */
  readonly retriesFailures?: boolean;
}

/** How an attempt that started ended in ERROR, as reported. */
export interface AttemptFailure extends ErrorFacts {
  /** What was thrown (or what the SDK made of invalid params or outputs). */
  readonly error: unknown;
  /** The task's retry policy gives it another attempt. */
  readonly willRetry: boolean;
}

/**
 * Told what became of the attempts that started, after the runner is done
 * with each event.
 */
export interface AttemptObserver {
  readonly started?: (invoke: Invoke) => void;
  readonly completed?: (invoke: Invoke, outputs: TaskOutputs, durationMs: number) => void;
  readonly failed?: (invoke: Invoke, failure: AttemptFailure, durationMs: number) => void;
}

/** What the runner needs from its surroundings. */
export interface AttemptRunnerOptions {
  /** Attempts run at once; 0 means unlimited. */
  readonly concurrency: number;
  /** Finds a task by id; undefined for an unknown task. */
  readonly lookup: (taskId: string) => RunnableTask | undefined;
  /** Receives every state update (without seq) to send to cerebro. */
  readonly report: (update: TaskStateUpdate) => void;
  /** Receives every line a handler logs through its context's logger. */
  readonly log: (attemptId: string, line: LogLine) => void;
  /** Receives every heartbeat and progress of a running attempt, checked and cut to the limits. */
  readonly progress?: (invoke: Invoke, fields: ProgressFields) => void;
  /** Parent logger of the per-attempt loggers. */
  readonly logger: Logger;
  /** Told when attempts start and end. */
  readonly observer?: AttemptObserver;
}

/** What became of an Invoke handed to {@link AttemptRunner.invoke}. */
export type InvokeOutcome = "started" | "queued" | "duplicate" | "unknown-task";

interface Attempt {
  readonly invoke: Invoke;
  readonly task: RunnableTask;
  /**
   * Made when the handler first looks at its signal, or on cancel: an
   * AbortController per attempt showed up in profiles of short tasks.
   */
  controller: AbortController | undefined;
  readonly logger: Logger;
  /** Set once nothing more may be reported for this attempt. */
  silenced: boolean;
  /** When it started (STARTED reported). */
  startedAt: number | undefined;
}

function controllerOf(attempt: Attempt): AbortController {
  attempt.controller ??= new AbortController();
  return attempt.controller;
}

/**
 * Runs attempts under a concurrency limit: reports STARTED and runs the
 * handler when a slot is free, otherwise reports QUEUED and keeps the attempt
 * in a FIFO until a slot frees up; reports COMPLETED or ERROR when the handler
 * ends, unless the attempt was cancelled or aborted meanwhile. An attempt id
 * is never run twice.
 */
export class AttemptRunner {
  readonly #options: AttemptRunnerOptions;
  readonly #running = new Map<string, Attempt>();
  #queue: Attempt[] = [];
  readonly #finished = new Set<string>();
  #idleWaiters: Array<() => void> = [];

  /** @param options concurrency, handler lookup, report sink and logger. */
  constructor(options: AttemptRunnerOptions) {
    this.#options = options;
  }

  /** Takes an Invoke from cerebro: starts it, queues it, or ignores a duplicate. */
  invoke(invoke: Invoke): InvokeOutcome {
    const attemptId = invoke.attemptId;
    if (this.#knows(attemptId)) {
      this.#options.logger.debug({ attemptId }, "duplicate invoke ignored");
      return "duplicate";
    }
    const task = this.#options.lookup(invoke.taskId);
    if (task === undefined) {
      this.reject(invoke, `unknown task ${JSON.stringify(invoke.taskId)}`, true);
      return "unknown-task";
    }
    const parent = this.#options.logger;
    let logger: Logger | undefined;
    const attempt: Attempt = {
      invoke,
      task,
      controller: undefined,
      // Made on first use: a child logger per attempt showed up in profiles
      // of short tasks, and most attempts log nothing at the default level.
      get logger() {
        logger ??= parent.child({
          runId: invoke.runId,
          taskRunId: invoke.taskRunId,
          attemptId,
          taskId: invoke.taskId,
        });
        return logger;
      },
      silenced: false,
      startedAt: undefined,
    };
    if (this.#hasFreeSlot()) {
      this.#start(attempt);
      return "started";
    }
    this.#queue.push(attempt);
    this.#info(attempt, { queued: this.#queue.length }, "attempt queued");
    this.#report(attemptId, TaskState.QUEUED);
    return "queued";
  }

  /**
   * Refuses an Invoke without running it: reports ERROR with the description
   * and remembers the attempt so a repeated invoke is ignored.
   */
  reject(invoke: Invoke, description: string, nonRetryable: boolean): void {
    if (this.#knows(invoke.attemptId)) return;
    this.#remember(invoke.attemptId);
    this.#options.logger.warn(
      {
        runId: invoke.runId,
        taskRunId: invoke.taskRunId,
        attemptId: invoke.attemptId,
        taskId: invoke.taskId,
      },
      `invoke refused: ${description}`,
    );
    this.#report(invoke.attemptId, TaskState.ERROR, {
      errorDescription: description,
      nonRetryable,
    });
  }

  /**
   * Cancels one attempt: aborts its signal with the reason, or drops it from
   * the queue. Nothing more is reported for it. Returns false for an attempt
   * it does not have.
   */
  cancel(attemptId: string, reason: string): boolean {
    const running = this.#running.get(attemptId);
    if (running) {
      if (running.silenced) return false;
      running.silenced = true;
      running.logger.info({ reason }, "attempt cancelled");
      controllerOf(running).abort(new AttemptAbortedError(reason));
      return true;
    }
    const index = this.#queue.findIndex((attempt) => attempt.invoke.attemptId === attemptId);
    if (index < 0) return false;
    const [queued] = this.#queue.splice(index, 1);
    if (queued) {
      queued.silenced = true;
      queued.logger.info({ reason }, "queued attempt cancelled");
      controllerOf(queued).abort(new AttemptAbortedError(reason));
      this.#remember(attemptId);
    }
    this.#checkIdle();
    return true;
  }

  /** Cancels every attempt, running or queued; nothing more is reported for any. */
  abortAll(reason: string): void {
    for (const attemptId of [...this.#queue, ...this.#running.values()].map(
      (attempt) => attempt.invoke.attemptId,
    )) {
      this.cancel(attemptId, reason);
    }
  }

  /**
   * Gives up on every attempt (e.g. when a drain times out): reports ERROR,
   * retryable, with the description, then aborts them silently.
   */
  failAll(description: string): void {
    const attempts = [...this.#running.values(), ...this.#queue].filter((a) => !a.silenced);
    const failed = this.#options.observer?.failed;
    for (const attempt of attempts) {
      this.#report(attempt.invoke.attemptId, TaskState.ERROR, {
        errorDescription: description,
        nonRetryable: false,
      });
      const running = this.#running.has(attempt.invoke.attemptId);
      this.cancel(attempt.invoke.attemptId, description);
      if (running && failed) {
        const error = new AttemptAbortedError(description);
        failed(
          attempt.invoke,
          {
            error,
            description,
            type: "",
            details: {},
            nonRetryable: false,
            willRetry: willRetry(attempt, false),
          },
          attempt.startedAt === undefined ? 0 : Date.now() - attempt.startedAt,
        );
      }
    }
  }

  /** Attempts this instance still has (running, then queued), excluding cancelled ones. */
  activeAttemptIds(): string[] {
    return [...this.#running.values(), ...this.#queue]
      .filter((attempt) => !attempt.silenced)
      .map((attempt) => attempt.invoke.attemptId);
  }

  /** Handlers currently executing (cancelled ones included until they return). */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Attempts waiting for a slot. */
  get queuedCount(): number {
    return this.#queue.length;
  }

  /** Resolves once no handler runs and nothing is queued. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #start(attempt: Attempt): void {
    const { invoke } = attempt;
    this.#running.set(invoke.attemptId, attempt);
    this.#report(invoke.attemptId, TaskState.STARTED);
    this.#info(attempt, { attemptNumber: invoke.attemptNumber }, "attempt started");
    const startedAt = Date.now();
    attempt.startedAt = startedAt;
    this.#options.observer?.started?.(invoke);
    const log = this.#options.log;
    const progress = this.#options.progress;
    const beat = (fields: ProgressFields): void => {
      if (!attempt.silenced && this.#running.has(invoke.attemptId)) progress?.(invoke, fields);
    };
    let handlerLogger: Logger | undefined;
    // Its params are replaced by what the task's params schema makes of them.
    const ctx: { -readonly [K in keyof TaskContext<object>]: TaskContext<object>[K] } = {
      taskId: invoke.taskId,
      runId: invoke.runId,
      taskRunId: invoke.taskRunId,
      attemptId: invoke.attemptId,
      attemptNumber: invoke.attemptNumber,
      mode: invoke.mode === RunMode.TEST ? "test" : "normal",
      params: { ...invoke.params },
      traceContext: { ...invoke.traceContext },
      upstream: upstreamOf(invoke),
      logicalTime: invoke.logicalTime ? timestampDate(invoke.logicalTime) : undefined,
      get signal() {
        return controllerOf(attempt).signal;
      },
      get logger() {
        handlerLogger ??= capturingLogger(attempt.logger, (level, stream, text) => {
          const time = timestampOf(Date.now());
          for (const piece of logLinePieces(text)) {
            log(invoke.attemptId, logLine(level, stream, piece, time));
          }
        });
        return handlerLogger;
      },
      heartbeat(details?: unknown) {
        const text = detailsText(details);
        beat(text === "" ? {} : { details: text });
      },
      progress(fraction: number, message?: string) {
        const text =
          typeof message === "string" ? cutUtf8(message, MAX_PROGRESS_MESSAGE_BYTES) : "";
        beat({
          ...(typeof fraction === "number" && !Number.isNaN(fraction)
            ? { fraction: Math.min(1, Math.max(0, fraction)) }
            : {}),
          ...(text === "" ? {} : { message: text }),
        });
      },
    };
    const { task } = attempt;
    const span = startHandlerSpan(invoke);
    new Promise<unknown>((resolve) => {
      resolve(
        span.within(() =>
          task.params === undefined
            ? task.handler(ctx)
            : checked(task.params, ctx.params, invalidParams, (output) => {
                ctx.params = output as object;
                return task.handler(ctx);
              }),
        ),
      );
    }).then(
      (result) => this.#handled(attempt, span, startedAt, result),
      (error: unknown) => this.#ended(attempt, span, startedAt, { error }),
    );
  }

  /** The handler returned: its outputs are checked and encoded, then the attempt ends. */
  #handled(attempt: Attempt, span: HandlerSpan, startedAt: number, result: unknown): void {
    let outputs: TaskOutputs | Promise<TaskOutputs>;
    try {
      outputs = outputsOf(attempt.task, result, attempt);
    } catch (error) {
      this.#ended(attempt, span, startedAt, { error });
      return;
    }
    // Only an outputs schema that answers later costs another turn.
    if (isThenable<TaskOutputs>(outputs)) {
      Promise.resolve(outputs).then(
        (encoded) => this.#ended(attempt, span, startedAt, { outputs: encoded, result }),
        (error: unknown) => this.#ended(attempt, span, startedAt, { error }),
      );
    } else {
      this.#ended(attempt, span, startedAt, { outputs, result });
    }
  }

  #ended(
    attempt: Attempt,
    span: HandlerSpan,
    startedAt: number,
    outcome: { outputs: TaskOutputs; result: unknown } | { error: unknown },
  ): void {
    span.end(
      "error" in outcome
        ? { error: outcome.error, cancelled: attempt.silenced }
        : { cancelled: attempt.silenced },
    );
    this.#finish(attempt, startedAt, outcome);
  }

  #finish(
    attempt: Attempt,
    startedAt: number,
    outcome: { outputs: TaskOutputs; result: unknown } | { error: unknown },
  ): void {
    const attemptId = attempt.invoke.attemptId;
    this.#running.delete(attemptId);
    this.#remember(attemptId);
    const wasSilenced = attempt.silenced;
    const durationMs = Date.now() - startedAt;
    let failure: AttemptFailure | undefined;
    if (attempt.silenced) {
      attempt.logger.info({ durationMs }, "cancelled attempt ended; nothing reported");
    } else if ("outputs" in outcome) {
      attempt.silenced = true;
      this.#info(attempt, { durationMs }, "attempt completed");
      this.#report(attemptId, TaskState.COMPLETED, {
        outputs: outcome.outputs,
        ...commandEndOf(outcome.result),
      });
    } else {
      attempt.silenced = true;
      const facts = errorFactsOf(outcome.error);
      attempt.logger.warn(
        {
          durationMs,
          err: outcome.error,
          nonRetryable: facts.nonRetryable,
          ...(facts.type === "" ? {} : { errorType: facts.type }),
        },
        "attempt failed",
      );
      this.#report(attemptId, TaskState.ERROR, {
        errorDescription: facts.description,
        nonRetryable: facts.nonRetryable,
        errorType: facts.type,
        errorDetails: facts.details,
        ...commandEndOf(outcome.error),
      });
      failure = {
        ...facts,
        error: outcome.error,
        willRetry: willRetry(attempt, facts.nonRetryable),
      };
    }
    this.#startQueued();
    this.#checkIdle();
    // Told last, once the runner is done with the attempt.
    const observer = this.#options.observer;
    if (observer === undefined || wasSilenced) return;
    if (failure) observer.failed?.(attempt.invoke, failure, durationMs);
    else if ("outputs" in outcome)
      observer.completed?.(attempt.invoke, outcome.outputs, durationMs);
  }

  #startQueued(): void {
    while (this.#hasFreeSlot()) {
      const next = this.#queue.shift();
      if (!next) return;
      this.#start(next);
    }
  }

  #hasFreeSlot(): boolean {
    const limit = this.#options.concurrency;
    return limit === 0 || this.#running.size < limit;
  }

  #knows(attemptId: string): boolean {
    return (
      this.#running.has(attemptId) ||
      this.#finished.has(attemptId) ||
      this.#queue.some((attempt) => attempt.invoke.attemptId === attemptId)
    );
  }

  #remember(attemptId: string): void {
    this.#finished.add(attemptId);
    if (this.#finished.size > REMEMBERED_FINISHED) {
      const oldest = this.#finished.values().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }

  #report(
    attemptId: string,
    state: TaskState,
    extra: {
      errorDescription?: string;
      nonRetryable?: boolean;
      outputs?: TaskOutputs;
      exitCode?: number | undefined;
      outputTail?: string;
      errorType?: string;
      errorDetails?: Record<string, string>;
    } = {},
  ): void {
    // What create(TaskStateUpdateSchema, …) makes, without its reflection:
    // two updates per attempt made it the SDK's largest cost for short tasks.
    this.#options.report({
      $typeName: "cordyna.v1.TaskStateUpdate",
      seq: 0n,
      attemptId,
      state,
      errorDescription: extra.errorDescription ?? "",
      nonRetryable: extra.nonRetryable ?? false,
      time: timestampOf(Date.now()),
      outputs: extra.outputs ?? {},
      ...(extra.exitCode === undefined ? {} : { exitCode: extra.exitCode }),
      outputTail: extra.outputTail ?? "",
      errorType: extra.errorType ?? "",
      errorDetails: extra.errorDetails ?? {},
    });
  }

  /** Logs at info level, without making the attempt's logger when info is off. */
  #info(attempt: Attempt, details: object, message: string): void {
    if (this.#options.logger.isLevelEnabled("info")) attempt.logger.info(details, message);
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#queue.length === 0;
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** What the invoke says the task's upstream returned, by task id. */
function upstreamOf(invoke: Invoke): Record<string, UpstreamResult> {
  const upstream: Record<string, UpstreamResult> = {};
  for (const { taskId, outputs, omitted } of invoke.upstream) {
    upstream[taskId] = { outputs: { ...outputs }, omitted };
  }
  return upstream;
}

/** Whether the task's retry policy gives a failed attempt another one. */
function willRetry(attempt: Attempt, nonRetryable: boolean): boolean {
  const { task, invoke } = attempt;
  return (
    !nonRetryable &&
    (task.retriesFailures ?? true) &&
    invoke.attemptNumber < Math.max(1, task.maxAttempts ?? 1)
  );
}

/**
 * The outputs to report of what the handler returned: checked by the task's
 * outputs schema when it has one, then encoded as text (see TaskOutputs).
 * Without a schema, a result that is not a record is ignored, with a
 * warning; with one, it must be a record.
 */
function outputsOf(
  task: RunnableTask,
  result: unknown,
  attempt: { readonly logger: Logger },
): TaskOutputs | Promise<TaskOutputs> {
  if (task.outputs !== undefined) {
    return checked(task.outputs, result, invalidOutputs, (output) => {
      if (!isRecord(output)) {
        throw invalidOutputs([
          { message: `must be an object of outputs, not ${describeKind(output)}` },
        ]);
      }
      return encodeOutputs(output);
    });
  }
  if (result === undefined || result === null) return {};
  if (!isRecord(result)) {
    attempt.logger.warn(
      { result: typeof result },
      "handler result is not a record; outputs ignored",
    );
    return {};
  }
  return encodeOutputs(result);
}

function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
