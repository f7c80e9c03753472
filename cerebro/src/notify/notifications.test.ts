// Teams told of failures end to end: a real cerebro on Redis, real
// TypeScript task-servers, and node:http receivers on loopback.

import { createHmac } from "node:crypto";
import { createControlClient, RunMode, RunState } from "@cordyna/contract";
import { TaskServer } from "@cordyna/task-server";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { Cerebro, CerebroOptions } from "../cerebro.js";
import { RedisStore } from "../store/redis-store.js";
import { deleteKeysUnder, LogCapture, randomPrefix } from "../store/redis-test-support.js";
import { loopbackCerebros } from "../testing/loopback-cerebros.js";
import { freePort } from "../testing/ports.js";
import { Receiver } from "./notify-test-support.js";
import type { WebhookPayload } from "./webhook-channel.js";

const redisUrl = inject("redisUrl");
const silent = pino({ level: "silent" });
const cerebros = loopbackCerebros();
const SECRET = "5e".repeat(32);
let admin: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  admin = new Redis(redisUrl);
});
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deleteKeysUnder(admin, prefix);
});
afterAll(async () => {
  await admin.quit();
});

/** A Redis store under a fresh prefix, closed after the test. */
function redisStore(prefix = randomPrefix()): RedisStore {
  if (!prefixes.includes(prefix)) prefixes.push(prefix);
  const store = RedisStore.connect(redisUrl, { prefix, logger: silent });
  cerebros.onCleanup(() => store.close());
  return store;
}

async function startOn(store: RedisStore, options: Partial<CerebroOptions> = {}): Promise<Cerebro> {
  return cerebros.start({ store, ...options });
}

/** Team A's a.extract, which fails while `failing` says so, after logging; team B's b.report needs it. */
async function teams(cerebro: Cerebro) {
  const state = { failing: true };
  const a = new TaskServer({
    name: "server-a",
    team: "team-a",
    contact: "a-oncall@example.com",
    cerebro: cerebro.address,
    logger: silent,
    handleSignals: false,
  });
  a.task({ id: "a.extract" }, (ctx) => {
    for (let i = 1; i <= 30; i++) ctx.logger.info(`row batch ${i}`);
    if (state.failing) throw new Error("orders table is locked");
    return {};
  });
  const b = new TaskServer({
    name: "server-b",
    team: "team-b",
    contact: "b@example.com",
    cerebro: cerebro.address,
    logger: silent,
    handleSignals: false,
  });
  b.task({ id: "b.report", dependsOn: ["a.extract"] }, () => ({}));
  for (const server of [a, b]) {
    cerebros.onCleanup(() => server.stop());
    await server.start();
  }
  return state;
}

async function runToEnd(
  cerebro: Cerebro,
  targets: string[],
  mode = RunMode.NORMAL,
): Promise<string> {
  const client = createControlClient(cerebro.address);
  const { run } = await client.startRun({ targets, mode });
  for (;;) {
    const { run: now } = await client.getRun({ runId: run!.id });
    if (now && now.state !== RunState.RUNNING) return now.id;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function payload(received: { json: unknown }): WebhookPayload {
  return received.json as WebhookPayload;
}

describe("notifications routed by ownership", () => {
  it("tells the failing team the cause and log tail, the blocked team who blocked it, and the failing team its recovery", async () => {
    const a = await Receiver.start();
    const b = await Receiver.start();
    cerebros.onCleanup(() => Promise.all([a.stop(), b.stop()]));
    const store = redisStore();
    await store.notifications.setRoutes("team-a", [
      { route: { kind: "webhook", url: a.url }, secret: SECRET },
    ]);
    await store.notifications.setRoutes("team-b", [{ route: { kind: "slack", url: b.url } }]);
    const cerebro = await startOn(store, {
      notifications: { consoleUrl: "https://cordyna.example.com/console/" },
    });
    const taskA = await teams(cerebro);

    const failedRun = await runToEnd(cerebro, ["b.report"]);
    await a.waitFor(1);
    await b.waitFor(1);
    const [failed] = payload(a.taken[0]!).notifications;
    expect(failed).toMatchObject({
      id: `failed/${failedRun}/a.extract/team-a`,
      rule: "failed",
      team: "team-a",
      runId: failedRun,
      taskId: "a.extract",
      link: `https://cordyna.example.com/console/runs/${failedRun}`,
      fields: { cause: "TASK_FAILED", attempts: "1" },
    });
    expect(failed!.title).toContain("orders table is locked");
    expect(failed!.fields.logTail!.split("\n")).toEqual(
      Array.from({ length: 20 }, (_, i) => `row batch ${i + 11}`),
    );
    expect(failed!.text).toContain("#1 ERROR TASK_FAILED");
    expect(a.taken[0]!.headers["idempotency-key"]).toBe(failed!.id);

    // A receiver checks the signature as docs/notifications.md shows.
    const signature = String(a.taken[0]!.headers["x-cordyna-signature"]);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
    const expected = createHmac("sha256", Buffer.from(SECRET, "hex"))
      .update(`${t}.${a.taken[0]!.body}`)
      .digest("hex");
    expect(v1).toBe(expected);

    const slack = b.taken[0]!.json as { text: string; blocks: { text: { text: string } }[] };
    expect(slack.text).toBe(
      `b.report is blocked by team team-a's task a.extract in run ${failedRun}`,
    );
    expect(slack.blocks[0]!.text.text).toContain(
      "blocked by team team-a's task a.extract (contact: a-oncall@example.com)",
    );
    expect(b.taken[0]!.headers["idempotency-key"]).toBe(`blocked/${failedRun}/a.extract/team-b`);

    taskA.failing = false;
    const recoveredRun = await runToEnd(cerebro, ["b.report"]);
    await a.waitFor(2);
    expect(payload(a.taken[1]!).notifications[0]).toMatchObject({
      id: `recovered/${recoveredRun}/a.extract/team-a`,
      rule: "recovered",
      fields: { failedRunId: failedRun },
    });
    // Succeeding once more is no recovery: nothing failed since.
    await runToEnd(cerebro, ["a.extract"]);
    await expect.poll(async () => (await store.notifications.pending()).count).toBe(0);
    expect(a.taken).toHaveLength(2);
    expect(b.taken).toHaveLength(1);
  });

  it("tells nobody of a run in test mode: its failure and its success say nothing of production", async () => {
    const receiver = await Receiver.start();
    cerebros.onCleanup(() => receiver.stop());
    const store = redisStore();
    await store.notifications.setRoutes("team-a", [
      { route: { kind: "webhook", url: receiver.url }, secret: SECRET },
    ]);
    const cerebro = await startOn(store);
    const taskA = await teams(cerebro);

    await runToEnd(cerebro, ["a.extract"], RunMode.TEST);
    const failedRun = await runToEnd(cerebro, ["a.extract"]);
    taskA.failing = false;
    // A test run that succeeds after the failure is no recovery either.
    await runToEnd(cerebro, ["a.extract"], RunMode.TEST);
    const recoveredRun = await runToEnd(cerebro, ["a.extract"]);
    await receiver.waitFor(2);
    await expect.poll(async () => (await store.notifications.pending()).count).toBe(0);
    expect(receiver.taken.map((r) => payload(r).notifications[0]!.id)).toEqual([
      `failed/${failedRun}/a.extract/team-a`,
      `recovered/${recoveredRun}/a.extract/team-a`,
    ]);
  });

  it("delivers to a webhook that was down once it is back, after retries", async () => {
    const port = await freePort();
    const store = redisStore();
    await store.notifications.setRoutes("team-a", [
      { route: { kind: "webhook", url: `http://127.0.0.1:${port}/hook` }, secret: SECRET },
    ]);
    const logs = new LogCapture("info");
    const cerebro = await startOn(store, {
      logger: logs.logger,
      notifications: { delivery: { initialBackoffMs: 20, maxBackoffMs: 40 } },
    });
    await teams(cerebro);
    const runId = await runToEnd(cerebro, ["a.extract"]);
    await logs.waitFor((line) => line.msg.includes("delivery failed; it is retried"));

    const receiver = await Receiver.start(port);
    cerebros.onCleanup(() => receiver.stop());
    await receiver.waitFor(1);
    expect(payload(receiver.taken[0]!).notifications.map((n) => n.id)).toEqual([
      `failed/${runId}/a.extract/team-a`,
    ]);
    await expect.poll(async () => (await store.notifications.pending()).count).toBe(0);
  });

  it("sends each notification once across a restart in the middle of its delivery", async () => {
    const receiver = await Receiver.start();
    cerebros.onCleanup(() => receiver.stop());
    receiver.answer = () => "hold";
    const prefix = randomPrefix();
    const first = redisStore(prefix);
    await first.notifications.setRoutes("team-a", [
      { route: { kind: "webhook", url: receiver.url }, secret: SECRET },
    ]);
    const before = await startOn(first);
    await teams(before);
    const runId = await runToEnd(before, ["a.extract"]);
    await receiver.waitFor(1, "arrived");
    // Stopped while the receiver holds the request: it never took it.
    await before.stop();
    expect(receiver.taken).toEqual([]);

    receiver.answer = () => 200;
    const after = await startOn(redisStore(prefix));
    await receiver.waitFor(1);
    const second = redisStore(prefix);
    await expect.poll(async () => (await second.notifications.pending()).count).toBe(0);
    expect(receiver.taken.map((r) => payload(r).notifications[0]!.id)).toEqual([
      `failed/${runId}/a.extract/team-a`,
    ]);
    expect(receiver.arrived).toHaveLength(2);
    await after.stop();
  });
});

describe("the late rule end to end", () => {
  it("tells the team a scheduled task that hangs is late, with how long its run has been running", async () => {
    const receiver = await Receiver.start();
    cerebros.onCleanup(() => receiver.stop());
    const store = redisStore();
    await store.notifications.setRoutes("team-a", [
      { route: { kind: "webhook", url: receiver.url }, secret: SECRET },
    ]);
    const cerebro = await startOn(store, {
      notifications: { consoleUrl: "https://cordyna.example.com/console" },
    });
    const server = new TaskServer({
      name: "server-a",
      team: "team-a",
      contact: "a-oncall@example.com",
      cerebro: cerebro.address,
      logger: silent,
      handleSignals: false,
    });
    // Every 2 s, expected done within 3 s (time enough to have started on a
    // busy machine); it hangs until its run is cancelled.
    server.task(
      { id: "a.hangs", schedule: { cron: "*/2 * * * * *", expectedWithin: "3s" } },
      (ctx) =>
        new Promise<Record<string, never>>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve({})),
        ),
    );
    cerebros.onCleanup(() => server.stop());
    await server.start();

    await receiver.waitFor(1);
    const [late] = payload(receiver.taken[0]!).notifications;
    const tick = Date.parse(late!.fields.tick!);
    expect(late).toMatchObject({
      id: `late/${late!.fields.tick}/a.hangs/team-a`,
      rule: "late",
      team: "team-a",
      taskId: "a.hangs",
      link: `https://cordyna.example.com/console/runs/${late!.runId}`,
      fields: {
        expectedBy: new Date(tick + 3000).toISOString(),
        expectedWithin: "3s",
        state: "STARTED",
      },
    });
    expect(tick % 2000).toBe(0);
    expect(late!.fields.detail).toMatch(/^running for /);
    expect(late!.title).toBe(
      `a.hangs is late: the tick of ${late!.fields.tick} was expected to complete by ${late!.fields.expectedBy}`,
    );
    expect(receiver.taken[0]!.headers["idempotency-key"]).toBe(late!.id);
    // The run of that tick is the one the notification names, and it is still running.
    const { run } = await createControlClient(cerebro.address).getRun({ runId: late!.runId });
    expect(run?.state).toBe(RunState.RUNNING);
  });
});
