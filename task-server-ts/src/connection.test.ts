import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reconnectDelayMs } from "./connection.js";

describe("reconnectDelayMs", () => {
  it("tries again within 250 ms after the first failure", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (random) => {
        expect(reconnectDelayMs(0, {}, () => random)).toBeLessThanOrEqual(250);
      }),
    );
  });

  it("never waits longer than 2 s by default, below cerebro's default 5 s grace period", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failures, random) => {
          const delay = reconnectDelayMs(failures, {}, () => random);
          expect(delay).toBeGreaterThanOrEqual(50);
          expect(delay).toBeLessThanOrEqual(2_000);
        },
      ),
    );
  });

  it("doubles its ceiling from the first delay up to a configured cap", () => {
    const highest = (failures: number) =>
      reconnectDelayMs(failures, { initialMs: 10, maxMs: 100 }, () => 0.999_999);
    expect([0, 1, 2, 3, 4, 20].map(highest)).toEqual([10, 20, 40, 80, 100, 100]);
  });
});
