import { type Logger, pino } from "pino";

/**
 * Cerebro's structured logger: JSON lines on stderr (stdout stays free for
 * the CLI), at the given level, else LOG_LEVEL's, else "info".
 */
export function createLogger(name = "cerebro", level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level }, pino.destination(2));
}
