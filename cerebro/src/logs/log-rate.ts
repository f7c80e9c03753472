import type { Clock } from "../clock.js";

/** The most log bytes a task-server stream may send a second, by default. */
export const DEFAULT_LOG_BYTES_PER_SECOND = 1024 * 1024;

/**
 * How many log bytes one stream may still send: a bucket that refills at
 * `bytesPerSecond` and holds a second's worth, so that a burst passes and a
 * flood does not.
 */
export class LogRate {
  readonly #bytesPerSecond: number;
  readonly #clock: Clock;
  #available: number;
  #updatedAt: number;

  constructor(bytesPerSecond: number, clock: Clock) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#clock = clock;
    this.#available = bytesPerSecond;
    this.#updatedAt = clock.now();
  }

  get bytesPerSecond(): number {
    return this.#bytesPerSecond;
  }

  /** Takes `bytes` if the stream may send them now; false leaves the bucket as it was. */
  take(bytes: number): boolean {
    const now = this.#clock.now();
    const refill = ((now - this.#updatedAt) / 1_000) * this.#bytesPerSecond;
    this.#available = Math.min(this.#bytesPerSecond, this.#available + refill);
    this.#updatedAt = now;
    if (bytes > this.#available) return false;
    this.#available -= bytes;
    return true;
  }
}
