import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../clock.js";
import type { Delivery, NotificationStore } from "../store/notification-store.js";
import {
  type Channel,
  type Notification,
  PermanentDeliveryError,
  type Route,
} from "./notification.js";
import { formatRoute } from "./routes.js";

/** How the worker delivers; every field has a default (DEFAULT_DELIVERY_SETTINGS). */
export interface DeliverySettings {
  /** The most sends (a digest is one) under way at once. */
  readonly maxInFlight: number;
  /** The most messages one team's route gets in a minute; the rest wait and go as one digest. */
  readonly maxPerTeamPerMinute: number;
  /** The wait after a first failed send; it doubles with each failure, up to maxBackoffMs. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** A notification not delivered this long after cerebro made it is dropped. */
  readonly giveUpAfterMs: number;
  /** How long a claim keeps a delivery from other claims: longer than any send may take. */
  readonly claimMs: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  maxInFlight: 8,
  maxPerTeamPerMinute: 10,
  initialBackoffMs: 5_000,
  maxBackoffMs: 10 * 60_000,
  giveUpAfterMs: 24 * 3_600_000,
  claimMs: 60_000,
};

/** What became of deliveries, for metrics. */
export type DeliveryOutcome = "delivered" | "retried" | "dropped";

/** The most deliveries one claim takes: what one team's digest can hold at most. */
const CLAIM_BATCH = 200;
const MINUTE_MS = 60_000;

/** One message to send: one delivery, or a digest of several to the same route. */
interface Message {
  readonly route: Route;
  readonly deliveries: readonly Delivery[];
}

/**
 * Delivers the outbox: claims due deliveries, sends each (or a team's
 * surplus over its rate as one digest) through the channel of its route's
 * kind, marks them delivered, and reschedules failures with exponential
 * backoff until they are too old. Ticks when woken, when a send ends, and
 * when the next delivery falls due on the clock.
 */
export class DeliveryWorker {
  readonly #store: NotificationStore;
  readonly #channels: ReadonlyMap<Route["kind"], Channel>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #settings: DeliverySettings;
  readonly #counted: (outcome: DeliveryOutcome, count: number) => void;
  /** Team and route → when its recent messages went, oldest first. */
  readonly #sent = new Map<string, number[]>();
  readonly #sends = new Set<{ controller: AbortController; done: Promise<void> }>();
  #timer: TimerHandle | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #tickQueued = false;
  #stopped = false;

  constructor(options: {
    store: NotificationStore;
    channels: ReadonlyMap<Route["kind"], Channel>;
    clock: Clock;
    logger: Logger;
    settings?: Partial<DeliverySettings>;
    counted?: (outcome: DeliveryOutcome, count: number) => void;
  }) {
    this.#store = options.store;
    this.#channels = options.channels;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#settings = { ...DEFAULT_DELIVERY_SETTINGS, ...options.settings };
    this.#counted = options.counted ?? (() => {});
  }

  /** Looks at the outbox soon: new deliveries are in it. */
  wake(): void {
    if (this.#stopped || this.#tickQueued) return;
    this.#tickQueued = true;
    this.#ticking = this.#ticking.then(async () => {
      this.#tickQueued = false;
      try {
        await this.#tick();
      } catch (err) {
        if (!this.#stopped)
          this.#logger.error({ err }, "the notification outbox could not be read");
      }
    });
  }

  /**
   * Stops claiming, aborts the sends under way and puts their deliveries
   * back, due at once, so that the next cerebro sends them without waiting
   * for their claims to end. Resolves once they are back in the store.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    for (const send of this.#sends) send.controller.abort();
    await Promise.all([...this.#sends].map((send) => send.done));
    await this.#ticking;
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    let free = this.#settings.maxInFlight - this.#sends.size;
    if (free > 0) {
      const now = this.#clock.now();
      const claimed = await this.#store.claim(now, now + this.#settings.claimMs, CLAIM_BATCH);
      for (const message of await this.#messages(claimed, now)) {
        if (free > 0 && !this.#stopped) {
          free--;
          this.#start(message);
        } else {
          for (const delivery of message.deliveries) await this.#store.reschedule(delivery, now);
        }
      }
    }
    await this.#armTimer();
  }

  /** The claimed deliveries as messages within each team's rate; those over it wait for it. */
  async #messages(claimed: readonly Delivery[], now: number): Promise<Message[]> {
    const groups = new Map<string, Delivery[]>();
    for (const delivery of claimed) {
      if (!this.#channels.has(delivery.route.kind)) {
        await this.#drop([delivery], `cerebro has no channel for ${delivery.route.kind} routes`);
        continue;
      }
      if (now - delivery.notification.createdAt > this.#settings.giveUpAfterMs) {
        await this.#drop([delivery], "not delivered in time");
        continue;
      }
      const key = rateKey(delivery);
      const group = groups.get(key) ?? [];
      group.push(delivery);
      groups.set(key, group);
    }
    const messages: Message[] = [];
    for (const [key, deliveries] of groups) {
      const recent = this.#recentSends(key, now);
      const budget = this.#settings.maxPerTeamPerMinute - recent.length;
      const route = deliveries[0]!.route;
      if (budget <= 0) {
        const freedAt = (recent[0] ?? now) + MINUTE_MS;
        for (const delivery of deliveries) await this.#store.reschedule(delivery, freedAt);
        continue;
      }
      // One message each while the rate allows, the last message a digest of the rest.
      const single = deliveries.length <= budget ? deliveries.length : budget - 1;
      for (const delivery of deliveries.slice(0, single))
        messages.push({ route, deliveries: [delivery] });
      if (single < deliveries.length)
        messages.push({ route, deliveries: deliveries.slice(single) });
    }
    return messages;
  }

  #recentSends(key: string, now: number): number[] {
    const recent = (this.#sent.get(key) ?? []).filter((at) => at > now - MINUTE_MS);
    if (recent.length === 0) this.#sent.delete(key);
    else this.#sent.set(key, recent);
    return recent;
  }

  #start(message: Message): void {
    const key = rateKey(message.deliveries[0]!);
    const now = this.#clock.now();
    this.#sent.set(key, [...this.#recentSends(key, now), now]);
    const controller = new AbortController();
    const send = { controller, done: Promise.resolve() };
    send.done = this.#send(message, controller.signal)
      .catch((err: unknown) => {
        this.#logger.error({ err }, "a notification's delivery could not be recorded");
      })
      .finally(() => {
        this.#sends.delete(send);
        this.wake();
      });
    this.#sends.add(send);
  }

  async #send(message: Message, signal: AbortSignal): Promise<void> {
    const { route, deliveries } = message;
    const channel = this.#channels.get(route.kind)!;
    const notifications: Notification[] = deliveries.map((d) => d.notification);
    const ids = deliveries.map((d) => d.id);
    try {
      await channel.send(route, notifications, signal);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (this.#stopped) {
        for (const delivery of deliveries)
          await this.#store.reschedule(delivery, this.#clock.now());
      } else if (err instanceof PermanentDeliveryError) {
        await this.#drop(
          deliveries.map((delivery) => ({
            ...delivery,
            attempts: delivery.attempts + 1,
            lastError: why,
          })),
          `the receiver refused it for good, so it is not retried: ${why}`,
        );
      } else {
        await this.#retry(deliveries, why);
      }
      return;
    }
    const now = this.#clock.now();
    await this.#store.delivered(ids, now, now - this.#settings.giveUpAfterMs);
    this.#counted("delivered", deliveries.length);
    this.#logger.info(
      { route: formatRoute(route), team: notifications[0]?.team, notifications: ids.length },
      ids.length === 1
        ? `notified team ${notifications[0]?.team}`
        : `sent team ${notifications[0]?.team} a digest of ${ids.length} notifications`,
    );
  }

  async #retry(deliveries: readonly Delivery[], why: string): Promise<void> {
    const now = this.#clock.now();
    const tooOld: Delivery[] = [];
    for (const delivery of deliveries) {
      const attempts = delivery.attempts + 1;
      const backoff = Math.min(
        this.#settings.maxBackoffMs,
        this.#settings.initialBackoffMs * 2 ** (attempts - 1),
      );
      if (now + backoff - delivery.notification.createdAt > this.#settings.giveUpAfterMs) {
        tooOld.push({ ...delivery, attempts, lastError: why });
        continue;
      }
      await this.#store.reschedule({ ...delivery, attempts, lastError: why }, now + backoff);
      this.#counted("retried", 1);
    }
    if (tooOld.length > 0) await this.#drop(tooOld, `not delivered in time; the last send: ${why}`);
    else
      this.#logger.warn(
        { route: formatRoute(deliveries[0]!.route), err: why },
        "a notification's delivery failed; it is retried",
      );
  }

  async #drop(deliveries: readonly Delivery[], why: string): Promise<void> {
    await this.#store.drop(deliveries.map((d) => d.id));
    this.#counted("dropped", deliveries.length);
    for (const delivery of deliveries) {
      this.#logger.warn(
        {
          notification: delivery.notification.id,
          team: delivery.notification.team,
          route: formatRoute(delivery.route),
          attempts: delivery.attempts,
          lastError: delivery.lastError,
        },
        `dropped a notification for team ${delivery.notification.team}: ${why}`,
      );
    }
  }

  /** Wakes the worker when the next delivery falls due (or a claim ends). */
  async #armTimer(): Promise<void> {
    const { nextDueAt } = await this.#store.pending();
    this.#timer?.cancel();
    this.#timer = undefined;
    if (nextDueAt === undefined || this.#stopped) return;
    // Due now while every slot is busy: the end of a send wakes the worker.
    if (nextDueAt <= this.#clock.now() && this.#sends.size >= this.#settings.maxInFlight) return;
    this.#timer = this.#clock.at(nextDueAt, () => this.wake());
  }
}

/** Messages are counted per team and route. */
function rateKey(delivery: Delivery): string {
  return `${delivery.notification.team}\n${formatRoute(delivery.route)}`;
}
