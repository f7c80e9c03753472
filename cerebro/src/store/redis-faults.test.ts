// RedisStore against a Redis that dies, comes back, persists nothing, or
// refuses CONFIG: each test has a redis-server process of its own.

import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RunState, TaskState } from "../domain/model.js";
import { RedisServerProcess } from "../testing/redis-server.js";
import { RedisStore } from "./redis-store.js";
import { LogCapture, randomPrefix, silentLogger } from "./redis-test-support.js";
import { testRun, testSnapshot, testTaskRun } from "./store-contract.js";

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Killed Redis servers keep what they acknowledged only with fsync "always"; these tests count on it. */
async function startRedis(appendOnly: boolean): Promise<RedisServerProcess> {
  const server = await RedisServerProcess.start({ appendOnly, appendFsync: "always" });
  cleanups.push(() => server.stop());
  return server;
}

function connect(url: string, logger = silentLogger, prefix = randomPrefix()): RedisStore {
  const store = RedisStore.connect(url, { prefix, logger });
  cleanups.push(() => store.close());
  return store;
}

describe("RedisStore when Redis dies", () => {
  it("holds save() while Redis is down and completes it once Redis is back", async () => {
    const server = await startRedis(true);
    const logs = new LogCapture();
    const prefix = randomPrefix();
    const store = connect(server.url, logs.logger, prefix);
    await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch", "a.report"]));

    // Sent just before Redis is killed: Redis may or may not have run it.
    const fetched = testTaskRun("run-1", "a.fetch", { state: TaskState.COMPLETED });
    const beforeKill = store.save({
      taskRuns: [fetched],
      completions: [{ taskId: "a.fetch", runId: "run-1", taskRunId: fetched.id, completedAt: 5 }],
    });
    await server.kill("SIGKILL");
    await logs.waitFor((line) => line.msg.includes("is unreachable"));

    let settled = false;
    const report = testTaskRun("run-1", "a.report", { state: TaskState.COMPLETED });
    const run = testRun("run-1", 1_000, { state: RunState.SUCCEEDED, finishedAt: 9 });
    const duringOutage = store.save({ runs: [run], taskRuns: [report] }).finally(() => {
      settled = true;
    });
    // Several reconnection attempts fail while the write waits.
    await logs.waitFor((line) => line.msg === "reconnecting to Redis" && Number(line.attempt) >= 3);
    expect(settled).toBe(false);

    await server.resume();
    await Promise.all([beforeKill, duringOutage]);
    await logs.waitFor((line) => line.msg.includes("is back"));
    expect(logs.matching("is unreachable")).toHaveLength(1);
    expect(logs.matching("is unreachable")[0]).toMatchObject({ level: 40, redis: server.url });

    const fresh = connect(server.url, silentLogger, prefix);
    expect(await fresh.getRun("run-1")).toEqual({ run, taskRuns: [fetched, report] });
    expect(await fresh.activeRuns()).toEqual([]);
    expect((await fresh.lastCompletions(["a.fetch"])).get("a.fetch")?.completedAt).toBe(5);
  });

  it("keeps acknowledged writes across a Redis crash (AOF)", async () => {
    const server = await startRedis(true);
    const prefix = randomPrefix();
    const store = connect(server.url, silentLogger, prefix);
    const created = await store.createRun(
      testSnapshot("run-1", 1_000, ["a.fetch"], { idempotencyKey: "nightly" }),
    );
    await server.kill("SIGKILL");
    await server.resume();
    const fresh = connect(server.url, silentLogger, prefix);
    expect(await fresh.getRun("run-1")).toEqual(created.snapshot);
    expect(
      (await fresh.createRun(testSnapshot("run-2", 2_000, [], { idempotencyKey: "nightly" })))
        .existing,
    ).toBe(true);
  });
  it("closes at once while Redis is down, failing the writes still waiting", async () => {
    const server = await startRedis(false);
    const logs = new LogCapture();
    const store = RedisStore.connect(server.url, { prefix: randomPrefix(), logger: logs.logger });
    await store.createRun(testSnapshot("run-1", 1_000));
    await server.kill("SIGKILL");
    await logs.waitFor((line) => line.msg.includes("is unreachable"));
    const waiting = store.save({ runs: [testRun("run-1", 1_000, { state: RunState.FAILED })] });
    await store.close();
    await expect(waiting).rejects.toThrow();
    expect(logs.matching("is unreachable")).toHaveLength(1);
  });
});

describe("RedisStore.checkPersistence", () => {
  it('reports "none" and warns when Redis keeps neither AOF nor snapshots', async () => {
    const server = await startRedis(false);
    const logs = new LogCapture("info");
    const store = connect(server.url, logs.logger);
    expect(await store.checkPersistence()).toBe("none");
    expect(logs.matching("persists nothing")).toEqual([
      expect.objectContaining({
        level: 40,
        msg: `Redis at ${server.url} persists nothing: a Redis restart loses every run; enable appendonly yes`,
      }),
    ]);
  });

  it('reports "aof" with appendonly yes, and "aof+rdb" or "rdb" with snapshots', async () => {
    const server = await startRedis(true);
    const logs = new LogCapture("info");
    const store = connect(server.url, logs.logger);
    expect(await store.checkPersistence()).toBe("aof");
    expect(logs.lines.filter((line) => line.level >= 40)).toEqual([]);

    const admin = new Redis(server.url);
    cleanups.push(async () => void (await admin.quit()));
    await admin.config("SET", "save", "3600 1");
    expect(await store.checkPersistence()).toBe("aof+rdb");
    await admin.config("SET", "appendonly", "no");
    expect(await store.checkPersistence()).toBe("rdb");
  });

  it('reports "unverified" when CONFIG is refused, as on managed Redis', async () => {
    const server = await startRedis(false);
    const admin = new Redis(server.url);
    cleanups.push(async () => void (await admin.quit()));
    await admin.acl("SETUSER", "cerebro", "on", ">s3cret", "~*", "+@all", "-config");
    const logs = new LogCapture("info");
    const store = connect(`redis://cerebro:s3cret@127.0.0.1:${server.port}`, logs.logger);
    expect(await store.checkPersistence()).toBe("unverified");
    expect(logs.matching("could not verify")).toEqual([
      expect.objectContaining({ level: 40, redis: `redis://cerebro:***@127.0.0.1:${server.port}` }),
    ]);
    // The restricted user can still do the store's work.
    await store.createRun(testSnapshot("run-1", 1_000));
    expect(await store.getRun("run-1")).toBeDefined();
  });
});
