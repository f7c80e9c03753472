// Helpers for the tests of RedisStore: private key prefixes, key listing and
// clean-up, and a logger whose lines a test can wait for.

import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { type Logger, pino } from "pino";

/** A key prefix no other test uses. */
export function randomPrefix(): string {
  return `cordyna-test-${randomBytes(6).toString("hex")}:`;
}

/** Every key matching a SCAN pattern ("*" for all). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys.sort();
}

/** Deletes every key under a prefix. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await scanKeys(redis, `${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** One parsed log line. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A pino logger that keeps its lines, and lets a test await a line. */
export class LogCapture {
  readonly lines: LogLine[] = [];
  readonly logger: Logger;
  readonly #waiters = new Set<{ match: (line: LogLine) => boolean; resolve: () => void }>();

  constructor(level = "debug") {
    this.logger = pino(
      { level },
      {
        write: (text: string) => {
          const line = JSON.parse(text) as LogLine;
          this.lines.push(line);
          for (const waiter of this.#waiters) {
            if (!waiter.match(line)) continue;
            this.#waiters.delete(waiter);
            waiter.resolve();
          }
        },
      },
    );
  }

  /** Resolves once a line matches (at once if one already has). */
  waitFor(match: (line: LogLine) => boolean): Promise<void> {
    if (this.lines.some(match)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ match, resolve }));
  }

  /** Lines whose message contains `text`. */
  matching(text: string): LogLine[] {
    return this.lines.filter((line) => line.msg.includes(text));
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = pino({ level: "silent" });
