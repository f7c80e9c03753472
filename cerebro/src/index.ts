// Cerebro's public surface: start it, and the types its callers see.

export { type Cerebro, type CerebroOptions, startCerebro } from "./cerebro.js";
export { type Clock, ManualClock, systemClock, type TimerHandle } from "./clock.js";
export {
  CEREBRO_ENV,
  type CerebroConfig,
  CerebroConfigError,
  type CerebroEnvName,
  type CerebroFlags,
  parseCerebroConfig,
} from "./config.js";
export { CordynaError, ErrorCode } from "./domain/errors.js";
export { ErrorCause, RunState, TaskState } from "./domain/model.js";
export type { CerebroEvent, CerebroEventKind } from "./events.js";
export {
  type CerebroService,
  type CerebroServiceOptions,
  startCerebroService,
} from "./service.js";
export { MemoryStore } from "./store/memory-store.js";
export {
  checkStorePersistence,
  describeStoreSpec,
  type OpenStoreOptions,
  openStore,
  type PersistenceChecking,
  parseStoreSpec,
  STORE_ENV,
  type StoreSpec,
} from "./store/open-store.js";
export { DEFAULT_REDIS_PREFIX } from "./store/redis-keys.js";
export type { RedisPersistence } from "./store/redis-persistence.js";
export { RedisStore, type RedisStoreOptions } from "./store/redis-store.js";
export {
  type ParsedRedisUrl,
  parseRedisUrl,
  REDIS_URL_FORMS,
  type RedisConnectionOptions,
  type RedisEndpoint,
} from "./store/redis-url.js";
export type { CreatedRun, Store, StoreChanges } from "./store/store.js";
