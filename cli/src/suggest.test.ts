import { describe, expect, it } from "vitest";
import { closeMatches, didYouMean, editDistance } from "./suggest.js";

describe("editDistance", () => {
  it("counts inserts, deletes, replacements and swapped neighbours as one each", () => {
    expect(editDistance("param", "params")).toBe(1);
    expect(editDistance("runs", "run")).toBe(1);
    expect(editDistance("tasks", "tosks")).toBe(1);
    expect(editDistance("reprot", "report")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("closeMatches", () => {
  const tasks = ["b.sales-report", "b.sales-summary", "a.extract", "a.clean"];

  it("finds a task id with a typo", () => {
    expect(closeMatches("b.sales-reprot", tasks)).toEqual(["b.sales-report"]);
    expect(closeMatches("B.Sales-Report", tasks)).toEqual(["b.sales-report"]);
  });

  it("suggests nothing far away: a quarter of the length at most", () => {
    expect(closeMatches("b.revenue", tasks)).toEqual([]);
    expect(closeMatches("x", ["y", "z"])).toEqual([]);
    expect(closeMatches("abcd", ["abzz"])).toEqual([]);
  });

  it("offers at most three, closest first", () => {
    expect(closeMatches("run", ["runs", "rung", "rune", "ruins", "dev"])).toEqual([
      "rune",
      "rung",
      "runs",
    ]);
    expect(closeMatches("rnu", ["run", "runs"])).toEqual(["run"]);
  });

  it("falls back to names the word begins, for ids copied in part", () => {
    expect(closeMatches("run_00mk2", ["run_00mk2z8qf1a2b3c4d5", "run_00mk3abc"])).toEqual([
      "run_00mk2z8qf1a2b3c4d5",
    ]);
    expect(closeMatches("ru", ["run_00mk2z8qf1a2b3c4d5"])).toEqual([]);
  });

  it("does not suggest the word itself", () => {
    expect(closeMatches("run", ["run"])).toEqual([]);
  });
});

describe("didYouMean", () => {
  it("lists one, two or three suggestions", () => {
    expect(didYouMean([])).toBe("");
    expect(didYouMean(["--param"])).toBe("; did you mean --param?");
    expect(didYouMean(["a", "b"])).toBe("; did you mean a or b?");
    expect(didYouMean(["a", "b", "c"])).toBe("; did you mean a, b or c?");
  });
});
