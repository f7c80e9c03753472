import { describe, expect, it } from "vitest";
import { plainCopy } from "./plain-copy.js";

describe("plainCopy", () => {
  it("copies nested records deeply, keeping undefined fields and every value", () => {
    const record = {
      id: "tr_1",
      state: "STARTED",
      attempts: [{ id: "att_1", number: 1, finishedAt: undefined, outputs: { rows: "3" } }],
      blockedBy: [],
      reused: null,
      count: 0n,
    };
    const copy = plainCopy(record);
    expect(copy).toStrictEqual(record);
    copy.attempts[0]!.outputs.rows = "4";
    copy.attempts.push({ id: "att_2", number: 2, finishedAt: undefined, outputs: { rows: "0" } });
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0]!.outputs.rows).toBe("3");
  });

  it("refuses what is not plain data, naming its kind", () => {
    expect(() => plainCopy({ at: new Date(0) })).toThrow(
      "plainCopy copies plain data only, not a Date",
    );
    expect(() => plainCopy([new Map()])).toThrow("not a Map");
  });
});
