import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

/** Where the default logger writes: stdout, or a stream a test passes. */
export type LogDestination = NodeJS.WritableStream & { readonly isTTY?: boolean };

/**
 * The SDK's default logger at LOG_LEVEL (default info): readable lines on a
 * terminal (pino-pretty), JSON lines otherwise, for log collectors.
 */
export function defaultLogger(
  destination: LogDestination = process.stdout,
  level: string = process.env.LOG_LEVEL ?? "info",
): Logger {
  if (!destination.isTTY) return pino({ level }, destination);
  return pino(
    { level },
    pretty({
      destination,
      colorize: true,
      sync: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      singleLine: true,
    }),
  );
}
