import type { Interceptor } from "@connectrpc/connect";
import {
  AccessService,
  ControlService,
  compileRules,
  RECONNECT_BACKOFF,
  TaskServerService,
} from "@cordyna/contract";
import type { Logger } from "pino";
import { AccessControl, type AuthMode } from "./access/access-control.js";
import { type Clock, systemClock } from "./clock.js";
import { DEFAULT_MAX_LOG_BYTES_PER_ATTEMPT } from "./domain/logs.js";
import type { Deadlines } from "./domain/model.js";
import { DEFAULT_DEADLINES } from "./engine/policies.js";
import { RunEngine } from "./engine/run-engine.js";
import { DEFAULT_EVENT_LIMITS, EventLog } from "./event-log.js";
import { EventBus } from "./events.js";
import { CandidateOverlays } from "./graph/candidates.js";
import { TaskGraph } from "./graph/task-graph.js";
import { createLogger } from "./logger.js";
import { LogBook } from "./logs/log-book.js";
import { DEFAULT_LOG_BYTES_PER_SECOND } from "./logs/log-rate.js";
import { isLoopback } from "./loopback.js";
import { CerebroMetrics } from "./metrics/cerebro-metrics.js";
import { METRICS_PATH, metricsEndpoint } from "./metrics/metrics-endpoint.js";
import { OpenStreams } from "./metrics/open-streams.js";
import {
  DEFAULT_DELIVERY_SETTINGS,
  type DeliverySettings,
  DeliveryWorker,
} from "./notify/delivery-worker.js";
import { type EmailChannelOptions, emailChannel } from "./notify/email-channel.js";
import type { Channel, Route } from "./notify/notification.js";
import { NotificationPlanner } from "./notify/planner.js";
import { SlackChannel } from "./notify/slack-channel.js";
import { WebhookChannel } from "./notify/webhook-channel.js";
import {
  DEFAULT_RUN_RETENTION,
  DEFAULT_SERVER_RETENTION_MS,
  missingRunMessage,
  RetentionSweeper,
  type RunRetention,
} from "./retention.js";
import { accessService } from "./rpc/access-service.js";
import { authenticateCalls } from "./rpc/authentication.js";
import { requireTaskServerCertificate } from "./rpc/client-certificates.js";
import { controlApi } from "./rpc/control-api.js";
import { controlService } from "./rpc/control-service.js";
import { DeclarationQueue } from "./rpc/declaration-queue.js";
import { cerebroRoutes } from "./rpc/routes.js";
import {
  DEFAULT_LIMITS,
  type ListeningServer,
  type ServerLimits,
  type ServerTls,
  serve as serveRpc,
} from "./rpc/server.js";
import { SessionRegistry } from "./rpc/sessions.js";
import { taskServerService } from "./rpc/task-server-service.js";
import { validateRequests } from "./rpc/validation.js";
import { warmUpDeclarations } from "./rpc/warm-up.js";
import { connectLateWatch, connectScheduler } from "./scheduling.js";
import type { Pause } from "./slices.js";
import { checkStorePersistence, openStore } from "./store/open-store.js";
import type { Store } from "./store/store.js";

/** How to start cerebro; every field has a default. */
export interface CerebroOptions {
  /** Port to listen on; 0 picks a free one. Default 7070. */
  readonly port?: number;
  /** Default "127.0.0.1": only this machine; "0.0.0.0" for every interface. */
  readonly host?: string;
  /**
   * Whether calls need credentials. Default: no, which cerebro accepts only
   * on a loopback address, unless `insecure` says to accept it anywhere.
   */
  readonly auth?: AuthMode;
  /**
   * A Store, or a store spec for openStore: "memory" or a Redis URL
   * (redis://, rediss://, redis-sentinel://). Default: a new in-memory store.
   */
  readonly store?: Store | string;
  /** Key prefix when `store` is a Redis URL (default "cordyna:"), so several cerebros can share one Redis. */
  readonly redisPrefix?: string;
  /** Default: the system clock. Tests pass a ManualClock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Default deadlines for tasks that declare none (default 10 s, 10 min, 30 min). */
  readonly deadlines?: Partial<Deadlines>;
  /** How long a disconnected instance keeps its attempts. Default 5 s. */
  readonly serverLostGraceMs?: number;
  /**
   * After a restart on a store that held running attempts: how long their
   * task-servers have to reconnect before those attempts end in SERVER_LOST,
   * and before which no deadline fires. Default: the grace period plus the
   * longest reconnect delay of the protocol (2 s).
   */
  readonly recoveryWindowMs?: number;
  /** How often task-servers send heartbeats. Default 5 s. */
  readonly heartbeatIntervalMs?: number;
  /**
   * The least time between two heartbeats or progress reports of one
   * attempt that are stored and published; those in between are merged,
   * the latest value winning. Default 1 s.
   */
  readonly progressIntervalMs?: number;
  /**
   * Port of the HTTP/JSON gateway to the control API (curl); 0 picks a free
   * one. Default: no gateway.
   */
  readonly httpPort?: number;
  /** A task-server silent for this long is taken as dead. Default 3 heartbeat intervals. */
  readonly livenessTimeoutMs?: number;
  /** The most bytes of a run's params, and of a task-run's outputs. Default 256 KiB. */
  readonly maxRunDataBytes?: number;
  /** The most bytes of log kept per attempt, the newest; older lines are dropped. Default 1 MiB. */
  readonly maxLogBytesPerAttempt?: number;
  /** The most bytes of log lines one task-server stream may send a second. Default 1 MiB. */
  readonly maxLogBytesPerSecond?: number;
  /** The most tasks one chain of dependencies may hold, across servers. Default 10,000. */
  readonly maxChainLength?: number;
  /** The most tasks one task-server may declare (in a Hello or a Redeclare). Default 10,000. */
  readonly maxTasksPerDeclaration?: number;
  /** The most change ids with candidate servers connected at once. Default 32. */
  readonly maxCandidates?: number;
  /** The most tasks one candidate server may declare. Default 1,000. */
  readonly maxTasksPerCandidate?: number;
  /**
   * Where each declaration pauses for other calls. Default: after every 10 ms
   * of work. Tests pass their own, to hold a declaration in the middle.
   */
  readonly declarationSlices?: () => Pause;
  /** Serve TLS (and verify client certificates against `clientCa`) on both ports. */
  readonly tls?: ServerTls;
  /** Sizes, counts and waits every connection and call is held to (see ServerLimits). */
  readonly limits?: Partial<ServerLimits>;
  /** Run before every handler with the call's headers and peer (authentication goes here). */
  readonly interceptors?: readonly Interceptor[];
  /** A run that finished longer ago is removed from the store. Default 30 days. */
  readonly runRetentionMs?: number;
  /** Only this many finished runs are kept, the most recently finished. Default 100,000. */
  readonly maxFinishedRuns?: number;
  /** A server name with no instance connected for this long leaves ListServers. Default 24 h. */
  readonly serverRetentionMs?: number;
  /** The most events kept in all; the oldest go first. Default 200,000. */
  readonly maxEvents?: number;
  /** The most events kept of one run; its oldest go first. Default 20,000. */
  readonly maxEventsPerRun?: number;
  /** Prometheus metrics at GET /metrics on the HTTP port. */
  readonly metrics?: MetricsOptions;
  /** How teams are told of failures (docs/notifications.md). */
  readonly notifications?: NotificationOptions;
}

/** How cerebro tells teams; every field has a default. */
export interface NotificationOptions {
  /** Base URL of the run pages: notifications link to `<base>/runs/<run id>`. Default: no link. */
  readonly consoleUrl?: string;
  /** Retries, rate, concurrency (DEFAULT_DELIVERY_SETTINGS). */
  readonly delivery?: Partial<DeliverySettings>;
  /** The most deliveries the outbox holds; more are dropped, logged and counted. Default 10,000. */
  readonly maxPending?: number;
  /** How long one webhook or Slack POST may take. Default 10 s. */
  readonly sendTimeoutMs?: number;
  /** The SMTP server that sends `email:` routes' notifications; without one, they are dropped and logged. */
  readonly email?: EmailChannelOptions;
}

/** The most deliveries the outbox holds unless told otherwise. */
export const DEFAULT_MAX_PENDING_NOTIFICATIONS = 10_000;

/** How cerebro serves its metrics. */
export interface MetricsOptions {
  /** Serve them without a credential (to anyone who reaches the HTTP port). Default: only to readers, while authentication is on. */
  readonly open?: boolean;
  /** How many values each of the labels team and server takes before the rest count as "other". Default 100. */
  readonly maxLabelValues?: number;
}

/** A running cerebro. */
export interface Cerebro {
  /** "host:port" to give task-servers and the CLI. */
  readonly address: string;
  readonly port: number;
  /** "host:port" of the HTTP/JSON gateway, when it was asked for. */
  readonly httpAddress?: string;
  readonly engine: RunEngine;
  readonly graph: TaskGraph;
  readonly events: EventBus;
  /** The stored events that watches replay and follow. */
  readonly eventLog: EventLog;
  /** Stops serving, ends every stream and closes the store. */
  stop(): Promise<void>;
}

/** Starts cerebro: restores what the store holds, then serves gRPC. */
export async function startCerebro(options: CerebroOptions = {}): Promise<Cerebro> {
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? systemClock;
  const retention = runRetention(options);
  const store =
    typeof options.store === "object"
      ? options.store
      : await openStore(options.store, logger, {
          ...(options.redisPrefix === undefined ? {} : { redisPrefix: options.redisPrefix }),
          finishedRunTtlMs: retention.maxAgeMs,
        });
  // A store opened from a spec is ours to close; a Store passed in stays the caller's.
  const ownsStore = typeof options.store !== "object";
  try {
    const metrics = new CerebroMetrics({
      logger,
      ...(options.metrics?.maxLabelValues === undefined
        ? {}
        : { maxLabelValues: options.metrics.maxLabelValues }),
    });
    const timed = metrics.timeStore(store);
    return await serve(options, timed, logger, clock, retention, ownsStore, metrics);
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}

async function serve(
  options: CerebroOptions,
  store: Store,
  logger: Logger,
  clock: Clock,
  retention: RunRetention,
  ownsStore: boolean,
  metrics: CerebroMetrics,
): Promise<Cerebro> {
  const host = options.host ?? "127.0.0.1";
  const authMode = options.auth ?? { required: false };
  if (!authMode.required && !authMode.insecure && !isLoopback(host)) {
    throw new Error(
      `cerebro will not listen on ${host} without authentication: anyone who reaches it would act as every team. ` +
        "Turn authentication on (CORDYNA_AUTH=on with CORDYNA_ADMIN_TOKEN), listen on a loopback address, or pass --insecure-no-auth",
    );
  }
  await checkStorePersistence(store);
  const access = await AccessControl.open({ mode: authMode, store: store.access, clock, logger });
  if (!authMode.required && authMode.insecure) {
    logger.warn(
      { host },
      `INSECURE: authentication is off (--insecure-no-auth) and cerebro listens on ${host}: anyone who reaches it acts as an admin of every team`,
    );
  } else if (!authMode.required) {
    logger.info({ host }, "authentication is off: every caller on this machine is an admin");
  } else if (!access.hasAdmin) {
    logger.warn(
      "authentication is on but no admin can sign in: set CORDYNA_ADMIN_TOKEN to create the first credentials",
    );
  }
  if (authMode.required && options.metrics?.open) {
    logger.warn(
      "metrics are open (CORDYNA_METRICS_AUTH=off): GET /metrics answers anyone who reaches the HTTP port",
    );
  }
  const serverLostGraceMs = options.serverLostGraceMs ?? 5_000;
  const graph = new TaskGraph(
    options.maxChainLength === undefined ? {} : { maxChainLength: options.maxChainLength },
  );
  const candidates = new CandidateOverlays(graph, {
    ...(options.maxCandidates === undefined ? {} : { maxCandidates: options.maxCandidates }),
    ...(options.maxTasksPerCandidate === undefined
      ? {}
      : { maxTasksPerCandidate: options.maxTasksPerCandidate }),
  });
  const events = new EventBus();
  // Opened before the engine restores runs, so that their events continue their seqs.
  const eventLog = await EventLog.open({
    bus: events,
    store: store.events,
    logger,
    limits: {
      maxEvents: options.maxEvents ?? DEFAULT_EVENT_LIMITS.maxEvents,
      maxEventsPerRun: options.maxEventsPerRun ?? DEFAULT_EVENT_LIMITS.maxEventsPerRun,
    },
  });
  const sessions = new SessionRegistry({ clock, holdMs: serverLostGraceMs });
  const engine = new RunEngine({
    graph,
    candidates,
    store,
    instances: sessions,
    clock,
    events,
    logger,
    defaultDeadlines: { ...DEFAULT_DEADLINES, ...options.deadlines },
    serverLostGraceMs,
    recoveryWindowMs: options.recoveryWindowMs ?? serverLostGraceMs + RECONNECT_BACKOFF.maxMs,
    ...(options.maxRunDataBytes === undefined ? {} : { maxRunDataBytes: options.maxRunDataBytes }),
    describeMissingRun: (runId) => missingRunMessage(runId, retention),
    observer: metrics.engineObserver,
    ...(options.progressIntervalMs === undefined
      ? {}
      : { progressIntervalMs: options.progressIntervalMs }),
  });
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5_000;
  for (const [serverName, tasks] of await store.loadDeclarations())
    graph.declare(serverName, tasks);
  const restored = await engine.restore();
  const scheduler = connectScheduler({
    clock,
    logger,
    engine,
    graph,
    events,
    store,
    cronRunStarted: (lateMs) => metrics.cronRunStarted(lateMs),
  });
  const streams = new OpenStreams();
  metrics.observe({ engine, sessions, graph, events, streams });
  const sweeper = new RetentionSweeper({ store, clock, logger, retention });
  const delivery = { ...DEFAULT_DELIVERY_SETTINGS, ...options.notifications?.delivery };
  const sendTimeout =
    options.notifications?.sendTimeoutMs === undefined
      ? {}
      : { timeoutMs: options.notifications.sendTimeoutMs };
  const channels = new Map<Route["kind"], Channel>([
    [
      "webhook",
      new WebhookChannel({
        clock,
        ...sendTimeout,
        secretOf: async (team, url) =>
          (await store.notifications.getRoutes(team)).find(
            (r) => r.route.kind === "webhook" && r.route.url === url,
          )?.secret,
      }),
    ],
    ["slack", new SlackChannel(sendTimeout)],
  ]);
  if (options.notifications?.email)
    channels.set("email", emailChannel(options.notifications.email));
  const worker = new DeliveryWorker({
    store: store.notifications,
    channels,
    clock,
    logger,
    settings: delivery,
    counted: (outcome, count) => metrics.notifications(outcome, count),
  });
  const planner = new NotificationPlanner({
    finishedRuns: (listener) => engine.onFinishedRunStored(listener),
    store,
    clock,
    logger,
    ...(options.notifications?.consoleUrl ? { consoleUrl: options.notifications.consoleUrl } : {}),
    maxPending: options.notifications?.maxPending ?? DEFAULT_MAX_PENDING_NOTIFICATIONS,
    rememberDeliveredMs: delivery.giveUpAfterMs,
    enqueued: () => worker.wake(),
    refused: (count) => metrics.notifications("refused", count),
  });
  const lateWatch = connectLateWatch({
    clock,
    logger,
    store,
    graph,
    events,
    planner,
    ...(options.notifications?.consoleUrl ? { consoleUrl: options.notifications.consoleUrl } : {}),
  });
  // Deliveries a cerebro before this one left in the outbox.
  worker.wake();
  let server: ListeningServer | undefined;
  const stopServing = async (): Promise<void> => {
    sweeper.stop();
    scheduler.stop();
    lateWatch.stop();
    engine.close();
    await server?.stop();
    await planner.stop();
    await worker.stop();
  };
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
  const addresses = { grpc: "", http: "" };
  const logs = new LogBook({
    store,
    engine,
    events,
    maxBytesPerAttempt: options.maxLogBytesPerAttempt ?? DEFAULT_MAX_LOG_BYTES_PER_ATTEMPT,
  });
  const api = controlApi({
    logs,
    graph,
    candidates,
    engine,
    store,
    sessions,
    events,
    eventLog,
    access,
    clock,
    serverRetentionMs: options.serverRetentionMs ?? DEFAULT_SERVER_RETENTION_MS,
    addresses: () => addresses,
    nextFireTime: (taskId) => scheduler.nextFireTime(taskId),
  });
  const streamBufferBytes =
    options.limits?.maxStreamBufferBytes ?? DEFAULT_LIMITS.maxStreamBufferBytes;
  const { routes, health } = cerebroRoutes({
    taskServer: taskServerService({
      graph,
      candidates,
      declarations: new DeclarationQueue({
        graph,
        store,
        candidates,
        ...(options.maxTasksPerDeclaration === undefined
          ? {}
          : { maxTasksPerDeclaration: options.maxTasksPerDeclaration }),
        ...(options.declarationSlices === undefined ? {} : { slices: options.declarationSlices }),
      }),
      engine,
      sessions,
      events,
      clock,
      logger,
      access,
      heartbeatIntervalMs,
      livenessTimeoutMs: options.livenessTimeoutMs ?? 3 * heartbeatIntervalMs,
      streamBufferBytes,
      logs,
      maxLogBytesPerSecond: options.maxLogBytesPerSecond ?? DEFAULT_LOG_BYTES_PER_SECOND,
      streams,
    }),
    control: controlService(api, access, logger, streamBufferBytes, streams),
    access: accessService(access, logger),
  });
  compileRules([TaskServerService, ControlService, AccessService]);
  warmUpDeclarations();
  try {
    await scheduler.start();
    await lateWatch.start();
    sweeper.start();
    server = await serveRpc({
      routes,
      host,
      port: options.port ?? 7070,
      ...(options.httpPort === undefined ? {} : { httpPort: options.httpPort }),
      httpPaths: {
        [METRICS_PATH]: metricsEndpoint({
          metrics,
          access,
          open: options.metrics?.open ?? false,
          logger,
        }),
      },
      logger,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      interceptors: [
        ...(options.tls?.clientCa ? [requireTaskServerCertificate(logger)] : []),
        authenticateCalls(access),
        ...(options.interceptors ?? []),
        // Last: a caller is authenticated before what it sent is judged.
        validateRequests(),
      ],
    });
  } catch (err) {
    // What did start (the scheduler's timers, a listener) would keep the process alive.
    await stopServing();
    throw err;
  }
  addresses.grpc = `${shownHost}:${server.port}`;
  if (server.httpPort !== undefined) addresses.http = `${shownHost}:${server.httpPort}`;
  const address = addresses.grpc;
  logger.info(
    { address, http: addresses.http || undefined, restoredRuns: restored },
    "cerebro listening",
  );
  return {
    address,
    port: server.port,
    ...(server.httpPort === undefined ? {} : { httpAddress: addresses.http }),
    engine,
    graph,
    events,
    eventLog,
    async stop() {
      health.stopServing();
      await stopServing();
      await access.flush();
      await eventLog.close();
      if (ownsStore) await store.close();
    },
  };
}

function runRetention(options: CerebroOptions): RunRetention {
  return {
    maxAgeMs: options.runRetentionMs ?? DEFAULT_RUN_RETENTION.maxAgeMs,
    maxFinishedRuns: options.maxFinishedRuns ?? DEFAULT_RUN_RETENTION.maxFinishedRuns,
  };
}
