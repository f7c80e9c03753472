// Work on user-sized data (a declaration of 50,000 tasks) done in slices, so
// that cerebro answers other calls in between: the work is a generator that
// yields now and then, and whoever runs it decides whether to pause there.

/** Work that yields at points where it may pause, and returns T when done. */
export type SlicedWork<T> = Generator<void, T, void>;

/**
 * Asked at each point where sliced work may pause: undefined to go on at
 * once, or a promise that resolves when the work may go on.
 */
export type Pause = () => Promise<void> | undefined;

/** How long a slice runs by default before other work gets the event loop. */
export const DEFAULT_SLICE_MS = 10;

/** How many steps of a loop run between two points where it may pause. */
const STEPS_BETWEEN_PAUSES = 256;

/** For loops of sliced work: true every few steps, when the work should yield. */
export function pausePoints(): () => boolean {
  let steps = 0;
  return () => ++steps % STEPS_BETWEEN_PAUSES === 0;
}

/**
 * Pauses once a slice has run `sliceMs`, until the event loop has handled
 * what arrived meanwhile (setImmediate runs after pending I/O).
 */
export function timeSlices(sliceMs = DEFAULT_SLICE_MS): Pause {
  let sliceStart = performance.now();
  return () => {
    if (performance.now() - sliceStart < sliceMs) return undefined;
    return new Promise((resolve) => {
      setImmediate(() => {
        sliceStart = performance.now();
        resolve();
      });
    });
  };
}

/** Runs sliced work to its end, pausing where `pause` says. */
export async function runSliced<T>(work: SlicedWork<T>, pause: Pause): Promise<T> {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    const paused = pause();
    if (paused) await paused;
  }
}

/** Runs sliced work to its end without pausing. */
export function runWhole<T>(work: SlicedWork<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** `items.map(map)`, sliced. */
export function* mapSliced<T, U>(items: readonly T[], map: (item: T) => U): SlicedWork<U[]> {
  const mapped: U[] = [];
  const pausePoint = pausePoints();
  for (const item of items) {
    if (pausePoint()) yield;
    mapped.push(map(item));
  }
  return mapped;
}
