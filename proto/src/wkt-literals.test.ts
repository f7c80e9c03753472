import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { durationOf, timestampOf } from "./wkt-literals.js";

// Milliseconds as cerebro and the SDK have them: whole, and far from int64's limits.
const ms = fc.integer({ min: -8_000_000_000_000, max: 8_000_000_000_000 });

describe("timestamp and duration literals", () => {
  it("are the messages protobuf-es's own helpers make, for any time", () => {
    fc.assert(
      fc.property(ms, (value) => {
        expect(timestampOf(value)).toStrictEqual(timestampFromMs(value));
        expect(durationOf(value)).toStrictEqual(durationFromMs(value));
      }),
    );
  });

  it("match them at the edges: zero, under a second, before 1970", () => {
    for (const value of [0, 1, 999, 1_000, -1, -999, -1_000, -1_500]) {
      expect(timestampOf(value)).toStrictEqual(timestampFromMs(value));
      expect(durationOf(value)).toStrictEqual(durationFromMs(value));
    }
  });
});
