import type { StoredRoute, TeamRoutes } from "../notify/routes.js";
import { plainCopy } from "../plain-copy.js";
import type { Delivery, Enqueued, NotificationStore } from "./notification-store.js";

/** Routes, failures and the outbox in this process. */
export class MemoryNotificationStore implements NotificationStore {
  readonly #routes = new Map<string, StoredRoute[]>();
  readonly #failed = new Map<string, string>();
  readonly #lateChecks = new Map<string, number>();
  /** Delivery id → the delivery and when it is next due (or its claim ends). */
  readonly #outbox = new Map<string, { delivery: Delivery; dueAt: number }>();
  /** Delivered ids → when, in the order delivered. */
  readonly #delivered = new Map<string, number>();

  async setRoutes(team: string, routes: readonly StoredRoute[]): Promise<void> {
    if (routes.length === 0) this.#routes.delete(team);
    else this.#routes.set(team, plainCopy([...routes]));
  }

  async getRoutes(team: string): Promise<StoredRoute[]> {
    return plainCopy(this.#routes.get(team) ?? []);
  }

  async listRoutes(): Promise<TeamRoutes[]> {
    return [...this.#routes.keys()]
      .sort()
      .map((team) => ({ team, routes: plainCopy(this.#routes.get(team) ?? []) }));
  }

  async markFailed(failures: ReadonlyMap<string, string>): Promise<void> {
    for (const [taskId, runId] of failures) this.#failed.set(taskId, runId);
  }

  async clearFailed(taskIds: readonly string[]): Promise<Map<string, string>> {
    const cleared = new Map<string, string>();
    for (const taskId of taskIds) {
      const runId = this.#failed.get(taskId);
      if (runId === undefined) continue;
      cleared.set(taskId, runId);
      this.#failed.delete(taskId);
    }
    return cleared;
  }

  async saveLateCheck(taskId: string, tickMs: number): Promise<void> {
    this.#lateChecks.set(taskId, tickMs);
  }

  async loadLateChecks(): Promise<Map<string, number>> {
    return new Map(this.#lateChecks);
  }

  async enqueue(
    deliveries: readonly Delivery[],
    limits: { maxPending: number; rememberedSince: number },
  ): Promise<Enqueued> {
    let added = 0;
    let duplicates = 0;
    let refused = 0;
    for (const delivery of deliveries) {
      const deliveredAt = this.#delivered.get(delivery.id);
      if (
        this.#outbox.has(delivery.id) ||
        (deliveredAt !== undefined && deliveredAt >= limits.rememberedSince)
      ) {
        duplicates++;
      } else if (this.#outbox.size >= limits.maxPending) {
        refused++;
      } else {
        this.#outbox.set(delivery.id, { delivery: plainCopy(delivery), dueAt: 0 });
        added++;
      }
    }
    return { added, duplicates, refused };
  }

  async claim(now: number, claimedUntil: number, limit: number): Promise<Delivery[]> {
    const due = [...this.#outbox.values()]
      .filter((entry) => entry.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt || compare(a.delivery.id, b.delivery.id))
      .slice(0, Math.max(0, limit));
    for (const entry of due) entry.dueAt = claimedUntil;
    return plainCopy(due.map((entry) => entry.delivery));
  }

  async reschedule(delivery: Delivery, dueAt: number): Promise<void> {
    if (!this.#outbox.has(delivery.id)) return;
    this.#outbox.set(delivery.id, { delivery: plainCopy(delivery), dueAt });
  }

  async delivered(ids: readonly string[], now: number, forgetBefore: number): Promise<void> {
    for (const id of ids) {
      this.#outbox.delete(id);
      this.#delivered.delete(id);
      this.#delivered.set(id, now);
    }
    for (const [id, at] of this.#delivered) {
      if (at >= forgetBefore) break;
      this.#delivered.delete(id);
    }
  }

  async drop(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#outbox.delete(id);
  }

  async pending(): Promise<{ count: number; nextDueAt?: number }> {
    let nextDueAt: number | undefined;
    for (const { dueAt } of this.#outbox.values()) {
      if (nextDueAt === undefined || dueAt < nextDueAt) nextDueAt = dueAt;
    }
    return {
      count: this.#outbox.size,
      ...(nextDueAt === undefined ? {} : { nextDueAt }),
    };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
