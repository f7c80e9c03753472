import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { RunState, TaskState } from "../domain/model.js";
import { EventLog } from "../event-log.js";
import { EventBus } from "../events.js";
import { RedisServerProcess } from "../testing/redis-server.js";
import { describeAccessStoreContract, expectAuditCapacity } from "./access-store-contract.js";
import { describeNotificationStoreContract } from "./notification-store-contract.js";
import { RedisAccessStore } from "./redis-access-store.js";
import { RedisKeys } from "./redis-keys.js";
import { RedisStore } from "./redis-store.js";
import { deleteKeysUnder, randomPrefix, scanKeys, silentLogger } from "./redis-test-support.js";
import { describeStoreContract, testRun, testSnapshot, testTaskRun } from "./store-contract.js";

const redisUrl = inject("redisUrl");
let admin: Redis;
const prefixes = new Set<string>();

/** A store on the shared Redis under a prefix of its own, deleted after the test. */
function openStore(prefix = randomPrefix()): RedisStore {
  prefixes.add(prefix);
  return RedisStore.connect(redisUrl, { prefix, logger: silentLogger });
}

beforeAll(() => {
  admin = new Redis(redisUrl);
});

afterEach(async () => {
  for (const prefix of prefixes) await deleteKeysUnder(admin, prefix);
  prefixes.clear();
});

afterAll(async () => {
  await admin.quit();
});

describeStoreContract("RedisStore", async () => openStore());
describeAccessStoreContract("RedisStore", async () => openStore());
describeNotificationStoreContract("RedisStore", async () => openStore());

it("the audit trail on Redis keeps its newest entries", async () => {
  const prefix = randomPrefix();
  prefixes.add(prefix);
  await expectAuditCapacity(
    new RedisAccessStore(new RedisKeys(prefix), (command) => command(admin), 50),
    50,
  );
});

it("reads declarations stored as plain JSON, as cerebro stored them before it compressed them", async () => {
  const prefix = randomPrefix();
  const store = openStore(prefix);
  const stored = [{ id: "a.fetch", description: "", owner: { team: "a", contact: "" } }];
  await admin.hset(`${prefix}declarations`, "server-a", JSON.stringify(stored));
  try {
    expect(Object.fromEntries(await store.loadDeclarations())).toEqual({ "server-a": stored });
  } finally {
    await store.close();
  }
});

describe("the event log on Redis", () => {
  it("goes on above the last cursor after a restart, and a running run's seqs go on", async () => {
    const prefix = randomPrefix();
    const logger = silentLogger;
    const first = openStore(prefix);
    await first.createRun(testSnapshot("run-1", 1_000, ["a.fetch"]));
    const bus = new EventBus();
    const before = await EventLog.open({ bus, store: first.events, logger });
    bus.publish({ kind: "run-started", time: 1, message: "started", runId: "run-1" });
    bus.publish({ kind: "task-run-changed", time: 2, message: "invoked", runId: "run-1" });
    await before.close();
    await first.close();

    const second = openStore(prefix);
    const restartedBus = new EventBus();
    const after = await EventLog.open({ bus: restartedBus, store: second.events, logger });
    restartedBus.publish({ kind: "run-finished", time: 3, message: "done", runId: "run-1" });
    await after.close();
    const events = await second.events.readRun("run-1", 0, 10);
    expect(events.map(({ seq }) => seq)).toEqual([1, 2, 3]);
    const cursors = events.map(({ cursor }) => cursor);
    expect(cursors[2]).toBeGreaterThan(cursors[1] ?? Number.POSITIVE_INFINITY);
    await second.close();
  });
});

describe("RedisStore", () => {
  it("keeps everything for a new store on the same Redis (a cerebro restart)", async () => {
    const prefix = randomPrefix();
    const first = openStore(prefix);
    await first.createRun(testSnapshot("run-1", 1_000, ["a.fetch", "a.report"]));
    await first.createRun(testSnapshot("run-2", 2_000, ["a.fetch"], { idempotencyKey: "nightly" }));
    const fetched = testTaskRun("run-1", "a.fetch", { state: TaskState.COMPLETED });
    await first.save({
      runs: [testRun("run-2", 2_000, { state: RunState.SUCCEEDED, finishedAt: 2_500 })],
      taskRuns: [fetched],
      completions: [
        { taskId: "a.fetch", runId: "run-1", taskRunId: fetched.id, completedAt: 1_500 },
      ],
    });
    await first.saveDeclarations("server-a", []);
    const before = {
      run1: await first.getRun("run-1"),
      runs: await first.listRuns(10),
      active: await first.activeRuns(),
      completions: await first.lastCompletions(["a.fetch"]),
    };
    await first.close();

    const second = openStore(prefix);
    try {
      expect(await second.getRun("run-1")).toEqual(before.run1);
      expect(await second.listRuns(10)).toEqual(before.runs);
      expect((await second.activeRuns()).map((s) => s.run.id)).toEqual(["run-1"]);
      expect(await second.activeRuns()).toEqual(before.active);
      expect(await second.lastCompletions(["a.fetch"])).toEqual(before.completions);
      const again = await second.createRun(
        testSnapshot("run-3", 3_000, ["a.fetch"], { idempotencyKey: "nightly" }),
      );
      expect(again).toMatchObject({ existing: true, snapshot: { run: { id: "run-2" } } });
    } finally {
      await second.close();
    }
  });

  it("gives a finished run's keys the retention as TTL, and a running run's none", async () => {
    const prefix = randomPrefix();
    prefixes.add(prefix);
    const retentionMs = 30 * 86_400_000;
    const store = RedisStore.connect(redisUrl, {
      prefix,
      logger: silentLogger,
      finishedRunTtlMs: retentionMs,
    });
    const ttl = (key: string) => admin.pttl(`${prefix}${key}`);
    try {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch"], { idempotencyKey: "k" }));
      await store.createRun(testSnapshot("run-2", 1_000, ["a.fetch"]));
      expect(await ttl("run:run-1")).toBe(-1);
      expect(await ttl("task-runs:run-1")).toBe(-1);
      expect(await ttl("idempotency:k")).toBe(-1);
      const line = { time: 1_500, level: "info", stream: "stdout", text: "x" } as const;
      await store.logs.append("run-1", "att-1", [line], 1_000_000);
      expect(await ttl("logs:run-1")).toBe(-1);

      await store.save({
        runs: [
          testRun("run-1", 1_000, {
            idempotencyKey: "k",
            state: RunState.SUCCEEDED,
            finishedAt: 2_000,
          }),
        ],
      });
      // A task-run stored after its run finished keeps the run's TTL.
      await store.save({ taskRuns: [testTaskRun("run-1", "a.late")] });
      // So do log lines, also of an attempt that logs for the first time.
      await store.logs.append("run-1", "att-2", [line], 1_000_000);
      for (const key of ["run:run-1", "task-runs:run-1", "logs:run-1", "idempotency:k"]) {
        const left = await ttl(key);
        expect(left, key).toBeGreaterThan(retentionMs - 60_000);
        expect(left, key).toBeLessThanOrEqual(retentionMs);
      }
      expect(await ttl("run:run-2")).toBe(-1);
      for (const key of ["runs", "runs:active", "runs:finished"]) expect(await ttl(key)).toBe(-1);
    } finally {
      await store.close();
    }
  });

  it("lists past runs whose keys expired, and drops their index entries", async () => {
    const prefix = randomPrefix();
    const store = openStore(prefix);
    try {
      for (const id of ["run-1", "run-2", "run-3"]) {
        await store.createRun({
          run: testRun(id, 1_000, { state: RunState.SUCCEEDED, finishedAt: 2_000 }),
          taskRuns: [],
        });
      }
      // What a TTL does: the record goes, the index entries stay.
      await admin.del(`${prefix}run:run-2`);
      expect((await store.listRuns(2)).map((r) => r.id)).toEqual(["run-3", "run-1"]);
      expect(await admin.zrange(`${prefix}runs`, 0, -1)).toEqual(["run-1", "run-3"]);
      expect(await admin.zrange(`${prefix}runs:finished`, 0, -1)).toEqual(["run-1", "run-3"]);
    } finally {
      await store.close();
    }
  });

  it("two stores (two cerebro replicas) racing on one idempotency key create one run", async () => {
    const prefix = randomPrefix();
    const stores = [openStore(prefix), openStore(prefix), openStore(prefix)];
    try {
      const results = await Promise.all(
        stores.flatMap((store, s) =>
          [0, 1, 2].map((i) =>
            store.createRun(
              testSnapshot(`run-${s}-${i}`, 1_000, ["a.fetch"], { idempotencyKey: "once" }),
            ),
          ),
        ),
      );
      expect(results.filter((r) => !r.existing)).toHaveLength(1);
      expect(new Set(results.map((r) => r.snapshot.run.id)).size).toBe(1);
      expect(await stores[0]!.listRuns(100)).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

describe("RedisStore on a Redis of its own", () => {
  let server: RedisServerProcess;

  beforeAll(async () => {
    server = await RedisServerProcess.start({ appendOnly: false });
  });

  afterAll(async () => {
    await server.stop();
  });

  it("writes every key under its prefix, in the documented layout", async () => {
    const prefix = "tenant-a:";
    const store = RedisStore.connect(server.url, { prefix, logger: silentLogger });
    const redis = new Redis(server.url);
    try {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch"], { idempotencyKey: "k:1" }));
      await store.createRun(testSnapshot("run-2", 2_000, ["a.fetch"]));
      await store.save({
        runs: [testRun("run-2", 2_000, { state: RunState.SUCCEEDED })],
        completions: [{ taskId: "a.fetch", runId: "run-2", taskRunId: "tr", completedAt: 2_100 }],
      });
      await store.saveDeclarations("server-a", [
        {
          id: "a.fetch",
          description: "",
          owner: { team: "a", contact: "" },
          dependencies: [],
          deadlines: {},
          retry: {
            maxAttempts: 1,
            initialBackoffMs: 0,
            maxBackoffMs: 0,
            multiplier: 1,
            retryOn: [],
          },
          concurrencyLimit: 0,
          tags: [],
        },
      ]);
      await store.saveScheduleCursor("a.x", 1_000);
      await store.events.beginEpoch();
      await store.events.append(
        [
          {
            kind: "run-started",
            time: 1_000,
            message: "started",
            runId: "run-1",
            cursor: 1,
            seq: 1,
          },
        ],
        { maxEvents: 10, maxEventsPerRun: 10 },
      );
      expect(await scanKeys(redis, "*")).toEqual([
        "tenant-a:completions",
        "tenant-a:declarations",
        "tenant-a:events",
        "tenant-a:events:epoch",
        "tenant-a:events:open-runs",
        "tenant-a:events:run-1",
        "tenant-a:idempotency:k:1",
        "tenant-a:run:run-1",
        "tenant-a:run:run-2",
        "tenant-a:runs",
        "tenant-a:runs:active",
        "tenant-a:runs:finished",
        "tenant-a:schedule-cursors",
        "tenant-a:task-runs-of:a.fetch",
        "tenant-a:task-runs:run-1",
        "tenant-a:task-runs:run-2",
      ]);
      const types = await Promise.all(
        [
          "run:run-1",
          "task-runs:run-1",
          "runs",
          "runs:active",
          "completions",
          "declarations",
          "schedule-cursors",
          "task-runs-of:a.fetch",
          "events",
          "events:run-1",
          "events:epoch",
          "events:open-runs",
        ].map((key) => redis.type(`${prefix}${key}`)),
      );
      expect(types).toEqual([
        ...["string", "hash", "zset", "set", "hash", "hash", "hash"],
        ...["zset", "zset", "zset", "string", "hash"],
      ]);
      expect(await redis.smembers(`${prefix}runs:active`)).toEqual(["run-1"]);
    } finally {
      await store.close();
      await redis.quit();
    }
  });

  it("uses the default prefix cordyna: when given none", async () => {
    const store = RedisStore.connect(server.url, { logger: silentLogger });
    const redis = new Redis(server.url);
    try {
      await redis.flushall();
      await store.saveDeclarations("server-a", []);
      await store.createRun(testSnapshot("run-1", 1_000));
      expect(await scanKeys(redis, "*")).toEqual([
        "cordyna:run:run-1",
        "cordyna:runs",
        "cordyna:runs:active",
        "cordyna:task-runs-of:a.fetch",
        "cordyna:task-runs-of:a.report",
        "cordyna:task-runs:run-1",
      ]);
    } finally {
      await store.close();
      await redis.quit();
    }
  });
});
