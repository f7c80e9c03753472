import { DeclarationIssueCode } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { DeclarationRejectedError } from "./errors.js";

const cycle =
  "declaring m.one would close the dependency cycle m.one (team team-m) → n.two (team team-n) → m.one (team team-m)";

describe("DeclarationRejectedError", () => {
  it("says what cerebro refused, then each issue once", () => {
    const error = DeclarationRejectedError.fromRejection({
      message: "cerebro refused server s-m",
      errors: [{ taskId: "m.one", code: DeclarationIssueCode.CYCLE, message: cycle }],
    } as never);
    expect(error.message).toBe(`cerebro refused server s-m: ${cycle}`);
  });

  it("names the task of an issue whose message does not", () => {
    const error = new DeclarationRejectedError("cerebro refused server s-m (2 problems)", [
      { taskId: "m.one", code: DeclarationIssueCode.INVALID, message: "description: too long" },
      { taskId: "", code: DeclarationIssueCode.INVALID, message: "instance_id: required" },
    ]);
    expect(error.message).toBe(
      "cerebro refused server s-m (2 problems): m.one: description: too long; instance_id: required",
    );
  });

  it("does not repeat issues that a cerebro's message already holds", () => {
    // Earlier cerebros put the issues into the Rejection's message too.
    const error = new DeclarationRejectedError(cycle, [
      { taskId: "m.one", code: DeclarationIssueCode.CYCLE, message: cycle },
    ]);
    expect(error.message).toBe(cycle);
  });
});
