import {
  type DeadlineOverrides,
  type Deadlines,
  ErrorCause,
  type RetryPolicy,
} from "../domain/model.js";

/** The seed's deadlines: ack within 10 s, start within 10 min, complete within 30 min. */
export const DEFAULT_DEADLINES: Deadlines = {
  ackMs: 10_000,
  startMs: 10 * 60_000,
  completeMs: 30 * 60_000,
};

/** No retry unless a task asks for one. */
export const NO_RETRY: RetryPolicy = {
  maxAttempts: 1,
  initialBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  multiplier: 2,
  retryOn: [],
};

/** The deadlines in force for a task: its own overrides over the defaults. */
export function resolveDeadlines(defaults: Deadlines, overrides: DeadlineOverrides): Deadlines {
  const resolved = {
    ackMs: overrides.ackMs || defaults.ackMs,
    startMs: overrides.startMs || defaults.startMs,
    completeMs: overrides.completeMs || defaults.completeMs,
  };
  const heartbeatMs = overrides.heartbeatMs || defaults.heartbeatMs;
  return heartbeatMs ? { ...resolved, heartbeatMs } : resolved;
}

/** Whether a failed attempt number `attempt` is tried again under `policy`. */
export function shouldRetry(
  policy: RetryPolicy,
  attempt: number,
  cause: ErrorCause,
  nonRetryable: boolean,
): boolean {
  if (nonRetryable || attempt >= policy.maxAttempts) return false;
  if (policy.retryOn.length === 0) return cause !== ErrorCause.REJECTED;
  return policy.retryOn.includes(cause);
}

/**
 * How long to wait before attempt `attempt + 1`: exponential growth capped at
 * maxBackoffMs, with "equal jitter" (half fixed, half random) so that many
 * task-runs failing together do not retry in lockstep.
 */
export function retryBackoffMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const growth = policy.multiplier > 0 ? policy.multiplier : 2;
  const exponential = policy.initialBackoffMs * growth ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxBackoffMs, exponential);
  return Math.round(capped / 2 + random() * (capped / 2));
}
