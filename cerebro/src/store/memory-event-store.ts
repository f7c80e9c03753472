import { plainCopy } from "../plain-copy.js";
import type { EventLimits, EventLogStart, EventStore, LoggedEvent } from "./event-store.js";

/** A log that drops its oldest entries: reads see the entries from `head` on. */
class TrimmedLog {
  entries: LoggedEvent[] = [];
  head = 0;

  get size(): number {
    return this.entries.length - this.head;
  }

  push(event: LoggedEvent, max: number): void {
    this.entries.push(event);
    if (this.size > max) this.head = this.entries.length - max;
    // Drops the trimmed entries once they are most of the array.
    if (this.head > 1_024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** At most `limit` entries whose `key` is above `after`; keys increase along the log. */
  after(key: (event: LoggedEvent) => number, after: number, limit: number): LoggedEvent[] {
    let low = this.head;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (key(this.entries[middle] as LoggedEvent) <= after) low = middle + 1;
      else high = middle;
    }
    return plainCopy(this.entries.slice(low, low + Math.max(0, limit)));
  }
}

/** Events in this process; `hasRun` says whether the store still has a run. */
export class MemoryEventStore implements EventStore {
  readonly #hasRun: (runId: string) => boolean;
  readonly #all = new TrimmedLog();
  readonly #byRun = new Map<string, TrimmedLog>();
  #epoch = 0;

  constructor(hasRun: (runId: string) => boolean) {
    this.#hasRun = hasRun;
  }

  async beginEpoch(): Promise<EventLogStart> {
    this.#epoch++;
    const runSeqs = new Map<string, number>();
    for (const [runId, log] of this.#byRun) {
      const last = log.entries.at(-1);
      if (last && last.kind !== "run-finished") runSeqs.set(runId, last.seq);
    }
    return { epoch: this.#epoch, runSeqs };
  }

  async append(events: readonly LoggedEvent[], limits: EventLimits): Promise<void> {
    for (const event of events) {
      const copy = plainCopy(event);
      this.#all.push(copy, limits.maxEvents);
      if (event.runId === undefined || !this.#hasRun(event.runId)) continue;
      let log = this.#byRun.get(event.runId);
      if (!log) {
        log = new TrimmedLog();
        this.#byRun.set(event.runId, log);
      }
      log.push(copy, limits.maxEventsPerRun);
    }
  }

  async read(afterCursor: number, limit: number): Promise<LoggedEvent[]> {
    return this.#all.after((event) => event.cursor, afterCursor, limit);
  }

  async readLast(limit: number): Promise<LoggedEvent[]> {
    const { entries, head } = this.#all;
    return plainCopy(entries.slice(Math.max(head, entries.length - Math.max(0, limit))));
  }

  async readRun(runId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]> {
    return this.#byRun.get(runId)?.after((event) => event.seq, afterSeq, limit) ?? [];
  }

  /** Forgets a run's own log (its events stay in the log of all events until trimmed). */
  removeRun(runId: string): void {
    this.#byRun.delete(runId);
  }
}
