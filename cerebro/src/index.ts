// Cerebro's public surface: start it, and the types its callers see.

export { type Cerebro, type CerebroOptions, startCerebro } from "./cerebro.js";
export { type Clock, ManualClock, systemClock, type TimerHandle } from "./clock.js";
export { CordynaError, ErrorCode } from "./domain/errors.js";
export { ErrorCause, RunState, TaskState } from "./domain/model.js";
export type { CerebroEvent, CerebroEventKind } from "./events.js";
export { MemoryStore } from "./store/memory-store.js";
export type { CreatedRun, Store, StoreChanges } from "./store/store.js";
