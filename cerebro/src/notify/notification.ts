// Notifications: what cerebro tells a team, where the team hears it, and
// what sends it there. The planner turns cerebro's events into
// notifications, the outbox keeps each until a channel delivered it.

/** Why a team is told. */
export type NotificationRule =
  /** A task-run of the team's ended ERROR. */
  | "failed"
  /** A task-run of the team's is BLOCKED by another task's failure, maybe another team's. */
  | "blocked"
  /** A run of a task that failed before succeeded again. */
  | "recovered"
  /** A scheduled task has not COMPLETED by its expected time. */
  | "late";

/** The task a notification is about when another one caused it: the failed upstream of a blocked task. */
export interface CausingTask {
  readonly taskId: string;
  readonly team: string;
  readonly contact?: string;
}

/** One message for one team, as the outbox keeps it until a channel delivered it. */
export interface Notification {
  /**
   * Stable for one rule, run, task and team, e.g. "failed/run_…/b.mail-digest/team-b":
   * the outbox keeps one notification per id, so that an event seen twice
   * (a retried write, a restart) tells the team once.
   */
  readonly id: string;
  readonly rule: NotificationRule;
  /** The team told. */
  readonly team: string;
  readonly runId: string;
  readonly taskId: string;
  /** When cerebro decided to tell (ms since the epoch). */
  readonly createdAt: number;
  /** The failed task that blocked this one, for "blocked". */
  readonly causedBy?: CausingTask;
  /** One line, e.g. "b.mail-digest failed in run run_…: SMTP relay refused". */
  readonly title: string;
  /** Plain text for people: the cause, the attempts, the log's tail, what to do. */
  readonly text: string;
  /** The same facts as named values, for machines (webhook JSON). */
  readonly fields: Readonly<Record<string, string>>;
  /** Where to look: the run in the configured console or API, when cerebro knows its URL. */
  readonly link?: string;
}

/** Where a team hears, as `dyna teams set --notify kind:target` names it. */
export type Route =
  | { readonly kind: "webhook"; readonly url: string }
  | { readonly kind: "slack"; readonly url: string }
  | { readonly kind: "email"; readonly address: string };

/**
 * Delivers notifications to one route: one, or a digest of several for the
 * same team. Resolves once the receiver took them; rejects (with a message
 * naming the route and what the receiver said) when it did not, so that
 * the outbox retries later; rejects with a PermanentDeliveryError when no
 * retry can succeed. Must give up when `signal` aborts.
 */
export interface Channel {
  send(route: Route, notifications: readonly Notification[], signal: AbortSignal): Promise<void>;
}

/**
 * A delivery no retry can make: the receiver refused it for good (an HTTP
 * 4xx other than 408 and 429, an SMTP 5xx for the recipient or the message)
 * or the route is malformed. The outbox drops it at once instead of
 * retrying it until the give-up time.
 */
export class PermanentDeliveryError extends Error {
  override readonly name = "PermanentDeliveryError";
}
