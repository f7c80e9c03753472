import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../clock.js";
import {
  type CatchUpPolicy,
  DEFAULT_CATCH_UP,
  DEFAULT_CATCH_UP_MAX,
  DEFAULT_OVERLAP,
  type OverlapPolicy,
  type TaskDefinition,
  type UpstreamTrigger,
} from "../domain/model.js";
import { CronSchedule, UTC } from "./cron.js";

/** One run the scheduler asks for. */
export interface ScheduledRunRequest {
  readonly taskId: string;
  readonly trigger: "cron" | "upstream";
  /** The cron tick, or the time an upstream trigger fired. */
  readonly logicalTime: number;
  /** `cron:<taskId>:<tickMs>` or `upstream:<taskId>:<window start>`. */
  readonly idempotencyKey: string;
}

/** Durable per-task cursors: the last cron tick handled (fired, skipped or caught up). */
export interface ScheduleCursors {
  load(): Promise<Map<string, number>>;
  save(taskId: string, tickMs: number): Promise<void>;
}

/** What the scheduler needs from the rest of cerebro. */
export interface SchedulerPorts {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Starts a run of exactly this task (its upstream planned as usual); a known idempotency key returns the existing run. */
  startRun(request: ScheduledRunRequest): Promise<{ runId: string; existing: boolean }>;
  cancelRun(runId: string, reason: string): Promise<void>;
  isRunActive(runId: string): boolean;
  /** Cron runs of the task that are still active, e.g. restored after a restart. */
  activeCronRuns(taskId: string): string[];
  readonly cursors: ScheduleCursors;
}

export interface SchedulerOptions {
  /** How long after a failed startRun the same tick or trigger is tried again. Default 30 s. */
  readonly retryDelayMs?: number;
}

export const DEFAULT_RETRY_DELAY_MS = 30_000;

/** A tick waiting to be handled. */
interface PendingTick {
  readonly tick: number;
  /**
   * "fire": start a run, subject to the overlap policy.
   * "backlog": start a run once no scheduled run of the task is active
   *   (catch-up "all"): never dropped by the overlap policy.
   * "skip": nothing to start; handling it only moves the cursor.
   */
  kind: "fire" | "backlog" | "skip";
  /** A startRun for it failed; a newer tick supersedes it. */
  failed?: boolean;
}

interface CronState {
  readonly cron: CronSchedule;
  catchUp: CatchUpPolicy;
  catchUpMax: number;
  overlap: OverlapPolicy;
  /** Ticks are armed strictly after this: the last tick seen, or when the schedule began. */
  lastTick: number;
  nextTick: number | undefined;
  timer: TimerHandle | undefined;
  retryTimer: TimerHandle | undefined;
  readonly pending: PendingTick[];
  /** Cron runs of the task that may still be active. */
  readonly active: Set<string>;
  /** A pump is working through `pending`. */
  busy: boolean;
}

interface TriggerState {
  readonly trigger: UpstreamTrigger;
  readonly upstream: ReadonlySet<string>;
  /** Mode "all": upstream tasks completed since the last triggered run. */
  readonly completed: Set<string>;
  /** The open debounce window, if any. */
  windowStart: number | undefined;
  timer: TimerHandle | undefined;
}

interface TaskState {
  definition: TaskDefinition;
  cron: CronState | undefined;
  trigger: TriggerState | undefined;
}

/**
 * Starts runs from cron schedules and upstream triggers. Pure and
 * clock-driven: every effect goes through the ports, so a ManualClock and
 * fake ports drive it completely in tests.
 *
 * Cron: each tick starts one run with idempotency key `cron:<taskId>:<tick>`,
 * so a tick never creates two runs, across restarts too. Ticks are handled in
 * order; the cursor is saved after each handled tick, never past a tick whose
 * run could not be created (that tick is tried again after retryDelayMs).
 *
 * Catch-up, for ticks missed while the scheduler was not running (or while
 * the process stalled): "skip" fires none, "latest" fires the latest one,
 * "all" fires the most recent catchUpMax of them, oldest first, one after
 * another: each waits until the previous scheduled run of the task finished
 * (with overlap "allow" they start at once). Ticks arriving while that
 * backlog drains join its end, capped at catchUpMax. A task seen for the
 * first time starts from now.
 *
 * Overlap, when a tick fires while a cron run of the task is still active:
 * "skip" drops the tick, "queue_one" keeps the newest tick and starts it when
 * the active run finishes, "allow" starts anyway, "cancel_previous" cancels
 * the active run, naming the tick, then starts. Only runs the scheduler
 * started from cron count; runs active before a restart are not known.
 *
 * Upstream triggers: "any" opens a debounce window at an upstream completion
 * and starts one run when it closes; "all" opens it once every upstream
 * completed since the last triggered run. Key `upstream:<taskId>:<window
 * start>`. Trigger progress is kept in memory only.
 */
export class Scheduler {
  readonly #ports: SchedulerPorts;
  readonly #retryDelayMs: number;
  readonly #tasks = new Map<string, TaskState>();
  /** Which task each tracked cron run belongs to. */
  readonly #runOwners = new Map<string, string>();
  #cursors = new Map<string, number>();
  readonly #work = new Set<Promise<void>>();
  #started = false;
  #stopped = false;

  constructor(ports: SchedulerPorts, options: SchedulerOptions = {}) {
    this.#ports = ports;
    this.#retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  }

  /** Sets the scheduled and triggered tasks (on start and whenever declarations change); re-arms timers. */
  setTasks(tasks: readonly TaskDefinition[]): void {
    if (this.#stopped) return;
    const wanted = new Map<string, TaskDefinition>();
    for (const task of tasks) {
      if (task.schedule || (task.trigger && task.dependencies.length > 0))
        wanted.set(task.id, task);
    }
    for (const [taskId, state] of this.#tasks) {
      if (!wanted.has(taskId)) {
        this.#dropCron(state);
        this.#dropTrigger(state);
        this.#tasks.delete(taskId);
      }
    }
    for (const [taskId, definition] of wanted) {
      let state = this.#tasks.get(taskId);
      if (!state) {
        state = { definition, cron: undefined, trigger: undefined };
        this.#tasks.set(taskId, state);
      }
      state.definition = definition;
      this.#updateCron(taskId, state);
      this.#updateTrigger(state);
    }
  }

  /** Loads the cursors, catches up ticks missed since each task's cursor (per its policy), then arms timers. */
  async start(): Promise<void> {
    if (this.#started || this.#stopped) return;
    const loaded = await this.#ports.cursors.load();
    if (this.#stopped) return;
    this.#cursors = new Map(loaded);
    this.#started = true;
    for (const [taskId, state] of this.#tasks) {
      if (state.cron) this.#activate(taskId, state.cron);
    }
    await this.whenIdle();
  }

  /** A task-run COMPLETED: feeds upstream triggers. */
  taskCompleted(taskId: string, at: number): void {
    if (this.#stopped) return;
    for (const [targetId, state] of this.#tasks) {
      const trigger = state.trigger;
      if (!trigger?.upstream.has(taskId)) continue;
      if (trigger.trigger.mode === "all") {
        trigger.completed.add(taskId);
        if (trigger.completed.size < trigger.upstream.size) continue;
      }
      this.#openWindow(targetId, trigger, at);
    }
  }

  /** A run finished: frees the overlap slot of its task ("queue_one" and backlogs start the next tick). */
  runFinished(runId: string): void {
    const taskId = this.#runOwners.get(runId);
    if (taskId === undefined) return;
    this.#runOwners.delete(runId);
    const cron = this.#tasks.get(taskId)?.cron;
    if (!cron) return;
    cron.active.delete(runId);
    this.#pump(taskId, cron);
  }

  /** The next cron tick of a task, for `dyna tasks`; undefined without a schedule. */
  nextFireTime(taskId: string): number | undefined {
    return this.#tasks.get(taskId)?.cron?.nextTick;
  }

  /** Resolves once no startRun, cancelRun or cursor save is under way. */
  async whenIdle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Cancels every timer; nothing starts afterwards. */
  stop(): void {
    this.#stopped = true;
    for (const state of this.#tasks.values()) {
      this.#dropCron(state);
      this.#dropTrigger(state);
    }
    this.#tasks.clear();
  }

  // --- cron ---

  #updateCron(taskId: string, state: TaskState): void {
    const schedule = state.definition.schedule;
    if (!schedule) {
      this.#dropCron(state);
      return;
    }
    const timeZone = schedule.timeZone || UTC;
    const policies = {
      catchUp: schedule.catchUp ?? DEFAULT_CATCH_UP,
      catchUpMax:
        schedule.catchUpMax && schedule.catchUpMax > 0 ? schedule.catchUpMax : DEFAULT_CATCH_UP_MAX,
      overlap: schedule.overlap ?? DEFAULT_OVERLAP,
    };
    const current = state.cron;
    if (
      current &&
      current.cron.expression === schedule.cron &&
      current.cron.timeZone === timeZone
    ) {
      Object.assign(current, policies);
      return;
    }
    let cron: CronSchedule;
    try {
      cron = CronSchedule.compile(schedule.cron, timeZone);
    } catch (error) {
      this.#ports.logger.error(
        { taskId, cron: schedule.cron, timeZone, err: error },
        "schedule: unusable cron schedule, task not scheduled",
      );
      this.#dropCron(state);
      return;
    }
    const replaced = current !== undefined;
    this.#dropCron(state);
    const now = this.#ports.clock.now();
    state.cron = {
      cron,
      ...policies,
      lastTick: now,
      nextTick: undefined,
      timer: undefined,
      retryTimer: undefined,
      pending: [],
      active: new Set(),
      busy: false,
    };
    if (!this.#started) return;
    if (replaced) {
      // A changed expression continues from now: ticks of the old one are not missed ticks of the new one.
      state.cron.lastTick = Math.max(now, this.#cursors.get(taskId) ?? now);
      this.#arm(taskId, state.cron);
    } else {
      this.#activate(taskId, state.cron);
    }
  }

  /** Begins scheduling a task: catch-up from its cursor, or from now when it has none. */
  #activate(taskId: string, cron: CronState): void {
    const now = this.#ports.clock.now();
    // Runs a previous cerebro started still count for the overlap policy.
    for (const runId of this.#ports.activeCronRuns(taskId)) {
      cron.active.add(runId);
      this.#runOwners.set(runId, taskId);
    }
    const cursor = this.#cursors.get(taskId);
    if (cursor === undefined) {
      cron.lastTick = now;
      this.#saveCursor(taskId, now);
    } else {
      cron.lastTick = Math.max(cursor, now);
      const missed = cron.cron.latest(cursor, now, cron.catchUp === "all" ? cron.catchUpMax : 1);
      if (missed.length > 0) {
        this.#ports.logger.info(
          { taskId, cursor: iso(cursor), missed: missed.length, catchUp: cron.catchUp },
          "schedule: catching up missed ticks",
        );
        this.#admitMissed(taskId, cron, missed);
      }
    }
    this.#arm(taskId, cron);
    this.#pump(taskId, cron);
  }

  #arm(taskId: string, cron: CronState): void {
    cron.timer?.cancel();
    cron.timer = undefined;
    cron.nextTick = cron.cron.next(cron.lastTick);
    if (cron.nextTick === undefined) return;
    cron.timer = this.#ports.clock.at(cron.nextTick, () => this.#onTick(taskId, cron));
  }

  #onTick(taskId: string, cron: CronState): void {
    if (this.#tasks.get(taskId)?.cron !== cron || cron.nextTick === undefined) return;
    const tick = cron.nextTick;
    const now = this.#ports.clock.now();
    // Further ticks already due mean the process stalled: those are missed ticks.
    const late = cron.cron.latest(tick, now, cron.catchUp === "all" ? cron.catchUpMax : 1);
    cron.lastTick = Math.max(tick, ...late);
    if (late.length === 0) {
      this.#admitLive(taskId, cron, tick);
    } else {
      this.#admitMissed(taskId, cron, [tick, ...late].slice(-Math.max(cron.catchUpMax, 1)));
    }
    this.#arm(taskId, cron);
    this.#pump(taskId, cron);
  }

  /** Queues missed ticks (oldest first) per the catch-up policy. */
  #admitMissed(taskId: string, cron: CronState, missed: readonly number[]): void {
    const last = missed.at(-1);
    if (last === undefined) return;
    switch (cron.catchUp) {
      case "skip":
        this.#ports.logger.info(
          { taskId, missed: missed.length, upTo: iso(last) },
          "schedule: missed ticks skipped (catch-up skip)",
        );
        cron.pending.push({ tick: last, kind: "skip" });
        return;
      case "latest":
        this.#admitLive(taskId, cron, last);
        return;
      case "all":
        for (const tick of missed.slice(-cron.catchUpMax)) this.#pushBacklog(taskId, cron, tick);
        return;
    }
  }

  /** Queues a tick that fires now, subject to the overlap policy. */
  #admitLive(taskId: string, cron: CronState, tick: number): void {
    if (cron.pending.some((entry) => entry.kind === "backlog")) {
      // A backlog is draining: the new tick waits its turn behind it.
      this.#pushBacklog(taskId, cron, tick);
      return;
    }
    for (let i = cron.pending.length - 1; i >= 0; i--) {
      const entry = cron.pending[i];
      if (entry?.kind !== "fire" || !(entry.failed || cron.overlap === "queue_one")) continue;
      cron.pending.splice(i, 1);
      this.#ports.logger.info(
        { taskId, tick: iso(entry.tick), by: iso(tick) },
        "schedule: waiting tick superseded by a newer one",
      );
    }
    cron.pending.push({ tick, kind: "fire" });
  }

  #pushBacklog(taskId: string, cron: CronState, tick: number): void {
    cron.pending.push({ tick, kind: "backlog" });
    let backlog = cron.pending.filter((entry) => entry.kind === "backlog").length;
    while (backlog > cron.catchUpMax) {
      const oldest = cron.pending.findIndex((entry) => entry.kind === "backlog");
      const [dropped] = cron.pending.splice(oldest, 1);
      backlog--;
      this.#ports.logger.warn(
        { taskId, tick: dropped && iso(dropped.tick), catchUpMax: cron.catchUpMax },
        "schedule: backlog full, oldest tick dropped",
      );
    }
  }

  /** Works through the pending ticks of a task, in order, one at a time. */
  #pump(taskId: string, cron: CronState): void {
    if (cron.busy || this.#stopped || cron.pending.length === 0) return;
    cron.busy = true;
    this.#track(
      this.#drain(taskId, cron).finally(() => {
        cron.busy = false;
      }),
    );
  }

  async #drain(taskId: string, cron: CronState): Promise<void> {
    const current = (): boolean => !this.#stopped && this.#tasks.get(taskId)?.cron === cron;
    for (;;) {
      const head = cron.pending[0];
      if (!head || !current()) return;
      if (head.kind === "skip") {
        cron.pending.shift();
        await this.#saveCursor(taskId, head.tick);
        continue;
      }
      this.#pruneActive(cron);
      if (cron.active.size > 0 && cron.overlap !== "allow") {
        // A backlog tick, or a queued one, waits for runFinished.
        if (head.kind === "backlog" || cron.overlap === "queue_one") return;
        if (cron.overlap === "skip") {
          cron.pending.shift();
          this.#ports.logger.info(
            { taskId, tick: iso(head.tick), active: [...cron.active] },
            "schedule: tick skipped, the previous scheduled run is still active (overlap skip)",
          );
          await this.#saveCursor(taskId, head.tick);
          continue;
        }
        await this.#cancelActive(taskId, cron, head.tick);
        if (!current()) return;
      }
      cron.pending.shift();
      const runId = await this.#startCron(taskId, head.tick);
      if (runId === undefined) {
        if (!current()) return;
        // Under catch-up "latest" or "skip", a newer tick that arrived meanwhile replaces it.
        const superseded =
          cron.catchUp !== "all" &&
          head.kind === "fire" &&
          cron.pending.some((entry) => entry.kind === "fire");
        if (superseded) continue;
        // Not past this tick: it stays first and is tried again.
        cron.pending.unshift({
          tick: head.tick,
          kind: cron.catchUp === "all" ? "backlog" : head.kind,
          failed: true,
        });
        this.#armRetry(taskId, cron);
        return;
      }
      if (this.#ports.isRunActive(runId)) {
        cron.active.add(runId);
        this.#runOwners.set(runId, taskId);
      }
      await this.#saveCursor(taskId, head.tick);
    }
  }

  async #startCron(taskId: string, tick: number): Promise<string | undefined> {
    const request: ScheduledRunRequest = {
      taskId,
      trigger: "cron",
      logicalTime: tick,
      idempotencyKey: `cron:${taskId}:${tick}`,
    };
    try {
      const { runId, existing } = await this.#ports.startRun(request);
      this.#ports.logger.info(
        { taskId, tick: iso(tick), runId, existing },
        existing ? "schedule: tick already has its run" : "schedule: tick started a run",
      );
      return runId;
    } catch (error) {
      this.#ports.logger.error(
        { taskId, tick: iso(tick), err: error, retryInMs: this.#retryDelayMs },
        "schedule: could not start the run of a tick; will retry",
      );
      return undefined;
    }
  }

  async #cancelActive(taskId: string, cron: CronState, tick: number): Promise<void> {
    const reason = `cancelled by the schedule: the cron tick of ${iso(tick)} replaces it (overlap cancel_previous)`;
    for (const runId of [...cron.active]) {
      cron.active.delete(runId);
      this.#runOwners.delete(runId);
      try {
        await this.#ports.cancelRun(runId, reason);
        this.#ports.logger.info(
          { taskId, tick: iso(tick), runId },
          "schedule: previous run cancelled",
        );
      } catch (error) {
        this.#ports.logger.error(
          { taskId, tick: iso(tick), runId, err: error },
          "schedule: could not cancel the previous run",
        );
      }
    }
  }

  #pruneActive(cron: CronState): void {
    for (const runId of cron.active) {
      if (!this.#ports.isRunActive(runId)) {
        cron.active.delete(runId);
        this.#runOwners.delete(runId);
      }
    }
  }

  #armRetry(taskId: string, cron: CronState): void {
    if (cron.retryTimer) return;
    cron.retryTimer = this.#ports.clock.at(this.#ports.clock.now() + this.#retryDelayMs, () => {
      cron.retryTimer = undefined;
      this.#pump(taskId, cron);
    });
  }

  #dropCron(state: TaskState): void {
    const cron = state.cron;
    if (!cron) return;
    cron.timer?.cancel();
    cron.retryTimer?.cancel();
    for (const runId of cron.active) this.#runOwners.delete(runId);
    state.cron = undefined;
  }

  #saveCursor(taskId: string, tick: number): Promise<void> {
    if ((this.#cursors.get(taskId) ?? Number.NEGATIVE_INFINITY) >= tick) return Promise.resolve();
    this.#cursors.set(taskId, tick);
    const saving = this.#ports.cursors.save(taskId, tick).catch((error: unknown) => {
      this.#ports.logger.error(
        { taskId, tick: iso(tick), err: error },
        "schedule: could not save the cursor",
      );
    });
    this.#track(saving);
    return saving;
  }

  // --- upstream triggers ---

  #updateTrigger(state: TaskState): void {
    const { trigger, dependencies } = state.definition;
    if (!trigger || dependencies.length === 0) {
      this.#dropTrigger(state);
      return;
    }
    const upstream = new Set(dependencies.map((dependency) => dependency.taskId));
    const current = state.trigger;
    if (
      current &&
      current.trigger.mode === trigger.mode &&
      current.trigger.debounceMs === trigger.debounceMs &&
      sameSet(current.upstream, upstream)
    ) {
      return;
    }
    this.#dropTrigger(state);
    state.trigger = {
      trigger,
      upstream,
      completed: new Set(),
      windowStart: undefined,
      timer: undefined,
    };
  }

  #dropTrigger(state: TaskState): void {
    state.trigger?.timer?.cancel();
    state.trigger = undefined;
  }

  #openWindow(taskId: string, trigger: TriggerState, at: number): void {
    if (trigger.windowStart !== undefined) return; // absorbed by the open window
    trigger.windowStart = at;
    const closesAt = at + trigger.trigger.debounceMs;
    if (closesAt <= this.#ports.clock.now()) {
      this.#fireTrigger(taskId, trigger);
    } else {
      trigger.timer = this.#ports.clock.at(closesAt, () => this.#fireTrigger(taskId, trigger));
    }
  }

  #fireTrigger(taskId: string, trigger: TriggerState): void {
    if (this.#stopped || this.#tasks.get(taskId)?.trigger !== trigger) return;
    const windowStart = trigger.windowStart;
    if (windowStart === undefined) return;
    trigger.windowStart = undefined;
    trigger.timer = undefined;
    trigger.completed.clear();
    this.#track(
      this.#startTriggered({
        taskId,
        trigger: "upstream",
        logicalTime: this.#ports.clock.now(),
        idempotencyKey: `upstream:${taskId}:${windowStart}`,
      }),
    );
  }

  async #startTriggered(request: ScheduledRunRequest): Promise<void> {
    try {
      const { runId, existing } = await this.#ports.startRun(request);
      this.#ports.logger.info(
        { taskId: request.taskId, key: request.idempotencyKey, runId, existing },
        "schedule: upstream trigger started a run",
      );
    } catch (error) {
      this.#ports.logger.error(
        { taskId: request.taskId, key: request.idempotencyKey, err: error },
        "schedule: could not start the run of an upstream trigger; will retry",
      );
      this.#ports.clock.at(this.#ports.clock.now() + this.#retryDelayMs, () => {
        if (this.#stopped || !this.#tasks.get(request.taskId)?.trigger) return;
        this.#track(this.#startTriggered(request));
      });
    }
  }

  #track(work: Promise<void>): void {
    const guarded = work
      .catch((error: unknown) => {
        this.#ports.logger.error({ err: error }, "schedule: unexpected failure");
      })
      .finally(() => this.#work.delete(guarded));
    this.#work.add(guarded);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}
