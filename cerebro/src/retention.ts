// Run retention: how long and how many finished runs cerebro keeps, and the
// sweeper that removes the rest a bounded batch at a time.

import { durationText } from "@cordyna/contract";
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "./clock.js";
import type { Store } from "./store/store.js";

const DAY_MS = 86_400_000;

/** Which finished runs the store keeps; RUNNING runs are always kept. */
export interface RunRetention {
  /** A run that finished longer ago than this is removed. */
  readonly maxAgeMs: number;
  /** Only this many finished runs are kept, the most recently finished ones. */
  readonly maxFinishedRuns: number;
}

export const DEFAULT_RUN_RETENTION: RunRetention = {
  maxAgeMs: 30 * DAY_MS,
  maxFinishedRuns: 100_000,
};

/** How long a server name with no connected instance stays in ListServers. */
export const DEFAULT_SERVER_RETENTION_MS = DAY_MS;

/** How often the sweeper looks for finished runs to remove. */
export const SWEEP_INTERVAL_MS = 60_000;
/**
 * The most runs one sweep removes, so that a sweep never holds the store (a
 * Redis script blocks Redis) for long; a full sweep is followed by the next
 * one at once.
 */
export const SWEEP_BATCH = 500;

/** What GetRun and CancelRun say about a run id the store does not have. */
export function missingRunMessage(runId: string, retention: RunRetention): string {
  return (
    `no run with id ${runId}: it never existed, or it finished and was removed under the ` +
    `run retention (finished runs are kept ${durationText(retention.maxAgeMs)}, the newest ` +
    `${retention.maxFinishedRuns.toLocaleString("en-US")} of them)`
  );
}

/** Removes finished runs beyond the retention, in the background, on the clock. */
export class RetentionSweeper {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #retention: RunRetention;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: {
    readonly store: Store;
    readonly clock: Clock;
    readonly logger: Logger;
    readonly retention: RunRetention;
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#retention = options.retention;
  }

  /** Sweeps now, then every SWEEP_INTERVAL_MS (at once again while a sweep finds a full batch). */
  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** One bounded pass: removes at most SWEEP_BATCH runs and says how many it removed. */
  async sweep(): Promise<number> {
    const removed = await this.#store.removeFinishedRuns({
      finishedBefore: this.#clock.now() - this.#retention.maxAgeMs,
      keepNewest: this.#retention.maxFinishedRuns,
      limit: SWEEP_BATCH,
    });
    if (removed > 0) this.#logger.debug({ removed }, "finished runs removed under the retention");
    return removed;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.at(this.#clock.now() + delayMs, () => {
      this.sweep().then(
        (removed) => this.#schedule(removed >= SWEEP_BATCH ? 0 : SWEEP_INTERVAL_MS),
        (error: unknown) => {
          this.#logger.warn({ err: error }, "removing finished runs failed; trying again later");
          this.#schedule(SWEEP_INTERVAL_MS);
        },
      );
    });
  }
}
