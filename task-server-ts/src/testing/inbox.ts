/**
 * Collects items (messages, reports) as they arrive and lets a test wait for
 * the next one that matches, failing after a timeout instead of sleeping.
 */
export class Inbox<T> {
  /** Every item received, in order, consumed or not. */
  readonly all: T[] = [];
  #pending: T[] = [];
  #waiters: Array<{ match: (item: T) => boolean; resolve: (item: T) => void }> = [];

  /** Adds an item, handing it to the oldest waiter it matches. */
  push(item: T): void {
    this.all.push(item);
    const index = this.#waiters.findIndex((waiter) => waiter.match(item));
    if (index >= 0) {
      const [waiter] = this.#waiters.splice(index, 1);
      waiter?.resolve(item);
      return;
    }
    this.#pending.push(item);
  }

  /**
   * Resolves with (and consumes) the first unconsumed item matching
   * `match`; rejects when none arrives within `timeoutMs`.
   */
  next(match: (item: T) => boolean = () => true, what = "item", timeoutMs = 5_000): Promise<T> {
    const index = this.#pending.findIndex(match);
    if (index >= 0) {
      const [item] = this.#pending.splice(index, 1);
      return Promise.resolve(item as T);
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Unconsumed items. */
  get pending(): readonly T[] {
    return this.#pending;
  }
}

/** A promise with its resolve and reject functions, for handlers a test controls. */
export interface Deferred<T> {
  /** Settles when resolve or reject is called. */
  readonly promise: Promise<T>;
  /** Resolves the promise. */
  readonly resolve: (value: T) => void;
  /** Rejects the promise. */
  readonly reject: (error: unknown) => void;
}

/** Creates a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
