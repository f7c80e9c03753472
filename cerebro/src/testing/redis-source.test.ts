import { describe, expect, it } from "vitest";
import { chooseRedisSource, type RedisEnvironment } from "./redis-source.js";

const nothing: RedisEnvironment = {
  hasRedisServerBinary: false,
  dockerAnswers: false,
  isRoot: false,
  hasAptGet: false,
};

describe("chooseRedisSource", () => {
  it("prefers REDIS_URL, then a redis-server on the PATH, then Docker, then apt as root", () => {
    expect(
      chooseRedisSource({ ...nothing, redisUrl: "redis://h:1", hasRedisServerBinary: true }),
    ).toEqual({
      kind: "url",
      url: "redis://h:1",
    });
    expect(
      chooseRedisSource({ ...nothing, hasRedisServerBinary: true, dockerAnswers: true }),
    ).toEqual({ kind: "binary" });
    expect(
      chooseRedisSource({ ...nothing, dockerAnswers: true, isRoot: true, hasAptGet: true }),
    ).toEqual({ kind: "docker" });
    expect(chooseRedisSource({ ...nothing, isRoot: true, hasAptGet: true })).toEqual({
      kind: "apt-install",
    });
  });

  it("stops with a message saying how to get a Redis when none can be had", () => {
    expect(() => chooseRedisSource({ ...nothing, hasAptGet: true })).toThrow(
      /no REDIS_URL is set, no redis-server is on the PATH, no Docker engine answers, and Debian's redis-server cannot be installed \(not running as root\)\. Install one .* or set REDIS_URL=redis:\/\/host:port/,
    );
    expect(() => chooseRedisSource({ ...nothing, isRoot: true })).toThrow(/\(no apt-get\)/);
  });
});
