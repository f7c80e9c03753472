import {
  type LogLine,
  type LogStream,
  type ProtocolVersion,
  TASK_LOGS_MINOR,
  type TaskLogs,
} from "@cordyna/contract";

/** The most bytes of log lines kept per attempt until they are sent, by default. */
export const DEFAULT_MAX_LOG_BYTES_PER_ATTEMPT = 1024 * 1024;
/** How often buffered lines are sent. */
const FLUSH_INTERVAL_MS = 200;
/**
 * The most bytes sent per interval, across attempts: 640 KiB a second,
 * under the 1 MiB a second cerebro takes from a stream by default.
 */
const MAX_BYTES_PER_FLUSH = 128 * 1024;
/** The most lines one TaskLogs message carries (the proto's limit). */
const MAX_LINES_PER_MESSAGE = 1_000;
/** The most bytes of text one TaskLogs message carries. */
const MAX_BYTES_PER_MESSAGE = 256 * 1024;

interface AttemptBuffer {
  lines: LogLine[];
  bytes: number;
  /** Lines dropped (or refused by cerebro) since the last message sent. */
  dropped: number;
}

/**
 * Sends what attempts log up the stream (protocol 1.3): keeps each attempt's
 * newest lines up to a bound until they can be sent, dropping the oldest and
 * counting them, and sends them in batches a few times a second at a pace
 * cerebro takes. To a cerebro older than 1.3 nothing is kept or sent.
 */
export class LogShipper {
  readonly #send: (logs: TaskLogs) => void;
  readonly #maxBytesPerAttempt: number;
  readonly #attempts = new Map<string, AttemptBuffer>();
  /** Undefined until a Welcome says whether cerebro takes logs. */
  #accepted: boolean | undefined;
  #connected = false;
  #timer: NodeJS.Timeout | undefined;

  /** @param send writes one TaskLogs message on the current stream. */
  constructor(send: (logs: TaskLogs) => void, maxBytesPerAttempt: number) {
    this.#send = send;
    this.#maxBytesPerAttempt = maxBytesPerAttempt;
  }

  /**
   * A stream was welcomed by a cerebro of this version: sends what waited,
   * so that an attempt's lines go before its final update is resent.
   */
  welcomed(version: ProtocolVersion | undefined): void {
    this.#accepted =
      version !== undefined && version.major === 1 && version.minor >= TASK_LOGS_MINOR;
    this.#connected = true;
    if (!this.#accepted) this.#attempts.clear();
    this.flushAll();
  }

  /** The stream is gone: lines wait, within their bound, for the next one. */
  disconnected(): void {
    this.#connected = false;
  }

  /** Keeps a line of an attempt, to be sent. */
  add(attemptId: string, line: LogLine): void {
    if (this.#accepted === false) return;
    let buffer = this.#attempts.get(attemptId);
    if (!buffer) {
      buffer = { lines: [], bytes: 0, dropped: 0 };
      this.#attempts.set(attemptId, buffer);
    }
    buffer.lines.push(line);
    buffer.bytes += Buffer.byteLength(line.text);
    let cut = 0;
    while (buffer.bytes > this.#maxBytesPerAttempt && cut < buffer.lines.length) {
      buffer.bytes -= Buffer.byteLength(buffer.lines[cut]!.text);
      cut++;
    }
    if (cut > 0) {
      buffer.lines.splice(0, cut);
      buffer.dropped += cut;
    }
    this.#schedule();
  }

  /**
   * Sends every line of an attempt that has ended, now: before its final
   * update, after which a follower of its log stops reading. Lines logged
   * after it are still sent, and kept while its run goes on.
   */
  end(attemptId: string): void {
    const buffer = this.#attempts.get(attemptId);
    if (buffer && this.#connected) this.#sendAttempt(attemptId, buffer, Number.POSITIVE_INFINITY);
  }

  /** Cerebro did not keep lines: counted as dropped, unless it will take none of this attempt's. */
  refused(attemptId: string, lines: number, code: string): void {
    const buffer = this.#attempts.get(attemptId);
    if (code !== "RESOURCE_EXHAUSTED") {
      this.#attempts.delete(attemptId);
      return;
    }
    if (buffer) buffer.dropped += lines;
    else this.#attempts.set(attemptId, { lines: [], bytes: 0, dropped: lines });
    this.#schedule();
  }

  /** Sends what every attempt has buffered, regardless of the pace. */
  flushAll(): void {
    if (!this.#connected) return;
    for (const [attemptId, buffer] of this.#attempts) {
      this.#sendAttempt(attemptId, buffer, Number.POSITIVE_INFINITY);
    }
  }

  /** Stops the timer; what is buffered is dropped. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#attempts.clear();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushPaced();
    }, FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  #flushPaced(): void {
    if (this.#connected && this.#accepted) {
      let budget = MAX_BYTES_PER_FLUSH;
      for (const [attemptId, buffer] of this.#attempts) {
        if (budget <= 0) break;
        budget -= this.#sendAttempt(attemptId, buffer, budget);
      }
    }
    if (this.#attempts.size > 0) this.#schedule();
  }

  /**
   * Sends up to `budget` bytes of the attempt's lines (at least one line, so
   * that a line longer than a batch still goes); returns the bytes sent.
   */
  #sendAttempt(attemptId: string, buffer: AttemptBuffer, budget: number): number {
    if (!this.#accepted) return 0;
    let sent = 0;
    while ((buffer.lines.length > 0 || buffer.dropped > 0) && sent < budget) {
      let count = 0;
      let bytes = 0;
      while (count < buffer.lines.length && count < MAX_LINES_PER_MESSAGE) {
        const size = Buffer.byteLength(buffer.lines[count]!.text);
        const first = count === 0 && sent === 0;
        if (!first && (bytes + size > MAX_BYTES_PER_MESSAGE || sent + bytes + size > budget)) {
          break;
        }
        bytes += size;
        count++;
      }
      if (count === 0 && buffer.dropped === 0) break;
      const lines = buffer.lines.splice(0, count);
      buffer.bytes -= bytes;
      this.#send({
        $typeName: "cordyna.v1.TaskLogs",
        attemptId,
        lines,
        droppedLines: BigInt(buffer.dropped),
      });
      buffer.dropped = 0;
      sent += bytes;
    }
    // An attempt with nothing left is forgotten; a later line starts it again.
    if (buffer.lines.length === 0 && buffer.dropped === 0) this.#attempts.delete(attemptId);
    return sent;
  }
}

/** A line of an attempt's log; `text` is cut to pieces by {@link logLinePieces} first. */
export function logLine(
  level: LogLine["level"],
  stream: LogStream,
  text: string,
  time: LogLine["time"],
): LogLine {
  return { $typeName: "cordyna.v1.LogLine", time, level, stream, text };
}

/**
 * The most UTF-16 code units of one line: each takes at most 3 bytes in
 * UTF-8, so a piece stays within the protocol's 16 KiB a line.
 */
const MAX_LINE_UNITS = Math.floor(16_384 / 3);

/** A text cut into pieces a LogLine may carry. */
export function logLinePieces(text: string): string[] {
  if (text.length <= MAX_LINE_UNITS) return [text];
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += MAX_LINE_UNITS) {
    pieces.push(text.slice(start, start + MAX_LINE_UNITS));
  }
  return pieces;
}
