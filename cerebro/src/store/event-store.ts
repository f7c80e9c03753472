import type { CerebroEvent } from "../events.js";

/** An event as the log keeps it: with its place among all events and within its run. */
export interface LoggedEvent extends CerebroEvent {
  /** Increases with every event, across restarts too (see EventStore.beginEpoch). */
  readonly cursor: number;
  /** The event's place in its run, from 1 without gaps; 0 for an event of no run. */
  readonly seq: number;
}

/** How many events the store keeps; the oldest go first. */
export interface EventLimits {
  /** Of all events. */
  readonly maxEvents: number;
  /** Of one run's events. */
  readonly maxEventsPerRun: number;
}

/** Where a restarted event log continues. */
export interface EventLogStart {
  /** Greater than every epoch handed out before: the high part of this process's cursors. */
  readonly epoch: number;
  /** The last seq of each run whose RUN_FINISHED event is not stored yet. */
  readonly runSeqs: ReadonlyMap<string, number>;
}

/**
 * Where cerebro keeps its events: all of them in one log, and each run's
 * apart, so that a run's watch replays it without reading the others'. A
 * run's events go with the run when the run retention removes it.
 */
export interface EventStore {
  /** Starts a new epoch of cursors, so that a restarted cerebro never hands out a cursor again. */
  beginEpoch(): Promise<EventLogStart>;
  /** Appends events in cursor order; a run's events are not written once the run is removed. */
  append(events: readonly LoggedEvent[], limits: EventLimits): Promise<void>;
  /** At most `limit` events with a cursor above `afterCursor`, oldest first. */
  read(afterCursor: number, limit: number): Promise<LoggedEvent[]>;
  /** The newest `limit` events, oldest first. */
  readLast(limit: number): Promise<LoggedEvent[]>;
  /** At most `limit` events of a run with a seq above `afterSeq`, oldest first. */
  readRun(runId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]>;
}

/** Cursors of one epoch: 2^32 of them, which keeps every cursor below 2^53 for 2^21 restarts. */
export const CURSORS_PER_EPOCH = 2 ** 32;
