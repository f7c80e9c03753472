/** The key prefix RedisStore uses unless told otherwise. */
export const DEFAULT_REDIS_PREFIX = "cordyna:";

/**
 * Every Redis key name the store uses, all under one prefix, so that one
 * Redis can hold several Cordyna installations (or test runs) side by side.
 *
 * | key                        | type       | holds                                   |
 * | -------------------------- | ---------- | --------------------------------------- |
 * | `run:<run id>`             | string     | the RunRecord, JSON                     |
 * | `task-runs:<run id>`       | hash       | task id → TaskRunRecord, JSON           |
 * | `logs:<run id>`            | hash       | its attempts' log lines (append-logs-2.lua) |
 * | `runs`                     | sorted set | run ids scored by createdAt             |
 * | `runs:active`              | set        | ids of the runs still RUNNING           |
 * | `runs:finished`            | sorted set | finished run ids scored by finishedAt   |
 * | `idempotency:<key>`        | string     | the run id created with that key        |
 * | `completions`              | hash       | task id → its latest Completion, JSON   |
 * | `declarations`             | hash       | server name → its TaskDefinition[], JSON, gzip-compressed (plain JSON before) |
 * | `schedule-cursors`         | hash       | task id → last handled cron tick (ms)   |
 * | `credentials`              | hash       | credential id → Credential, JSON (hashes only, no secrets) |
 * | `audit`                    | sorted set | audit entries (tag + JSON) scored by time |
 * | `task-runs-of:<task id>`    | sorted set | ids of the runs with a task-run of the task, scored by createdAt |
 * | `events`                   | sorted set | every event (JSON) scored by its cursor |
 * | `events:<run id>`          | sorted set | a run's events (JSON) scored by their seq |
 * | `events:epoch`             | string     | the last cursor epoch handed out        |
 * | `events:open-runs`         | hash       | run id → last seq, until RUN_FINISHED   |
 * | `notify:routes`            | hash       | team → its routes (StoredRoute[], JSON, webhook secrets included) |
 * | `notify:failed`            | hash       | task id → the run its last task-run failed in |
 * | `notify:late-checked`      | hash       | task id → last cron tick checked for "late" (ms) |
 * | `notify:outbox`            | hash       | delivery id → Delivery, JSON            |
 * | `notify:due`               | sorted set | delivery ids scored by when due (claimed: when the claim ends) |
 * | `notify:delivered`         | sorted set | delivered ids scored by when, to drop a repeat |
 *
 * A finished run's `run:`, `task-runs:`, `logs:`, `events:` and `idempotency:` keys carry the
 * run retention as their TTL; the retention sweeper removes runs beyond the
 * count, and the index entries of expired ones, from `runs:finished`.
 */
/** Why a key prefix is unusable, or undefined when it is fine. */
export function redisPrefixProblem(prefix: string): string | undefined {
  // The prefix doubles as a SCAN pattern; glob characters would match other keys.
  return /[*?[\]\\]/.test(prefix) ? `"${prefix}" may not contain * ? [ ] or \\` : undefined;
}

export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_REDIS_PREFIX) {
    const problem = redisPrefixProblem(prefix);
    if (problem) throw new Error(`Redis key prefix ${problem}`);
    this.prefix = prefix;
  }

  run(runId: string): string {
    return `${this.prefix}run:${runId}`;
  }

  taskRuns(runId: string): string {
    return `${this.prefix}task-runs:${runId}`;
  }

  logs(runId: string): string {
    return `${this.prefix}logs:${runId}`;
  }

  runsByCreation(): string {
    return `${this.prefix}runs`;
  }

  activeRuns(): string {
    return `${this.prefix}runs:active`;
  }

  finishedRuns(): string {
    return `${this.prefix}runs:finished`;
  }

  idempotency(key: string): string {
    return `${this.prefix}idempotency:${key}`;
  }

  completions(): string {
    return `${this.prefix}completions`;
  }

  declarations(): string {
    return `${this.prefix}declarations`;
  }

  scheduleCursors(): string {
    return `${this.prefix}schedule-cursors`;
  }

  credentials(): string {
    return `${this.prefix}credentials`;
  }

  audit(): string {
    return `${this.prefix}audit`;
  }

  runsOfTask(taskId: string): string {
    return `${this.prefix}task-runs-of:${taskId}`;
  }

  events(): string {
    return `${this.prefix}events`;
  }

  runEvents(runId: string): string {
    return `${this.prefix}events:${runId}`;
  }

  eventEpoch(): string {
    return `${this.prefix}events:epoch`;
  }

  openRunEventSeqs(): string {
    return `${this.prefix}events:open-runs`;
  }

  notifyRoutes(): string {
    return `${this.prefix}notify:routes`;
  }

  notifyFailed(): string {
    return `${this.prefix}notify:failed`;
  }

  notifyLateChecked(): string {
    return `${this.prefix}notify:late-checked`;
  }

  notifyOutbox(): string {
    return `${this.prefix}notify:outbox`;
  }

  notifyDue(): string {
    return `${this.prefix}notify:due`;
  }

  notifyDelivered(): string {
    return `${this.prefix}notify:delivered`;
  }

  /** A SCAN MATCH pattern for every key under the prefix. */
  pattern(): string {
    return `${this.prefix}*`;
  }
}
