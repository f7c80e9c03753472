import { describe, expect, it } from "vitest";
import { warmUpDeclarations } from "./warm-up.js";

describe("the warm-up at start", () => {
  it("runs a declaration that every check accepts, so it warms the path a real one takes", () => {
    expect(warmUpDeclarations()).toEqual([]);
  });
});
