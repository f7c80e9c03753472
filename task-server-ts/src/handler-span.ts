import type { Invoke } from "@cordyna/contract";
import {
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/** The instrumentation scope of the SDK's spans. */
export const TRACER_NAME = "cordyna-task-server";

/** The contract's trace context is W3C's, whatever other propagators the process registers. */
const W3C = new W3CTraceContextPropagator();

/** A handler's span: the child of its attempt's span in cerebro. */
export interface HandlerSpan {
  /** Runs `work` with the span active, so that spans the handler starts nest under it. */
  within<T>(work: () => T): T;
  /** Ends the span: in error when the handler threw, marked when the attempt was cancelled. */
  end(outcome: { error?: unknown; cancelled?: boolean }): void;
}

/**
 * Starts the span of one attempt's handler in the trace the invoke carries
 * (W3C "traceparent" and "tracestate"). With no tracer provider registered, as in a task-server that
 * sets up no OpenTelemetry SDK, every call here is the API's no-op.
 */
export function startHandlerSpan(invoke: Invoke): HandlerSpan {
  const parent = W3C.extract(ROOT_CONTEXT, invoke.traceContext, defaultTextMapGetter);
  const span: Span = trace.getTracer(TRACER_NAME).startSpan(
    `handle ${invoke.taskId}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "cordyna.run.id": invoke.runId,
        "cordyna.task_run.id": invoke.taskRunId,
        "cordyna.task.id": invoke.taskId,
        "cordyna.attempt.id": invoke.attemptId,
        "cordyna.attempt.number": invoke.attemptNumber,
      },
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  return {
    within: (work) => context.with(active, work),
    end({ error, cancelled }) {
      if (cancelled) span.addEvent("cancelled");
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      span.end();
    },
  };
}
