import { describe, expect, it } from "vitest";
import { durationText, InvalidDurationError, parseDuration } from "./durations.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1.5h", 5_400_000],
    [" 30s ", 30_000],
    [0, 0],
    [250, 250],
  ])("parses %j as %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["", "10", "10x", "-5s", "1h30m", "s", "ten seconds", "1e3ms"])("rejects %j", (input) => {
    expect(() => parseDuration(input)).toThrow(InvalidDurationError);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("rejects the number %d", (input) => {
    expect(() => parseDuration(input)).toThrow(InvalidDurationError);
  });

  it("rejects values that are neither strings nor numbers", () => {
    expect(() => parseDuration(null as unknown as string)).toThrow(InvalidDurationError);
  });
});

describe("durationText", () => {
  it("writes a duration in its largest exact unit, which parseDuration reads back", () => {
    const written = [86_400_000, 7_200_000, 600_000, 90_000, 1_500, 0].map(durationText);
    expect(written).toEqual(["1d", "2h", "10m", "90s", "1500ms", "0d"]);
    expect(written.map(parseDuration)).toEqual([86_400_000, 7_200_000, 600_000, 90_000, 1_500, 0]);
  });
});
