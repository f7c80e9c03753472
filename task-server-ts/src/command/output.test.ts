import { describe, expect, it } from "vitest";
import { MAX_LINE_CHARS, OutputLog, tailOf } from "./output.js";

describe("OutputLog", () => {
  it("logs complete lines across chunks, CRLF included, and the last unfinished line at the end", () => {
    const lines: string[] = [];
    const log = new OutputLog(1024, (line) => lines.push(line));
    log.write(Buffer.from("one\ntw"));
    log.write(Buffer.from("o\r\n\nthr"));
    expect(lines).toEqual(["one", "two", ""]);
    log.write(Buffer.from("ee"));
    log.end();
    expect(lines).toEqual(["one", "two", "", "three"]);
    expect(log.text()).toBe("one\ntwo\r\n\nthree");
    expect(log.totalBytes).toBe(15);
  });

  it("keeps multi-byte characters split across chunks whole", () => {
    const lines: string[] = [];
    const log = new OutputLog(1024, (line) => lines.push(line));
    const bytes = Buffer.from("héllo\n");
    log.write(bytes.subarray(0, 2));
    log.write(bytes.subarray(2));
    expect(lines).toEqual(["héllo"]);
  });

  it("keeps only the last keepBytes bytes", () => {
    const log = new OutputLog(10, () => {});
    for (let i = 0; i < 100; i++) log.write(Buffer.from(`line ${i}\n`));
    expect(log.text()).toBe("e 98\nline 99\n".slice(-10));
    expect(log.text()).toHaveLength(10);
    const none = new OutputLog(0, () => {});
    none.write(Buffer.from("abc"));
    expect(none.text()).toBe("");
  });

  it("drops a character cut in half at the start of the kept tail", () => {
    const log = new OutputLog(3, () => {});
    log.write(Buffer.from("aé\n")); // a, 2 bytes of é, newline: the tail starts inside é
    expect(log.text()).toBe("é\n");
    log.write(Buffer.from("b"));
    expect(log.text()).toBe("\nb");
  });

  it("logs very long lines in pieces", () => {
    const lines: string[] = [];
    const log = new OutputLog(16, (line) => lines.push(line));
    log.write(Buffer.from("x".repeat(MAX_LINE_CHARS * 2 + 5)));
    expect(lines).toHaveLength(2);
    log.write(Buffer.from("\n"));
    expect(lines.map((line) => line.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 5]);
  });
});

describe("tailOf", () => {
  it("keeps the last lines, trailing blanks dropped", () => {
    expect(tailOf("a\nb\nc\n\n", 5, 100)).toBe("a\nb\nc");
    expect(tailOf("a\nb\nc\n", 2, 100)).toBe("…\nb\nc");
    expect(tailOf(" \n\n", 2, 100)).toBe("");
  });

  it("keeps at most maxChars, starting at a whole line when one fits", () => {
    expect(tailOf("first line\nsecond\nthird", 10, 14)).toBe("…\nsecond\nthird");
    expect(tailOf("abcdefghij", 10, 4)).toBe("…\nghij");
  });

  it("marks a text that is itself only the end of the output", () => {
    expect(tailOf("end", 10, 100, true)).toBe("…\nend");
  });
});
