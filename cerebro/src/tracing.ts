import type { Logger } from "pino";

/** The OpenTelemetry SDK as cerebro runs it: started only when an exporter is configured. */
export interface Tracing {
  /** Whether spans are exported (else the OpenTelemetry API is a no-op). */
  readonly exporting: boolean;
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

const OFF: Tracing = { exporting: false, shutdown: async () => {} };

/**
 * Whether the standard variables ask for traces: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or an
 * exporter named in OTEL_TRACES_EXPORTER other than "none", and not
 * OTEL_SDK_DISABLED=true. Without them cerebro loads no SDK at all: the
 * OpenTelemetry API hands out non-recording spans, and runs get no trace id.
 */
export function tracingConfigured(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (exporters.includes("none")) return false;
  return (
    exporters.length > 0 ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) ||
    Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim())
  );
}

/**
 * Starts the OpenTelemetry Node SDK for traces when the environment asks for
 * them; every setting (endpoint, protocol, headers, sampler, batch sizes,
 * resource) is the SDK's own reading of the standard OTEL_* variables. The
 * service name defaults to `serviceName`. Metrics and logs are not exported
 * through it.
 */
export async function startTracing(
  env: Env,
  serviceName: string,
  logger: Logger,
): Promise<Tracing> {
  if (!tracingConfigured(env)) return OFF;
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const named =
    Boolean(env.OTEL_SERVICE_NAME?.trim()) ||
    /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? "");
  const sdk = new NodeSDK({
    ...(named ? {} : { serviceName }),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  logger.info(
    {
      endpoint:
        env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        env.OTEL_EXPORTER_OTLP_ENDPOINT ??
        "(SDK default)",
      exporter: env.OTEL_TRACES_EXPORTER ?? "otlp",
    },
    "exporting traces with OpenTelemetry",
  );
  return {
    exporting: true,
    shutdown: () =>
      sdk.shutdown().catch((error: unknown) => {
        logger.warn({ err: error }, "exporting the last spans failed");
      }),
  };
}
