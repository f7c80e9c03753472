import type { Notification, Route } from "../notify/notification.js";
import type { StoredRoute, TeamRoutes } from "../notify/routes.js";

/** One notification on its way to one route of its team. */
export interface Delivery {
  /** The notification's id and the route: one delivery per notification and route. */
  readonly id: string;
  readonly notification: Notification;
  readonly route: Route;
  /** Sends tried so far. */
  readonly attempts: number;
  /** Why the last send failed. */
  readonly lastError?: string;
}

/** What enqueue did with the deliveries it was given. */
export interface Enqueued {
  /** New ones, now in the outbox. */
  readonly added: number;
  /** Already in the outbox, or delivered within the remembered time: not added again. */
  readonly duplicates: number;
  /** Refused because the outbox held its limit. */
  readonly refused: number;
}

/**
 * Where cerebro keeps who hears what: each team's routes, which tasks failed
 * last (for "recovered"), up to which tick each task was checked for
 * "late", and the outbox of deliveries not yet made. A
 * delivery is claimed before it is sent, for a lease: until the lease ends
 * no other claim (another worker, a restarted cerebro) takes it.
 */
export interface NotificationStore {
  /** Replaces a team's routes; none forgets them. */
  setRoutes(team: string, routes: readonly StoredRoute[]): Promise<void>;
  getRoutes(team: string): Promise<StoredRoute[]>;
  /** Every team with routes, by team name. */
  listRoutes(): Promise<TeamRoutes[]>;
  /** Remembers that each task's last task-run ended in ERROR, in the run given (task id → run id). */
  markFailed(failures: ReadonlyMap<string, string>): Promise<void>;
  /** Forgets the tasks' failures, returning those there were (task id → the run it failed in). */
  clearFailed(taskIds: readonly string[]): Promise<Map<string, string>>;
  /** Records the last cron tick of a task whose "late" deadline was checked. */
  saveLateCheck(taskId: string, tickMs: number): Promise<void>;
  /** Every task's last checked tick: where a restarted cerebro's late checks continue. */
  loadLateChecks(): Promise<Map<string, number>>;
  /**
   * Adds deliveries, due at once, unless one with the same id is in the
   * outbox or was delivered since `rememberedSince`; refuses those beyond
   * `maxPending` deliveries in the outbox.
   */
  enqueue(
    deliveries: readonly Delivery[],
    limits: { readonly maxPending: number; readonly rememberedSince: number },
  ): Promise<Enqueued>;
  /**
   * Takes at most `limit` deliveries due by `now` (and not claimed, or whose
   * claim ended), claiming each until `claimedUntil`; oldest due first.
   */
  claim(now: number, claimedUntil: number, limit: number): Promise<Delivery[]>;
  /** A claimed delivery that failed, or must wait: due again at `dueAt`, as given. */
  reschedule(delivery: Delivery, dueAt: number): Promise<void>;
  /**
   * Removes delivered deliveries, remembering their ids as delivered at
   * `now`, and forgets those delivered before `forgetBefore`.
   */
  delivered(ids: readonly string[], now: number, forgetBefore: number): Promise<void>;
  /** Removes deliveries that will never be made. */
  drop(ids: readonly string[]): Promise<void>;
  /** How many deliveries the outbox holds, and when the next one falls due (claimed ones when their claim ends). */
  pending(): Promise<{ readonly count: number; readonly nextDueAt?: number }>;
}
