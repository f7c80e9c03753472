// The worker on an injected clock: rate limits, digests and giving up, with
// a real webhook receiver on loopback and the in-memory outbox.

import { afterEach, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { MemoryNotificationStore } from "../store/memory-notification-store.js";
import type { Delivery } from "../store/notification-store.js";
import { LogCapture } from "../store/redis-test-support.js";
import { type DeliveryOutcome, type DeliverySettings, DeliveryWorker } from "./delivery-worker.js";
import type { Route } from "./notification.js";
import { Receiver } from "./notify-test-support.js";
import { WebhookChannel, type WebhookPayload } from "./webhook-channel.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(settings: Partial<DeliverySettings>) {
  const receiver = await Receiver.start();
  const clock = new ManualClock();
  const store = new MemoryNotificationStore();
  const logs = new LogCapture("info");
  const counts: Record<DeliveryOutcome, number> = { delivered: 0, retried: 0, dropped: 0 };
  const worker = new DeliveryWorker({
    store,
    clock,
    logger: logs.logger,
    channels: new Map([["webhook", new WebhookChannel({ clock, secretOf: async () => "ab" })]]),
    settings,
    counted: (outcome, count) => {
      counts[outcome] += count;
    },
  });
  cleanups.push(
    () => receiver.stop(),
    () => worker.stop(),
  );
  const route: Route = { kind: "webhook", url: receiver.url };
  const enqueue = async (...names: string[]) => {
    const deliveries: Delivery[] = names.map((name) => ({
      id: `${name} webhook`,
      route,
      attempts: 0,
      notification: {
        id: name,
        rule: "failed",
        team: "team-a",
        runId: "run-1",
        taskId: `a.${name}`,
        createdAt: clock.now(),
        title: `a.${name} failed`,
        text: "",
        fields: {},
      },
    }));
    await store.enqueue(deliveries, { maxPending: 100, rememberedSince: 0 });
    worker.wake();
  };
  const ids = () =>
    receiver.taken.map((r) => (r.json as WebhookPayload).notifications.map((n) => n.id));
  return { receiver, clock, store, logs, counts, enqueue, ids };
}

it("sends a team at most its rate a minute; the rest wait and go out as one digest", async () => {
  const { receiver, clock, store, enqueue, ids } = await setUp({ maxPerTeamPerMinute: 2 });
  await enqueue("n1", "n2", "n3", "n4");
  await receiver.waitFor(2);
  expect(ids()).toEqual([["n1"], ["n2", "n3", "n4"]]);
  expect(receiver.taken[1]!.headers["idempotency-key"]).toBe("digest:n2,n3,n4");

  await expect.poll(async () => (await store.pending()).count).toBe(0);
  await enqueue("n5", "n6", "n7");
  // The minute's two messages are spent: they wait for it to end.
  await expect.poll(async () => (await store.pending()).nextDueAt).toBe(clock.now() + 60_000);
  expect(receiver.arrived).toHaveLength(2);
  clock.advance(60_000);
  await receiver.waitFor(4);
  expect(ids().slice(2)).toEqual([["n5"], ["n6", "n7"]]);
});

it("retries with doubling waits, then drops a notification too old, with a log line and a count", async () => {
  const { receiver, clock, store, logs, counts, enqueue } = await setUp({
    initialBackoffMs: 1_000,
    maxBackoffMs: 60_000,
    giveUpAfterMs: 5_000,
  });
  receiver.answer = () => 503;
  await enqueue("n1");
  for (const [tries, wait] of [
    [1, 1_000],
    [2, 2_000],
  ] as const) {
    await receiver.waitFor(tries, "arrived");
    await expect.poll(async () => (await store.pending()).nextDueAt).toBe(clock.now() + wait);
    clock.advance(wait);
  }
  await receiver.waitFor(3, "arrived");
  // The next wait (4 s) would end 7 s after the notification was made: past 5 s.
  await logs.waitFor((line) => line.msg.includes("dropped a notification for team team-a"));
  expect(await store.pending()).toEqual({ count: 0 });
  expect(counts).toEqual({ delivered: 0, retried: 2, dropped: 1 });
  expect(logs.matching("dropped")[0]).toMatchObject({
    lastError: expect.stringContaining("answered 503"),
  });
});

it("drops at once, with a log line and a count, a delivery the receiver refused for good; retries a rate limit", async () => {
  const { receiver, store, logs, counts, enqueue } = await setUp({
    initialBackoffMs: 1_000,
    giveUpAfterMs: 24 * 3_600_000,
  });
  receiver.answer = () => 429;
  await enqueue("n1");
  await receiver.waitFor(1, "arrived");
  // Too many requests: a later send may pass, so it waits for one.
  await expect.poll(() => counts.retried).toBe(1);
  expect(counts).toEqual({ delivered: 0, retried: 1, dropped: 0 });

  receiver.answer = () => 410;
  await enqueue("n2");
  await logs.waitFor((line) => line.msg.includes("refused it for good"));
  expect(receiver.arrived).toHaveLength(2);
  expect(counts).toEqual({ delivered: 0, retried: 1, dropped: 1 });
  // Only the rate-limited one is left, long before the give-up time.
  expect((await store.pending()).count).toBe(1);
  expect(logs.matching("refused it for good")[0]).toMatchObject({
    notification: "n2",
    lastError: expect.stringContaining("answered 410"),
  });
});
