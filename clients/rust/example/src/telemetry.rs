//! OpenTelemetry for the example: each attempt's work runs in a child span of
//! the attempt's span in cerebro, whose W3C `traceparent` (and `tracestate`)
//! the Invoke carries in `trace_context`.
//!
//! Spans are exported over OTLP (HTTP/protobuf) only when
//! OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set;
//! the SDK reads the other standard OTEL_* variables itself. Without them no
//! SDK is installed, and the API's spans do nothing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cordyna_client::v1::Invoke;
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{FutureExt, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tokio::runtime::Handle;

/// The instrumentation scope of the example's spans.
const SCOPE: &str = "cordyna-example-rust";

/// The tracer for the example's spans: the SDK's once `start` installed it,
/// the API's no-op otherwise.
pub fn tracer() -> BoxedTracer {
    global::tracer(SCOPE)
}

/// Installs the SDK with an OTLP/HTTP exporter when an endpoint is
/// configured; returns the provider to shut down at exit, None when spans
/// are not exported. Call it inside the Tokio runtime.
pub fn start(default_service_name: &str) -> Result<Option<SdkTracerProvider>, String> {
    let value = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if value("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
        && value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_none()
    {
        return Ok(None);
    }
    // The exporter would fall back to http/protobuf silently; say it instead.
    for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
        if let Some(protocol) = value(name).filter(|p| p.trim() != "http/protobuf") {
            return Err(format!("{name}: {protocol:?}; this example exports http/protobuf only"));
        }
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|error| format!("OpenTelemetry exporter: {error}"))?;
    let service_name = value("OTEL_SERVICE_NAME").unwrap_or_else(|| default_service_name.into());
    let provider = SdkTracerProvider::builder()
        // Resource::builder() adds OTEL_RESOURCE_ATTRIBUTES.
        .with_resource(Resource::builder().with_service_name(service_name).build())
        .with_batch_exporter(OnRuntime { exporter: Arc::new(exporter), runtime: Handle::current() })
        .build();
    global::set_tracer_provider(provider.clone());
    Ok(Some(provider))
}

/// Exports the spans still buffered; waits for them at most `timeout`.
pub async fn stop(provider: SdkTracerProvider, timeout: Duration) {
    // Off the runtime's threads: the export it waits for runs on them.
    let stopped = tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(timeout));
    match stopped.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => log!("spans not exported at exit: {error}"),
        Err(error) => log!("spans not exported at exit: {error}"),
    }
}

/// The context of the handler span of an attempt: `handle <task id>`, a
/// child of the attempt's span that the Invoke carries.
pub fn handler_span(invoke: &Invoke) -> Context {
    // The contract's trace context is W3C's, whatever OTEL_PROPAGATORS says.
    let parent = TraceContextPropagator::new().extract(&invoke.trace_context);
    let tracer = tracer();
    let span = tracer
        .span_builder(format!("handle {}", invoke.task_id))
        .with_kind(SpanKind::Consumer)
        .with_attributes([
            KeyValue::new("cordyna.run.id", invoke.run_id.clone()),
            KeyValue::new("cordyna.task_run.id", invoke.task_run_id.clone()),
            KeyValue::new("cordyna.task.id", invoke.task_id.clone()),
            KeyValue::new("cordyna.attempt.id", invoke.attempt_id.clone()),
            KeyValue::new("cordyna.attempt.number", i64::from(invoke.attempt_number)),
        ])
        .start_with_context(&tracer, &parent);
    parent.with_span(span)
}

/// Runs `work` inside the handler span `cx` and ends the span with it; an
/// error marks the span failed, with the error's description.
pub async fn in_span<T>(
    cx: Context,
    work: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let outcome = work.with_context(cx.clone()).await;
    let span = cx.span();
    if let Err(description) = &outcome {
        span.set_status(Status::error(description.clone()));
    }
    span.end();
    outcome
}

/// The OTLP exporter, run on the Tokio runtime: the SDK's batch processor
/// exports from a thread of its own, while the exporter's HTTP client (hyper,
/// as tonic uses) needs the runtime.
#[derive(Debug)]
struct OnRuntime {
    exporter: Arc<opentelemetry_otlp::SpanExporter>,
    runtime: Handle,
}

impl SpanExporter for OnRuntime {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let exporter = Arc::clone(&self.exporter);
        let exported = self.runtime.spawn(async move { exporter.export(batch).await }).await;
        let result =
            exported.unwrap_or_else(|error| Err(OTelSdkError::InternalFailure(error.to_string())));
        if let Err(error) = &result {
            log!("spans not exported: {error}");
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.exporter.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.exporter.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        // The provider sets it once, before any export shares the exporter.
        if let Some(exporter) = Arc::get_mut(&mut self.exporter) {
            exporter.set_resource(resource);
        }
    }
}
