import { LogLevel, LogStream, type TaskLogs, timestampOf } from "@cordyna/contract";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LogShipper, logLine, logLinePieces } from "./log-shipper.js";

const V1_3 = { $typeName: "cordyna.v1.ProtocolVersion", major: 1, minor: 3 } as const;
const V1_2 = { ...V1_3, minor: 2 } as const;

function shipper(maxBytesPerAttempt = 1_000) {
  const sent: TaskLogs[] = [];
  const logs = new LogShipper((message) => sent.push(message), maxBytesPerAttempt);
  const line = (text: string) => logLine(LogLevel.INFO, LogStream.LOGGER, text, timestampOf(0));
  const texts = () => sent.flatMap((message) => message.lines.map((l) => l.text));
  return { logs, sent, line, texts };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("LogShipper", () => {
  it("sends an attempt's lines in a batch a moment later, and what is left at once when it ends", () => {
    vi.useFakeTimers();
    const { logs, sent, line, texts } = shipper();
    logs.welcomed(V1_3);
    logs.add("att-1", line("one"));
    logs.add("att-1", line("two"));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(sent.map((m) => [m.attemptId, m.lines.length])).toEqual([["att-1", 2]]);
    logs.add("att-1", line("three"));
    logs.end("att-1");
    expect(texts()).toEqual(["one", "two", "three"]);
    logs.stop();
  });

  it("keeps an attempt's newest lines within its bound and says how many it dropped", () => {
    const { logs, sent, line, texts } = shipper(10);
    for (const text of ["aaaa", "bbbb", "cccc", "dddd"]) logs.add("att-1", line(text));
    logs.welcomed(V1_3);
    expect(texts()).toEqual(["cccc", "dddd"]);
    expect(sent[0]?.droppedLines).toBe(2n);
    logs.stop();
  });

  it("keeps lines while disconnected and sends them on the next welcome", () => {
    const { logs, line, texts } = shipper();
    logs.welcomed(V1_3);
    logs.disconnected();
    logs.add("att-1", line("while away"));
    logs.end("att-1");
    expect(texts()).toEqual([]);
    logs.welcomed(V1_3);
    expect(texts()).toEqual(["while away"]);
    logs.stop();
  });

  it("sends nothing to a cerebro older than 1.3", () => {
    const { logs, sent, line } = shipper();
    logs.welcomed(V1_2);
    logs.add("att-1", line("kept nowhere"));
    logs.end("att-1");
    logs.flushAll();
    expect(sent).toEqual([]);
    logs.stop();
  });

  it("counts lines cerebro refused for its rate as dropped, and says so with the next message", () => {
    vi.useFakeTimers();
    const { logs, sent } = shipper();
    logs.welcomed(V1_3);
    logs.refused("att-1", 7, "RESOURCE_EXHAUSTED");
    vi.advanceTimersByTime(200);
    expect(sent.map((m) => [m.attemptId, m.lines.length, m.droppedLines])).toEqual([
      ["att-1", 0, 7n],
    ]);
    logs.stop();
  });

  it("paces what it sends to 128 KiB a batch, across attempts", () => {
    vi.useFakeTimers();
    const { logs, sent } = shipper(1024 * 1024);
    logs.welcomed(V1_3);
    const text = "x".repeat(1_000);
    for (let i = 0; i < 300; i++) {
      logs.add("att-1", logLine(LogLevel.INFO, LogStream.STDOUT, text, timestampOf(0)));
    }
    vi.advanceTimersByTime(200);
    const firstBatch = sent.reduce((bytes, m) => bytes + m.lines.length * 1_000, 0);
    expect(firstBatch).toBeLessThanOrEqual(128 * 1024);
    expect(firstBatch).toBeGreaterThan(100 * 1024);
    vi.advanceTimersByTime(600);
    expect(sent.reduce((lines, m) => lines + m.lines.length, 0)).toBe(300);
    logs.stop();
  });
});

describe("logLinePieces", () => {
  it("cuts a line into pieces of at most 16 KiB in UTF-8", () => {
    const pieces = logLinePieces("é".repeat(10_000));
    expect(pieces.join("")).toBe("é".repeat(10_000));
    for (const piece of pieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(16_384);
    expect(logLinePieces("short")).toEqual(["short"]);
  });
});
