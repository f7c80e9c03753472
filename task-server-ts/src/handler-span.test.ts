// Each handler runs in a child span of its attempt's span in cerebro, and
// the spans a handler starts itself nest under it.
import { create } from "@bufbuild/protobuf";
import { InvokeSchema, TaskState, type TaskStateUpdate } from "@cordyna/contract";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttemptRunner } from "./runner.js";
import { Inbox } from "./testing/inbox.js";
import type { TaskHandler } from "./types.js";

const ATTEMPT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const ATTEMPT_SPAN = "00f067aa0ba902b7";
const exporter = new InMemorySpanExporter();

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});
afterAll(() => {
  trace.disable();
  context.disable();
});

function run(taskId: string, handler: TaskHandler) {
  const reports = new Inbox<TaskStateUpdate>();
  const runner = new AttemptRunner({
    concurrency: 1,
    lookup: (id) => (id === taskId ? { handler } : undefined),
    report: (update) => reports.push(update),
    log: () => {},
    logger: pino({ level: "silent" }),
  });
  runner.invoke(
    create(InvokeSchema, {
      runId: "run_1",
      taskRunId: "tr_1",
      attemptId: `att_${taskId}`,
      attemptNumber: 2,
      taskId,
      traceContext: { traceparent: `00-${ATTEMPT_TRACE}-${ATTEMPT_SPAN}-01` },
    }),
  );
  return reports.next(
    (u) => u.state === TaskState.COMPLETED || u.state === TaskState.ERROR,
    `${taskId} finished`,
  );
}

describe("handler spans", () => {
  it("runs the handler in a child of the attempt's span, with the handler's own spans under it", async () => {
    await run("t.nested", async () => {
      await Promise.resolve();
      await trace.getTracer("user").startActiveSpan("query", async (span) => {
        await new Promise((resolve) => setImmediate(resolve));
        span.end();
      });
      return { rows: "1" };
    });
    const handler = exporter.getFinishedSpans().find((s) => s.name === "handle t.nested");
    const query = exporter.getFinishedSpans().find((s) => s.name === "query");
    expect(handler?.spanContext().traceId).toBe(ATTEMPT_TRACE);
    expect(handler?.parentSpanContext?.spanId).toBe(ATTEMPT_SPAN);
    expect(handler?.attributes).toMatchObject({
      "cordyna.run.id": "run_1",
      "cordyna.task_run.id": "tr_1",
      "cordyna.attempt.id": "att_t.nested",
      "cordyna.attempt.number": 2,
      "cordyna.task.id": "t.nested",
    });
    expect(query?.spanContext().traceId).toBe(ATTEMPT_TRACE);
    expect(query?.parentSpanContext?.spanId).toBe(handler?.spanContext().spanId);
  });

  it("marks the handler's span as failed with the thrown error", async () => {
    const update = await run("t.failing", () => {
      throw new Error("disk full");
    });
    expect(update.state).toBe(TaskState.ERROR);
    const handler = exporter.getFinishedSpans().find((s) => s.name === "handle t.failing");
    expect(handler?.status).toEqual({ code: 2, message: "disk full" });
    expect(handler?.events.map((e) => e.name)).toEqual(["exception"]);
  });
});
