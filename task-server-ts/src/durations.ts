import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";

/** Converts milliseconds into a google.protobuf.Duration (sub-nanosecond parts are rounded). */
export function msToDuration(ms: number): Duration {
  const totalNanos = BigInt(Math.round(ms * 1_000_000));
  return create(DurationSchema, {
    seconds: totalNanos / 1_000_000_000n,
    nanos: Number(totalNanos % 1_000_000_000n),
  });
}

/** Converts a google.protobuf.Duration into milliseconds; undefined stays undefined. */
export function durationToMs(duration: Duration | undefined): number | undefined {
  if (duration === undefined) return undefined;
  return Number(duration.seconds) * 1_000 + duration.nanos / 1_000_000;
}
