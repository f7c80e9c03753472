/** A handle to cancel a timer. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time as cerebro sees it. Deadlines, backoffs and grace periods all go
 * through a Clock, so tests run 30-minute deadlines in milliseconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once the clock reaches `at` (at once when it already has). */
  at(at: number, fn: () => void): TimerHandle;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  at(at, fn) {
    // Node timers overflow past ~24.8 days; re-arm in steps so far deadlines still fire.
    const maxDelay = 2 ** 31 - 1;
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const delay = at - Date.now();
      timer = delay > maxDelay ? setTimeout(arm, maxDelay) : setTimeout(fn, Math.max(0, delay));
      timer.unref?.();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface ManualTimer {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; timers fire in time order. */
export class ManualClock implements Clock {
  #now: number;
  #timers: ManualTimer[] = [];
  #order = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  at(at: number, fn: () => void): TimerHandle {
    const timer: ManualTimer = { at, order: this.#order++, fn, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((timer) => !timer.cancelled);
      const due = this.#timers
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.#timers.splice(this.#timers.indexOf(due), 1);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = target;
  }

  /** How many timers are armed. */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }
}
