// cerebro's settings. The service reads them from the environment; `dyna dev`
// reads the same variables, with its flags in place of some of them.

import { readFileSync } from "node:fs";
import { parseDuration } from "@cordyna/contract";
import type { AuthMode } from "./access/access-control.js";
import type { MetricsOptions, NotificationOptions } from "./cerebro.js";
import { isLoopback } from "./loopback.js";
import type { EmailChannelOptions } from "./notify/email-channel.js";
import { mailboxAddress, parseSmtpUrl } from "./notify/email-settings.js";
import type { ServerTls } from "./rpc/server.js";
import { parseStoreSpec, STORE_ENV } from "./store/open-store.js";
import { redisPrefixProblem } from "./store/redis-keys.js";

/** Every environment variable cerebro reads, with what it means. */
export const CEREBRO_ENV = {
  CORDYNA_PORT: "TCP port of the gRPC API (default 7070; 0 picks a free one)",
  CORDYNA_HOST: "address to listen on (default 0.0.0.0)",
  CORDYNA_HTTP_PORT:
    'TCP port of the HTTP/JSON gateway and of GET /metrics (default CORDYNA_PORT + 1, a free one when CORDYNA_PORT is 0; "off" turns both off)',
  [STORE_ENV]: '"memory" (default) or a Redis URL',
  CORDYNA_REDIS_PREFIX: 'prefix of every Redis key (default "cordyna:")',
  CORDYNA_SERVER_LOST_GRACE_MS:
    "how long a disconnected task-server instance keeps its attempts (default 5000)",
  CORDYNA_HEARTBEAT_INTERVAL_MS: "how often task-servers send heartbeats (default 5000)",
  CORDYNA_PROGRESS_INTERVAL_MS:
    "the least time between two heartbeats or progress reports of one attempt that are stored and published; those in between are merged, the latest winning (default 1000)",
  CORDYNA_RECOVERY_WINDOW_MS:
    "after a restart, how long restored attempts wait for their task-servers before SERVER_LOST or a deadline (default: the grace period + 2000)",
  CORDYNA_MAX_RUN_DATA_BYTES:
    "the most bytes of a run's params, and of a task-run's outputs (default 262144)",
  CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT:
    "the most bytes of log kept per attempt, the newest; older lines are dropped (default 1048576)",
  CORDYNA_MAX_LOG_BYTES_PER_SECOND:
    "the most bytes of log lines one task-server stream may send a second; more are refused (default 1048576)",
  CORDYNA_MAX_CHAIN_LENGTH:
    "the most tasks one chain of dependencies may hold, across servers (default 10000)",
  CORDYNA_MAX_TASKS_PER_DECLARATION: "the most tasks one task-server may declare (default 10000)",
  CORDYNA_MAX_CANDIDATES:
    "the most change ids with candidate servers connected at once (default 32)",
  CORDYNA_MAX_TASKS_PER_CANDIDATE: "the most tasks one candidate server may declare (default 1000)",
  CORDYNA_RUN_RETENTION:
    'how long a finished run is kept, e.g. "30d" (default), "12h"; completions for freshness stay',
  CORDYNA_MAX_FINISHED_RUNS:
    "how many finished runs are kept at most, the most recently finished (default 100000)",
  CORDYNA_MAX_EVENTS:
    "how many events are kept for WatchEvents to replay, the newest (default 200000)",
  CORDYNA_MAX_EVENTS_PER_RUN:
    "how many events of one run are kept, the newest; they go with the run (default 20000)",
  CORDYNA_SERVER_RETENTION:
    'how long a server name with no connected instance stays in "dyna servers", e.g. "24h" (default); its declarations stay',
  CORDYNA_TLS_CERT:
    "PEM file of cerebro's certificate: serve TLS on both ports (with CORDYNA_TLS_KEY)",
  CORDYNA_TLS_KEY: "PEM file of that certificate's private key",
  CORDYNA_TLS_CLIENT_CA:
    "PEM file of the CA whose client certificates cerebro verifies (mTLS); task-servers must present one",
  CORDYNA_AUTH:
    '"on" (default: every call needs a credential) or "off" (every caller is an admin; loopback addresses only); dyna dev on a loopback address defaults to "off" unless CORDYNA_ADMIN_TOKEN is set',
  CORDYNA_ADMIN_TOKEN:
    "bearer token of the bootstrap admin, who creates the first credentials (at least 32 characters, e.g. openssl rand -hex 32)",
  CORDYNA_INSECURE_NO_AUTH:
    '"true": run without authentication even on an address the network reaches (warned at every start)',
  CORDYNA_METRICS_AUTH:
    '"on" (default: GET /metrics on the HTTP port needs a credential that may read, while authentication is on) or "off" (it answers anyone who reaches that port)',
  CORDYNA_METRICS_MAX_LABEL_VALUES:
    'how many values each of the metric labels team and server takes; the rest are counted as "other" (default 100)',
  CORDYNA_SMTP_URL:
    "SMTP server of email notifications: smtp://user:password@host:587 (STARTTLS, required when a password is given) or smtps://user:password@host:465 (TLS); unset, no email is sent",
  CORDYNA_NOTIFY_FROM:
    'From address of email notifications, e.g. "Cordyna <cordyna@example.com>" (required with CORDYNA_SMTP_URL)',
  CORDYNA_SMTP_CA:
    "PEM file of the CA whose certificate the SMTP server presents, for a private one (default: the system's CAs)",
  CORDYNA_CONSOLE_URL:
    "base URL of the run pages: notifications link to <base>/runs/<run id> (default: no link)",
  LOG_LEVEL: "fatal, error, warn, info (default), debug, trace or silent",
} as const;

export type CerebroEnvName = keyof typeof CEREBRO_ENV;

const DEFAULT_PORT = 7070;
const DEFAULT_HOST = "0.0.0.0";
const DEFAULT_LOG_LEVEL = "info";
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The most a task-count setting may be raised to: a million tasks is far past
 * what one cerebro's memory and one 4 MiB message hold, so a larger value is
 * a typo.
 */
const MAX_GRAPH_COUNT = 1_000_000;

/** The largest log setting: past it, one attempt's log or one second's would be a typo. */
const MAX_LOG_BYTES = 1024 * 1024 * 1024;

/** The longest retention: past it, times in ms since the epoch stop making sense. */
const MAX_RETENTION_MS = 100 * 365 * 86_400_000;

/**
 * The most values one metric label may be allowed: each is a time series in
 * every scraper, and ten thousand teams or servers are past what one
 * cerebro serves.
 */
const MAX_LABEL_VALUES = 10_000;

/** Longest delay a Node.js timer honours; longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** cerebro's configuration: options for startCerebro, and the log level. */
export interface CerebroConfig {
  /** 0 picks a free port. */
  readonly port: number;
  /** Port of the HTTP/JSON gateway (0 picks a free one); undefined when turned off. */
  readonly httpPort?: number;
  readonly host: string;
  /** A store spec for openStore: "memory" or a Redis URL. */
  readonly store: string;
  readonly redisPrefix?: string;
  readonly serverLostGraceMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly progressIntervalMs?: number;
  readonly recoveryWindowMs?: number;
  readonly maxRunDataBytes?: number;
  readonly maxLogBytesPerAttempt?: number;
  readonly maxLogBytesPerSecond?: number;
  readonly maxChainLength?: number;
  readonly maxTasksPerDeclaration?: number;
  readonly maxCandidates?: number;
  readonly maxTasksPerCandidate?: number;
  readonly runRetentionMs?: number;
  readonly maxFinishedRuns?: number;
  readonly maxEvents?: number;
  readonly maxEventsPerRun?: number;
  readonly serverRetentionMs?: number;
  /** Cerebro's certificate and key, and the client CA, read from their files. */
  readonly tls?: ServerTls;
  /** Whether calls need credentials. */
  readonly auth: AuthMode;
  readonly metrics: MetricsOptions;
  readonly notifications?: NotificationOptions;
  readonly logLevel: LogLevel;
}

/** A command-line flag given in place of a variable, e.g. `--port` for CORDYNA_PORT. */
export interface FlagValue {
  readonly flag: string;
  readonly value: string;
}

export type CerebroFlags = Partial<Record<CerebroEnvName, FlagValue>>;

/** One setting with a bad value, and the flag or variable it came from. */
export interface ConfigProblem {
  readonly source: string;
  readonly message: string;
}

/** Settings with bad values; the message has one "source: problem" line for each. */
export class CerebroConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.source}: ${p.message}`).join("\n"));
    this.name = "CerebroConfigError";
    this.problems = problems;
  }
}

/**
 * Reads cerebro's configuration: `env`, `flags`, and the TLS files they name. A flag wins over its variable; an unset or empty setting takes its
 * default. Throws a CerebroConfigError naming the flag or variable of each
 * bad value.
 */
export function parseCerebroConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: {
    readonly flags?: CerebroFlags;
    readonly defaultHost?: string;
    /** Turn authentication off by default on a loopback address (dyna dev). */
    readonly authOffOnLoopback?: boolean;
  } = {},
): CerebroConfig {
  const problems: ConfigProblem[] = [];
  const given = (name: CerebroEnvName): { source: string; value: string } | undefined => {
    const flag = options.flags?.[name];
    const value = (flag ? flag.value : env[name])?.trim();
    return value === undefined || value === "" ? undefined : { source: flag?.flag ?? name, value };
  };
  const integer = (name: CerebroEnvName, min: number, max: number, what: string) => {
    const setting = given(name);
    if (setting === undefined) return undefined;
    const parsed = /^\d+$/.test(setting.value) ? Number(setting.value) : Number.NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    problems.push({
      source: setting.source,
      message: `"${setting.value}" is not ${what}: expected an integer from ${min} to ${max}`,
    });
    return undefined;
  };

  const duration = (name: CerebroEnvName) => {
    const setting = given(name);
    if (setting === undefined) return undefined;
    const ms = parseDurationOrNaN(setting.value);
    if (ms >= 60_000 && ms <= MAX_RETENTION_MS) return Math.round(ms);
    problems.push({
      source: setting.source,
      message: `"${setting.value}" is not a duration from 1m to 100 years: write e.g. "30d", "12h" or "90m"`,
    });
    return undefined;
  };

  const port = integer("CORDYNA_PORT", 0, 65_535, "a TCP port") ?? DEFAULT_PORT;
  // Without a port of its own, the gateway takes the next one, so that moving
  // cerebro to another port moves both; with a free gRPC port, a free one.
  const httpSetting = given("CORDYNA_HTTP_PORT");
  let httpPort: number | undefined;
  if (httpSetting) {
    if (httpSetting.value !== "off") {
      httpPort = integer("CORDYNA_HTTP_PORT", 0, 65_535, 'a TCP port or "off"');
    }
  } else if (port === 0) {
    httpPort = 0;
  } else if (port < 65_535) {
    httpPort = port + 1;
  } else {
    problems.push({
      source: given("CORDYNA_PORT")?.source ?? "CORDYNA_PORT",
      message: `"${port}" leaves no next port for the HTTP/JSON gateway: give it a port of its own, or "off"`,
    });
  }

  const host = given("CORDYNA_HOST");
  if (host && /\s/.test(host.value)) {
    problems.push({
      source: host.source,
      message: `"${host.value}" is not a host name or address`,
    });
  }

  const store = given(STORE_ENV);
  try {
    parseStoreSpec(store?.value ?? "memory");
  } catch (err) {
    // The store's own message names the spec with any password masked.
    problems.push({
      source: store?.source ?? STORE_ENV,
      message: err instanceof Error ? err.message : String(err),
    });
  }

  const redisPrefix = given("CORDYNA_REDIS_PREFIX");
  const prefixProblem =
    redisPrefix === undefined ? undefined : redisPrefixProblem(redisPrefix.value);
  if (redisPrefix && prefixProblem) {
    problems.push({ source: redisPrefix.source, message: prefixProblem });
  }

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
  const progressIntervalMs = integer(
    "CORDYNA_PROGRESS_INTERVAL_MS",
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

  const file = (name: CerebroEnvName): Buffer | undefined => {
    const setting = given(name);
    if (setting === undefined) return undefined;
    try {
      return readFileSync(setting.value);
    } catch (error) {
      problems.push({
        source: setting.source,
        message: `cannot read ${setting.value}: ${(error as Error).message}`,
      });
      return undefined;
    }
  };
  const maxRunDataBytes = integer(
    "CORDYNA_MAX_RUN_DATA_BYTES",
    1,
    4 * 1024 * 1024,
    "a number of bytes up to 4 MiB (what one message can carry)",
  );
  const maxLogBytesPerAttempt = integer(
    "CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT",
    1,
    MAX_LOG_BYTES,
    "a number of bytes up to 1 GiB",
  );
  const maxLogBytesPerSecond = integer(
    "CORDYNA_MAX_LOG_BYTES_PER_SECOND",
    1,
    MAX_LOG_BYTES,
    "a number of bytes up to 1 GiB",
  );
  const maxChainLength = integer(
    "CORDYNA_MAX_CHAIN_LENGTH",
    1,
    MAX_GRAPH_COUNT,
    "a number of tasks",
  );
  const maxTasksPerDeclaration = integer(
    "CORDYNA_MAX_TASKS_PER_DECLARATION",
    1,
    MAX_GRAPH_COUNT,
    "a number of tasks",
  );
  const maxCandidates = integer(
    "CORDYNA_MAX_CANDIDATES",
    1,
    MAX_GRAPH_COUNT,
    "a number of changes",
  );
  const maxTasksPerCandidate = integer(
    "CORDYNA_MAX_TASKS_PER_CANDIDATE",
    1,
    MAX_GRAPH_COUNT,
    "a number of tasks",
  );
  const runRetentionMs = duration("CORDYNA_RUN_RETENTION");
  const maxFinishedRuns = integer(
    "CORDYNA_MAX_FINISHED_RUNS",
    1,
    1_000_000_000,
    "a number of runs",
  );
  const maxEvents = integer("CORDYNA_MAX_EVENTS", 1, 100_000_000, "a number of events");
  const maxEventsPerRun = integer(
    "CORDYNA_MAX_EVENTS_PER_RUN",
    1,
    100_000_000,
    "a number of events",
  );
  const serverRetentionMs = duration("CORDYNA_SERVER_RETENTION");
  const certSetting = given("CORDYNA_TLS_CERT");
  const keySetting = given("CORDYNA_TLS_KEY");
  const clientCaSetting = given("CORDYNA_TLS_CLIENT_CA");
  if (certSetting && !keySetting) {
    problems.push({
      source: certSetting.source,
      message: "needs its key: set CORDYNA_TLS_KEY too",
    });
  } else if (keySetting && !certSetting) {
    problems.push({
      source: keySetting.source,
      message: "needs its certificate: set CORDYNA_TLS_CERT too",
    });
  } else if (clientCaSetting && !certSetting) {
    problems.push({
      source: clientCaSetting.source,
      message: "client certificates need TLS: set CORDYNA_TLS_CERT and CORDYNA_TLS_KEY too",
    });
  }
  const cert = file("CORDYNA_TLS_CERT");
  const key = file("CORDYNA_TLS_KEY");
  const clientCa = file("CORDYNA_TLS_CLIENT_CA");
  const tls: ServerTls | undefined =
    cert && key ? { cert, key, ...(clientCa ? { clientCa } : {}) } : undefined;

  const listenOn = host?.value ?? options.defaultHost ?? DEFAULT_HOST;
  const auth = authMode(given, problems, listenOn, options.authOffOnLoopback ?? false);

  const metricsAuth = given("CORDYNA_METRICS_AUTH");
  if (metricsAuth && metricsAuth.value !== "on" && metricsAuth.value !== "off") {
    problems.push({
      source: metricsAuth.source,
      message: `"${metricsAuth.value}" is not "on" or "off"`,
    });
  }
  const maxLabelValues = integer(
    "CORDYNA_METRICS_MAX_LABEL_VALUES",
    1,
    MAX_LABEL_VALUES,
    "a number of label values",
  );

  const email = emailOptions(given, file, problems);
  const consoleUrl = given("CORDYNA_CONSOLE_URL");
  if (consoleUrl && !/^https?:\/\/[^/\s]+/.test(consoleUrl.value)) {
    problems.push({
      source: consoleUrl.source,
      message: `"${consoleUrl.value}" is not an http:// or https:// URL`,
    });
  }

  const level = given("LOG_LEVEL");
  const logLevel = LOG_LEVELS.find(
    (known) => known === (level?.value.toLowerCase() ?? DEFAULT_LOG_LEVEL),
  );
  if (level && logLevel === undefined) {
    problems.push({
      source: level.source,
      message: `"${level.value}" is not a log level: use one of ${LOG_LEVELS.join(", ")}`,
    });
  }

  if (problems.length > 0 || logLevel === undefined) throw new CerebroConfigError(problems);
  return {
    port,
    ...(httpPort === undefined ? {} : { httpPort }),
    host: listenOn,
    auth,
    metrics: {
      open: metricsAuth?.value === "off",
      ...(maxLabelValues === undefined ? {} : { maxLabelValues }),
    },
    ...(consoleUrl === undefined && email === undefined
      ? {}
      : {
          notifications: {
            ...(consoleUrl === undefined ? {} : { consoleUrl: consoleUrl.value }),
            ...(email === undefined ? {} : { email }),
          },
        }),
    store: store?.value ?? "memory",
    ...(redisPrefix === undefined ? {} : { redisPrefix: redisPrefix.value }),
    logLevel,
    ...(serverLostGraceMs === undefined ? {} : { serverLostGraceMs }),
    ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
    ...(progressIntervalMs === undefined ? {} : { progressIntervalMs }),
    ...(recoveryWindowMs === undefined ? {} : { recoveryWindowMs }),
    ...(maxRunDataBytes === undefined ? {} : { maxRunDataBytes }),
    ...(maxLogBytesPerAttempt === undefined ? {} : { maxLogBytesPerAttempt }),
    ...(maxLogBytesPerSecond === undefined ? {} : { maxLogBytesPerSecond }),
    ...(maxChainLength === undefined ? {} : { maxChainLength }),
    ...(maxTasksPerDeclaration === undefined ? {} : { maxTasksPerDeclaration }),
    ...(maxCandidates === undefined ? {} : { maxCandidates }),
    ...(maxTasksPerCandidate === undefined ? {} : { maxTasksPerCandidate }),
    ...(runRetentionMs === undefined ? {} : { runRetentionMs }),
    ...(maxFinishedRuns === undefined ? {} : { maxFinishedRuns }),
    ...(maxEvents === undefined ? {} : { maxEvents }),
    ...(maxEventsPerRun === undefined ? {} : { maxEventsPerRun }),
    ...(serverRetentionMs === undefined ? {} : { serverRetentionMs }),
    ...(tls ? { tls } : {}),
  };
}

/** The email channel's settings: all of them, or none. */
function emailOptions(
  given: (name: CerebroEnvName) => { source: string; value: string } | undefined,
  file: (name: CerebroEnvName) => Buffer | undefined,
  problems: ConfigProblem[],
): EmailChannelOptions | undefined {
  const url = given("CORDYNA_SMTP_URL");
  const from = given("CORDYNA_NOTIFY_FROM");
  const caSetting = given("CORDYNA_SMTP_CA");
  const problemCount = problems.length;
  if (url) {
    try {
      parseSmtpUrl(url.value);
    } catch (err) {
      // Its message shows the URL with the password masked.
      problems.push({ source: url.source, message: (err as Error).message });
    }
    if (!from) {
      problems.push({
        source: url.source,
        message:
          'needs a From address: set CORDYNA_NOTIFY_FROM too, e.g. "Cordyna <cordyna@example.com>"',
      });
    }
  } else {
    for (const alone of [from, caSetting]) {
      if (alone) {
        problems.push({
          source: alone.source,
          message: "has no effect without an SMTP server: set CORDYNA_SMTP_URL too",
        });
      }
    }
  }
  if (from && mailboxAddress(from.value) === undefined) {
    problems.push({
      source: from.source,
      // JSON quoting shows a line break as \n, not as a second problem line.
      message: `${JSON.stringify(from.value)} is not one email address: write e.g. "cordyna@example.com" or "Cordyna <cordyna@example.com>"`,
    });
  }
  const ca = file("CORDYNA_SMTP_CA");
  if (!url || !from || problems.length > problemCount) return undefined;
  return { smtpUrl: url.value, from: from.value, ...(ca ? { ca } : {}) };
}

/** The shortest CORDYNA_ADMIN_TOKEN taken: anything shorter is guessable. */
const MIN_ADMIN_TOKEN_LENGTH = 32;

function authMode(
  given: (name: CerebroEnvName) => { source: string; value: string } | undefined,
  problems: ConfigProblem[],
  host: string,
  offOnLoopback: boolean,
): AuthMode {
  const setting = given("CORDYNA_AUTH");
  const insecureSetting = given("CORDYNA_INSECURE_NO_AUTH");
  const adminToken = given("CORDYNA_ADMIN_TOKEN");
  if (setting && setting.value !== "on" && setting.value !== "off") {
    problems.push({ source: setting.source, message: `"${setting.value}" is not "on" or "off"` });
  }
  if (insecureSetting && insecureSetting.value !== "true" && insecureSetting.value !== "false") {
    problems.push({
      source: insecureSetting.source,
      message: `"${insecureSetting.value}" is not "true" or "false"`,
    });
  }
  if (adminToken && adminToken.value.length < MIN_ADMIN_TOKEN_LENGTH) {
    problems.push({
      source: adminToken.source,
      message: `is ${adminToken.value.length} characters: use at least ${MIN_ADMIN_TOKEN_LENGTH} random ones (e.g. openssl rand -hex 32)`,
    });
  }
  const insecure = insecureSetting?.value === "true";
  const off =
    insecure ||
    setting?.value === "off" ||
    (setting === undefined && adminToken === undefined && offOnLoopback && isLoopback(host));
  if (!off) return { required: true, ...(adminToken ? { adminToken: adminToken.value } : {}) };
  if (setting?.value === "on") {
    problems.push({
      source: insecureSetting!.source,
      message: `contradicts ${setting.source}=on`,
    });
  } else if (adminToken) {
    problems.push({
      source: adminToken.source,
      message: "has no effect while authentication is off: drop it, or turn authentication on",
    });
  } else if (!insecure && !isLoopback(host)) {
    problems.push({
      source: setting?.source ?? "CORDYNA_AUTH",
      message: `authentication off on ${host}, which the network reaches, would let anyone there act as every team: listen on a loopback address, or set CORDYNA_INSECURE_NO_AUTH=true (--insecure-no-auth) to do it anyway`,
    });
  }
  return { required: false, ...(insecure ? { insecure } : {}) };
}

function parseDurationOrNaN(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    return Number.NaN;
  }
}
