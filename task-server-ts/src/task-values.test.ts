import { describe, expect, it } from "vitest";
import { NonRetryableError, TaskError } from "./errors.js";
import {
  clip,
  DETAILS_LEFT_OUT,
  encodeOutputs,
  errorFactsOf,
  INVALID_OUTPUTS,
  MAX_ERROR_DETAIL_KEY_BYTES,
  MAX_ERROR_DETAIL_VALUE_BYTES,
  MAX_ERROR_DETAILS,
  MAX_ERROR_TYPE_BYTES,
} from "./task-values.js";

/** What encodeOutputs threw, as the attempt would report it. */
function refusalOf(record: Record<string, unknown>): NonRetryableError {
  try {
    encodeOutputs(record);
  } catch (error) {
    if (error instanceof NonRetryableError) return error;
    throw error;
  }
  throw new Error("encodeOutputs accepted the outputs");
}

describe("outputs as text", () => {
  it("keeps strings, writes numbers, booleans and bigints with String(), dates as ISO 8601, the rest as JSON", () => {
    expect(
      encodeOutputs({
        name: "rates",
        rows: 1204,
        ratio: 0.25,
        missing: Number.NaN,
        ok: true,
        big: 12345678901234567890n,
        at: new Date(Date.UTC(2026, 5, 1, 6, 30)),
        files: ["a.csv", "b.csv"],
        stats: { min: 1, max: 9 },
        nothing: null,
        left: undefined,
      }),
    ).toEqual({
      name: "rates",
      rows: "1204",
      ratio: "0.25",
      missing: "NaN",
      ok: "true",
      big: "12345678901234567890",
      at: "2026-06-01T06:30:00.000Z",
      files: '["a.csv","b.csv"]',
      stats: '{"min":1,"max":9}',
      nothing: "null",
    });
  });

  it("refuses, naming each output, what cannot be text and names the protocol refuses", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const refusal = refusalOf({
      fine: "yes",
      callback: () => 1,
      loop: cyclic,
      when: new Date(Number.NaN),
      "": "empty name",
      "bad\u0000name": "x",
    });
    expect(refusal.type).toBe(INVALID_OUTPUTS);
    expect(refusal.nonRetryable).toBe(true);
    expect(refusal.message).toMatch(/^invalid outputs: /);
    expect(refusal.message).toContain("callback: a function cannot be encoded as text");
    expect(refusal.message).toMatch(/loop: JSON cannot encode it: .*circular/i);
    expect(refusal.message).toContain("when: an invalid date cannot be encoded as text");
    expect(refusal.message).toContain("an output's name must not be empty");
    expect(refusal.message).toContain("bad?name: the name contains control or format characters");
    expect(Object.keys(refusal.details).sort()).toEqual(
      ["(outputs)", "bad?name", "callback", "loop", "when"].sort(),
    );
  });

  it("refuses more outputs than the protocol carries, and names longer than 256 bytes", () => {
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`o${i}`, i]));
    expect(refusalOf(many).message).toBe(
      "invalid outputs: 1001 outputs, more than the 1000 allowed",
    );
    const long = "n".repeat(257);
    expect(refusalOf({ [long]: 1 }).message).toContain("the name is longer than 256 bytes");
    expect(encodeOutputs({ ["n".repeat(256)]: 1 })).toEqual({ ["n".repeat(256)]: "1" });
  });
});

describe("what an ERROR says about an error", () => {
  it("takes a TaskError's type and details, encoded as text", () => {
    const facts = errorFactsOf(
      new TaskError("relay refused", {
        type: "SmtpRefused",
        details: { host: "smtp.example.com", reply: 554, retryAfter: undefined },
      }),
    );
    expect(facts).toEqual({
      description: "relay refused",
      type: "SmtpRefused",
      details: { host: "smtp.example.com", reply: "554" },
      nonRetryable: false,
    });
    expect(errorFactsOf(new TaskError("gone", { nonRetryable: true })).nonRetryable).toBe(true);
  });

  it("keeps a NonRetryableError's message, type and details, and its cause", () => {
    const cause = new Error("low level");
    const error = new NonRetryableError("no such customer", {
      type: "UnknownCustomer",
      details: { customer: "c-17" },
      cause,
    });
    expect(error.message).toBe("no such customer");
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(TaskError);
    expect(errorFactsOf(error)).toEqual({
      description: "no such customer",
      type: "UnknownCustomer",
      details: { customer: "c-17" },
      nonRetryable: true,
    });
    expect(errorFactsOf(new NonRetryableError("bad params"))).toEqual({
      description: "bad params",
      type: "",
      details: {},
      nonRetryable: true,
    });
  });

  it("takes any other error's class name as its type, except plain Error", () => {
    class QuotaExceeded extends Error {
      override name = "QuotaExceeded";
    }
    expect(errorFactsOf(new TypeError("x is not a function")).type).toBe("TypeError");
    expect(errorFactsOf(new QuotaExceeded("429 from the API")).type).toBe("QuotaExceeded");
    expect(errorFactsOf(new Error("disk full"))).toEqual({
      description: "disk full",
      type: "",
      details: {},
      nonRetryable: false,
    });
    expect(errorFactsOf("just a string")).toEqual({
      description: "just a string",
      type: "",
      details: {},
      nonRetryable: false,
    });
  });

  it("cuts type and details to the proto's limits instead of breaking the stream", () => {
    const details = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`key${i}`, i === 0 ? "v".repeat(5_000) : i]),
    );
    details["k".repeat(300)] = "long key";
    const facts = errorFactsOf(
      new TaskError("too much", { type: `T\u0007${"y".repeat(400)}`, details }),
    );
    expect(Buffer.byteLength(facts.type)).toBeLessThanOrEqual(MAX_ERROR_TYPE_BYTES);
    expect(facts.type.startsWith("T?yyy")).toBe(true);
    const keys = Object.keys(facts.details);
    expect(keys).toHaveLength(MAX_ERROR_DETAILS);
    expect(facts.details[DETAILS_LEFT_OUT]).toBe("10 more details");
    expect(facts.details.key0?.endsWith("…")).toBe(true);
    for (const [key, value] of Object.entries(facts.details)) {
      expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_ERROR_DETAIL_KEY_BYTES);
      expect(Buffer.byteLength(value)).toBeLessThanOrEqual(MAX_ERROR_DETAIL_VALUE_BYTES);
    }
  });

  it("never cuts within a character", () => {
    expect(clip("äöü", 6)).toBe("äöü");
    expect(clip("äöüäöü", 8)).toBe("äö…");
    expect(clip("a😀b", 6)).toBe("a😀b");
    expect(clip("a😀b", 5)).toBe("a…");
  });
});
