import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CEREBRO_ENV, CerebroConfigError, parseCerebroConfig } from "./config.js";

/** The problems parseCerebroConfig finds in `env`, as "VARIABLE: message" lines. */
function problems(env: Record<string, string>): string[] {
  try {
    parseCerebroConfig(env);
  } catch (err) {
    if (err instanceof CerebroConfigError) return err.message.split("\n");
    throw err;
  }
  return [];
}

describe("parseCerebroConfig", () => {
  it("defaults everything when nothing is set", () => {
    expect(parseCerebroConfig({})).toEqual({
      port: 7070,
      httpPort: 7071,
      host: "0.0.0.0",
      store: "memory",
      auth: { required: true },
      metrics: { open: false },
      logLevel: "info",
    });
  });

  it("takes an empty variable as unset", () => {
    expect(parseCerebroConfig({ CORDYNA_PORT: "", CORDYNA_STORE: " ", LOG_LEVEL: "" })).toEqual(
      parseCerebroConfig({}),
    );
  });

  it("reads every variable", () => {
    expect(
      parseCerebroConfig({
        CORDYNA_PORT: "7171",
        CORDYNA_HTTP_PORT: "7172",
        CORDYNA_HOST: "127.0.0.1",
        CORDYNA_STORE: "redis://redis:6379",
        CORDYNA_SERVER_LOST_GRACE_MS: "0",
        CORDYNA_HEARTBEAT_INTERVAL_MS: "2500",
        CORDYNA_MAX_CHAIN_LENGTH: "20000",
        CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT: "65536",
        CORDYNA_MAX_LOG_BYTES_PER_SECOND: "4096",
        CORDYNA_MAX_TASKS_PER_DECLARATION: "50000",
        CORDYNA_ADMIN_TOKEN: "s".repeat(32),
        CORDYNA_METRICS_AUTH: "off",
        CORDYNA_METRICS_MAX_LABEL_VALUES: "20",
        CORDYNA_CONSOLE_URL: "https://cordyna.example.com/console",
        LOG_LEVEL: "WARN",
        UNRELATED: "ignored",
      }),
    ).toEqual({
      auth: { required: true, adminToken: "s".repeat(32) },
      metrics: { open: true, maxLabelValues: 20 },
      notifications: { consoleUrl: "https://cordyna.example.com/console" },
      port: 7171,
      httpPort: 7172,
      host: "127.0.0.1",
      store: "redis://redis:6379",
      serverLostGraceMs: 0,
      heartbeatIntervalMs: 2500,
      maxChainLength: 20_000,
      maxLogBytesPerAttempt: 65_536,
      maxLogBytesPerSecond: 4_096,
      maxTasksPerDeclaration: 50_000,
      logLevel: "warn",
    });
  });

  it("needs credentials unless told otherwise, and off only on loopback or when told it is insecure", () => {
    const loopback = { CORDYNA_HOST: "127.0.0.1" };
    expect(parseCerebroConfig(loopback).auth).toEqual({ required: true });
    expect(parseCerebroConfig({ ...loopback, CORDYNA_AUTH: "off" }).auth).toEqual({
      required: false,
    });
    // dyna dev on loopback is off by default, unless an admin token says otherwise.
    expect(parseCerebroConfig(loopback, { authOffOnLoopback: true }).auth).toEqual({
      required: false,
    });
    expect(
      parseCerebroConfig(
        { ...loopback, CORDYNA_ADMIN_TOKEN: "a".repeat(40) },
        { authOffOnLoopback: true },
      ).auth,
    ).toEqual({ required: true, adminToken: "a".repeat(40) });
    expect(parseCerebroConfig({}, { authOffOnLoopback: true }).auth).toEqual({ required: true });
    expect(problems({ CORDYNA_AUTH: "off" })).toEqual([
      "CORDYNA_AUTH: authentication off on 0.0.0.0, which the network reaches, would let anyone there act as every team: listen on a loopback address, or set CORDYNA_INSECURE_NO_AUTH=true (--insecure-no-auth) to do it anyway",
    ]);
    expect(parseCerebroConfig({ CORDYNA_INSECURE_NO_AUTH: "true" }).auth).toEqual({
      required: false,
      insecure: true,
    });
  });

  it("names bad authentication settings", () => {
    expect(problems({ CORDYNA_AUTH: "maybe", CORDYNA_INSECURE_NO_AUTH: "yes" })).toEqual([
      'CORDYNA_AUTH: "maybe" is not "on" or "off"',
      'CORDYNA_INSECURE_NO_AUTH: "yes" is not "true" or "false"',
    ]);
    expect(problems({ CORDYNA_ADMIN_TOKEN: "hunter2" })).toEqual([
      "CORDYNA_ADMIN_TOKEN: is 7 characters: use at least 32 random ones (e.g. openssl rand -hex 32)",
    ]);
    expect(problems({ CORDYNA_AUTH: "on", CORDYNA_INSECURE_NO_AUTH: "true" })).toEqual([
      "CORDYNA_INSECURE_NO_AUTH: contradicts CORDYNA_AUTH=on",
    ]);
    expect(
      problems({ CORDYNA_HOST: "::1", CORDYNA_AUTH: "off", CORDYNA_ADMIN_TOKEN: "t".repeat(32) }),
    ).toEqual([
      "CORDYNA_ADMIN_TOKEN: has no effect while authentication is off: drop it, or turn authentication on",
    ]);
  });

  it("reads the retention settings as durations and a count", () => {
    expect(
      parseCerebroConfig({
        CORDYNA_RUN_RETENTION: "7d",
        CORDYNA_MAX_FINISHED_RUNS: "5000",
        CORDYNA_SERVER_RETENTION: "90m",
      }),
    ).toMatchObject({
      runRetentionMs: 7 * 86_400_000,
      maxFinishedRuns: 5_000,
      serverRetentionMs: 90 * 60_000,
    });
    expect(() =>
      parseCerebroConfig({ CORDYNA_RUN_RETENTION: "30 days", CORDYNA_SERVER_RETENTION: "10s" }),
    ).toThrow(
      'CORDYNA_RUN_RETENTION: "30 days" is not a duration from 1m to 100 years: write e.g. "30d", "12h" or "90m"\n' +
        'CORDYNA_SERVER_RETENTION: "10s" is not a duration from 1m to 100 years',
    );
    expect(() => parseCerebroConfig({ CORDYNA_MAX_FINISHED_RUNS: "0" })).toThrow(
      'CORDYNA_MAX_FINISHED_RUNS: "0" is not a number of runs: expected an integer from 1 to 1000000000',
    );
  });

  it("takes a Redis key prefix, and refuses one with glob characters", () => {
    expect(parseCerebroConfig({ CORDYNA_REDIS_PREFIX: "team-a:" }).redisPrefix).toBe("team-a:");
    expect(() => parseCerebroConfig({ CORDYNA_REDIS_PREFIX: "team*" })).toThrow(
      'CORDYNA_REDIS_PREFIX: "team*" may not contain * ? [ ] or \\',
    );
  });

  it("turns the HTTP gateway off with CORDYNA_HTTP_PORT=off, and names a bad value", () => {
    expect(parseCerebroConfig({ CORDYNA_HTTP_PORT: "off" }).httpPort).toBeUndefined();
    expect(() => parseCerebroConfig({ CORDYNA_HTTP_PORT: "web" })).toThrow(
      'CORDYNA_HTTP_PORT: "web" is not a TCP port or "off": expected an integer from 0 to 65535',
    );
  });

  it("puts the HTTP/JSON gateway on the port after CORDYNA_PORT unless it has its own", () => {
    expect(parseCerebroConfig({ CORDYNA_PORT: "7171" })).toMatchObject({
      port: 7171,
      httpPort: 7172,
    });
    expect(parseCerebroConfig({ CORDYNA_PORT: "7171", CORDYNA_HTTP_PORT: "9000" }).httpPort).toBe(
      9000,
    );
    expect(
      parseCerebroConfig({ CORDYNA_PORT: "7171", CORDYNA_HTTP_PORT: "off" }).httpPort,
    ).toBeUndefined();
  });

  it("picks free ports for both with CORDYNA_PORT=0", () => {
    expect(parseCerebroConfig({ CORDYNA_PORT: "0" })).toMatchObject({ port: 0, httpPort: 0 });
  });

  it("refuses CORDYNA_PORT=65535 without a port for the gateway", () => {
    expect(problems({ CORDYNA_PORT: "65535" })).toEqual([
      'CORDYNA_PORT: "65535" leaves no next port for the HTTP/JSON gateway: give it a port of its own, or "off"',
    ]);
    expect(parseCerebroConfig({ CORDYNA_PORT: "65535", CORDYNA_HTTP_PORT: "off" }).port).toBe(
      65_535,
    );
  });

  it("takes a flag over its variable, and names the flag when its value is bad", () => {
    const env = { CORDYNA_PORT: "7171", CORDYNA_HOST: "10.0.0.1" };
    expect(
      parseCerebroConfig(env, { flags: { CORDYNA_PORT: { flag: "--port", value: "8000" } } }),
    ).toMatchObject({ port: 8000, httpPort: 8001, host: "10.0.0.1" });
    expect(() =>
      parseCerebroConfig(env, { flags: { CORDYNA_PORT: { flag: "--port", value: "x" } } }),
    ).toThrow('--port: "x" is not a TCP port: expected an integer from 0 to 65535');
  });

  it("listens on the caller's default host when none is set", () => {
    expect(parseCerebroConfig({}, { defaultHost: "localhost" }).host).toBe("localhost");
    expect(
      parseCerebroConfig({ CORDYNA_HOST: "127.0.0.1" }, { defaultHost: "localhost" }).host,
    ).toBe("127.0.0.1");
  });

  it("documents exactly the variables it reads", () => {
    const read = new Set<string>();
    parseCerebroConfig(
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
      'CORDYNA_PORT: "abc" is not a TCP port: expected an integer from 0 to 65535',
    ],
    ["CORDYNA_PORT", "70000", 'CORDYNA_PORT: "70000" is not a TCP port'],
    ["CORDYNA_PORT", "7070.5", 'CORDYNA_PORT: "7070.5" is not a TCP port'],
    ["CORDYNA_PORT", "-1", 'CORDYNA_PORT: "-1" is not a TCP port'],
    ["CORDYNA_HOST", "two words", 'CORDYNA_HOST: "two words" is not a host name or address'],
    [
      "CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT",
      "0",
      'CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT: "0" is not a number of bytes up to 1 GiB: expected an integer from 1 to 1073741824',
    ],
    [
      "CORDYNA_MAX_CHAIN_LENGTH",
      "0",
      'CORDYNA_MAX_CHAIN_LENGTH: "0" is not a number of tasks: expected an integer from 1 to 1000000',
    ],
    [
      "CORDYNA_MAX_TASKS_PER_DECLARATION",
      "10k",
      'CORDYNA_MAX_TASKS_PER_DECLARATION: "10k" is not a number of tasks: expected an integer from 1 to 1000000',
    ],
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
    ["CORDYNA_METRICS_AUTH", "open", 'CORDYNA_METRICS_AUTH: "open" is not "on" or "off"'],
    [
      "CORDYNA_CONSOLE_URL",
      "cordyna.example.com/console",
      'CORDYNA_CONSOLE_URL: "cordyna.example.com/console" is not an http:// or https:// URL',
    ],
    [
      "CORDYNA_METRICS_MAX_LABEL_VALUES",
      "0",
      'CORDYNA_METRICS_MAX_LABEL_VALUES: "0" is not a number of label values: expected an integer from 1 to 10000',
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

  describe("email notifications", () => {
    const from = "Cordyna <cordyna@example.com>";

    it("configures the email channel from an SMTP URL, a From address and a CA file", () => {
      const dir = mkdtempSync(join(tmpdir(), "cordyna-config-"));
      try {
        const caFile = join(dir, "smtp-ca.pem");
        writeFileSync(caFile, "the CA's PEM");
        expect(
          parseCerebroConfig({
            CORDYNA_SMTP_URL: "smtp://cordyna:secret@mail.example.com:587",
            CORDYNA_NOTIFY_FROM: from,
            CORDYNA_SMTP_CA: caFile,
          }).notifications?.email,
        ).toEqual({
          smtpUrl: "smtp://cordyna:secret@mail.example.com:587",
          from,
          ca: Buffer.from("the CA's PEM"),
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(
        parseCerebroConfig({ CORDYNA_SMTP_URL: "smtps://mail", CORDYNA_NOTIFY_FROM: "a@b.c" })
          .notifications?.email,
      ).toEqual({ smtpUrl: "smtps://mail", from: "a@b.c" });
    });

    it("needs the SMTP URL and the From address together", () => {
      expect(problems({ CORDYNA_SMTP_URL: "smtp://mail.example.com" })).toEqual([
        'CORDYNA_SMTP_URL: needs a From address: set CORDYNA_NOTIFY_FROM too, e.g. "Cordyna <cordyna@example.com>"',
      ]);
      expect(problems({ CORDYNA_NOTIFY_FROM: from, CORDYNA_SMTP_CA: "ca.pem" })).toEqual([
        "CORDYNA_NOTIFY_FROM: has no effect without an SMTP server: set CORDYNA_SMTP_URL too",
        "CORDYNA_SMTP_CA: has no effect without an SMTP server: set CORDYNA_SMTP_URL too",
        expect.stringMatching(/^CORDYNA_SMTP_CA: cannot read ca\.pem: /),
      ]);
    });

    it("names a bad SMTP URL with its password masked", () => {
      const [message, ...more] = problems({
        CORDYNA_SMTP_URL: "smtp://cordyna:hunter22@mail.example.com/relay",
        CORDYNA_NOTIFY_FROM: from,
      });
      expect(more).toEqual([]);
      expect(message).toBe(
        'CORDYNA_SMTP_URL: "smtp://cordyna:***@mail.example.com/relay" has a path, query or fragment, which the email channel does not read: write smtp://host:587 or smtp://user:password@host:587 or smtps://user:password@host:465',
      );
      const [mistyped] = problems({
        CORDYNA_SMTP_URL: "smtp//cordyna:hunter22@mail.example.com",
        CORDYNA_NOTIFY_FROM: from,
      });
      expect(mistyped).toMatch(
        /^CORDYNA_SMTP_URL: "smtp\/\/cordyna:\*\*\*@mail.example.com" is not a URL/,
      );
      expect(problems({ CORDYNA_SMTP_URL: "imap://mail", CORDYNA_NOTIFY_FROM: from })).toEqual([
        expect.stringMatching(/^CORDYNA_SMTP_URL: "imap:\/\/mail" is not an SMTP URL/),
      ]);
    });

    it.each([
      "cordyna",
      "a@example.com, b@example.com",
      "Cordyna <cordyna@example.com",
      "cordyna@example.com\r\nBcc: everyone@example.com",
    ])("refuses the From address %j", (bad) => {
      expect(problems({ CORDYNA_SMTP_URL: "smtp://mail", CORDYNA_NOTIFY_FROM: bad })).toEqual([
        `CORDYNA_NOTIFY_FROM: ${JSON.stringify(bad)} is not one email address: write e.g. "cordyna@example.com" or "Cordyna <cordyna@example.com>"`,
      ]);
    });
  });

  it("names every bad variable at once", () => {
    const found = problems({ CORDYNA_PORT: "x", LOG_LEVEL: "loud", CORDYNA_STORE: "memory" });
    expect(found.map((line) => line.split(":")[0])).toEqual(["CORDYNA_PORT", "LOG_LEVEL"]);
  });
});
