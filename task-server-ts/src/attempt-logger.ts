// The logger a handler gets: logs as the server's logger does, and hands
// each line it logs to the attempt's log, which goes up to cerebro.

import { format } from "node:util";
import { LogLevel, LogStream } from "@cordyna/contract";
import type { Logger } from "pino";

/**
 * Marks a command's output line with the stream it came from, e.g.
 * `logger.info({ [OUTPUT_STREAM]: LogStream.STDOUT }, line)`. pino writes no
 * symbol keys, so only the attempt's log sees it.
 */
export const OUTPUT_STREAM = Symbol("cordyna.outputStream");

/** Receives one line: its level, where it came from, and its text. */
export type LineSink = (level: LogLevel, stream: LogStream, text: string) => void;

const LEVELS: Readonly<Record<string, LogLevel>> = {
  trace: LogLevel.TRACE,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.FATAL,
};

/**
 * `logger`, and its children, with every line logged at info or above, or
 * at a lower level the logger has enabled, also given to `sink`: a server
 * that prints only warnings itself (LOG_LEVEL=warn) still sends its
 * attempts' ordinary lines to cerebro.
 */
export function capturingLogger(logger: Logger, sink: LineSink): Logger {
  return new Proxy(logger, {
    get(target, property, receiver) {
      if (property === "child") {
        return (...args: Parameters<Logger["child"]>) =>
          capturingLogger(target.child(...args) as unknown as Logger, sink);
      }
      const level = typeof property === "string" ? LEVELS[property] : undefined;
      if (level === undefined) return Reflect.get(target, property, receiver);
      const method = property as keyof typeof LEVELS & "info";
      return (...args: unknown[]) => {
        if (level >= LogLevel.INFO || target.isLevelEnabled(method)) {
          const { stream, text } = describe(args);
          sink(level, stream, text);
        }
        return (target[method] as (...a: unknown[]) => void)(...args);
      };
    },
  });
}

/** What a pino call's arguments say: its message, then its fields as JSON. */
function describe(args: readonly unknown[]): { stream: LogStream; text: string } {
  let [first, ...rest] = args;
  let fields: object | undefined;
  let stream: LogStream = LogStream.LOGGER;
  if (first instanceof Error) {
    fields = { err: first };
    first = rest.length > 0 ? rest.shift() : first.message;
  } else if (typeof first === "object" && first !== null) {
    const marked = (first as Record<symbol, unknown>)[OUTPUT_STREAM];
    if (marked !== undefined) stream = marked as LogStream;
    else fields = first;
    first = rest.shift();
  }
  const message = first === undefined ? "" : format(first, ...rest);
  const structured =
    fields && Object.keys(fields).length > 0 ? JSON.stringify(fields, errorsAsText) : "";
  if (!structured) return { stream, text: message };
  return { stream, text: message ? `${message} ${structured}` : structured };
}

/** JSON.stringify writes an Error as {}: its type, message and stack say more. */
function errorsAsText(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { type: value.name, message: value.message, stack: value.stack };
}
