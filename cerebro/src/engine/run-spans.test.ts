// One OpenTelemetry trace per run: the engine's spans, as an exporter receives them.
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { runToProto } from "../rpc/convert.js";
import { engineHarness, task } from "../testing/engine-harness.js";
import { NO_RETRY } from "./policies.js";
import { RunSpans } from "./run-spans.js";

const SECOND = 1_000;

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((span) => span.name === name);
  return { exporter, runSpans: () => new RunSpans(provider.getTracer("test")), spans, named };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const eventsOf = (span: ReadableSpan) => span.events.map((event) => event.name);

/** "00-<trace id>-<span id>-<flags>" */
function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value ?? "");
  if (!match) throw new Error(`not a traceparent: ${value}`);
  return { traceId: match[1]!, spanId: match[2]! };
}

describe("RunSpans: one trace per run", () => {
  it("puts the run, each task-run and each attempt in one trace, with the right parents, and ends them all", async () => {
    const t = tracing();
    const runSpans = t.runSpans();
    const h = engineHarness({ spans: runSpans });
    h.graph.declare("server-a", [task("a.fetch")]);
    h.graph.declare("server-b", [
      task("b.report", {
        team: "team-b",
        dependsOn: ["a.fetch"],
        retry: { ...NO_RETRY, maxAttempts: 2, initialBackoffMs: SECOND, maxBackoffMs: SECOND },
      }),
    ]);
    h.instances.connect("server-a");
    h.instances.connect("server-b");

    const { snapshot } = await h.engine.startRun({ targets: ["b.report"] });
    await h.settle();
    const traceId = snapshot.run.trace?.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(runToProto(snapshot).traceId).toBe(traceId);

    await h.complete("a.fetch");
    await h.settle();
    await h.report("b.report", "STARTED");
    await h.report("b.report", "ERROR", "disk full");
    h.clock.advance(2 * SECOND);
    await h.settle();
    await h.complete("b.report");

    const [run] = t.named("run");
    const [fetchRun] = t.named("task-run a.fetch");
    const [reportRun] = t.named("task-run b.report");
    const reportAttempts = t.named("attempt b.report");
    const [fetchAttempt] = t.named("attempt a.fetch");
    expect(run && fetchRun && reportRun && fetchAttempt).toBeTruthy();
    expect(reportAttempts).toHaveLength(2);
    for (const span of t.spans()) expect(span.spanContext().traceId).toBe(traceId);
    expect(parentOf(run!)).toBeUndefined();
    expect(parentOf(fetchRun!)).toBe(idOf(run!));
    expect(parentOf(reportRun!)).toBe(idOf(run!));
    expect(parentOf(fetchAttempt!)).toBe(idOf(fetchRun!));
    for (const attempt of reportAttempts) expect(parentOf(attempt)).toBe(idOf(reportRun!));

    expect(reportRun!.attributes).toMatchObject({
      "cordyna.run.id": snapshot.run.id,
      "cordyna.task.id": "b.report",
      "cordyna.team": "team-b",
      "cordyna.server.name": "server-b",
    });
    const [failed, retried] = reportAttempts;
    expect(failed!.attributes).toMatchObject({
      "cordyna.attempt.number": 1,
      "cordyna.instance.id": "server-b-1",
    });
    expect(failed!.status).toMatchObject({ code: 2, message: "TASK_FAILED: disk full" });
    expect(eventsOf(failed!)).toEqual(["STARTED", "ERROR TASK_FAILED"]);
    expect(retried!.attributes["cordyna.attempt.number"]).toBe(2);
    expect(eventsOf(reportRun!)).toEqual([
      "INVOKED",
      "STARTED",
      "PENDING",
      "INVOKED",
      "STARTED",
      "COMPLETED",
    ]);
    expect(eventsOf(run!)).toEqual(["SUCCEEDED"]);
    expect(run!.status.code).toBe(0);

    // Each invoke carries its own attempt's span as the parent for the handler.
    const stored = await h.engine.getRun(snapshot.run.id);
    const attempts = stored.taskRuns.find((tr) => tr.taskId === "b.report")!.attempts;
    for (const [i, attempt] of attempts.entries()) {
      const invoke = h.instances.log.filter((e) => e.command.taskId === "b.report")[i]!.command;
      expect(parseTraceparent(invoke.traceContext.traceparent)).toEqual({
        traceId,
        spanId: attempt.spanId,
      });
      expect(attempt.spanId).toBe(idOf(reportAttempts[i]!));
    }
    expect(runSpans.openRuns).toBe(0);
  });

  it("joins the caller's trace when StartRun carried a traceparent", async () => {
    const t = tracing();
    const h = engineHarness({ spans: t.runSpans() });
    h.graph.declare("server-a", [task("a.x")]);
    const caller = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" };
    const { snapshot } = await h.engine.startRun({
      targets: ["a.x"],
      callerTraceContext: { traceparent: `00-${caller.traceId}-${caller.spanId}-01` },
    });
    expect(snapshot.run.trace?.traceId).toBe(caller.traceId);
    await h.engine.cancelRun(snapshot.run.id, "");
    const [run] = t.named("run");
    expect(run!.spanContext().traceId).toBe(caller.traceId);
    expect(parentOf(run!)).toBe(caller.spanId);
  });

  it("starts a trace of its own when the caller's traceparent is malformed", async () => {
    const t = tracing();
    const h = engineHarness({ spans: t.runSpans() });
    h.graph.declare("server-a", [task("a.x")]);
    const { snapshot } = await h.engine.startRun({
      targets: ["a.x"],
      callerTraceContext: {
        traceparent: `00-${"z".repeat(32)}-00f067aa0ba902b7-01`,
        tracestate: "x".repeat(10_000),
      },
    });
    await h.engine.cancelRun(snapshot.run.id, "");
    const [run] = t.named("run");
    expect(run!.spanContext().traceId).toBe(snapshot.run.trace?.traceId);
    expect(parentOf(run!)).toBeUndefined();
  });

  it("ends the spans of a cancelled run and of an attempt whose server was lost", async () => {
    const t = tracing();
    const runSpans = t.runSpans();
    const h = engineHarness({ spans: runSpans, serverLostGraceMs: 5 * SECOND });
    h.graph.declare("server-a", [task("a.x"), task("a.y")]);
    h.instances.connect("server-a");
    const lost = await h.engine.startRun({ targets: ["a.x"] });
    const cancelled = await h.engine.startRun({ targets: ["a.y"] });
    await h.settle();
    await h.report("a.x", "STARTED");
    await h.report("a.y", "STARTED");
    await h.engine.cancelRun(cancelled.snapshot.run.id, "not needed");
    h.instances.disconnect("server-a-1");
    h.engine.instanceDisconnected("server-a-1");
    h.clock.advance(6 * SECOND);
    await h.settle();

    expect((await h.engine.getRun(lost.snapshot.run.id)).run.state).toBe("FAILED");
    expect(t.named("run")).toHaveLength(2);
    const [lostAttempt] = t.named("attempt a.x");
    expect(lostAttempt!.status.message).toMatch(/^SERVER_LOST: /);
    expect(eventsOf(t.named("attempt a.y")[0]!)).toEqual(["STARTED", "CANCELLED"]);
    expect(eventsOf(t.named("task-run a.y")[0]!).at(-1)).toBe("CANCELLED");
    expect(runSpans.openRuns).toBe(0);
  });

  it("keeps a run's spans in its trace after cerebro restarts on the same store", async () => {
    const t = tracing();
    const first = engineHarness({ spans: t.runSpans() });
    first.graph.declare("server-a", [task("a.x")]);
    first.instances.connect("server-a");
    const { snapshot } = await first.engine.startRun({ targets: ["a.x"] });
    await first.settle();
    await first.report("a.x", "STARTED");
    const { attemptId, traceContext } = first.instances.lastInvoke("a.x").command;
    first.engine.close();

    const second = engineHarness({ spans: t.runSpans(), store: first.store, clock: first.clock });
    second.graph.declare("server-a", [task("a.x")]);
    await second.engine.restore();
    second.instances.connect("server-a", "server-a-1");
    await second.engine.instanceResumed("server-a-1", [attemptId]);
    await second.engine.report({ instanceId: "server-a-1", attemptId, state: "COMPLETED" });

    const traceId = snapshot.run.trace!.traceId;
    const [resumed] = t.named("run");
    expect(resumed!.attributes["cordyna.resumed"]).toBe(true);
    expect(parentOf(resumed!)).toBe(snapshot.run.trace!.spanId);
    for (const span of t.spans()) expect(span.spanContext().traceId).toBe(traceId);
    expect(t.named("attempt a.x")).toHaveLength(1);
    // The task-server's handler span hangs under the attempt span it was sent.
    const stored = await second.engine.getRun(snapshot.run.id);
    expect(parseTraceparent(traceContext.traceparent).spanId).toBe(
      stored.taskRuns[0]!.attempts[0]!.spanId,
    );
    expect(stored.run.trace?.traceId).toBe(traceId);
  });

  it("leaves a restored run's trace as it was when the restarted cerebro exports no traces", async () => {
    const t = tracing();
    const first = engineHarness({ spans: t.runSpans() });
    first.graph.declare("server-a", [task("a.x")]);
    const { snapshot } = await first.engine.startRun({ targets: ["a.x"] });
    first.engine.close();

    const second = engineHarness({ store: first.store, clock: first.clock });
    second.graph.declare("server-a", [task("a.x")]);
    await second.engine.restore();
    second.instances.connect("server-a");
    second.engine.graphChanged();
    await second.settle();
    expect(second.instances.lastInvoke("a.x").command.traceContext).toEqual({});
    const stored = await second.engine.getRun(snapshot.run.id);
    expect(stored.run.trace).toEqual(snapshot.run.trace);
    expect(stored.taskRuns[0]!.attempts[0]!.spanId).toBeUndefined();
  });

  it("costs a run nothing when no tracer provider is registered: no trace id, no trace context", async () => {
    const h = engineHarness();
    h.graph.declare("server-a", [task("a.x")]);
    h.instances.connect("server-a");
    const { snapshot } = await h.engine.startRun({
      targets: ["a.x"],
      callerTraceContext: {
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
    });
    await h.settle();
    expect(snapshot.run.trace).toBeUndefined();
    expect(runToProto(snapshot).traceId).toBe("");
    expect(h.instances.lastInvoke("a.x").command.traceContext).toEqual({});
  });
});
