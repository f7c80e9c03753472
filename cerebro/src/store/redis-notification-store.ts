import type { Redis } from "ioredis";
import type { StoredRoute, TeamRoutes } from "../notify/routes.js";
import type { RunScript } from "./lua-scripts.js";
import type { Delivery, Enqueued, NotificationStore } from "./notification-store.js";
import type { RedisKeys } from "./redis-keys.js";

/**
 * Routes and failures as hashes; the outbox as a hash of deliveries by id
 * with a sorted set of their due times, which a claim moves to the end of
 * the claim in the same script, so that two claims never take one delivery.
 */
export class RedisNotificationStore implements NotificationStore {
  readonly #keys: RedisKeys;
  readonly #redis: <T>(command: (client: Redis) => Promise<T>) => Promise<T>;
  readonly #script: RunScript;

  constructor(
    keys: RedisKeys,
    redis: <T>(command: (client: Redis) => Promise<T>) => Promise<T>,
    script: RunScript,
  ) {
    this.#keys = keys;
    this.#redis = redis;
    this.#script = script;
  }

  async setRoutes(team: string, routes: readonly StoredRoute[]): Promise<void> {
    const key = this.#keys.notifyRoutes();
    await this.#redis((client) =>
      routes.length === 0 ? client.hdel(key, team) : client.hset(key, team, JSON.stringify(routes)),
    );
  }

  async getRoutes(team: string): Promise<StoredRoute[]> {
    const json = await this.#redis((client) => client.hget(this.#keys.notifyRoutes(), team));
    return json === null ? [] : (JSON.parse(json) as StoredRoute[]);
  }

  async listRoutes(): Promise<TeamRoutes[]> {
    const all = await this.#redis((client) => client.hgetall(this.#keys.notifyRoutes()));
    return Object.keys(all)
      .sort()
      .map((team) => ({ team, routes: JSON.parse(all[team] ?? "[]") as StoredRoute[] }));
  }

  async markFailed(failures: ReadonlyMap<string, string>): Promise<void> {
    if (failures.size === 0) return;
    await this.#redis((client) => client.hset(this.#keys.notifyFailed(), failures));
  }

  /** One MULTI: a failure marked between the read and the delete would be lost otherwise. */
  async clearFailed(taskIds: readonly string[]): Promise<Map<string, string>> {
    const cleared = new Map<string, string>();
    if (taskIds.length === 0) return cleared;
    const key = this.#keys.notifyFailed();
    const replies = await this.#redis((client) =>
      client
        .multi()
        .hmget(key, ...taskIds)
        .hdel(key, ...taskIds)
        .exec(),
    );
    const runIds = (replies?.[0]?.[1] ?? []) as (string | null)[];
    taskIds.forEach((taskId, i) => {
      const runId = runIds[i];
      if (runId) cleared.set(taskId, runId);
    });
    return cleared;
  }

  async saveLateCheck(taskId: string, tickMs: number): Promise<void> {
    await this.#redis((client) => client.hset(this.#keys.notifyLateChecked(), taskId, tickMs));
  }

  async loadLateChecks(): Promise<Map<string, number>> {
    const all = await this.#redis((client) => client.hgetall(this.#keys.notifyLateChecked()));
    return new Map(Object.entries(all).map(([taskId, tick]) => [taskId, Number(tick)]));
  }

  async enqueue(
    deliveries: readonly Delivery[],
    limits: { maxPending: number; rememberedSince: number },
  ): Promise<Enqueued> {
    if (deliveries.length === 0) return { added: 0, duplicates: 0, refused: 0 };
    const [added = 0, duplicates = 0, refused = 0] = (await this.#script(
      "enqueueDeliveries",
      [this.#keys.notifyOutbox(), this.#keys.notifyDue(), this.#keys.notifyDelivered()],
      [
        limits.maxPending,
        limits.rememberedSince,
        ...deliveries.flatMap((delivery) => [delivery.id, JSON.stringify(delivery)]),
      ],
    )) as number[];
    return { added, duplicates, refused };
  }

  async claim(now: number, claimedUntil: number, limit: number): Promise<Delivery[]> {
    if (limit <= 0) return [];
    const claimed = (await this.#script(
      "claimDeliveries",
      [this.#keys.notifyDue(), this.#keys.notifyOutbox()],
      [now, claimedUntil, Math.floor(limit)],
    )) as string[];
    return claimed.map((json) => JSON.parse(json) as Delivery);
  }

  async reschedule(delivery: Delivery, dueAt: number): Promise<void> {
    await this.#script(
      "rescheduleDelivery",
      [this.#keys.notifyOutbox(), this.#keys.notifyDue()],
      [delivery.id, JSON.stringify(delivery), dueAt],
    );
  }

  async delivered(ids: readonly string[], now: number, forgetBefore: number): Promise<void> {
    if (ids.length === 0) return;
    const done = this.#keys.notifyDelivered();
    await this.#redis((client) =>
      client
        .multi()
        .hdel(this.#keys.notifyOutbox(), ...ids)
        .zrem(this.#keys.notifyDue(), ...ids)
        .zadd(done, ...ids.flatMap((id) => [now, id]))
        .zremrangebyscore(done, "-inf", `(${forgetBefore}`)
        .exec(),
    );
  }

  async drop(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#redis((client) =>
      client
        .multi()
        .hdel(this.#keys.notifyOutbox(), ...ids)
        .zrem(this.#keys.notifyDue(), ...ids)
        .exec(),
    );
  }

  async pending(): Promise<{ count: number; nextDueAt?: number }> {
    const [count, first] = await this.#redis((client) =>
      Promise.all([
        client.hlen(this.#keys.notifyOutbox()),
        client.zrange(this.#keys.notifyDue(), 0, 0, "WITHSCORES"),
      ]),
    );
    return { count, ...(first[1] === undefined ? {} : { nextDueAt: Number(first[1]) }) };
  }
}
