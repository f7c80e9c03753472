// A command's output stream: split into lines for the attempt's log, with
// its last bytes kept in memory.

import { StringDecoder } from "node:string_decoder";

/** A line longer than this is logged in pieces of this many characters. */
export const MAX_LINE_CHARS = 16_384;

/**
 * One output stream of a command. Every complete line goes to `onLine` (a
 * trailing "\r" removed); the last `keepBytes` bytes are kept for {@link text}.
 */
export class OutputLog {
  readonly #keepBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #decoder = new StringDecoder("utf8");
  #partial = "";
  #chunks: Buffer[] = [];
  #kept = 0;
  #total = 0;

  constructor(keepBytes: number, onLine: (line: string) => void) {
    this.#keepBytes = keepBytes;
    this.#onLine = onLine;
  }

  /** Takes the next chunk of the stream. */
  write(chunk: Buffer): void {
    this.#total += chunk.length;
    this.#keep(chunk);
    this.#split(this.#decoder.write(chunk));
  }

  /** The stream ended: logs an unfinished last line. */
  end(): void {
    this.#split(this.#decoder.end());
    if (this.#partial !== "") this.#emit(this.#partial);
    this.#partial = "";
  }

  /** Bytes seen in all. */
  get totalBytes(): number {
    return this.#total;
  }

  /** The kept tail of the stream, as text. */
  text(): string {
    const buffer = Buffer.concat(this.#chunks);
    const tail = buffer.subarray(Math.max(0, buffer.length - this.#keepBytes));
    // A cut through a multi-byte character decodes as U+FFFD: drop it.
    return tail.toString("utf8").replace(/^\uFFFD+/, "");
  }

  #keep(chunk: Buffer): void {
    if (this.#keepBytes === 0) return;
    this.#chunks.push(chunk);
    this.#kept += chunk.length;
    for (;;) {
      const first = this.#chunks[0];
      if (first === undefined || this.#kept - first.length < this.#keepBytes) break;
      this.#chunks.shift();
      this.#kept -= first.length;
    }
  }

  #split(text: string): void {
    let rest = this.#partial + text;
    for (;;) {
      const newline = rest.indexOf("\n");
      if (newline < 0) break;
      this.#emit(rest.slice(0, newline));
      rest = rest.slice(newline + 1);
    }
    while (rest.length > MAX_LINE_CHARS) {
      this.#onLine(rest.slice(0, MAX_LINE_CHARS));
      rest = rest.slice(MAX_LINE_CHARS);
    }
    this.#partial = rest;
  }

  #emit(line: string): void {
    const clean = line.endsWith("\r") ? line.slice(0, -1) : line;
    for (let start = 0; start < clean.length; start += MAX_LINE_CHARS) {
      this.#onLine(clean.slice(start, start + MAX_LINE_CHARS));
    }
    if (clean === "") this.#onLine("");
  }
}

/**
 * The end of `text`: at most `maxLines` lines and `maxChars` characters,
 * trailing blank lines dropped; "…" starts the result when something was cut
 * (or `cutBefore` says that `text` is itself only the end of the output).
 */
export function tailOf(
  text: string,
  maxLines: number,
  maxChars: number,
  cutBefore = false,
): string {
  const trimmed = text.replace(/\s+$/, "");
  if (trimmed === "") return "";
  let lines = trimmed.split("\n");
  let cut = cutBefore;
  if (lines.length > maxLines) {
    lines = lines.slice(-maxLines);
    cut = true;
  }
  let result = lines.join("\n");
  if (result.length > maxChars) {
    result = result.slice(-maxChars);
    const newline = result.indexOf("\n");
    // Start at a whole line when one fits.
    if (newline >= 0 && newline < result.length - 1) result = result.slice(newline + 1);
    cut = true;
  }
  return cut ? `…\n${result}` : result;
}
