import type { LogLineRecord } from "../domain/logs.js";
import {
  decodeLogLine,
  encodeLogLine,
  type LogPage,
  type LogStore,
  logLineBytes,
} from "./log-store.js";

interface AttemptLog {
  /** Encoded lines, the first of them numbered `dropped + 1`. */
  lines: string[];
  bytes: number;
  dropped: number;
}

/** Attempts' logs in this process, per run. */
export class MemoryLogStore implements LogStore {
  readonly #runs = new Map<string, Map<string, AttemptLog>>();
  readonly #hasRun: (runId: string) => boolean;

  /** @param hasRun whether the run is stored: logs of a removed run are not kept. */
  constructor(hasRun: (runId: string) => boolean) {
    this.#hasRun = hasRun;
  }

  async append(
    runId: string,
    attemptId: string,
    lines: readonly LogLineRecord[],
    maxBytes: number,
  ): Promise<void> {
    if (!this.#hasRun(runId)) return;
    let attempts = this.#runs.get(runId);
    if (!attempts) {
      attempts = new Map();
      this.#runs.set(runId, attempts);
    }
    let log = attempts.get(attemptId);
    if (!log) {
      log = { lines: [], bytes: 0, dropped: 0 };
      attempts.set(attemptId, log);
    }
    for (const line of lines) {
      const encoded = encodeLogLine(line);
      log.lines.push(encoded);
      log.bytes += logLineBytes(encoded);
    }
    let cut = 0;
    while (log.bytes > maxBytes && cut < log.lines.length) {
      log.bytes -= logLineBytes(log.lines[cut]!);
      cut++;
    }
    if (cut > 0) {
      log.lines.splice(0, cut);
      log.dropped += cut;
    }
  }

  async read(runId: string, attemptId: string, afterSeq: number, limit: number): Promise<LogPage> {
    const log = this.#runs.get(runId)?.get(attemptId);
    if (!log) return { lines: [], dropped: 0, lastSeq: 0 };
    const from = Math.max(afterSeq, log.dropped) - log.dropped;
    const lines = log.lines
      .slice(from, from + Math.max(0, limit))
      .map((encoded, i) => decodeLogLine(log.dropped + from + i + 1, encoded));
    return { lines, dropped: log.dropped, lastSeq: log.dropped + log.lines.length };
  }

  /** Forgets a removed run's logs. */
  removeRun(runId: string): void {
    this.#runs.delete(runId);
  }
}
