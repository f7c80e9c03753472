/**
 * Stands in for real work in the seed servers: waits `ms`, or rejects as
 * soon as the attempt is cancelled.
 */
export function simulatedWork(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** Scales the seed servers' simulated durations: DEMO_WORK_SCALE=0 makes them instant. */
export function workMs(defaultMs: number): number {
  const scale = process.env.DEMO_WORK_SCALE;
  return scale === undefined ? defaultMs : Math.round(defaultMs * Number(scale));
}
