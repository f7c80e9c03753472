import { describe, expect, it } from "vitest";
import { isRedisUrl, parseRedisUrl, redactRedisUrl } from "./redis-url.js";

describe("parseRedisUrl", () => {
  it.each([
    ["redis://localhost", { host: "localhost", port: 6379, db: 0 }],
    ["redis://localhost:6380", { host: "localhost", port: 6380, db: 0 }],
    ["redis://localhost:6380/", { host: "localhost", port: 6380, db: 0 }],
    ["redis://10.0.0.5:6379/3", { host: "10.0.0.5", port: 6379, db: 3 }],
    ["redis://[::1]:7000/1", { host: "::1", port: 7000, db: 1 }],
    [
      "redis://cerebro:s3cret@redis.internal:6379/2",
      { host: "redis.internal", port: 6379, username: "cerebro", password: "s3cret", db: 2 },
    ],
    ["redis://:s3cret@redis:6379", { host: "redis", port: 6379, password: "s3cret", db: 0 }],
    [
      "redis://us%40er:p%3Ass%2Fw@redis:6379",
      { host: "redis", port: 6379, username: "us@er", password: "p:ss/w", db: 0 },
    ],
    [
      "rediss://u:p@cache.example.com:6380/4",
      {
        host: "cache.example.com",
        port: 6380,
        username: "u",
        password: "p",
        db: 4,
        tls: { servername: "cache.example.com" },
      },
    ],
    ["REDIS://Localhost:1", { host: "Localhost", port: 1, db: 0 }],
  ])("%s", (url, options) => {
    expect(parseRedisUrl(url).options).toEqual(options);
  });

  it.each([
    [
      "redis-sentinel://s1:26379,s2:26380,s3/mymaster",
      {
        sentinels: [
          { host: "s1", port: 26379 },
          { host: "s2", port: 26380 },
          { host: "s3", port: 26379 },
        ],
        name: "mymaster",
        db: 0,
      },
    ],
    [
      "redis-sentinel://s1:26379/mymaster/5",
      { sentinels: [{ host: "s1", port: 26379 }], name: "mymaster", db: 5 },
    ],
    [
      "redis-sentinel://u:p@[::1]:26379,s2/my%20master/1",
      {
        sentinels: [
          { host: "::1", port: 26379 },
          { host: "s2", port: 26379 },
        ],
        name: "my master",
        username: "u",
        password: "p",
        db: 1,
      },
    ],
  ])("%s", (url, options) => {
    expect(parseRedisUrl(url).options).toEqual(options);
  });

  it("gives an address with the password masked", () => {
    expect(parseRedisUrl("redis://u:s3cret@redis:6379/1").address).toBe(
      "redis://u:***@redis:6379/1",
    );
    expect(parseRedisUrl("redis-sentinel://:pw@s1,s2/m").address).toBe(
      "redis-sentinel://:***@s1,s2/m",
    );
    expect(parseRedisUrl("redis://redis:6379").address).toBe("redis://redis:6379");
  });

  it.each([
    ["", "not a URL"],
    ["localhost:6379", "not a URL"],
    ["http://localhost:6379", 'unknown scheme "http"'],
    ["redis://", "the host is missing"],
    ["redis://:pw@", "the host is missing"],
    ["redis://localhost:", 'bad port ""'],
    ["redis://localhost:0", 'bad port "0"'],
    ["redis://localhost:65536", 'bad port "65536"'],
    ["redis://localhost:63a9", 'bad port "63a9"'],
    ["redis://localhost/db1", 'bad database number "db1"'],
    ["redis://localhost/-1", 'bad database number "-1"'],
    ["redis://localhost/1/2", 'unexpected path "/1/2"'],
    ["redis://localhost?db=1", "query strings and fragments are not supported"],
    ["redis://a:1,b:2", "only redis-sentinel:// takes several hosts"],
    ["redis://[::1:6379", 'bad host "[::1:6379"'],
    ["redis://u:%zz@localhost", "bad percent-encoding"],
    ["redis-sentinel://s1:26379", "the Sentinel master name is missing"],
    ["redis-sentinel://s1:26379/", "the Sentinel master name is missing"],
    ["redis-sentinel://s1,,s2/m", "the host is missing"],
    ["redis-sentinel://s1/m/1/x", 'unexpected path "/m/1/x"'],
    ["redis-sentinel://s1/m/x", 'bad database number "x"'],
  ])("refuses %j: %s", (url, reason) => {
    expect(() => parseRedisUrl(url)).toThrow(reason);
    expect(() => parseRedisUrl(url)).toThrow(`invalid Redis URL "${redactRedisUrl(url)}"`);
    expect(() => parseRedisUrl(url)).toThrow(
      /accepted forms: redis:\/\/.*, rediss:\/\/.* \(TLS\), redis-sentinel:\/\/.*\/mastername/,
    );
  });

  it("never shows the password in an error", () => {
    expect(() => parseRedisUrl("redis://u:s3cret@localhost:99999")).toThrow(
      'invalid Redis URL "redis://u:***@localhost:99999"',
    );
    expect(() => parseRedisUrl("redis://u:s3cret@localhost:99999")).not.toThrow("s3cret");
  });
});

describe("redactRedisUrl and isRedisUrl", () => {
  it("masks only a password", () => {
    expect(redactRedisUrl("redis://u:p@h:1/0")).toBe("redis://u:***@h:1/0");
    expect(redactRedisUrl("redis://u@h:1/0")).toBe("redis://u@h:1/0");
    expect(redactRedisUrl("redis://h:1/0")).toBe("redis://h:1/0");
    expect(redactRedisUrl("memory")).toBe("memory");
  });

  it("knows the three schemes", () => {
    expect(["redis://h", "rediss://h", "redis-sentinel://h/m"].map(isRedisUrl)).toEqual([
      true,
      true,
      true,
    ]);
    expect(["memory", "http://h", "redis:h"].map(isRedisUrl)).toEqual([false, false, false]);
  });
});
