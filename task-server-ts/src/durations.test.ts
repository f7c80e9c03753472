import { describe, expect, it } from "vitest";
import { durationToMs, msToDuration } from "./durations.js";

describe("protobuf Duration conversion", () => {
  it("splits milliseconds into seconds and nanos", () => {
    const duration = msToDuration(90_500);
    expect(duration.seconds).toBe(90n);
    expect(duration.nanos).toBe(500_000_000);
  });

  it("round-trips", () => {
    for (const ms of [0, 1, 999, 1_000, 86_400_000, 1.5]) {
      expect(durationToMs(msToDuration(ms))).toBe(ms);
    }
  });

  it("keeps undefined", () => {
    expect(durationToMs(undefined)).toBeUndefined();
  });
});
