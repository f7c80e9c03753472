/**
 * Wall-clock time in milliseconds with sub-millisecond resolution. Every
 * process of a bench run stamps with it, so stamps of different processes on
 * this one machine compare directly.
 */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
