"""OpenTelemetry for the example: each handler runs in a child span of its attempt.

Cerebro sends the attempt's span in the Invoke's trace_context (W3C
"traceparent" and "tracestate"). Spans are exported over OTLP (HTTP/protobuf)
only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
set; the exporter reads the other standard OTEL_* variables itself. Without
them no SDK is installed and the API's spans cost nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from cordyna.v1 import task_server_pb2 as pb

# The contract's trace context is W3C's, whatever OTEL_PROPAGATORS says.
W3C = TraceContextTextMapPropagator()
tracer = trace.get_tracer("cordyna-example-python")


def start_tracing(env: Mapping[str, str], default_service_name: str) -> None:
    """Installs the SDK with an OTLP exporter when an endpoint is configured."""
    if not (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource({"service.name": env.get("OTEL_SERVICE_NAME") or default_service_name})
    provider = TracerProvider(resource=resource.merge(OTELResourceDetector().detect()))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def stop_tracing() -> None:
    """Exports the spans still buffered."""
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if shutdown is not None:
        shutdown()


@contextlib.contextmanager
def handler_span(invoke: pb.Invoke) -> Iterator[trace.Span]:
    """The handler's span, a child of the attempt's; an exception marks it failed."""
    parent = W3C.extract(dict(invoke.trace_context))
    with tracer.start_as_current_span(
        f"handle {invoke.task_id}",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes={
            "cordyna.run.id": invoke.run_id,
            "cordyna.task_run.id": invoke.task_run_id,
            "cordyna.task.id": invoke.task_id,
            "cordyna.attempt.id": invoke.attempt_id,
            "cordyna.attempt.number": invoke.attempt_number,
        },
    ) as span:
        yield span
