// The event log: every event cerebro publishes gets its cursor and its seq in
// its run, is stored, and only then reaches the log's watchers, so that a
// watcher that reads the store after subscribing misses nothing.

import type { Logger } from "pino";
import type { CerebroEvent, EventBus } from "./events.js";
import {
  CURSORS_PER_EPOCH,
  type EventLimits,
  type EventStore,
  type LoggedEvent,
} from "./store/event-store.js";

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  maxEvents: 200_000,
  maxEventsPerRun: 20_000,
};

/** The most events one store write takes. */
const WRITE_BATCH = 1_000;
/**
 * The most events waiting for the store (while Redis is away, say): past it
 * the oldest are dropped, so that an outage cannot grow cerebro's memory.
 */
export const MAX_UNWRITTEN_EVENTS = 100_000;

export type StoredEventsListener = (events: readonly LoggedEvent[]) => void;

/** Numbers, stores and fans out cerebro's events; see the module comment. */
export class EventLog {
  readonly #store: EventStore;
  readonly #logger: Logger;
  readonly #limits: EventLimits;
  readonly #cursorBase: number;
  #lastCursor = 0;
  readonly #runSeqs: Map<string, number>;
  #unwritten: LoggedEvent[] = [];
  #writing: Promise<void> | undefined;
  #dropped = 0;
  readonly #listeners = new Set<StoredEventsListener>();
  readonly #unsubscribe: () => void;

  private constructor(
    bus: EventBus,
    store: EventStore,
    logger: Logger,
    limits: EventLimits,
    epoch: number,
    runSeqs: ReadonlyMap<string, number>,
  ) {
    this.#store = store;
    this.#logger = logger;
    this.#limits = limits;
    this.#cursorBase = epoch * CURSORS_PER_EPOCH;
    this.#runSeqs = new Map(runSeqs);
    this.#unsubscribe = bus.subscribe((event) => this.#record(event));
  }

  /** Starts a new cursor epoch in the store and logs every event the bus publishes from now on. */
  static async open(options: {
    readonly bus: EventBus;
    readonly store: EventStore;
    readonly logger: Logger;
    readonly limits?: EventLimits;
  }): Promise<EventLog> {
    const { epoch, runSeqs } = await options.store.beginEpoch();
    return new EventLog(
      options.bus,
      options.store,
      options.logger,
      options.limits ?? DEFAULT_EVENT_LIMITS,
      epoch,
      runSeqs,
    );
  }

  get store(): EventStore {
    return this.#store;
  }

  /** How many listeners there are: one per open event watch. */
  get subscriberCount(): number {
    return this.#listeners.size;
  }

  /** Hears of events once they are stored, in cursor order; returns the function that stops it. */
  subscribe(listener: StoredEventsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once every event published so far is stored and delivered. */
  async settled(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Stops logging; resolves once what was published is stored. */
  async close(): Promise<void> {
    this.#unsubscribe();
    await this.settled();
  }

  #record(event: CerebroEvent): void {
    let seq = 0;
    if (event.runId !== undefined) {
      seq = (this.#runSeqs.get(event.runId) ?? 0) + 1;
      if (event.kind === "run-finished") this.#runSeqs.delete(event.runId);
      else this.#runSeqs.set(event.runId, seq);
    }
    this.#lastCursor++;
    this.#unwritten.push({ ...event, cursor: this.#cursorBase + this.#lastCursor, seq });
    if (this.#unwritten.length > MAX_UNWRITTEN_EVENTS) {
      this.#unwritten.shift();
      if (this.#dropped++ === 0) {
        this.#logger.warn(
          `more than ${MAX_UNWRITTEN_EVENTS} events wait for the store: the oldest are dropped until it keeps up`,
        );
      }
    }
    // Events of one turn go to the store together.
    this.#writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      this.#writeAll(),
    );
  }

  async #writeAll(): Promise<void> {
    while (this.#unwritten.length > 0) {
      const batch = this.#unwritten.splice(0, WRITE_BATCH);
      try {
        await this.#store.append(batch, this.#limits);
      } catch (error) {
        this.#logger.warn(
          { err: error, events: batch.length },
          "storing events failed; they are lost",
        );
        continue;
      }
      if (this.#dropped > 0) {
        this.#logger.warn({ dropped: this.#dropped }, "events dropped while the store was behind");
        this.#dropped = 0;
      }
      for (const listener of this.#listeners) {
        try {
          listener(batch);
        } catch {
          // A watcher's bug must not stop the log or the other watchers.
        }
      }
    }
    this.#writing = undefined;
  }
}
