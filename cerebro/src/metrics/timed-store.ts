import type { Store } from "../store/store.js";

/** Hears how long one store operation took, and whether it failed. */
export type StoreTiming = (operation: string, seconds: number, failed: boolean) => void;

/**
 * The store with every asynchronous operation timed, those of its access,
 * logs and events parts too (named "access.<operation>", "logs.<operation>",
 * "events.<operation>", "notifications.<operation>"). A Proxy rather than a class that lists the
 * operations, so that one added to the Store interface is timed as well;
 * the operations still run on the store itself.
 */
export function timedStore(store: Store, timing: StoreTiming): Store {
  const parts: Partial<Record<string | symbol, object>> = {
    access: timedOperations(store.access, "access.", timing),
    logs: timedOperations(store.logs, "logs.", timing),
    events: timedOperations(store.events, "events.", timing),
    notifications: timedOperations(store.notifications, "notifications.", timing),
  };
  return timedOperations(store, "", timing, (property) => parts[property]);
}

function timedOperations<T extends object>(
  target: T,
  prefix: string,
  timing: StoreTiming,
  replaced: (property: string | symbol) => unknown = () => undefined,
): T {
  const wrapped = new Map<string | symbol, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const replacement = replaced(property);
      if (replacement !== undefined) return replacement;
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== "function" || typeof property !== "string") return value;
      let operation = wrapped.get(property);
      if (operation === undefined) {
        operation = timeCalls(object, value as Operation, prefix + property, timing);
        wrapped.set(property, operation);
      }
      return operation;
    },
  });
}

type Operation = (...args: unknown[]) => unknown;

function timeCalls(
  object: object,
  operation: Operation,
  name: string,
  timing: StoreTiming,
): Operation {
  return (...args) => {
    const start = performance.now();
    const result = operation.apply(object, args);
    if (!(result instanceof Promise)) return result;
    const took = (failed: boolean): void =>
      timing(name, (performance.now() - start) / 1_000, failed);
    return result.then(
      (value: unknown) => {
        took(false);
        return value;
      },
      (error: unknown) => {
        took(true);
        throw error;
      },
    );
  };
}
