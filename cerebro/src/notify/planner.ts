import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { type RunSnapshot, type TaskRunRecord, TaskState } from "../domain/model.js";
import type { LogStore } from "../store/log-store.js";
import type { Delivery, NotificationStore } from "../store/notification-store.js";
import type { Notification, Route } from "./notification.js";
import { formatRoute, isEmailAddress } from "./routes.js";

/** How many of a failed attempt's last log lines a notification quotes. */
export const LOG_TAIL_LINES = 20;
/** The most characters of a log line quoted. */
const MAX_QUOTED_LINE = 300;

/** What the planner needs; the outbox's bounds come from the worker's settings. */
export interface PlannerOptions {
  /** Subscribes to the ids of finished runs, each told once the store holds it finished; returns the unsubscribe. */
  readonly finishedRuns: (listener: (runId: string) => void) => () => void;
  readonly store: {
    getRun(runId: string): Promise<RunSnapshot | undefined>;
    readonly logs: LogStore;
    readonly notifications: NotificationStore;
  };
  readonly clock: Clock;
  readonly logger: Logger;
  /** Base URL of the run pages: a notification links to `<base>/runs/<run id>`. None: no link. */
  readonly consoleUrl?: string;
  readonly maxPending: number;
  /** Delivered ids are remembered this long, so that a replayed event does not notify twice. */
  readonly rememberDeliveredMs: number;
  /** Called once deliveries are in the outbox. */
  readonly enqueued: () => void;
  /** Called with how many deliveries the full outbox refused. */
  readonly refused?: (count: number) => void;
}

/**
 * Turns finished runs into notifications: "failed" to the team of each
 * task-run that ended ERROR, "blocked" to each other team whose task-runs it
 * blocked, "recovered" to the team of a task that completed after its last
 * task-run had failed. The event listener only queues the run; the work is
 * done one run at a time, off the engine's path.
 */
export class NotificationPlanner {
  readonly #options: PlannerOptions;
  readonly #queue: string[] = [];
  #working: Promise<void> | undefined;
  readonly #unsubscribe: () => void;

  constructor(options: PlannerOptions) {
    this.#options = options;
    this.#unsubscribe = options.finishedRuns((runId) => {
      this.#queue.push(runId);
      this.#working ??= this.#work();
    });
  }

  /** Stops listening, and resolves once the runs already queued are planned. */
  async stop(): Promise<void> {
    this.#unsubscribe();
    await this.#working;
  }

  async #work(): Promise<void> {
    for (let runId = this.#queue.shift(); runId !== undefined; runId = this.#queue.shift()) {
      try {
        await this.#plan(runId);
      } catch (err) {
        this.#options.logger.error(
          { err, runId },
          "notifications of a finished run could not be planned",
        );
      }
    }
    this.#working = undefined;
  }

  async #plan(runId: string): Promise<void> {
    const snapshot = await this.#options.store.getRun(runId);
    // Gone already (retention removed it), or a test: its caller sees its
    // outcome, and a test's failure or success says nothing of production.
    if (!snapshot || snapshot.run.mode === "test") return;
    const notifications = [
      ...(await this.#failed(snapshot)),
      ...this.#blocked(snapshot),
      ...(await this.#recovered(snapshot)),
    ];
    await this.enqueue(notifications);
  }

  async #failed({ run, taskRuns }: RunSnapshot): Promise<Planned[]> {
    const failed = taskRuns.filter((t) => t.state === TaskState.ERROR);
    await this.#options.store.notifications.markFailed(
      new Map(failed.map((t) => [t.taskId, run.id])),
    );
    const planned: Planned[] = [];
    for (const taskRun of failed) {
      const cause = `${taskRun.errorCause ?? "ERROR"}${taskRun.errorDescription ? `: ${taskRun.errorDescription}` : ""}`;
      const attempts = taskRun.attempts.map(
        (a) =>
          `#${a.number} ${a.state}${a.errorCause ? ` ${a.errorCause}` : ""}${a.errorDescription ? `: ${a.errorDescription}` : ""}`,
      );
      const tail = await this.#logTail(run.id, taskRun);
      const link = this.#link(run.id);
      const text = [
        `${taskRun.taskId} (team ${taskRun.owner.team}) failed in run ${run.id} after ${taskRun.attempts.length} attempt(s).`,
        `Cause: ${cause}`,
        "Attempts:",
        ...attempts.map((a) => `  ${a}`),
        ...(tail.length > 0
          ? [
              `Last ${tail.length} log line(s) of attempt #${taskRun.attempts.at(-1)?.number}:`,
              ...tail.map((l) => `  ${l}`),
            ]
          : ["No log lines."]),
        ...(link ? [`Run: ${link}`] : []),
      ].join("\n");
      planned.push({
        contact: taskRun.owner.contact,
        notification: {
          id: notificationId("failed", run.id, taskRun.taskId, taskRun.owner.team),
          rule: "failed",
          team: taskRun.owner.team,
          runId: run.id,
          taskId: taskRun.taskId,
          createdAt: this.#options.clock.now(),
          title: `${taskRun.taskId} failed in run ${run.id}: ${cause}`.slice(0, 300),
          text,
          fields: {
            cause: taskRun.errorCause ?? "",
            description: taskRun.errorDescription ?? "",
            attempts: String(taskRun.attempts.length),
            attemptHistory: attempts.join("\n"),
            logTail: tail.join("\n"),
            server: taskRun.serverName,
          },
          ...(link ? { link } : {}),
        },
      });
    }
    return planned;
  }

  /** One notification per team and run: each of its blocked task-runs with the failed task that blocked it. */
  #blocked({ run, taskRuns }: RunSnapshot): Planned[] {
    const byTask = new Map(taskRuns.map((t) => [t.taskId, t]));
    const byTeam = new Map<string, { taskRun: TaskRunRecord; root: TaskRunRecord }[]>();
    for (const taskRun of taskRuns) {
      if (taskRun.state !== TaskState.BLOCKED) continue;
      const root = failedRoot(taskRun, byTask);
      // A team whose own failure blocked its task hears of the failure already.
      if (!root || root.owner.team === taskRun.owner.team) continue;
      const list = byTeam.get(taskRun.owner.team) ?? [];
      list.push({ taskRun, root });
      byTeam.set(taskRun.owner.team, list);
    }
    const link = this.#link(run.id);
    return [...byTeam].map(([team, blocked]) => {
      blocked.sort((a, b) => (a.taskRun.taskId < b.taskRun.taskId ? -1 : 1));
      const [first] = blocked;
      const { taskRun, root } = first!;
      const lines = blocked.map(
        (b) =>
          `  ${b.taskRun.taskId}: blocked by team ${b.root.owner.team}'s task ${b.root.taskId}${b.root.owner.contact ? ` (contact: ${b.root.owner.contact})` : ""}`,
      );
      return {
        contact: taskRun.owner.contact,
        notification: {
          id: notificationId("blocked", run.id, root.taskId, team),
          rule: "blocked",
          team,
          runId: run.id,
          taskId: taskRun.taskId,
          createdAt: this.#options.clock.now(),
          causedBy: {
            taskId: root.taskId,
            team: root.owner.team,
            ...(root.owner.contact ? { contact: root.owner.contact } : {}),
          },
          title: `${taskRun.taskId} is blocked by team ${root.owner.team}'s task ${root.taskId} in run ${run.id}`,
          text: [
            `In run ${run.id}, ${blocked.length} task(s) of team ${team} did not run because another team's task failed:`,
            ...lines,
            `Nothing to fix on your side; ask the upstream team, or start the run again once it is fixed.`,
            ...(link ? [`Run: ${link}`] : []),
          ].join("\n"),
          fields: {
            blockedTasks: blocked.map((b) => b.taskRun.taskId).join(","),
            upstreamTask: root.taskId,
            upstreamTeam: root.owner.team,
            upstreamContact: root.owner.contact,
            upstreamCause: root.errorCause ?? "",
          },
          ...(link ? { link } : {}),
        },
      };
    });
  }

  async #recovered({ run, taskRuns }: RunSnapshot): Promise<Planned[]> {
    // Reused completions are not runs of the task; only a task-run that ran and COMPLETED recovers it.
    const completed = taskRuns.filter((t) => t.state === TaskState.COMPLETED);
    const failedBefore = await this.#options.store.notifications.clearFailed(
      completed.map((t) => t.taskId),
    );
    const link = this.#link(run.id);
    return completed.flatMap((taskRun) => {
      const failedRun = failedBefore.get(taskRun.taskId);
      if (failedRun === undefined || failedRun === run.id) return [];
      return [
        {
          contact: taskRun.owner.contact,
          notification: {
            id: notificationId("recovered", run.id, taskRun.taskId, taskRun.owner.team),
            rule: "recovered" as const,
            team: taskRun.owner.team,
            runId: run.id,
            taskId: taskRun.taskId,
            createdAt: this.#options.clock.now(),
            title: `${taskRun.taskId} recovered: it completed in run ${run.id}`,
            text: `${taskRun.taskId} completed in run ${run.id}; its last run before, ${failedRun}, had failed.${link ? `\nRun: ${link}` : ""}`,
            fields: { failedRunId: failedRun },
            ...(link ? { link } : {}),
          },
        },
      ];
    });
  }

  async #logTail(runId: string, taskRun: TaskRunRecord): Promise<string[]> {
    const attempt = taskRun.attempts.at(-1);
    if (!attempt) return [];
    const logs = this.#options.store.logs;
    const { lastSeq } = await logs.read(runId, attempt.id, Number.MAX_SAFE_INTEGER, 0);
    const page = await logs.read(
      runId,
      attempt.id,
      Math.max(0, lastSeq - LOG_TAIL_LINES),
      LOG_TAIL_LINES,
    );
    return page.lines.map((line) => {
      const text = `${line.stream === "stderr" ? "! " : ""}${line.text}`;
      return text.length > MAX_QUOTED_LINE ? `${text.slice(0, MAX_QUOTED_LINE - 1)}…` : text;
    });
  }

  #link(runId: string): string | undefined {
    return runLink(this.#options.consoleUrl, runId);
  }

  /**
   * Puts notifications in the outbox: one delivery per route of the team; a
   * team with none is told at its contact when that is an email address.
   */
  async enqueue(planned: readonly Planned[]): Promise<void> {
    if (planned.length === 0) return;
    const deliveries: Delivery[] = [];
    const routesOf = new Map<string, Route[]>();
    for (const { notification, contact } of planned) {
      let routes = routesOf.get(notification.team);
      if (!routes) {
        routes = (await this.#options.store.notifications.getRoutes(notification.team)).map(
          (r) => r.route,
        );
        routesOf.set(notification.team, routes);
      }
      const targets: Route[] =
        routes.length > 0
          ? routes
          : isEmailAddress(contact)
            ? [{ kind: "email", address: contact }]
            : [];
      if (targets.length === 0) {
        this.#options.logger.warn(
          { notification: notification.id, team: notification.team },
          `team ${notification.team} has no routes and no email contact: nobody is told "${notification.title}"`,
        );
      }
      for (const route of targets) {
        deliveries.push({
          id: `${notification.id} ${formatRoute(route)}`,
          notification,
          route,
          attempts: 0,
        });
      }
    }
    const now = this.#options.clock.now();
    const result = await this.#options.store.notifications.enqueue(deliveries, {
      maxPending: this.#options.maxPending,
      rememberedSince: now - this.#options.rememberDeliveredMs,
    });
    if (result.refused > 0) {
      this.#options.refused?.(result.refused);
      this.#options.logger.error(
        { refused: result.refused, maxPending: this.#options.maxPending },
        `the notification outbox is full (${this.#options.maxPending}): ${result.refused} notification(s) dropped`,
      );
    }
    if (result.added > 0) this.#options.enqueued();
  }
}

/** A notification with the contact to fall back on when its team has no routes. */
export interface Planned {
  readonly notification: Notification;
  readonly contact: string;
}

/** The page of a run in the console at `base`; undefined without a base. */
export function runLink(base: string | undefined, runId: string): string | undefined {
  return base ? `${base.replace(/\/+$/, "")}/runs/${encodeURIComponent(runId)}` : undefined;
}

/** Stable per rule, run, task and team: "failed/run_…/b.mail-digest/team-b". */
export function notificationId(
  rule: Notification["rule"],
  runId: string,
  taskId: string,
  team: string,
): string {
  return [rule, runId, taskId, team].join("/");
}

/** The ERROR task-run at the start of the chain of failures that blocked this one. */
function failedRoot(
  taskRun: TaskRunRecord,
  byTask: ReadonlyMap<string, TaskRunRecord>,
): TaskRunRecord | undefined {
  const seen = new Set<string>();
  let current: TaskRunRecord | undefined = taskRun;
  while (current && current.state === TaskState.BLOCKED && !seen.has(current.taskId)) {
    seen.add(current.taskId);
    const upstream: string | undefined = current.blockedBy?.[0];
    current = upstream === undefined ? undefined : byTask.get(upstream);
  }
  return current?.state === TaskState.ERROR ? current : undefined;
}
