import { once } from "node:events";
import { createServer } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ControlService } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import {
  CEREBRO_ENV,
  CerebroEnvError,
  EXIT_BAD_CONFIG,
  EXIT_START_FAILED,
  EXIT_STOPPED,
  parseCerebroEnv,
  runService,
} from "./main.js";
import { freePort } from "./testing/ports.js";

/** The problems parseCerebroEnv finds in `env`, as "VARIABLE: message" lines. */
function problems(env: Record<string, string>): string[] {
  try {
    parseCerebroEnv(env);
  } catch (err) {
    if (err instanceof CerebroEnvError) return err.message.split("\n");
    throw err;
  }
  return [];
}

describe("parseCerebroEnv", () => {
  it("defaults everything when nothing is set", () => {
    expect(parseCerebroEnv({})).toEqual({
      port: 7070,
      httpPort: 7071,
      host: "0.0.0.0",
      store: "memory",
      logLevel: "info",
    });
  });

  it("takes an empty variable as unset", () => {
    expect(parseCerebroEnv({ CORDYNA_PORT: "", CORDYNA_STORE: " ", LOG_LEVEL: "" })).toEqual(
      parseCerebroEnv({}),
    );
  });

  it("reads every variable", () => {
    expect(
      parseCerebroEnv({
        CORDYNA_PORT: "7171",
        CORDYNA_HTTP_PORT: "7172",
        CORDYNA_HOST: "127.0.0.1",
        CORDYNA_STORE: "redis://redis:6379",
        CORDYNA_SERVER_LOST_GRACE_MS: "0",
        CORDYNA_HEARTBEAT_INTERVAL_MS: "2500",
        LOG_LEVEL: "WARN",
        UNRELATED: "ignored",
      }),
    ).toEqual({
      port: 7171,
      httpPort: 7172,
      host: "127.0.0.1",
      store: "redis://redis:6379",
      serverLostGraceMs: 0,
      heartbeatIntervalMs: 2500,
      logLevel: "warn",
    });
  });

  it("takes a Redis key prefix, and refuses one with glob characters", () => {
    expect(parseCerebroEnv({ CORDYNA_REDIS_PREFIX: "team-a:" }).redisPrefix).toBe("team-a:");
    expect(() => parseCerebroEnv({ CORDYNA_REDIS_PREFIX: "team*" })).toThrow(
      'CORDYNA_REDIS_PREFIX: "team*" may not contain * ? [ ] or \\',
    );
  });

  it("turns the HTTP gateway off with CORDYNA_HTTP_PORT=off, and names a bad value", () => {
    expect(parseCerebroEnv({ CORDYNA_HTTP_PORT: "off" }).httpPort).toBeUndefined();
    expect(() => parseCerebroEnv({ CORDYNA_HTTP_PORT: "web" })).toThrow(
      'CORDYNA_HTTP_PORT: "web" is not a TCP port or "off": expected an integer from 1 to 65535',
    );
  });

  it("documents exactly the variables it reads", () => {
    const read = new Set<string>();
    parseCerebroEnv(
      new Proxy({} as Record<string, string | undefined>, {
        get(_target, key) {
          if (typeof key === "string") read.add(key);
          return undefined;
        },
      }),
    );
    expect([...read].sort()).toEqual(Object.keys(CEREBRO_ENV).sort());
  });

  it.each([
    [
      "CORDYNA_PORT",
      "abc",
      'CORDYNA_PORT: "abc" is not a TCP port: expected an integer from 1 to 65535',
    ],
    [
      "CORDYNA_PORT",
      "0",
      'CORDYNA_PORT: "0" is not a TCP port: expected an integer from 1 to 65535',
    ],
    ["CORDYNA_PORT", "70000", 'CORDYNA_PORT: "70000" is not a TCP port'],
    ["CORDYNA_PORT", "7070.5", 'CORDYNA_PORT: "7070.5" is not a TCP port'],
    ["CORDYNA_PORT", "-1", 'CORDYNA_PORT: "-1" is not a TCP port'],
    ["CORDYNA_HOST", "two words", 'CORDYNA_HOST: "two words" is not a host name or address'],
    ["CORDYNA_STORE", "postgres://db", 'CORDYNA_STORE: unknown store "postgres://db"'],
    ["CORDYNA_STORE", "redis://", "CORDYNA_STORE: invalid Redis URL"],
    [
      "CORDYNA_SERVER_LOST_GRACE_MS",
      "5s",
      'CORDYNA_SERVER_LOST_GRACE_MS: "5s" is not a duration in milliseconds: expected an integer from 0 to 2147483647',
    ],
    [
      "CORDYNA_SERVER_LOST_GRACE_MS",
      "2147483648",
      'CORDYNA_SERVER_LOST_GRACE_MS: "2147483648" is not a duration in milliseconds',
    ],
    [
      "CORDYNA_HEARTBEAT_INTERVAL_MS",
      "0",
      'CORDYNA_HEARTBEAT_INTERVAL_MS: "0" is not a duration in milliseconds: expected an integer from 1 to 2147483647',
    ],
    [
      "LOG_LEVEL",
      "verbose",
      'LOG_LEVEL: "verbose" is not a log level: use one of fatal, error, warn, info, debug, trace, silent',
    ],
  ])("rejects %s=%s with a message naming it", (variable, value, message) => {
    const found = problems({ [variable]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it("masks a Redis password in its message", () => {
    const [message] = problems({ CORDYNA_STORE: "redis://user:secret@redis:6379/x?y" });
    expect(message).toMatch(/^CORDYNA_STORE: /);
    expect(message).not.toContain("secret");
  });

  it("names every bad variable at once", () => {
    const found = problems({ CORDYNA_PORT: "x", LOG_LEVEL: "loud", CORDYNA_STORE: "memory" });
    expect(found.map((line) => line.split(":")[0])).toEqual(["CORDYNA_PORT", "LOG_LEVEL"]);
  });
});

describe("runService", () => {
  it("exits 2 on a bad configuration, naming the variable", async () => {
    const lines: string[] = [];
    const code = await runService({
      env: { CORDYNA_HEARTBEAT_INTERVAL_MS: "soon" },
      writeError: (line) => lines.push(line),
      waitForSignal: () => new Promise(() => {}),
    });
    expect(code).toBe(EXIT_BAD_CONFIG);
    expect(lines).toEqual([
      'cerebro: CORDYNA_HEARTBEAT_INTERVAL_MS: "soon" is not a duration in milliseconds: expected an integer from 1 to 2147483647',
    ]);
  });

  it("serves until the signal, then stops and exits 0", async () => {
    const port = await freePort();
    let signal: (s: NodeJS.Signals) => void = () => {};
    const exited = runService({
      env: { CORDYNA_PORT: String(port), CORDYNA_HOST: "127.0.0.1", LOG_LEVEL: "silent" },
      writeError: () => {},
      waitForSignal: () => new Promise((resolve) => (signal = resolve)),
    });
    const control = createClient(
      ControlService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await control.listServers({}, { timeoutMs: 1_000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    signal("SIGTERM");
    expect(await exited).toBe(EXIT_STOPPED);
  });

  it("exits 1 when it cannot start, e.g. on a port that is taken", async () => {
    const taken = createServer();
    taken.listen(0, "127.0.0.1");
    await once(taken, "listening");
    const address = taken.address();
    if (!address || typeof address === "string") throw new Error("no port");
    try {
      const code = await runService({
        env: { CORDYNA_PORT: String(address.port), CORDYNA_HOST: "127.0.0.1", LOG_LEVEL: "silent" },
        writeError: () => {},
        waitForSignal: () => new Promise(() => {}),
      });
      expect(code).toBe(EXIT_START_FAILED);
    } finally {
      taken.close();
    }
  });
});
