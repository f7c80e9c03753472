import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  type AttemptRecord,
  isFinalTaskState,
  isInFlight,
  type RunRecord,
  type RunSnapshot,
  RunState,
  type RunTrace,
  type TaskRunRecord,
  TaskState,
} from "../domain/model.js";

/** The instrumentation scope of cerebro's spans. */
export const TRACER_NAME = "cordyna-cerebro";

/**
 * The contract's trace context is W3C's, whatever propagators OTEL_PROPAGATORS
 * names for other uses: task-servers in any language read "traceparent".
 */
const W3C = new W3CTraceContextPropagator();

/** The spans of one run that are still open, by run, task-run and attempt id. */
interface OpenRun {
  readonly span: Span;
  readonly children: Map<string, Span>;
}

/**
 * One trace per run: a span for the run, one per task-run under it and one
 * per attempt under its task-run, with the ids as `cordyna.*` attributes and
 * every state change as a span event. Spans are open only while their run is
 * in memory, and a finished run ends all of its own. Without a registered
 * tracer provider the API hands out non-recording spans: then, as for a run
 * the sampler drops, the run gets no trace and every later call finds
 * nothing to do.
 */
export class RunSpans {
  readonly #tracer: Tracer;
  readonly #open = new Map<string, OpenRun>();

  constructor(tracer: Tracer = trace.getTracer(TRACER_NAME)) {
    this.#tracer = tracer;
  }

  /**
   * Starts the run's span, in the caller's trace when `callerContext` carries
   * a W3C `traceparent`, else in a trace of its own; records it in the run,
   * and starts a span for each task-run.
   */
  runStarted(
    { run, taskRuns }: RunSnapshot,
    callerContext: Readonly<Record<string, string>> | undefined,
  ): void {
    const parent = callerContext
      ? W3C.extract(ROOT_CONTEXT, callerContext, defaultTextMapGetter)
      : ROOT_CONTEXT;
    const span = this.#tracer.startSpan(
      "run",
      { startTime: run.createdAt, attributes: runAttributes(run) },
      parent,
    );
    // Not recording: no tracer provider (the API's no-op span, which merely
    // echoes the caller's context), or a sampler that dropped the run.
    if (!span.isRecording()) return;
    const context = span.spanContext();
    run.trace = { traceId: context.traceId, spanId: context.spanId, flags: context.traceFlags };
    this.#open.set(run.id, { span, children: new Map() });
    for (const taskRun of taskRuns) this.#startTaskRun(run, taskRun, run.createdAt);
  }

  /**
   * After a restart: the spans open when the previous cerebro stopped are
   * lost with it (a span is exported only once it ends), so the run and its
   * unfinished task-runs and attempts get spans that continue them, in the
   * same trace, under the stored run span, marked `cordyna.resumed`.
   */
  runRestored({ run, taskRuns }: RunSnapshot, now: number): void {
    if (!run.trace) return;
    const span = this.#tracer.startSpan(
      "run",
      { startTime: now, attributes: { ...runAttributes(run), "cordyna.resumed": true } },
      remoteParent(run.trace, run.trace.spanId),
    );
    // Tracing was turned off since the run started: its trace stays as it was.
    if (!span.isRecording()) return;
    this.#open.set(run.id, { span, children: new Map() });
    for (const taskRun of taskRuns) {
      if (isFinalTaskState(taskRun.state)) continue;
      const taskRunSpan = this.#startTaskRun(run, taskRun, now);
      taskRunSpan?.setAttribute("cordyna.resumed", true);
      const attempt = taskRun.attempts.at(-1);
      if (attempt && isInFlight(attempt.state)) {
        this.#startAttempt(run, taskRun, attempt, now)?.setAttribute("cordyna.resumed", true);
      }
    }
  }

  /** The run was not started after all (its idempotency key found an earlier one, or storing failed). */
  runDiscarded(runId: string): void {
    this.#open.delete(runId);
  }

  /** Starts the attempt's span under its task-run's, and records it in the attempt. */
  attemptInvoked(
    run: RunRecord,
    taskRun: TaskRunRecord,
    attempt: AttemptRecord,
    now: number,
  ): void {
    const span = this.#startAttempt(run, taskRun, attempt, now);
    if (span) attempt.spanId = span.spanContext().spanId;
  }

  /**
   * The W3C trace context ("traceparent", "tracestate") an invoke of the
   * attempt carries: its handler span becomes a child of the attempt's span.
   */
  traceContextOf(run: RunRecord, attempt: AttemptRecord): Record<string, string> {
    const carrier: Record<string, string> = {};
    if (run.trace && attempt.spanId) {
      W3C.inject(remoteParent(run.trace, attempt.spanId), carrier, defaultTextMapSetter);
    }
    return carrier;
  }

  /** A task-run changed state: an event on its span (and its attempt's); a final state ends its span. */
  taskRunChanged(taskRun: TaskRunRecord, now: number): void {
    const open = this.#open.get(taskRun.runId);
    if (!open) return;
    const span = open.children.get(taskRun.id);
    if (!span) return;
    span.addEvent(taskRun.state, stateAttributes(taskRun), now);
    const attempt = taskRun.attempts.at(-1);
    if (attempt && (taskRun.state === TaskState.QUEUED || taskRun.state === TaskState.STARTED)) {
      open.children.get(attempt.id)?.addEvent(taskRun.state, undefined, now);
    }
    if (!isFinalTaskState(taskRun.state)) return;
    if (taskRun.state === TaskState.ERROR || taskRun.state === TaskState.BLOCKED) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: failureOf(taskRun) });
    }
    span.end(now);
    open.children.delete(taskRun.id);
  }

  /** An attempt ended (completed, failed, cancelled or lost): its span ends with it. */
  attemptEnded(taskRun: TaskRunRecord, attempt: AttemptRecord, now: number): void {
    const open = this.#open.get(taskRun.runId);
    const span = open?.children.get(attempt.id);
    if (!open || !span) return;
    const cause = attempt.errorCause ? ` ${attempt.errorCause}` : "";
    span.addEvent(`${attempt.state}${cause}`, attemptEndAttributes(attempt), now);
    if (attempt.state === TaskState.ERROR) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: `${attempt.errorCause ?? "ERROR"}: ${attempt.errorDescription ?? ""}`,
      });
    }
    span.end(now);
    open.children.delete(attempt.id);
  }

  /** The run finished: its span ends, and any of its spans still open with it. */
  runFinished(run: RunRecord, now: number): void {
    const open = this.#open.get(run.id);
    if (!open) return;
    this.#open.delete(run.id);
    for (const span of open.children.values()) span.end(now);
    open.span.addEvent(run.state, undefined, now);
    if (run.state === RunState.FAILED) {
      const failed = run.summary?.failed.map((f) => `${f.taskId} (team ${f.owner.team})`) ?? [];
      open.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: failed.length > 0 ? `failed: ${failed.join(", ")}` : "blocked",
      });
    }
    open.span.end(now);
  }

  /** How many runs have spans open: never more than the runs in memory. */
  get openRuns(): number {
    return this.#open.size;
  }

  #startTaskRun(run: RunRecord, taskRun: TaskRunRecord, now: number): Span | undefined {
    const open = this.#open.get(run.id);
    if (!open) return undefined;
    const span = this.#tracer.startSpan(
      `task-run ${taskRun.taskId}`,
      {
        startTime: now,
        attributes: taskRunAttributes(run, taskRun),
      },
      trace.setSpan(ROOT_CONTEXT, open.span),
    );
    taskRun.spanId ??= span.spanContext().spanId;
    if (isFinalTaskState(taskRun.state)) {
      // A SKIPPED task-run is final from the start: its span shows what it reused.
      span.addEvent(taskRun.state, stateAttributes(taskRun), now);
      span.end(now);
      return span;
    }
    open.children.set(taskRun.id, span);
    return span;
  }

  #startAttempt(
    run: RunRecord,
    taskRun: TaskRunRecord,
    attempt: AttemptRecord,
    now: number,
  ): Span | undefined {
    const open = this.#open.get(run.id);
    const parent = open?.children.get(taskRun.id);
    if (!open || !parent) return undefined;
    const span = this.#tracer.startSpan(
      `attempt ${taskRun.taskId}`,
      {
        startTime: now,
        attributes: {
          ...taskRunAttributes(run, taskRun),
          "cordyna.attempt.id": attempt.id,
          "cordyna.attempt.number": attempt.number,
          "cordyna.instance.id": attempt.instanceId,
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    open.children.set(attempt.id, span);
    return span;
  }
}

function runAttributes(run: RunRecord): Attributes {
  return {
    "cordyna.run.id": run.id,
    "cordyna.run.trigger": run.trigger,
    "cordyna.run.targets": run.targets,
    ...(run.idempotencyKey ? { "cordyna.run.idempotency_key": run.idempotencyKey } : {}),
  };
}

/** A context whose span is the stored one: spans started in it continue that trace. */
function remoteParent(runTrace: RunTrace, spanId: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: runTrace.traceId,
    spanId,
    traceFlags: runTrace.flags,
    isRemote: true,
  });
}

function stateAttributes(taskRun: TaskRunRecord): Attributes | undefined {
  switch (taskRun.state) {
    case TaskState.PENDING:
      return taskRun.waitingReason
        ? { "cordyna.waiting_reason": taskRun.waitingReason }
        : undefined;
    case TaskState.ERROR:
      return {
        "cordyna.error.cause": taskRun.errorCause ?? "",
        "cordyna.error.description": taskRun.errorDescription ?? "",
        ...(taskRun.errorType ? { "cordyna.error.type": taskRun.errorType } : {}),
      };
    case TaskState.BLOCKED:
      return { "cordyna.blocked_by": taskRun.blockedBy ?? [] };
    case TaskState.SKIPPED:
      return taskRun.reused ? { "cordyna.reused.run.id": taskRun.reused.runId } : undefined;
    default:
      return undefined;
  }
}

function attemptEndAttributes(attempt: AttemptRecord): Attributes | undefined {
  if (attempt.state !== TaskState.ERROR) return undefined;
  return {
    "cordyna.error.cause": attempt.errorCause ?? "",
    "cordyna.error.description": attempt.errorDescription ?? "",
    ...(attempt.errorType ? { "cordyna.error.type": attempt.errorType } : {}),
  };
}

function failureOf(taskRun: TaskRunRecord): string {
  if (taskRun.state === TaskState.BLOCKED) {
    return `blocked by ${(taskRun.blockedBy ?? []).join(", ")}`;
  }
  return `${taskRun.errorCause ?? "ERROR"}: ${taskRun.errorDescription ?? ""}`;
}

/** What names a task-run in its span and in its attempts' spans. */
function taskRunAttributes(run: RunRecord, taskRun: TaskRunRecord): Attributes {
  return {
    "cordyna.run.id": run.id,
    "cordyna.task_run.id": taskRun.id,
    "cordyna.task.id": taskRun.taskId,
    "cordyna.team": taskRun.owner.team,
    "cordyna.server.name": taskRun.serverName,
  };
}
