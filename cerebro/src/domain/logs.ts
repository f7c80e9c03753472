// What task-servers log per attempt, as cerebro keeps it.

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** Where a line comes from: the handler's logger, a command's output, or Cordyna itself. */
export type LogStream = "logger" | "stdout" | "stderr" | "cordyna";

/** One line an attempt logged. */
export interface LogLineRecord {
  /** When it was logged (ms since the epoch), as the task-server says. */
  readonly time: number;
  readonly level: LogLevel;
  readonly stream: LogStream;
  readonly text: string;
}

/** A stored line with its place in the attempt's log. */
export interface StoredLogLine extends LogLineRecord {
  /** Per attempt, from 1, without gaps. */
  readonly seq: number;
}

/** The most bytes of log kept per attempt by default; older lines are dropped first. */
export const DEFAULT_MAX_LOG_BYTES_PER_ATTEMPT = 1024 * 1024;
