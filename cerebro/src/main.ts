// cerebro as a service (the container entry point): configuration from the
// environment, runs until SIGTERM or SIGINT, then stops cleanly.
//
// Exit codes: 0 stopped on a signal, 1 could not start, 2 bad configuration.

import { type Logger, pino } from "pino";
import { startCerebro } from "./cerebro.js";
import { startedAs } from "./entry-point.js";
import { describeStoreSpec, parseStoreSpec, STORE_ENV } from "./store/open-store.js";
import { redisPrefixProblem } from "./store/redis-keys.js";

/** Every environment variable the cerebro service reads, with what it means. */
export const CEREBRO_ENV = {
  CORDYNA_PORT: "TCP port to listen on (default 7070)",
  CORDYNA_HOST: "address to listen on (default 0.0.0.0)",
  CORDYNA_HTTP_PORT: 'TCP port of the HTTP/JSON gateway (default 7071; "off" turns it off)',
  [STORE_ENV]: '"memory" (default) or a Redis URL',
  CORDYNA_REDIS_PREFIX: 'prefix of every Redis key (default "cordyna:")',
  CORDYNA_SERVER_LOST_GRACE_MS:
    "how long a disconnected task-server instance keeps its attempts (default 5000)",
  CORDYNA_HEARTBEAT_INTERVAL_MS: "how often task-servers send heartbeats (default 5000)",
  CORDYNA_RECOVERY_WINDOW_MS:
    "after a restart, how long restored attempts wait for their task-servers before SERVER_LOST or a deadline (default: the grace period + 2000)",
  LOG_LEVEL: "fatal, error, warn, info (default), debug, trace or silent",
} as const;

export type CerebroEnvName = keyof typeof CEREBRO_ENV;

export const DEFAULT_PORT = 7070;
export const DEFAULT_HTTP_PORT = 7071;
export const DEFAULT_HOST = "0.0.0.0";
export const DEFAULT_LOG_LEVEL = "info";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Longest delay a Node.js timer honours; longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export const EXIT_STOPPED = 0;
export const EXIT_START_FAILED = 1;
export const EXIT_BAD_CONFIG = 2;

/** The service's configuration, read from the environment. */
export interface CerebroServiceConfig {
  readonly port: number;
  /** Port of the HTTP/JSON gateway; undefined when turned off. */
  readonly httpPort?: number;
  readonly host: string;
  /** A store spec for openStore: "memory" or a Redis URL. */
  readonly store: string;
  readonly redisPrefix?: string;
  readonly serverLostGraceMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly recoveryWindowMs?: number;
  readonly logLevel: LogLevel;
}

/** One environment variable with a bad value. */
export interface EnvProblem {
  readonly variable: CerebroEnvName;
  readonly message: string;
}

/** The environment holds bad values; the message names every bad variable. */
export class CerebroEnvError extends Error {
  readonly problems: readonly EnvProblem[];

  constructor(problems: readonly EnvProblem[]) {
    super(problems.map((p) => `${p.variable}: ${p.message}`).join("\n"));
    this.name = "CerebroEnvError";
    this.problems = problems;
  }
}

/**
 * Reads the service's configuration from an environment (pure: nothing but
 * `env` is read). An unset or empty variable takes its default. Throws a
 * CerebroEnvError naming each variable with a bad value.
 */
export function parseCerebroEnv(
  env: Readonly<Record<string, string | undefined>>,
): CerebroServiceConfig {
  const problems: EnvProblem[] = [];
  const text = (name: CerebroEnvName): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const integer = (name: CerebroEnvName, min: number, max: number, what: string) => {
    const value = text(name);
    if (value === undefined) return undefined;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    problems.push({
      variable: name,
      message: `"${value}" is not ${what}: expected an integer from ${min} to ${max}`,
    });
    return undefined;
  };

  const port = integer("CORDYNA_PORT", 1, 65_535, "a TCP port");
  const httpPort =
    text("CORDYNA_HTTP_PORT") === "off"
      ? undefined
      : (integer("CORDYNA_HTTP_PORT", 1, 65_535, 'a TCP port or "off"') ?? DEFAULT_HTTP_PORT);

  const host = text("CORDYNA_HOST");
  if (host !== undefined && /\s/.test(host)) {
    problems.push({
      variable: "CORDYNA_HOST",
      message: `"${host}" is not a host name or address`,
    });
  }

  const store = text(STORE_ENV) ?? "memory";
  try {
    parseStoreSpec(store);
  } catch (err) {
    // The store's own message names the spec with any password masked.
    problems.push({
      variable: STORE_ENV,
      message: err instanceof Error ? err.message : String(err),
    });
  }

  const redisPrefix = text("CORDYNA_REDIS_PREFIX");
  const prefixProblem = redisPrefix === undefined ? undefined : redisPrefixProblem(redisPrefix);
  if (prefixProblem) problems.push({ variable: "CORDYNA_REDIS_PREFIX", message: prefixProblem });

  const serverLostGraceMs = integer(
    "CORDYNA_SERVER_LOST_GRACE_MS",
    0,
    MAX_TIMER_MS,
    "a duration in milliseconds",
  );
  const heartbeatIntervalMs = integer(
    "CORDYNA_HEARTBEAT_INTERVAL_MS",
    1,
    MAX_TIMER_MS,
    "a duration in milliseconds",
  );
  const recoveryWindowMs = integer(
    "CORDYNA_RECOVERY_WINDOW_MS",
    0,
    MAX_TIMER_MS,
    "a duration in milliseconds",
  );

  const level = text("LOG_LEVEL")?.toLowerCase() ?? DEFAULT_LOG_LEVEL;
  const logLevel = LOG_LEVELS.find((known) => known === level);
  if (logLevel === undefined) {
    problems.push({
      variable: "LOG_LEVEL",
      message: `"${text("LOG_LEVEL")}" is not a log level: use one of ${LOG_LEVELS.join(", ")}`,
    });
  }

  if (problems.length > 0 || logLevel === undefined) throw new CerebroEnvError(problems);
  return {
    port: port ?? DEFAULT_PORT,
    ...(httpPort === undefined ? {} : { httpPort }),
    host: host ?? DEFAULT_HOST,
    store,
    ...(redisPrefix === undefined ? {} : { redisPrefix }),
    logLevel,
    ...(serverLostGraceMs === undefined ? {} : { serverLostGraceMs }),
    ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
    ...(recoveryWindowMs === undefined ? {} : { recoveryWindowMs }),
  };
}

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
  let config: CerebroServiceConfig;
  try {
    config = parseCerebroEnv(proc.env);
  } catch (err) {
    if (!(err instanceof CerebroEnvError)) throw err;
    for (const line of err.message.split("\n")) proc.writeError(`cerebro: ${line}`);
    return EXIT_BAD_CONFIG;
  }
  const logger: Logger = pino({ name: "cerebro", level: config.logLevel }, pino.destination(2));
  // Listening for signals before starting, so that one sent during start-up is not lost.
  const signalled = proc.waitForSignal();

  logger.info(
    {
      host: config.host,
      port: config.port,
      store: describeStoreSpec(parseStoreSpec(config.store)),
    },
    "starting cerebro",
  );
  const starting = startCerebro({
    port: config.port,
    ...(config.httpPort === undefined ? {} : { httpPort: config.httpPort }),
    host: config.host,
    store: config.store,
    ...(config.redisPrefix === undefined ? {} : { redisPrefix: config.redisPrefix }),
    logger,
    ...(config.serverLostGraceMs === undefined
      ? {}
      : { serverLostGraceMs: config.serverLostGraceMs }),
    ...(config.heartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: config.heartbeatIntervalMs }),
    ...(config.recoveryWindowMs === undefined ? {} : { recoveryWindowMs: config.recoveryWindowMs }),
  });
  const first = await Promise.race([
    starting.then(
      (cerebro) => ({ kind: "started", cerebro }) as const,
      (error: unknown) => ({ kind: "failed", error }) as const,
    ),
    signalled.then((signal) => ({ kind: "signal", signal }) as const),
  ]);
  if (first.kind === "failed") {
    logger.fatal({ err: first.error }, "could not start cerebro");
    return EXIT_START_FAILED;
  }
  if (first.kind === "signal") {
    // Still starting (e.g. waiting for the store): nothing was served yet.
    logger.info({ signal: first.signal }, "stopped while starting");
    starting.then((cerebro) => cerebro.stop()).catch(() => {});
    return EXIT_STOPPED;
  }
  const signal = await signalled;
  logger.info({ signal }, "stopping cerebro");
  await first.cerebro.stop();
  logger.info("cerebro stopped");
  return EXIT_STOPPED;
}

if (startedAs(import.meta.url)) {
  // Exits explicitly: a start-up interrupted by a signal may leave a store connection retrying.
  process.exit(await runService());
}
