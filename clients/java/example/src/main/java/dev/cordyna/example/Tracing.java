package dev.cordyna.example;

import dev.cordyna.v1.Invoke;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * OpenTelemetry for the example: each handler runs in a child span of its
 * attempt's span in cerebro, whose W3C "traceparent" the Invoke carries in
 * trace_context. Spans are exported over OTLP only when
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set;
 * the SDK reads the other standard OTEL_* variables itself. Without them the
 * API is the no-op one.
 */
final class Tracing implements AutoCloseable {
  private static final TextMapGetter<Map<String, String>> MAP_GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final Tracer tracer;
  private final OpenTelemetrySdk sdk;

  private Tracing(OpenTelemetry openTelemetry, OpenTelemetrySdk sdk) {
    this.tracer = openTelemetry.getTracer("cordyna-example-java");
    this.sdk = sdk;
  }

  static Tracing fromEnv(String serviceName) {
    if (isBlank(System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
        && isBlank(System.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))) {
      return new Tracing(OpenTelemetry.noop(), null);
    }
    // Defaults only: the OTEL_* variables win over them.
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", serviceName,
            "otel.exporter.otlp.protocol", "http/protobuf",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        .build()
        .getOpenTelemetrySdk();
    return new Tracing(sdk, sdk);
  }

  /** Runs an attempt's work in its handler span; an exception marks the span failed. */
  <T> T inHandlerSpan(Invoke invoke, Callable<T> work) throws Exception {
    Context parent = W3CTraceContextPropagator.getInstance()
        .extract(Context.root(), invoke.getTraceContextMap(), MAP_GETTER);
    Span span = tracer.spanBuilder("handle " + invoke.getTaskId())
        .setParent(parent)
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute("cordyna.run.id", invoke.getRunId())
        .setAttribute("cordyna.task_run.id", invoke.getTaskRunId())
        .setAttribute("cordyna.task.id", invoke.getTaskId())
        .setAttribute("cordyna.attempt.id", invoke.getAttemptId())
        .setAttribute("cordyna.attempt.number", invoke.getAttemptNumber())
        .startSpan();
    return within(span, work);
  }

  /**
   * Runs part of a task's work in a span of its own, a child of the current
   * span (the handler's, inside a task); an exception marks it failed.
   */
  <T> T inSpan(String name, Callable<T> work) throws Exception {
    return within(tracer.spanBuilder(name).startSpan(), work);
  }

  /** Runs the work with the span current, then ends it; an exception marks it failed. */
  private static <T> T within(Span span, Callable<T> work) throws Exception {
    try (Scope ignored = span.makeCurrent()) {
      return work.call();
    } catch (Exception failure) {
      span.recordException(failure);
      span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
      throw failure;
    } finally {
      span.end();
    }
  }

  /** Exports the spans still buffered. */
  @Override
  public void close() {
    if (sdk != null) sdk.close();
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
