// The timing proxy changes nothing about the store it times: the store
// contract passes through it, and on both stores each operation is timed
// under its name, failures counted as such.

import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { MemoryStore } from "../store/memory-store.js";
import { RedisStore } from "../store/redis-store.js";
import { deleteKeysUnder, randomPrefix, silentLogger } from "../store/redis-test-support.js";
import type { Store } from "../store/store.js";
import { describeStoreContract, testSnapshot } from "../store/store-contract.js";
import { timedStore } from "./timed-store.js";

describeStoreContract("MemoryStore, timed", async () => timedStore(new MemoryStore(), () => {}));

interface Timed {
  readonly operation: string;
  readonly seconds: number;
  readonly failed: boolean;
}

function recording(store: Store): { store: Store; timings: Timed[] } {
  const timings: Timed[] = [];
  return {
    store: timedStore(store, (operation, seconds, failed) =>
      timings.push({ operation, seconds, failed }),
    ),
    timings,
  };
}

const prefix = randomPrefix();

afterAll(async () => {
  const redis = new Redis(inject("redisUrl"));
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

describe.each([
  ["the in-memory store", () => new MemoryStore()],
  ["Redis", () => RedisStore.connect(inject("redisUrl"), { prefix, logger: silentLogger })],
])("timing operations on %s", (_name, open) => {
  it("times each operation under its name, and its access part's as access.<operation>", async () => {
    const { store, timings } = recording(open());
    await store.createRun(testSnapshot("run-1", 1_000));
    expect((await store.getRun("run-1"))?.run.id).toBe("run-1");
    await store.access.loadCredentials();
    await store.close();
    expect(timings.map((timing) => timing.operation)).toEqual([
      "createRun",
      "getRun",
      "access.loadCredentials",
      "close",
    ]);
    expect(timings.every((timing) => timing.seconds >= 0 && !timing.failed)).toBe(true);
  });
});

it("times a failed operation as failed, and it still fails", async () => {
  const unreachable = new MemoryStore();
  unreachable.getRun = () => Promise.reject(new Error("the store is unreachable"));
  const { store, timings } = recording(unreachable);
  await expect(store.getRun("run-1")).rejects.toThrow("the store is unreachable");
  expect(timings).toEqual([{ operation: "getRun", seconds: expect.any(Number), failed: true }]);
});
