import { describe, expect, it } from "vitest";
import { LabelCap } from "./label-cap.js";

describe("LabelCap", () => {
  it("keeps the first values as they are, folds later ones into other, and says so once", () => {
    const warnings: string[] = [];
    const cap = new LabelCap(2, () => warnings.push("full"));
    expect(
      ["team-a", "team-b", "team-c", "team-a", "team-d", "team-b"].map((v) => cap.value(v)),
    ).toEqual(["team-a", "team-b", "other", "team-a", "other", "team-b"]);
    expect(warnings).toEqual(["full"]);
  });

  it("holds no more than its limit however many values arrive", () => {
    const cap = new LabelCap(100);
    const seen = new Set<string>();
    for (let n = 0; n < 100_000; n++) seen.add(cap.value(`server-${n}`));
    expect(seen.size).toBe(101);
    expect(seen.has("other")).toBe(true);
  });
});
