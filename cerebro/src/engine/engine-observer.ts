import type { ErrorCause, TaskRunRecord } from "../domain/model.js";

/**
 * What the engine tells an observer (metrics) that its events do not say:
 * timings it measures and failures it retries. Calls are synchronous and
 * must be cheap; an observer never changes a run.
 */
export interface EngineObserver {
  /** A task-run's first attempt was invoked `waitedMs` after its last upstream finished (or its run was created). */
  invoked(taskRun: Readonly<TaskRunRecord>, waitedMs: number): void;
  /** An attempt was acknowledged (its first QUEUED or STARTED) `elapsedMs` after its invoke. */
  acknowledged(taskRun: Readonly<TaskRunRecord>, elapsedMs: number): void;
  /** An attempt ended in ERROR; `retried` when another attempt of its task-run follows. */
  attemptFailed(taskRun: Readonly<TaskRunRecord>, cause: ErrorCause, retried: boolean): void;
}
