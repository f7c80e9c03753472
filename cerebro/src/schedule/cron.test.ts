import { describe, expect, it } from "vitest";
import { CronSchedule, checkCron } from "./cron.js";

const at = (iso: string): number => Date.parse(iso);
const isos = (ticks: readonly (number | undefined)[]): (string | undefined)[] =>
  ticks.map((tick) => (tick === undefined ? undefined : new Date(tick).toISOString()));

/** The first n ticks strictly after `from`. */
function ticks(expression: string, timeZone: string, from: string, n: number): string[] {
  const cron = CronSchedule.compile(expression, timeZone);
  const out: number[] = [];
  let after = at(from);
  for (let i = 0; i < n; i++) {
    const next = cron.next(after);
    if (next === undefined) break;
    out.push(next);
    after = next;
  }
  return isos(out) as string[];
}

describe("CronSchedule", () => {
  it("reads a sixth leading field as seconds; next is strictly after", () => {
    const cron = CronSchedule.compile("*/10 * * * * *", "UTC");
    expect(isos([cron.next(at("2026-01-01T00:00:00.000Z"))])).toEqual(["2026-01-01T00:00:10.000Z"]);
    expect(isos([cron.next(at("2026-01-01T00:00:09.999Z"))])).toEqual(["2026-01-01T00:00:10.000Z"]);
    expect(isos([cron.next(at("2026-01-01T00:00:10.000Z"))])).toEqual(["2026-01-01T00:00:20.000Z"]);
  });

  it("lists the most recent ticks of a range, oldest first", () => {
    const cron = CronSchedule.compile("0 * * * *", "UTC");
    const from = at("2026-01-01T00:00:00Z");
    const upTo = at("2026-01-01T05:00:00Z");
    expect(isos(cron.latest(from, upTo, 100))).toEqual([
      "2026-01-01T01:00:00.000Z",
      "2026-01-01T02:00:00.000Z",
      "2026-01-01T03:00:00.000Z",
      "2026-01-01T04:00:00.000Z",
      "2026-01-01T05:00:00.000Z",
    ]);
    expect(isos(cron.latest(from, upTo, 2))).toEqual([
      "2026-01-01T04:00:00.000Z",
      "2026-01-01T05:00:00.000Z",
    ]);
    expect(cron.latest(upTo, upTo, 5)).toEqual([]);
    expect(cron.latest(from, upTo, 0)).toEqual([]);
  });

  it("lists the ticks of a range with both bounds included, the earliest when capped", () => {
    const cron = CronSchedule.compile("0 * * * *", "UTC");
    const from = at("2026-01-01T01:00:00Z");
    const to = at("2026-01-01T04:00:00Z");
    expect(isos(cron.between(from, to, 100))).toEqual([
      "2026-01-01T01:00:00.000Z",
      "2026-01-01T02:00:00.000Z",
      "2026-01-01T03:00:00.000Z",
      "2026-01-01T04:00:00.000Z",
    ]);
    expect(isos(cron.between(from + 1, to - 1, 100))).toEqual([
      "2026-01-01T02:00:00.000Z",
      "2026-01-01T03:00:00.000Z",
    ]);
    expect(isos(cron.between(from, to, 2))).toEqual([
      "2026-01-01T01:00:00.000Z",
      "2026-01-01T02:00:00.000Z",
    ]);
    expect(isos(cron.between(from, from, 5))).toEqual(["2026-01-01T01:00:00.000Z"]);
    expect(cron.between(to, from, 5)).toEqual([]);
    expect(cron.between(from, to, 0)).toEqual([]);
  });

  it("lists a range's ticks in its time zone, across a daylight saving change", () => {
    // 09:00 in Berlin is 08:00Z in winter and 07:00Z in summer (from 2026-03-29).
    const cron = CronSchedule.compile("0 9 * * *", "Europe/Berlin");
    expect(isos(cron.between(at("2026-03-28T00:00:00Z"), at("2026-03-30T07:00:00Z"), 10))).toEqual([
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
    ]);
  });

  it("finds the latest ticks of a long gap without walking all of it", () => {
    const cron = CronSchedule.compile("* * * * * *", "UTC");
    const upTo = at("2026-06-01T00:00:00Z");
    const latest = cron.latest(at("2025-06-01T00:00:00Z"), upTo, 3);
    // A year of seconds is 31.5 million ticks; walking them would take minutes.
    expect(isos(latest)).toEqual([
      "2026-05-31T23:59:58.000Z",
      "2026-05-31T23:59:59.000Z",
      "2026-06-01T00:00:00.000Z",
    ]);
  });

  describe("daylight saving time, as croner defines it", () => {
    it("Europe/Berlin spring forward: 02:30 does not exist and fires at 03:30 summer time", () => {
      // 2026-03-29 02:00 CET jumps to 03:00 CEST (01:00Z).
      expect(ticks("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 3)).toEqual([
        "2026-03-28T01:30:00.000Z", // 02:30 CET
        "2026-03-29T01:30:00.000Z", // 03:30 CEST: the wall clock never shows 02:30
        "2026-03-30T00:30:00.000Z", // 02:30 CEST
      ]);
    });

    it("Europe/Berlin fall back: 02:30 happens twice and fires once, at the second (winter time)", () => {
      // 2026-10-25 03:00 CEST falls back to 02:00 CET (01:00Z).
      expect(ticks("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 3)).toEqual([
        "2026-10-24T00:30:00.000Z", // 02:30 CEST
        "2026-10-25T01:30:00.000Z", // 02:30 CET; 02:30 CEST (00:30Z) does not fire
        "2026-10-26T01:30:00.000Z", // 02:30 CET
      ]);
      // The first pass through the repeated hour has no ticks at all.
      expect(ticks("*/15 * * * *", "Europe/Berlin", "2026-10-24T23:40:00Z", 3)).toEqual([
        "2026-10-24T23:45:00.000Z", // 01:45 CEST
        "2026-10-25T01:00:00.000Z", // 02:00 CET
        "2026-10-25T01:15:00.000Z",
      ]);
    });

    it("America/New_York: 02:30 in spring fires at 03:30; 01:30 in fall fires once, at the first", () => {
      // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00Z).
      expect(ticks("30 2 * * *", "America/New_York", "2026-03-06T20:00:00Z", 3)).toEqual([
        "2026-03-07T07:30:00.000Z", // 02:30 EST
        "2026-03-08T07:30:00.000Z", // 03:30 EDT
        "2026-03-09T06:30:00.000Z", // 02:30 EDT
      ]);
      // 2026-11-01 02:00 EDT falls back to 01:00 EST (06:00Z).
      expect(ticks("30 1 * * *", "America/New_York", "2026-10-30T20:00:00Z", 3)).toEqual([
        "2026-10-31T05:30:00.000Z", // 01:30 EDT
        "2026-11-01T05:30:00.000Z", // 01:30 EDT, the first; 01:30 EST (06:30Z) does not fire
        "2026-11-02T06:30:00.000Z", // 01:30 EST
      ]);
      // The second pass through the repeated hour has no ticks at all.
      expect(ticks("*/30 * * * *", "America/New_York", "2026-11-01T04:50:00Z", 4)).toEqual([
        "2026-11-01T05:00:00.000Z", // 01:00 EDT
        "2026-11-01T05:30:00.000Z", // 01:30 EDT
        "2026-11-01T07:00:00.000Z", // 02:00 EST
        "2026-11-01T07:30:00.000Z",
      ]);
    });

    it("never moves backwards when asked from inside a repeated hour", () => {
      // croner itself answers 05:30Z (01:30 EDT) when asked from 06:00Z (01:00 EST).
      const cron = CronSchedule.compile("30 1 * * *", "America/New_York");
      expect(isos([cron.next(at("2026-11-01T06:00:00Z"))])).toEqual(["2026-11-02T06:30:00.000Z"]);
    });

    it("0 9 * * * fires at 09:00 local on both sides of each change", () => {
      expect(ticks("0 9 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 3)).toEqual([
        "2026-03-28T08:00:00.000Z", // 09:00 CET
        "2026-03-29T07:00:00.000Z", // 09:00 CEST
        "2026-03-30T07:00:00.000Z",
      ]);
      expect(ticks("0 9 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 3)).toEqual([
        "2026-10-24T07:00:00.000Z", // 09:00 CEST
        "2026-10-25T08:00:00.000Z", // 09:00 CET
        "2026-10-26T08:00:00.000Z",
      ]);
      expect(ticks("0 9 * * *", "America/New_York", "2026-03-06T20:00:00Z", 3)).toEqual([
        "2026-03-07T14:00:00.000Z", // 09:00 EST
        "2026-03-08T13:00:00.000Z", // 09:00 EDT
        "2026-03-09T13:00:00.000Z",
      ]);
      expect(ticks("0 9 * * *", "America/New_York", "2026-10-30T20:00:00Z", 3)).toEqual([
        "2026-10-31T13:00:00.000Z", // 09:00 EDT
        "2026-11-01T14:00:00.000Z", // 09:00 EST
        "2026-11-02T14:00:00.000Z",
      ]);
    });
  });
});

describe("checkCron", () => {
  it("accepts five and six fields, nicknames and known time zones", () => {
    expect(checkCron("0 3 * * *", "Europe/Berlin")).toBeUndefined();
    expect(checkCron("*/5 * * * * *", "UTC")).toBeUndefined();
    expect(checkCron("@hourly", "America/New_York")).toBeUndefined();
    expect(checkCron("0 9 * * MON-FRI", "Asia/Tokyo")).toBeUndefined();
  });

  it("names what is wrong", () => {
    expect(checkCron("61 * * * *", "UTC")).toMatch(
      /invalid cron expression "61 \* \* \* \*".*minute/,
    );
    expect(checkCron("every day", "UTC")).toMatch(/invalid cron expression "every day"/);
    expect(checkCron("* * * * * * *", "UTC")).toMatch(/five or six/);
    expect(checkCron("2026-05-01T00:00:00", "UTC")).toMatch(/invalid cron expression/);
    expect(checkCron("   ", "UTC")).toBe("the cron expression is empty");
    expect(checkCron("0 0 30 2 *", "UTC")).toMatch(/never fires/);
    expect(checkCron("0 3 * * *", "Mars/Olympus_Mons")).toBe(
      'unknown time zone "Mars/Olympus_Mons"',
    );
    expect(checkCron("0 3 * * *", "")).toBe('unknown time zone ""');
  });
});
