import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { CordynaError } from "./domain/errors.js";
import { RunState } from "./domain/model.js";
import {
  missingRunMessage,
  RetentionSweeper,
  type RunRetention,
  SWEEP_BATCH,
  SWEEP_INTERVAL_MS,
} from "./retention.js";
import { MemoryStore } from "./store/memory-store.js";
import { RedisStore } from "./store/redis-store.js";
import { deleteKeysUnder, randomPrefix, silentLogger } from "./store/redis-test-support.js";
import type { Store } from "./store/store.js";
import { engineHarness, task } from "./testing/engine-harness.js";

const DAY = 86_400_000;
const retention: RunRetention = { maxAgeMs: 2 * DAY, maxFinishedRuns: 1_000 };

let admin: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  admin = new Redis(inject("redisUrl"));
});

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deleteKeysUnder(admin, prefix);
});

afterAll(async () => {
  await admin.quit();
});

const stores: [string, () => Store][] = [
  ["MemoryStore", () => new MemoryStore()],
  [
    "RedisStore",
    () => {
      const prefix = randomPrefix();
      prefixes.push(prefix);
      return RedisStore.connect(inject("redisUrl"), {
        prefix,
        logger: silentLogger,
        finishedRunTtlMs: retention.maxAgeMs,
      });
    },
  ],
];

describe.each(stores)("retention on the %s", (_, openStore) => {
  let store: Store;

  afterEach(async () => {
    await store.close();
  });

  /** An engine on `store` whose upstream a.rates stays fresh for longer than runs are kept. */
  function harness() {
    store = openStore();
    const h = engineHarness({
      store,
      describeMissingRun: (runId) => missingRunMessage(runId, retention),
    });
    h.graph.declare("server-a", [
      task("a.rates"),
      task("a.slow", { deadlines: { completeMs: 10 * DAY } }),
    ]);
    h.graph.declare("server-b", [
      task("b.use", { dependsOn: [{ taskId: "a.rates", freshWithinMs: 7 * DAY }] }),
    ]);
    h.instances.connect("server-a");
    h.instances.connect("server-b");
    const sweeper = new RetentionSweeper({
      store,
      clock: h.clock,
      logger: pino({ level: "silent" }),
      retention,
    });
    return { ...h, sweeper };
  }

  it("removes old finished runs while their completions still make a downstream run fresh", async () => {
    const h = harness();
    const old = await h.engine.startRun({ targets: ["a.rates"] });
    await h.complete("a.rates");
    const running = await h.engine.startRun({ targets: ["a.slow"] });
    await h.settle();
    await h.report("a.slow", "STARTED");
    h.clock.advance(3 * DAY);

    expect(await h.sweeper.sweep()).toBe(1);
    await expect(h.engine.getRun(old.snapshot.run.id)).rejects.toThrow(
      new CordynaError("NOT_FOUND", missingRunMessage(old.snapshot.run.id, retention)),
    );
    expect((await h.engine.getRun(running.snapshot.run.id)).run.state).toBe(RunState.RUNNING);

    const downstream = await h.engine.startRun({ targets: ["b.use"] });
    expect(downstream.snapshot.taskRuns.find((t) => t.taskId === "a.rates")).toMatchObject({
      state: "SKIPPED",
      reused: { runId: old.snapshot.run.id },
    });
    await h.settle();
    expect(h.instances.invokedTasks()).toEqual(["a.rates", "a.slow", "b.use"]);
    await h.complete("b.use");
    expect((await store.listRuns(10)).map((r) => r.id)).toEqual([
      downstream.snapshot.run.id,
      running.snapshot.run.id,
    ]);
  });

  it("sweeps on the clock until stopped", async () => {
    const h = harness();
    const removals = vi.spyOn(store, "removeFinishedRuns");
    const sweeps = vi.spyOn(h.sweeper, "sweep");
    /** What the sweep the clock started last removed, once the next one is scheduled. */
    const lastSweep = () => sweeps.mock.results.at(-1)?.value as Promise<number>;
    h.sweeper.start();
    h.clock.advance(0);
    expect(await lastSweep()).toBe(0);

    const run = await h.engine.startRun({ targets: ["a.rates"] });
    await h.complete("a.rates");
    h.clock.advance(retention.maxAgeMs);
    expect(sweeps).toHaveBeenCalledTimes(2);
    expect(await lastSweep()).toBe(0);
    h.clock.advance(SWEEP_INTERVAL_MS - 1);
    expect(sweeps).toHaveBeenCalledTimes(2);
    h.clock.advance(1);
    expect(sweeps).toHaveBeenCalledTimes(3);
    expect(removals.mock.calls[2]?.[0]).toEqual({
      finishedBefore: h.clock.now() - retention.maxAgeMs,
      keepNewest: retention.maxFinishedRuns,
      limit: SWEEP_BATCH,
    });
    expect(await lastSweep()).toBe(1);
    await expect(h.engine.getRun(run.snapshot.run.id)).rejects.toThrow("removed");

    h.sweeper.stop();
    h.clock.advance(10 * SWEEP_INTERVAL_MS);
    expect(sweeps).toHaveBeenCalledTimes(3);
  });
});
