/**
 * How a task-server reconnects after its stream to cerebro broke:
 * exponential backoff with jitter from `initialMs`, never waiting longer than
 * `maxMs` between tries. Cerebro counts on the cap: it keeps a lost instance's
 * attempts for its grace period, and after a restart for the grace period
 * plus `maxMs`, so a healthy task-server is always back in time.
 */
export const RECONNECT_BACKOFF = { initialMs: 100, maxMs: 2_000 } as const;
