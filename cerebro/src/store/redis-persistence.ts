import type { Logger } from "pino";

/**
 * What a Redis persists: the append-only file, RDB snapshots, both, nothing,
 * or "unverified" when it would not say (CONFIG refused, as on managed Redis).
 */
export type RedisPersistence = "aof" | "rdb" | "aof+rdb" | "none" | "unverified";

/** Reads one configuration parameter: the reply of CONFIG GET <parameter>. */
export type ConfigGet = (parameter: string) => Promise<unknown>;

/**
 * Reads `appendonly` and `save` and tells what survives a Redis restart;
 * warns loudly when nothing does, and when it could not find out.
 */
export async function checkRedisPersistence(
  configGet: ConfigGet,
  address: string,
  logger: Logger,
): Promise<RedisPersistence> {
  let aof: boolean;
  let rdb: boolean;
  try {
    const appendOnly = configValue(await configGet("appendonly"), "appendonly");
    const save = configValue(await configGet("save"), "save");
    aof = appendOnly.toLowerCase() === "yes";
    rdb = save.trim() !== "";
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.warn(
      { redis: address, reason },
      `could not verify that Redis at ${address} persists anything (${reason}): unless it ` +
        "keeps an append-only file or snapshots, a Redis restart loses every run",
    );
    return "unverified";
  }
  const persistence: RedisPersistence = aof && rdb ? "aof+rdb" : aof ? "aof" : rdb ? "rdb" : "none";
  if (persistence === "none") {
    logger.warn(
      { redis: address, persistence },
      `Redis at ${address} persists nothing: a Redis restart loses every run; enable appendonly yes`,
    );
  } else if (persistence === "rdb") {
    logger.info(
      { redis: address, persistence },
      `Redis at ${address} persists by snapshots only: a Redis crash loses what changed since ` +
        "the last one; appendonly yes loses at most a second",
    );
  } else {
    logger.info(
      { redis: address, persistence },
      `Redis at ${address} persists with ${persistence}`,
    );
  }
  return persistence;
}

function configValue(reply: unknown, parameter: string): string {
  if (Array.isArray(reply) && reply.length >= 2 && typeof reply[1] === "string") return reply[1];
  throw new Error(`CONFIG GET ${parameter} gave no value`);
}
