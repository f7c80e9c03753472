// Lengths of time as people write them in options and variables: "10s", "5m", "1.5h".

/**
 * A length of time as written in task options: a string such as "500ms",
 * "10s", "5m", "2h" or "1d" (decimals allowed, e.g. "1.5h"), or a number of
 * milliseconds.
 */
export type DurationInput = string | number;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Thrown by {@link parseDuration} for input that is not a valid duration. */
export class InvalidDurationError extends Error {
  /** The rejected input. */
  readonly input: unknown;

  constructor(input: unknown) {
    super(
      `invalid duration ${JSON.stringify(input) ?? String(input)}: expected e.g. "500ms", "10s", "5m", "2h", "1d" or a non-negative number of milliseconds`,
    );
    this.name = "InvalidDurationError";
    this.input = input;
  }
}

/**
 * Parses a {@link DurationInput} into milliseconds.
 *
 * @throws InvalidDurationError when the input is malformed, negative or not finite.
 */
export function parseDuration(input: DurationInput): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new InvalidDurationError(input);
    return input;
  }
  if (typeof input !== "string") throw new InvalidDurationError(input);
  const match = DURATION_PATTERN.exec(input.trim());
  if (!match) throw new InvalidDurationError(input);
  const amount = Number(match[1]);
  const unit = UNIT_MS[match[2] as string] as number;
  const ms = amount * unit;
  if (!Number.isFinite(ms)) throw new InvalidDurationError(input);
  return ms;
}

/**
 * Milliseconds as people write a duration, exactly: "1d", "10m", "90s",
 * "1500ms"; parseDuration reads it back.
 */
export function durationText(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
