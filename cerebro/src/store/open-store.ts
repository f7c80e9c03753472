import type { Logger } from "pino";
import { MemoryStore } from "./memory-store.js";
import type { RedisPersistence } from "./redis-persistence.js";
import { isRedisUrl, parseRedisUrl, REDIS_URL_FORMS, redactRedisUrl } from "./redis-url.js";
import type { Store } from "./store.js";

/** The environment variable naming the store when no --store flag does. */
export const STORE_ENV = "CORDYNA_STORE";

/** What a store spec asks for. */
export type StoreSpec =
  | { readonly kind: "memory" }
  | { readonly kind: "redis"; readonly url: string };

/**
 * Reads a store spec: "memory" (or nothing) for the in-memory store, a Redis
 * URL for the Redis store. Throws an Error naming the spec and what is
 * accepted.
 */
export function parseStoreSpec(spec: string | undefined): StoreSpec {
  const text = spec?.trim() ?? "";
  if (text === "" || text.toLowerCase() === "memory") return { kind: "memory" };
  if (isRedisUrl(text)) {
    parseRedisUrl(text);
    return { kind: "redis", url: text };
  }
  throw new Error(
    `unknown store "${redactRedisUrl(text)}": use "memory" or a Redis URL (${REDIS_URL_FORMS.join(", ")})`,
  );
}

/** A short description of a store spec for people, password masked. */
export function describeStoreSpec(spec: StoreSpec): string {
  return spec.kind === "memory" ? "in-memory store" : `Redis store at ${redactRedisUrl(spec.url)}`;
}

/** Options of openStore. */
export interface OpenStoreOptions {
  /** Key prefix of a Redis store. Default "cordyna:". */
  readonly redisPrefix?: string;
  /** TTL of a finished run's keys on Redis (the run retention). Default: none. */
  readonly finishedRunTtlMs?: number;
}

/**
 * Opens the store a spec names (see parseStoreSpec). The Redis store is
 * loaded only when asked for, so the in-memory store never loads ioredis.
 */
export async function openStore(
  spec: string | undefined,
  logger: Logger,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const parsed = parseStoreSpec(spec);
  if (parsed.kind === "memory") return new MemoryStore();
  const { RedisStore } = await import("./redis-store.js");
  return RedisStore.connect(parsed.url, {
    logger,
    ...(options.redisPrefix === undefined ? {} : { prefix: options.redisPrefix }),
    ...(options.finishedRunTtlMs === undefined
      ? {}
      : { finishedRunTtlMs: options.finishedRunTtlMs }),
  });
}

/** A store that can tell whether its data survives a restart of its backend. */
export interface PersistenceChecking {
  checkPersistence(): Promise<RedisPersistence>;
}

/** Runs the store's persistence check, if it has one; undefined when it has none. */
export async function checkStorePersistence(store: Store): Promise<RedisPersistence | undefined> {
  const checking = store as Partial<PersistenceChecking>;
  return typeof checking.checkPersistence === "function" ? checking.checkPersistence() : undefined;
}
