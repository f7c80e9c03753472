import type { Logger } from "pino";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { ErrorCause, isFinalTaskState, type TaskRunRecord } from "../domain/model.js";
import type { EngineObserver } from "../engine/engine-observer.js";
import type { RunEngine } from "../engine/run-engine.js";
import type { CerebroEvent, EventBus } from "../events.js";
import type { TaskGraph } from "../graph/task-graph.js";
import type { SessionRegistry } from "../rpc/sessions.js";
import type { Store } from "../store/store.js";
import { LabelCap } from "./label-cap.js";
import type { OpenStreams } from "./open-streams.js";
import { timedStore } from "./timed-store.js";

/** How many values each of the labels team and server takes at most before "other". Default 100. */
export const DEFAULT_MAX_LABEL_VALUES = 100;

/** The label value of a cause, or of a team, where there is none. */
const NONE = "none";

/** Which deadline a timeout cause says expired. */
const DEADLINE_KINDS: Partial<Record<ErrorCause, string>> = {
  [ErrorCause.ACK_TIMEOUT]: "ack",
  [ErrorCause.START_TIMEOUT]: "start",
  [ErrorCause.COMPLETE_TIMEOUT]: "complete",
  [ErrorCause.HEARTBEAT_TIMEOUT]: "heartbeat",
  // The grace period after the attempt's server went away.
  [ErrorCause.SERVER_LOST]: "grace",
};

/** The parts of cerebro whose state the gauges read at each scrape. */
export interface ObservedParts {
  readonly engine: RunEngine;
  readonly sessions: SessionRegistry;
  readonly graph: TaskGraph;
  readonly events: EventBus;
  readonly streams: OpenStreams;
}

/**
 * Cerebro's Prometheus metrics (prom-client). Counters and histograms are
 * updated as things happen, from cerebro's events and a few hooks; gauges
 * are read from the engine, the sessions and the open streams when scraped,
 * so they cost nothing between scrapes. Every label value that comes from
 * the network (team, server) passes a LabelCap.
 */
export class CerebroMetrics {
  readonly #registry = new Registry();
  readonly #teams: LabelCap;
  readonly #servers: LabelCap;
  /** The team each server's tasks belong to, until the graph changes. */
  readonly #serverTeams = new Map<string, string>();
  #parts: ObservedParts | undefined;
  #rendering: Promise<string> | undefined;

  readonly #runsFinished = this.#counter(
    "cordyna_runs_finished_total",
    "Runs finished, by final state",
    ["state"],
  );
  readonly #taskRunsFinished = this.#counter(
    "cordyna_task_runs_finished_total",
    "Task-runs finished, by owning team, final state and error cause",
    ["team", "state", "cause"],
  );
  readonly #attemptsFailed = this.#counter(
    "cordyna_attempts_failed_total",
    "Attempts that ended in ERROR, by owning team, cause, and whether another attempt followed",
    ["team", "cause", "retried"],
  );
  readonly #deadlineExpiries = this.#counter(
    "cordyna_deadline_expiries_total",
    "Attempts failed by an expired deadline, by kind (ack, start, complete, heartbeat, grace)",
    ["kind"],
  );
  readonly #invokeToAck = this.#histogram(
    "cordyna_invoke_to_ack_seconds",
    "From an invoke to the attempt's first QUEUED or STARTED, by server",
    ["server"],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly #upstreamToInvoke = this.#histogram(
    "cordyna_upstream_complete_to_invoke_seconds",
    "From a task-run's last upstream finishing (or its run's creation) to its first invoke, by owning team",
    ["team"],
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800],
  );
  readonly #storeOperations = this.#histogram(
    "cordyna_store_operation_seconds",
    "How long store operations took, by operation",
    ["operation"],
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  );
  readonly #storeFailures = this.#counter(
    "cordyna_store_operation_failures_total",
    "Store operations that failed, by operation",
    ["operation"],
  );
  readonly #scheduleLag = this.#histogram(
    "cordyna_schedule_lag_seconds",
    "How long after its cron tick a scheduled run was started",
    [],
    [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 60, 300, 3600],
  );

  readonly #notifications = this.#counter(
    "cordyna_notifications_total",
    "Notification deliveries by outcome: delivered, retried (a send failed), dropped (undeliverable or too old), refused (the outbox was full)",
    ["outcome"],
  );

  constructor(options: { readonly maxLabelValues?: number; readonly logger: Logger }) {
    const limit = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
    const full = (label: string) => () =>
      options.logger.warn(
        { label, limit },
        `metrics: more than ${limit} values of label ${label}; the rest are counted as "other"`,
      );
    this.#teams = new LabelCap(limit, full("team"));
    this.#servers = new LabelCap(limit, full("server"));
    this.#gauges();
  }

  /** What the engine reports to metrics besides its events. */
  readonly engineObserver: EngineObserver = {
    invoked: (taskRun, waitedMs) =>
      this.#upstreamToInvoke.observe({ team: this.#team(taskRun) }, waitedMs / 1_000),
    acknowledged: (taskRun, elapsedMs) =>
      this.#invokeToAck.observe(
        { server: this.#servers.value(taskRun.serverName) },
        elapsedMs / 1_000,
      ),
    attemptFailed: (taskRun, cause, retried) => {
      this.#attemptsFailed.inc({ team: this.#team(taskRun), cause, retried: String(retried) });
      const kind = DEADLINE_KINDS[cause];
      if (kind) this.#deadlineExpiries.inc({ kind });
    },
  };

  /** The store, with each operation's time recorded. */
  timeStore(store: Store): Store {
    return timedStore(store, (operation, seconds, failed) => {
      this.#storeOperations.observe({ operation }, seconds);
      if (failed) this.#storeFailures.inc({ operation });
    });
  }

  /** A cron tick's run was started `lateMs` after the tick. */
  /** Counts deliveries of notifications by what became of them. */
  notifications(outcome: "delivered" | "retried" | "dropped" | "refused", count: number): void {
    this.#notifications.inc({ outcome }, count);
  }

  cronRunStarted(lateMs: number): void {
    this.#scheduleLag.observe(Math.max(0, lateMs) / 1_000);
  }

  /** Counts what cerebro's events report and reads the gauges from these parts. */
  observe(parts: ObservedParts): void {
    this.#parts = parts;
    parts.events.subscribe((event) => this.#count(event));
  }

  /** The content type of what render() returns (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /**
   * The exposition text: cerebro's metrics, then the process's. Scrapes that arrive while one renders share its
   * text, so that many scrapers at once cost one rendering.
   */
  render(): Promise<string> {
    this.#rendering ??= Promise.all([this.#registry.metrics(), processMetrics().metrics()])
      .then((texts) => texts.join("\n"))
      .finally(() => {
        this.#rendering = undefined;
      });
    return this.#rendering;
  }

  #count(event: CerebroEvent): void {
    if (event.kind === "run-finished" && event.runState) {
      this.#runsFinished.inc({ state: event.runState });
    } else if (event.kind === "task-run-changed" && event.state && isFinalTaskState(event.state)) {
      const team = event.taskId ? this.#parts?.graph.get(event.taskId)?.definition.owner.team : "";
      this.#taskRunsFinished.inc({
        team: this.#teams.value(team || NONE),
        state: event.state,
        cause: event.errorCause ?? NONE,
      });
    } else if (event.kind === "graph-changed") {
      this.#serverTeams.clear();
    }
  }

  #team(taskRun: Readonly<TaskRunRecord>): string {
    return this.#teams.value(taskRun.owner.team || NONE);
  }

  /** The team that owns a server's tasks (a server credential declares its own team's only). */
  #teamOfServer(serverName: string): string {
    let team = this.#serverTeams.get(serverName);
    if (team === undefined) {
      const graph = this.#parts?.graph;
      const [task] = graph?.tasksOf(serverName) ?? [];
      team = (task && graph?.get(task)?.definition.owner.team) || NONE;
      this.#serverTeams.set(serverName, team);
    }
    return this.#teams.value(team);
  }

  #counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.#registry] });
  }

  #histogram(
    name: string,
    help: string,
    labelNames: string[],
    buckets: number[],
  ): Histogram<string> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.#registry] });
  }

  /** The gauges, each read from cerebro's parts when scraped. */
  #gauges(): void {
    const registers = [this.#registry];
    const parts = (): ObservedParts | undefined => this.#parts;
    new Gauge({
      name: "cordyna_runs_active",
      help: "Runs being driven now",
      registers,
      collect() {
        this.set(parts()?.engine.activeRunCount ?? 0);
      },
    });
    const metrics = this;
    new Gauge({
      name: "cordyna_task_runs_active",
      help: "Task-runs of active runs that have not finished, by owning team and state",
      labelNames: ["team", "state"],
      registers,
      collect() {
        this.reset();
        for (const taskRun of parts()?.engine.activeTaskRuns() ?? []) {
          if (!isFinalTaskState(taskRun.state)) {
            this.inc({ team: metrics.#team(taskRun), state: taskRun.state });
          }
        }
      },
    });
    new Gauge({
      name: "cordyna_connected_instances",
      help: "Task-server instances connected now, by team and server",
      labelNames: ["team", "server"],
      registers,
      collect() {
        this.reset();
        for (const session of parts()?.sessions.all() ?? []) {
          const server = metrics.#servers.value(session.serverName);
          this.inc({ team: metrics.#teamOfServer(session.serverName), server });
        }
      },
    });
    new Gauge({
      name: "cordyna_connected_servers",
      help: "Server names with at least one connected instance, by team",
      labelNames: ["team"],
      registers,
      collect() {
        this.reset();
        const names = new Set(
          parts()
            ?.sessions.all()
            .map((session) => session.serverName),
        );
        for (const name of names) this.inc({ team: metrics.#teamOfServer(name) });
      },
    });
    const streams = (read: (summary: ReturnType<OpenStreams["summaries"]>[number]) => number) =>
      function collect(this: Gauge<string>) {
        for (const summary of parts()?.streams.summaries() ?? []) {
          this.set({ kind: summary.kind }, read(summary));
        }
      };
    new Gauge({
      name: "cordyna_open_streams",
      help: "Server streams open now, by kind (task-server, watch-events, follow-logs)",
      labelNames: ["kind"],
      registers,
      collect: streams((summary) => summary.open),
    });
    new Gauge({
      name: "cordyna_stream_buffered_bytes",
      help: "Bytes queued for readers on open streams, by kind",
      labelNames: ["kind"],
      registers,
      collect: streams((summary) => summary.bufferedBytes),
    });
    new Gauge({
      name: "cordyna_stream_largest_buffered_bytes",
      help: "The most bytes queued on any one open stream, by kind",
      labelNames: ["kind"],
      registers,
      collect: streams((summary) => summary.largestBufferedBytes),
    });
  }
}

let processRegistry: Registry | undefined;

/**
 * The process's standard metrics (CPU, memory, event loop, GC), collected
 * once per process however many cerebros it runs, as tests do.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
