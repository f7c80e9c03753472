import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../clock.js";
import {
  type RunRecord,
  type RunSnapshot,
  type TaskDefinition,
  type TaskRunRecord,
  TaskState,
} from "../domain/model.js";
import { CronSchedule, UTC } from "../schedule/cron.js";
import type { NotificationStore } from "../store/notification-store.js";
import type { TaskRunOfRun } from "../store/store.js";
import { type Planned, runLink } from "./planner.js";

/**
 * The most deadlines of one task checked at once. More pass only while
 * cerebro was down (or stalled): the older ones are passed over, logged, so
 * that a long outage does not bury the team in one message per tick.
 */
export const MAX_OVERDUE_CHECKS = 10;
/** How many of a task's latest task-runs a check looks through for the tick's completion. */
const TASK_RUNS_LOOKED_AT = 50;

export interface LateWatchOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: {
    taskRunsOf(taskId: string, limit: number): Promise<TaskRunOfRun[]>;
    getRun(runId: string): Promise<RunSnapshot | undefined>;
    readonly notifications: Pick<NotificationStore, "saveLateCheck" | "loadLateChecks">;
  };
  /** Base URL of the run pages, as the planner's. */
  readonly consoleUrl?: string;
  /** Puts notifications in the outbox (the planner's enqueue). */
  notify(planned: readonly Planned[]): Promise<void>;
}

interface Watched {
  definition: TaskDefinition;
  readonly cron: CronSchedule;
  expectedWithinMs: number;
  /** Every tick up to this time was checked (or came before the task was watched). */
  checkedUpTo: number;
  timer: TimerHandle | undefined;
  /** A drain is checking deadlines; `again` asks it for one more pass. */
  busy: boolean;
  again: boolean;
}

/**
 * The "late" rule: for every cron tick of a task whose schedule declares
 * expectedWithin, a deadline at tick + expectedWithin. When it passes and no
 * task-run of the task COMPLETED by then in a run whose logical time is the
 * tick or later, the task's team is told the task is late, once per task and
 * tick. Every tick counts, whether its run started, was skipped by the
 * overlap policy, was superseded, or was missed while cerebro was down.
 *
 * Deadlines are not stored one by one: they follow from the cron expression.
 * What is stored, per task, is the last tick whose deadline was checked, so
 * that a restarted cerebro checks the deadlines that passed while it was
 * down (at most MAX_OVERDUE_CHECKS of them) and arms the rest. A task seen
 * for the first time, or whose cron expression or time zone changed, is
 * watched from then on.
 */
export class LateWatch {
  readonly #options: LateWatchOptions;
  readonly #tasks = new Map<string, Watched>();
  #checked = new Map<string, number>();
  readonly #work = new Set<Promise<void>>();
  #started = false;
  #stopped = false;

  constructor(options: LateWatchOptions) {
    this.#options = options;
  }

  /** Sets the declared tasks (on start and whenever declarations change). */
  setTasks(tasks: readonly TaskDefinition[]): void {
    if (this.#stopped) return;
    const wanted = new Map<string, TaskDefinition>();
    for (const task of tasks) if (task.schedule?.expectedWithinMs) wanted.set(task.id, task);
    for (const [taskId, watched] of this.#tasks) {
      if (wanted.has(taskId)) continue;
      watched.timer?.cancel();
      this.#tasks.delete(taskId);
    }
    const now = this.#options.clock.now();
    for (const [taskId, definition] of wanted) {
      const schedule = definition.schedule!;
      const expectedWithinMs = schedule.expectedWithinMs!;
      const timeZone = schedule.timeZone || UTC;
      const current = this.#tasks.get(taskId);
      if (
        current &&
        current.cron.expression === schedule.cron &&
        current.cron.timeZone === timeZone
      ) {
        current.definition = definition;
        if (current.expectedWithinMs !== expectedWithinMs) {
          // Ticks not checked yet get the new deadline.
          current.expectedWithinMs = expectedWithinMs;
          if (this.#started) this.#pump(taskId, current);
        }
        continue;
      }
      current?.timer?.cancel();
      this.#tasks.delete(taskId);
      let cron: CronSchedule;
      try {
        cron = CronSchedule.compile(schedule.cron, timeZone);
      } catch {
        continue; // the scheduler logs an unusable schedule
      }
      const watched: Watched = {
        definition,
        cron,
        expectedWithinMs,
        checkedUpTo: now,
        timer: undefined,
        busy: false,
        again: false,
      };
      this.#tasks.set(taskId, watched);
      if (!this.#started) continue;
      if (current) {
        // Ticks of the old expression are not this one's to be late for.
        watched.checkedUpTo = Math.max(now, this.#checked.get(taskId) ?? now);
        this.#save(taskId, watched.checkedUpTo);
        this.#pump(taskId, watched);
      } else {
        this.#activate(taskId, watched);
      }
    }
  }

  /** Loads where each task's checks stopped, checks the deadlines passed since, and arms the rest. */
  async start(): Promise<void> {
    if (this.#started || this.#stopped) return;
    const loaded = await this.#options.store.notifications.loadLateChecks();
    if (this.#stopped) return;
    this.#checked = new Map(loaded);
    this.#started = true;
    for (const [taskId, watched] of this.#tasks) this.#activate(taskId, watched);
    await this.whenIdle();
  }

  /** Cancels every timer; nothing is checked afterwards. */
  stop(): void {
    this.#stopped = true;
    for (const watched of this.#tasks.values()) watched.timer?.cancel();
    this.#tasks.clear();
  }

  /** Resolves once no check or save is under way. */
  async whenIdle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  #activate(taskId: string, watched: Watched): void {
    const checked = this.#checked.get(taskId);
    if (checked === undefined) {
      watched.checkedUpTo = this.#options.clock.now();
      this.#save(taskId, watched.checkedUpTo);
    } else {
      watched.checkedUpTo = checked;
    }
    this.#pump(taskId, watched);
  }

  #pump(taskId: string, watched: Watched): void {
    if (this.#stopped) return;
    if (watched.busy) {
      watched.again = true;
      return;
    }
    watched.busy = true;
    this.#track(
      this.#drain(taskId, watched).finally(() => {
        watched.busy = false;
      }),
    );
  }

  /** Checks every tick whose deadline passed, oldest first, then arms the next deadline. */
  async #drain(taskId: string, watched: Watched): Promise<void> {
    const current = (): boolean => !this.#stopped && this.#tasks.get(taskId) === watched;
    // Until nothing is due: checks take time, and deadlines pass meanwhile.
    for (let more = true; more; ) {
      watched.again = false;
      watched.timer?.cancel();
      watched.timer = undefined;
      const now = this.#options.clock.now();
      const due = watched.cron.latest(
        watched.checkedUpTo,
        now - watched.expectedWithinMs,
        MAX_OVERDUE_CHECKS + 1,
      );
      if (due.length > MAX_OVERDUE_CHECKS) {
        const passedOver = due.shift()!;
        this.#options.logger.warn(
          { taskId, upTo: iso(passedOver), checked: due.length },
          `late: more than ${MAX_OVERDUE_CHECKS} deadlines of ${taskId} passed unchecked; the older ones are passed over`,
        );
      }
      for (const tick of due) {
        if (!current()) return;
        try {
          await this.#check(taskId, watched, tick);
        } catch (err) {
          // Not past this tick: it is checked again at the next pass.
          this.#options.logger.error(
            { err, taskId, tick: iso(tick) },
            "late: a deadline could not be checked; will try again",
          );
          watched.timer = this.#options.clock.at(now + RETRY_CHECK_MS, () =>
            this.#pump(taskId, watched),
          );
          return;
        }
        watched.checkedUpTo = tick;
        await this.#save(taskId, tick);
      }
      if (!current()) return;
      more = due.length > 0 || watched.again;
    }
    const next = watched.cron.next(watched.checkedUpTo);
    if (next === undefined) return;
    watched.timer = this.#options.clock.at(next + watched.expectedWithinMs, () =>
      this.#pump(taskId, watched),
    );
  }

  async #check(taskId: string, watched: Watched, tick: number): Promise<void> {
    const deadline = tick + watched.expectedWithinMs;
    const taskRuns = await this.#options.store.taskRunsOf(taskId, TASK_RUNS_LOOKED_AT);
    // A test run's completion did no real work: it meets no tick.
    const inTime = taskRuns.some(
      ({ run, taskRun }) =>
        run.mode === "normal" &&
        taskRun.state === TaskState.COMPLETED &&
        logicalTime(run) >= tick &&
        finishedAt(taskRun) <= deadline,
    );
    if (inTime) return;
    const { team, contact } = watched.definition.owner;
    const ofTick = taskRuns.find(({ run }) => run.trigger === "cron" && logicalTime(run) === tick);
    const now = this.#options.clock.now();
    const state = ofTick
      ? await this.#describe(ofTick, now)
      : {
          state: "NOT_STARTED",
          detail:
            "no run was started for this tick (the overlap policy skipped it, a newer tick superseded it, or cerebro was down)",
        };
    const latest = taskRuns[0];
    const latestLine =
      !ofTick && latest
        ? `Its latest run, ${latest.run.id} (${iso(logicalTime(latest.run))}): ${(await this.#describe(latest, now)).detail}.`
        : undefined;
    const lastCompleted = taskRuns.find(
      ({ run, taskRun }) => run.mode === "normal" && taskRun.state === TaskState.COMPLETED,
    );
    const linkedRun = (ofTick ?? latest)?.run.id;
    const link = linkedRun === undefined ? undefined : runLink(this.#options.consoleUrl, linkedRun);
    const within = formatMs(watched.expectedWithinMs);
    const planned: Planned = {
      contact,
      notification: {
        id: lateNotificationId(taskId, tick, team),
        rule: "late",
        team,
        runId: ofTick?.run.id ?? "",
        taskId,
        createdAt: now,
        title: `${taskId} is late: the tick of ${iso(tick)} was expected to complete by ${iso(deadline)}`,
        text: [
          `${taskId} (team ${team}) has not completed the cron tick of ${iso(tick)}, expected within ${within}, by ${iso(deadline)}.`,
          ofTick ? `Its run ${ofTick.run.id}: ${state.detail}.` : `Not started: ${state.detail}.`,
          ...(latestLine ? [latestLine] : []),
          lastCompleted
            ? `Last completed: ${iso(finishedAt(lastCompleted.taskRun))} in run ${lastCompleted.run.id}.`
            : "It has not completed in any run cerebro still keeps.",
          ...(link ? [`Run: ${link}`] : []),
        ].join("\n"),
        fields: {
          tick: iso(tick),
          expectedBy: iso(deadline),
          expectedWithin: within,
          state: state.state,
          detail: state.detail,
          lastCompletedAt: lastCompleted ? iso(finishedAt(lastCompleted.taskRun)) : "",
        },
        ...(link ? { link } : {}),
      },
    };
    this.#options.logger.info(
      { taskId, tick: iso(tick), expectedBy: iso(deadline), state: state.state },
      "late: a scheduled task has not completed by its expected time",
    );
    await this.#options.notify([planned]);
  }

  /** What a task-run is doing, in a phrase: "running for 2h 5m (since …)". */
  async #describe(
    { run, taskRun }: TaskRunOfRun,
    now: number,
  ): Promise<{ state: string; detail: string }> {
    const attempt = taskRun.attempts.at(-1);
    const phrase = (): string => {
      switch (taskRun.state) {
        case TaskState.STARTED: {
          const since = attempt?.startedAt ?? taskRun.updatedAt;
          return `running for ${formatMs(now - since)} (since ${iso(since)}, attempt ${attempt?.number ?? 1})`;
        }
        case TaskState.PENDING:
          return `waiting to start${taskRun.waitingReason ? `: ${taskRun.waitingReason}` : ""}`;
        case TaskState.INVOKED:
        case TaskState.QUEUED:
          return `sent to ${taskRun.serverName}, not started yet (${taskRun.state})`;
        case TaskState.ERROR:
          return `failed: ${taskRun.errorCause ?? "ERROR"}${taskRun.errorDescription ? `: ${taskRun.errorDescription}` : ""}`;
        case TaskState.CANCELLED:
          return `cancelled${taskRun.cancelReason ? `: ${taskRun.cancelReason}` : ""}`;
        case TaskState.SKIPPED:
          return "skipped: an earlier completion was reused";
        case TaskState.COMPLETED:
          return `completed at ${iso(finishedAt(taskRun))}, after the expected time`;
        case TaskState.BLOCKED:
          return "blocked";
      }
    };
    if (taskRun.state !== TaskState.BLOCKED) return { state: taskRun.state, detail: phrase() };
    // Who blocked it: the upstream task-runs of the same run, with their teams.
    const snapshot = await this.#options.store.getRun(run.id);
    const byTask = new Map(snapshot?.taskRuns.map((t) => [t.taskId, t]));
    const blockers = (taskRun.blockedBy ?? []).map((upstream) => {
      const owner = byTask.get(upstream)?.owner;
      return owner ? `${upstream} (team ${owner.team})` : upstream;
    });
    return {
      state: taskRun.state,
      detail: blockers.length > 0 ? `blocked by ${blockers.join(", ")}` : "blocked",
    };
  }

  #save(taskId: string, tick: number): Promise<void> {
    this.#checked.set(taskId, tick);
    const saving = this.#options.store.notifications
      .saveLateCheck(taskId, tick)
      .catch((err: unknown) => {
        this.#options.logger.error(
          { err, taskId, tick: iso(tick) },
          "late: could not save the last checked tick",
        );
      });
    this.#track(saving);
    return saving;
  }

  #track(work: Promise<void>): void {
    const guarded = work
      .catch((err: unknown) => {
        this.#options.logger.error({ err }, "late: unexpected failure");
      })
      .finally(() => this.#work.delete(guarded));
    this.#work.add(guarded);
  }
}

/** How long after a failed check (the store did not answer) it is tried again. */
const RETRY_CHECK_MS = 30_000;

/** Stable per task, tick and team: "late/2026-01-01T03:00:00.000Z/a.extract/team-a". */
export function lateNotificationId(taskId: string, tick: number, team: string): string {
  return ["late", iso(tick), taskId, team].join("/");
}

function logicalTime(run: RunRecord): number {
  return run.logicalTime ?? run.createdAt;
}

function finishedAt(taskRun: TaskRunRecord): number {
  return taskRun.attempts.at(-1)?.finishedAt ?? taskRun.updatedAt;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** "2h 5m", "45s", "3d": the largest unit, and the next one when it is not zero. */
export function formatMs(ms: number): string {
  const units: readonly (readonly [string, number])[] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  const whole = Math.max(0, Math.round(ms));
  const first = units.findIndex(([, size]) => whole >= size);
  const [unit, size] = units[first] ?? ["ms", 1];
  const count = Math.floor(whole / size);
  const next = units[first + 1];
  const rest = next && first >= 0 ? Math.floor((whole - count * size) / next[1]) : 0;
  return rest > 0 && next ? `${count}${unit} ${rest}${next[0]}` : `${count}${unit}`;
}
