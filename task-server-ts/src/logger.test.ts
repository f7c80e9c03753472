import { PassThrough } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { defaultLogger } from "./logger.js";
import { TaskServer } from "./task-server.js";
import { FakeCerebro } from "./testing/fake-cerebro.js";

/** A stream that keeps what is written, as a terminal or a pipe. */
function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  const written: string[] = [];
  stream.on("data", (chunk) => written.push(String(chunk)));
  return { stream, written };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe("the default logger", () => {
  it("writes readable lines on a terminal", async () => {
    const { stream, written } = capture(true);
    defaultLogger(stream, "info").warn({ taskId: "a.fetch" }, "attempt failed");
    await flushed();
    const line = written.join("");
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] .*WARN.*: .*attempt failed.*a\.fetch/);
    expect(line.trim().split("\n")).toHaveLength(1);
  });

  it("writes JSON lines elsewhere", async () => {
    const { stream, written } = capture(false);
    defaultLogger(stream, "info").info({ taskId: "a.fetch" }, "attempt started");
    await flushed();
    expect(JSON.parse(written.join(""))).toMatchObject({
      level: 30,
      taskId: "a.fetch",
      msg: "attempt started",
    });
  });
});

describe("a lost stream to cerebro", () => {
  let cerebro: FakeCerebro | undefined;
  let server: TaskServer | undefined;

  afterEach(() => {
    server?.stop();
    cerebro?.close();
  });

  it("is one warning naming the address, the status and the next try, without a stack trace", async () => {
    cerebro = await FakeCerebro.start();
    const { stream, written } = capture(false);
    server = new TaskServer({
      name: "task-server-a",
      team: "team-a",
      contact: "",
      cerebro: cerebro.address,
      logger: pino({ level: "warn" }, stream),
      handleSignals: false,
      reconnectBackoff: { initialMs: 5_000, maxMs: 5_000 },
    });
    void server.start().catch(() => {});
    const session = await cerebro.nextSession();
    await session.next("hello");
    session.kill();
    await expect.poll(() => written.length).toBeGreaterThan(0);
    const warning = JSON.parse(written[0] ?? "");
    expect(warning.msg).toMatch(
      new RegExp(
        `^stream to cerebro at ${cerebro.address} lost \\(UNAVAILABLE: killed by test\\); reconnecting in \\d+ ms$`,
      ),
    );
    expect(warning).toMatchObject({ address: cerebro.address, code: "UNAVAILABLE" });
    expect(warning.retryInMs).toBeGreaterThanOrEqual(2_500);
    expect(JSON.stringify(warning)).not.toContain("stack");
  });
});
