import type { ErrorCause, RunState, TaskState } from "./domain/model.js";

export type CerebroEventKind =
  | "run-started"
  | "run-finished"
  | "task-run-changed"
  | "server-connected"
  | "server-disconnected"
  | "graph-changed"
  | "report-refused"
  | "attempt-server-away"
  | "attempt-server-back"
  | "attempt-progress";

/** One thing that happened in cerebro, as watchers (CLI, web, tests) see it. */
export interface CerebroEvent {
  readonly kind: CerebroEventKind;
  readonly time: number;
  readonly message: string;
  readonly runId?: string;
  readonly taskRunId?: string;
  readonly taskId?: string;
  readonly attemptId?: string;
  readonly state?: TaskState;
  readonly errorCause?: ErrorCause;
  readonly serverName?: string;
  readonly instanceId?: string;
  readonly runState?: RunState;
  /** What the event adds to its structured fields, e.g. an error description. */
  readonly detail?: string;
  /** The teams it concerns: a task-run's owner, a run's task-runs' owners, a server's team. */
  readonly teams?: readonly string[];
  /** The attempt's number (for a retry: of the attempt that failed). */
  readonly attemptNumber?: number;
  /** When what the event announces is due: a retry's next attempt, the end of a grace period. */
  readonly dueAt?: number;
  /** With attempt-progress: how far the attempt got, from 0 to 1, when it said. */
  readonly progress?: number;
}

export type EventListener = (event: CerebroEvent) => void;

/** Fans cerebro's events out to watchers; a failing watcher never hurts the others. */
export class EventBus {
  readonly #listeners = new Set<EventListener>();

  /** How many listeners there are: one per open event watch, and cerebro's own. */
  get subscriberCount(): number {
    return this.#listeners.size;
  }

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: CerebroEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A watcher's bug must not stop the engine or the other watchers.
      }
    }
  }
}
