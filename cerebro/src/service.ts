// Cerebro as a service: configured by the CORDYNA_* variables, with its own
// logger and, when an OTLP endpoint is set, tracing.

import type { Logger } from "pino";
import { type Cerebro, startCerebro } from "./cerebro.js";
import type { CerebroConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startTracing } from "./tracing.js";

/** A started cerebro service. */
export interface CerebroService {
  readonly cerebro: Cerebro;
  /** Stops cerebro, then flushes and stops tracing. */
  stop(): Promise<void>;
}

/** Where a service gets what it does not find in its configuration. */
export interface CerebroServiceOptions {
  /** The variables that configure tracing (OTEL_*); the process's by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Cerebro's logger; by default one named "cerebro" at the configured level. */
  readonly logger?: Logger;
}

/**
 * Starts cerebro as the `cerebro` service does, from a configuration made
 * by `parseCerebroConfig`. Rejects, with tracing stopped again, when
 * cerebro cannot start (a port in use, a store that refuses).
 */
export async function startCerebroService(
  config: CerebroConfig,
  { env = process.env, logger: given }: CerebroServiceOptions = {},
): Promise<CerebroService> {
  const { logLevel, ...options } = config;
  const logger = given ?? createLogger("cerebro", logLevel);
  // Before cerebro starts, so that its tracer is the SDK's from the first run on.
  const tracing = await startTracing(env, "cerebro", logger);
  let cerebro: Cerebro;
  try {
    cerebro = await startCerebro({ ...options, logger });
  } catch (err) {
    await tracing.shutdown();
    throw err;
  }
  return {
    cerebro,
    async stop() {
      await cerebro.stop();
      await tracing.shutdown();
    },
  };
}
