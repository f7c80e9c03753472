import type { Redis } from "ioredis";
import type { EventLimits, EventLogStart, EventStore, LoggedEvent } from "./event-store.js";
import type { RunScript } from "./lua-scripts.js";
import type { RedisKeys } from "./redis-keys.js";

/**
 * Events as sorted sets of JSON: all of them scored by cursor, each run's by
 * seq. Cursors stay below 2^53, so a score holds one exactly.
 */
export class RedisEventStore implements EventStore {
  readonly #keys: RedisKeys;
  readonly #redis: <T>(command: (client: Redis) => Promise<T>) => Promise<T>;
  readonly #script: RunScript;

  /** `redis` runs a command on the store's connection, `script` one of its Lua scripts. */
  constructor(
    keys: RedisKeys,
    redis: <T>(command: (client: Redis) => Promise<T>) => Promise<T>,
    script: RunScript,
  ) {
    this.#keys = keys;
    this.#redis = redis;
    this.#script = script;
  }

  async beginEpoch(): Promise<EventLogStart> {
    const [epoch, seqs] = await this.#redis((client) =>
      Promise.all([
        client.incr(this.#keys.eventEpoch()),
        client.hgetall(this.#keys.openRunEventSeqs()),
      ]),
    );
    return {
      epoch,
      runSeqs: new Map(Object.entries(seqs).map(([runId, seq]) => [runId, Number(seq)])),
    };
  }

  async append(events: readonly LoggedEvent[], limits: EventLimits): Promise<void> {
    if (events.length === 0) return;
    const keys = [this.#keys.events(), this.#keys.openRunEventSeqs()];
    const args: (string | number)[] = [limits.maxEvents, limits.maxEventsPerRun];
    for (const event of events) {
      if (event.runId !== undefined) {
        keys.push(this.#keys.run(event.runId), this.#keys.runEvents(event.runId));
      }
      args.push(
        event.cursor,
        event.runId ?? "",
        event.seq,
        event.kind === "run-finished" ? "1" : "0",
        JSON.stringify(event),
      );
    }
    await this.#script("appendEvents", keys, args);
  }

  async read(afterCursor: number, limit: number): Promise<LoggedEvent[]> {
    return this.#range(this.#keys.events(), afterCursor, limit);
  }

  async readLast(limit: number): Promise<LoggedEvent[]> {
    if (limit <= 0) return [];
    const members = await this.#redis((client) =>
      client.zrevrange(this.#keys.events(), 0, limit - 1),
    );
    return members.reverse().map((json) => JSON.parse(json) as LoggedEvent);
  }

  async readRun(runId: string, afterSeq: number, limit: number): Promise<LoggedEvent[]> {
    return this.#range(this.#keys.runEvents(runId), afterSeq, limit);
  }

  async #range(key: string, after: number, limit: number): Promise<LoggedEvent[]> {
    if (limit <= 0) return [];
    const members = await this.#redis((client) =>
      client.zrangebyscore(key, `(${after}`, "+inf", "LIMIT", 0, limit),
    );
    return members.map((json) => JSON.parse(json) as LoggedEvent);
  }
}
