import type { TaskStateUpdate } from "@cordyna/contract";

interface Entry {
  readonly update: TaskStateUpdate;
  /** The seq it was last sent with on the current stream; undefined if not sent on it. */
  seq: bigint | undefined;
}

/**
 * Keeps every TaskStateUpdate until cerebro acknowledges it, and numbers
 * updates per stream: seq starts at 1 on each stream and grows by one per
 * update sent. After a reconnect, `open()` renumbers everything still
 * unacknowledged so it can be resent right after the Welcome.
 */
export class Outbox {
  readonly #entries: Entry[] = [];
  #nextSeq = 1n;
  #open = false;
  #emptyWaiters: Array<() => void> = [];

  /**
   * Stores an update. When a stream is open, returns the update stamped with
   * its seq, to be sent now; otherwise returns undefined and the update waits
   * for the next `open()`.
   */
  push(update: TaskStateUpdate): TaskStateUpdate | undefined {
    const entry: Entry = { update, seq: undefined };
    this.#entries.push(entry);
    return this.#open ? this.#stamp(entry) : undefined;
  }

  /**
   * A new stream is ready (its Welcome arrived): numbering restarts at 1 and
   * every unacknowledged update is returned, in order, stamped for resending.
   */
  open(): TaskStateUpdate[] {
    this.#open = true;
    this.#nextSeq = 1n;
    return this.#entries.map((entry) => this.#stamp(entry));
  }

  /** The stream is gone: updates wait for the next `open()`. */
  close(): void {
    this.#open = false;
    for (const entry of this.#entries) entry.seq = undefined;
  }

  /** Ack{through_seq}: drops every update sent with a seq up to and including it. */
  ack(throughSeq: bigint): number {
    // While a stream is open every entry is stamped, in order: the acknowledged
    // ones are a prefix, and a burst's ack need not look at the rest.
    let acknowledged = 0;
    for (const entry of this.#entries) {
      if (entry.seq === undefined || entry.seq > throughSeq) break;
      acknowledged++;
    }
    this.#entries.splice(0, acknowledged);
    this.#notifyIfEmpty();
    return acknowledged;
  }

  /**
   * Refusal{seq}: the refused update counts as acknowledged and is dropped.
   * Returns the dropped update, if it was still held.
   */
  settle(seq: bigint): TaskStateUpdate | undefined {
    const index = this.#entries.findIndex((entry) => entry.seq === seq);
    if (index < 0) return undefined;
    const [entry] = this.#entries.splice(index, 1);
    this.#notifyIfEmpty();
    return entry?.update;
  }

  /** Attempts with an update cerebro has not acknowledged yet. */
  attemptIds(): string[] {
    return [...new Set(this.#entries.map((entry) => entry.update.attemptId))];
  }

  get size(): number {
    return this.#entries.length;
  }

  /** True while a stream is open for sending. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Resolves once every update has been acknowledged. */
  whenEmpty(): Promise<void> {
    if (this.#entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  #stamp(entry: Entry): TaskStateUpdate {
    entry.seq = this.#nextSeq++;
    return { ...entry.update, seq: entry.seq };
  }

  #notifyIfEmpty(): void {
    if (this.#entries.length > 0) return;
    const waiters = this.#emptyWaiters;
    this.#emptyWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
