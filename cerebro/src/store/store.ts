import type {
  Completion,
  RunRecord,
  RunSnapshot,
  TaskDefinition,
  TaskRunRecord,
} from "../domain/model.js";
import type { AccessStore } from "./access-store.js";
import type { EventStore } from "./event-store.js";
import type { LogStore } from "./log-store.js";
import type { NotificationStore } from "./notification-store.js";

/** Records to write together: either all of them are stored, or none. */
export interface StoreChanges {
  readonly runs?: readonly RunRecord[];
  readonly taskRuns?: readonly TaskRunRecord[];
  readonly completions?: readonly Completion[];
}

/** What createRun did. */
export interface CreatedRun {
  readonly snapshot: RunSnapshot;
  /** True when the idempotency key is held by another, earlier run, which is returned instead. */
  readonly existing: boolean;
}

/** Where a listing of runs continues: the last run of the previous page. */
export interface RunPosition {
  readonly createdAt: number;
  readonly id: string;
}

/** One task-run with the run it belongs to. */
export interface TaskRunOfRun {
  readonly run: RunRecord;
  readonly taskRun: TaskRunRecord;
}

/** Which finished runs removeFinishedRuns removes. */
export interface FinishedRunRemoval {
  /** Runs that finished before this time (ms since the epoch). */
  readonly finishedBefore: number;
  /** Runs beyond this many finished ones, oldest finished first. */
  readonly keepNewest: number;
  /** The most runs one call removes, so that no call holds the store for long. */
  readonly limit: number;
}

/**
 * Where cerebro keeps runs, task-runs, attempts (with their deadlines) and
 * completions. Cerebro acknowledges a task-server's update only once the
 * store has it, so an implementation resolves only when the data is durable
 * to the degree it promises. Implementations return copies: callers may not
 * mutate what they pass in or get back through the store.
 */
export interface Store {
  /** Credentials and the audit trail. */
  readonly access: AccessStore;
  /** What attempts logged, removed with their run. */
  readonly logs: LogStore;
  /** The event log; removeFinishedRuns removes a run's events with it. */
  readonly events: EventStore;
  /** Teams' routes, the tasks failing now, and the outbox of notifications. */
  readonly notifications: NotificationStore;
  /**
   * Stores a new run, unless another run holds its idempotency key: then
   * returns that run. The same run created again (a retried write whose
   * reply was lost) is this creation, not an earlier one: existing is false.
   */
  createRun(snapshot: RunSnapshot): Promise<CreatedRun>;
  /** Writes the given records atomically. */
  save(changes: StoreChanges): Promise<void>;
  getRun(runId: string): Promise<RunSnapshot | undefined>;
  /**
   * The most recent runs first (by createdAt, then id), at most `limit`,
   * starting after `after` when given. Runs created since never show up after
   * a position, so paging neither repeats nor skips a run.
   */
  listRuns(limit: number, after?: RunPosition): Promise<RunRecord[]>;
  /**
   * A task's task-runs, in the order of listRuns (newest run first), at most
   * `limit`, starting after the run at `after` when given.
   */
  taskRunsOf(taskId: string, limit: number, after?: RunPosition): Promise<TaskRunOfRun[]>;
  /**
   * Removes finished runs older than the rule's time or beyond its count,
   * with their task-runs, their events and their idempotency keys (which may then start a
   * new run). RUNNING runs, completions and schedule cursors always stay. A
   * task-run saved later for a removed run is not written. Returns how many
   * runs it removed: `limit` means there may be more.
   */
  removeFinishedRuns(rule: FinishedRunRemoval): Promise<number>;
  /** Every run still RUNNING, with its task-runs: what a restarted cerebro resumes. */
  activeRuns(): Promise<RunSnapshot[]>;
  /** The latest completion of each of the given tasks that has one. */
  lastCompletions(taskIds: readonly string[]): Promise<Map<string, Completion>>;
  /** Replaces the accepted declarations of a server name (none: forgets it). */
  saveDeclarations(serverName: string, tasks: readonly TaskDefinition[]): Promise<void>;
  /** Every server name's accepted declarations: the graph a restarted cerebro starts from. */
  loadDeclarations(): Promise<Map<string, TaskDefinition[]>>;
  /** Records the last cron tick handled for a task (fired, skipped or caught up). */
  saveScheduleCursor(taskId: string, tickMs: number): Promise<void>;
  /** Every task's last handled cron tick: where catch-up starts after a restart. */
  loadScheduleCursors(): Promise<Map<string, number>>;
  close(): Promise<void>;
}
