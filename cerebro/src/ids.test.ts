import { describe, expect, it } from "vitest";
import { newId } from "./ids.js";

describe("newId", () => {
  it("is prefixed, time-ordered and unique, also across refills of its random pool", () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => newId("att", 1_700_000_000_000 + i));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^att_[0-9a-z]{9}[0-9a-f]{10}$/);
  });
});
