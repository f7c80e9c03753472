// Random message fields for the hand-written codecs' property tests.
import fc from "fast-check";

/**
 * Strings with any UTF-16 content (lone surrogates included), often empty,
 * so that zero values are left out as protobuf-es leaves them out.
 */
export const text = fc.oneof(fc.constant(""), fc.string({ unit: "binary", maxLength: 12 }));

export const int64 = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

export const int32 = fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

/** A Timestamp or a Duration, or none. */
export const secondsAndNanos = fc.option(fc.record({ seconds: int64, nanos: int32 }), {
  nil: undefined,
});

/** The object without its undefined fields: unset message fields, as `create` wants them. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
