#!/usr/bin/env node
// cerebro as a service (the container entry point): configuration from the
// environment, runs until SIGTERM or SIGINT, then stops cleanly.
//
// Exit codes: 0 stopped on a signal, 1 could not start, 2 bad configuration.

import { type CerebroConfig, CerebroConfigError, parseCerebroConfig } from "./config.js";
import { startedAs } from "./entry-point.js";
import { createLogger } from "./logger.js";
import { startCerebroService } from "./service.js";
import { describeStoreSpec, parseStoreSpec } from "./store/open-store.js";

export const EXIT_STOPPED = 0;
export const EXIT_START_FAILED = 1;
export const EXIT_BAD_CONFIG = 2;

/** What the service needs from its process; tests may replace it. */
export interface ServiceProcess {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line for people (configuration errors, before a logger exists). */
  writeError(line: string): void;
  /** Resolves with the first SIGTERM or SIGINT. */
  waitForSignal(): Promise<NodeJS.Signals>;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      // A second signal while stopping: give up on a clean stop.
      process.once("SIGTERM", () => process.exit(EXIT_START_FAILED));
      process.once("SIGINT", () => process.exit(EXIT_START_FAILED));
      resolve(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

const realProcess: ServiceProcess = {
  env: process.env,
  writeError: (line) => process.stderr.write(`${line}\n`),
  waitForSignal,
};

/**
 * Runs the cerebro service until SIGTERM or SIGINT and returns the exit
 * code: 0 stopped cleanly, 1 could not start, 2 bad configuration.
 */
export async function runService(proc: ServiceProcess = realProcess): Promise<number> {
  let config: CerebroConfig;
  try {
    config = parseCerebroConfig(proc.env);
  } catch (err) {
    if (!(err instanceof CerebroConfigError)) throw err;
    for (const line of err.message.split("\n")) proc.writeError(`cerebro: ${line}`);
    return EXIT_BAD_CONFIG;
  }
  const logger = createLogger("cerebro", config.logLevel);
  // Listening for signals before starting, so that one sent during start-up is not lost.
  const signalled = proc.waitForSignal();

  logger.info(
    {
      host: config.host,
      port: config.port,
      httpPort: config.httpPort ?? "off",
      store: describeStoreSpec(parseStoreSpec(config.store)),
    },
    "starting cerebro",
  );
  const starting = startCerebroService(config, { env: proc.env, logger });
  const first = await Promise.race([
    starting.then(
      (service) => ({ kind: "started", service }) as const,
      (error: unknown) => ({ kind: "failed", error }) as const,
    ),
    signalled.then((signal) => ({ kind: "signal", signal }) as const),
  ]);
  if (first.kind === "failed") {
    const reason = first.error instanceof Error ? first.error.message : String(first.error);
    logger.fatal({ err: first.error }, `could not start cerebro: ${reason}`);
    return EXIT_START_FAILED;
  }
  if (first.kind === "signal") {
    // Still starting (e.g. waiting for the store): nothing was served yet.
    logger.info({ signal: first.signal }, "stopped while starting");
    starting.then((service) => service.stop()).catch(() => {});
    return EXIT_STOPPED;
  }
  const signal = await signalled;
  logger.info({ signal }, "stopping cerebro");
  await first.service.stop();
  logger.info("cerebro stopped");
  return EXIT_STOPPED;
}

if (startedAs(import.meta.url)) {
  // Exits explicitly: a start-up interrupted by a signal may leave a store connection retrying.
  process.exit(await runService());
}
