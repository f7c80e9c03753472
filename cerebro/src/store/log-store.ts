import type { LogLineRecord, StoredLogLine } from "../domain/logs.js";

/** One page of an attempt's log. */
export interface LogPage {
  /** Oldest first, each with its sequence number. */
  readonly lines: StoredLogLine[];
  /** Lines removed from the start of the log to keep it within its bound. */
  readonly dropped: number;
  /** The sequence number of the last line stored so far (0: none). */
  readonly lastSeq: number;
}

/**
 * Where the lines each attempt logged are kept, per run: removing a run
 * removes its logs. Each attempt's log keeps its newest lines up to a bound
 * in bytes; the oldest go first and are counted. Sequence numbers start at 1
 * per attempt and have no gaps, so dropped lines are those below the first
 * kept.
 */
export interface LogStore {
  /**
   * Appends lines to an attempt's log, then drops its oldest lines while it
   * holds more than `maxBytes` (as {@link logLineBytes} counts them). Does
   * nothing when the run is not stored (retention removed it).
   */
  append(
    runId: string,
    attemptId: string,
    lines: readonly LogLineRecord[],
    maxBytes: number,
  ): Promise<void>;
  /** At most `limit` lines of an attempt's log after the sequence number `afterSeq`. */
  read(runId: string, attemptId: string, afterSeq: number, limit: number): Promise<LogPage>;
}

/** How a line is stored: compact JSON, the same in every store. */
export function encodeLogLine(line: LogLineRecord): string {
  return JSON.stringify([line.time, line.level, line.stream, line.text]);
}

export function decodeLogLine(seq: number, encoded: string): StoredLogLine {
  const [time, level, stream, text] = JSON.parse(encoded) as [
    number,
    StoredLogLine["level"],
    StoredLogLine["stream"],
    string,
  ];
  return { seq, time, level, stream, text };
}

/** What a stored line counts against its attempt's bound: its stored form in UTF-8. */
export function logLineBytes(encoded: string): number {
  return Buffer.byteLength(encoded);
}
