import { Code, ConnectError } from "@connectrpc/connect";
import { baseUrlFor } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { DEFAULT_ADDRESS, describeRpcError, grpcCodeName, resolveAddress } from "./client.js";

describe("resolveAddress", () => {
  it("prefers the --cerebro flag over CORDYNA_ADDR", () => {
    expect(resolveAddress("flag:1", { CORDYNA_ADDR: "env:2" })).toBe("flag:1");
  });

  it("takes CORDYNA_ADDR without a flag", () => {
    expect(resolveAddress(undefined, { CORDYNA_ADDR: "env:2" })).toBe("env:2");
  });

  it("falls back to localhost:7070", () => {
    expect(resolveAddress(undefined, {})).toBe(DEFAULT_ADDRESS);
    expect(DEFAULT_ADDRESS).toBe("localhost:7070");
  });

  it("treats empty values as unset", () => {
    expect(resolveAddress("", { CORDYNA_ADDR: "" })).toBe(DEFAULT_ADDRESS);
    expect(resolveAddress("", { CORDYNA_ADDR: "env:2" })).toBe("env:2");
  });
});

describe("baseUrlFor", () => {
  it("adds http:// to host:port and keeps URLs", () => {
    expect(baseUrlFor("cerebro:7070")).toBe("http://cerebro:7070");
    expect(baseUrlFor("https://cerebro.example.com")).toBe("https://cerebro.example.com");
  });
});

describe("describeRpcError", () => {
  it("spells codes the gRPC way", () => {
    expect(grpcCodeName(Code.FailedPrecondition)).toBe("FAILED_PRECONDITION");
    expect(grpcCodeName(Code.NotFound)).toBe("NOT_FOUND");
  });

  it("says when cerebro is unreachable, with code and message", () => {
    const text = describeRpcError(
      new ConnectError("connect ECONNREFUSED", Code.Unavailable),
      "h:1",
    );
    expect(text).toContain("cannot reach cerebro at h:1 (UNAVAILABLE: connect ECONNREFUSED)");
  });

  it("says when cerebro refuses, with code and message", () => {
    const text = describeRpcError(new ConnectError("no run with id x", Code.NotFound), "h:1");
    expect(text).toBe("cerebro at h:1 refused the request: NOT_FOUND: no run with id x");
  });

  it("ignores other errors", () => {
    expect(describeRpcError(new Error("boom"), "h:1")).toBeUndefined();
  });
});
