import { type Logger, pino } from "pino";

/**
 * Cerebro's structured logger: JSON lines on stderr (stdout stays free for
 * the CLI), level from LOG_LEVEL (default "info").
 */
export function createLogger(name = "cerebro"): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));
}
