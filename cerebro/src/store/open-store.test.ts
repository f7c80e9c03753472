import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { startCerebro } from "../cerebro.js";
import { RedisServerProcess } from "../testing/redis-server.js";
import { MemoryStore } from "./memory-store.js";
import {
  checkStorePersistence,
  describeStoreSpec,
  openStore,
  parseStoreSpec,
} from "./open-store.js";
import { RedisStore } from "./redis-store.js";
import { LogCapture, silentLogger } from "./redis-test-support.js";

describe("parseStoreSpec", () => {
  it("reads memory (also when absent) and Redis URLs", () => {
    for (const spec of [undefined, "", " ", "memory", "MEMORY"]) {
      expect(parseStoreSpec(spec)).toEqual({ kind: "memory" });
    }
    for (const url of ["redis://h:1/2", "rediss://h", "redis-sentinel://s1,s2/m"]) {
      expect(parseStoreSpec(url)).toEqual({ kind: "redis", url });
    }
  });

  it("refuses anything else, naming what is accepted", () => {
    expect(() => parseStoreSpec("postgres://u:pw@db/x")).toThrow(
      /unknown store "postgres:\/\/u:\*\*\*@db\/x": use "memory" or a Redis URL \(redis:\/\//,
    );
    expect(() => parseStoreSpec("redis://h:0")).toThrow('invalid Redis URL "redis://h:0"');
  });

  it("describes a spec without its password", () => {
    expect(describeStoreSpec({ kind: "memory" })).toBe("in-memory store");
    expect(describeStoreSpec({ kind: "redis", url: "redis://u:pw@h:1" })).toBe(
      "Redis store at redis://u:***@h:1",
    );
  });
});

describe("openStore", () => {
  it("opens a MemoryStore by default, which has no persistence check", async () => {
    const store = await openStore(undefined, silentLogger);
    expect(store).toBeInstanceOf(MemoryStore);
    expect(await checkStorePersistence(store)).toBeUndefined();
  });

  it("opens a RedisStore for a Redis URL, under the given prefix", async () => {
    const server = await RedisServerProcess.start({ appendOnly: true });
    const store = await openStore(server.url, silentLogger, { redisPrefix: "x:" });
    try {
      expect(store).toBeInstanceOf(RedisStore);
      expect((store as RedisStore).keys.prefix).toBe("x:");
      expect(await checkStorePersistence(store)).toBe("aof");
    } finally {
      await store.close();
      await server.stop();
    }
  });
});

describe("startCerebro with a store spec", () => {
  it("checks persistence on start and closes the Redis connection on stop", async () => {
    const server = await RedisServerProcess.start({ appendOnly: false });
    const admin = new Redis(server.url);
    const logs = new LogCapture("info");
    try {
      const cerebro = await startCerebro({
        port: 0,
        host: "127.0.0.1",
        store: server.url,
        logger: logs.logger,
      });
      expect(logs.matching("persists nothing")).toHaveLength(1);
      const cerebroClients = async (): Promise<number> =>
        ((await admin.client("LIST")) as string)
          .split("\n")
          .filter((line) => line.includes("name=cordyna-cerebro")).length;
      expect(await cerebroClients()).toBe(1);
      await cerebro.stop();
      // The server learns of the closed socket on its own schedule.
      const deadline = Date.now() + 5_000;
      while ((await cerebroClients()) > 0 && Date.now() < deadline) await admin.ping();
      expect(await cerebroClients()).toBe(0);
    } finally {
      await admin.quit();
      await server.stop();
    }
  });
});
