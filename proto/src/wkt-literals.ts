import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";

// protobuf-es's timestampFromMs and durationFromMs make their messages with
// create(), which walks the schema by reflection; on the hot paths (an
// invoke carries four of them, a task state one) these literals make the
// same messages.

/** timestampFromMs, without create(). */
export function timestampOf(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return {
    $typeName: "google.protobuf.Timestamp",
    seconds: BigInt(seconds),
    nanos: (ms - seconds * 1000) * 1_000_000,
  };
}

/** durationFromMs, without create(). */
export function durationOf(ms: number): Duration {
  const sign = ms < 0 ? -1 : 1;
  const absMs = Math.abs(ms);
  const absSeconds = Math.floor(absMs / 1000);
  const absNanos = (absMs - absSeconds * 1000) * 1_000_000;
  return {
    $typeName: "google.protobuf.Duration",
    seconds: BigInt(absSeconds * sign),
    // A negative zero does not serialize as zero.
    nanos: absNanos === 0 ? 0 : absNanos * sign,
  };
}
