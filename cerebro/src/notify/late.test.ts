// The late rule on a manual clock, against real stores: when a deadline
// fires, what cancels it, and that a restarted cerebro keeps it.

import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { ManualClock } from "../clock.js";
import { type TaskDefinition, type TaskRunRecord, TaskState } from "../domain/model.js";
import { MemoryStore } from "../store/memory-store.js";
import { RedisStore } from "../store/redis-store.js";
import { deleteKeysUnder, randomPrefix } from "../store/redis-test-support.js";
import type { Store } from "../store/store.js";
import { testSnapshot, testTaskRun } from "../store/store-contract.js";
import { task } from "../testing/engine-harness.js";
import { formatMs, LateWatch, MAX_OVERDUE_CHECKS } from "./late.js";
import type { Notification } from "./notification.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (iso: string): number => Date.parse(iso);
const silent = pino({ level: "silent" });

/** a.extract runs daily at 03:00 UTC and is expected to be done by 05:00. */
const daily: TaskDefinition = task("a.extract", {
  owner: { team: "team-a", contact: "a@example.com" },
  schedule: { cron: "0 3 * * *", timeZone: "UTC", expectedWithinMs: 2 * HOUR },
});

/** A LateWatch over `store` that keeps what it would send. */
async function watchOn(store: Store, clock: ManualClock, tasks = [daily]) {
  const sent: Notification[] = [];
  const watch = new LateWatch({
    clock,
    logger: silent,
    store,
    consoleUrl: "https://cordyna.example.com/console",
    notify: async (planned) => {
      sent.push(...planned.map((p) => p.notification));
    },
  });
  watch.setTasks(tasks);
  await watch.start();
  return { watch, sent };
}

/** Moves the clock and waits for the checks its timers began. */
async function advanceTo(clock: ManualClock, watch: LateWatch, iso: string): Promise<void> {
  clock.advance(at(iso) - clock.now());
  await watch.whenIdle();
}

/** Stores the cron run of a tick with a.extract's task-run in it. */
async function cronRun(
  store: Store,
  runId: string,
  tickIso: string,
  taskRun: Partial<TaskRunRecord>,
  others: TaskRunRecord[] = [],
): Promise<void> {
  const tick = at(tickIso);
  await store.createRun({
    run: testSnapshot(runId, tick, [], { trigger: "cron", logicalTime: tick }).run,
    taskRuns: [
      testTaskRun(runId, "a.extract", { owner: daily.owner, updatedAt: tick, ...taskRun }),
      ...others,
    ],
  });
}

function attempt(startedAt: number, finishedAt?: number): TaskRunRecord["attempts"][number] {
  return {
    id: `attempt-${startedAt}`,
    number: 1,
    state: finishedAt === undefined ? TaskState.STARTED : TaskState.COMPLETED,
    instanceId: "i-1",
    deadlines: { ackMs: 1, startMs: 1, completeMs: 1 },
    invokedAt: startedAt,
    startedAt,
    ...(finishedAt === undefined ? {} : { finishedAt }),
  };
}

describe("late notifications", () => {
  it("tell the team once, at tick + expectedWithin, how long the tick's run has been running", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(at("2026-01-01T00:00:00Z"));
    const { watch, sent } = await watchOn(store, clock);
    await cronRun(store, "run-1", "2026-01-01T03:00:00Z", {
      state: TaskState.STARTED,
      attempts: [attempt(at("2026-01-01T03:00:05Z"))],
    });

    await advanceTo(clock, watch, "2026-01-01T04:59:59Z");
    expect(sent).toEqual([]);
    await advanceTo(clock, watch, "2026-01-01T05:00:00Z");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      id: "late/2026-01-01T03:00:00.000Z/a.extract/team-a",
      rule: "late",
      team: "team-a",
      taskId: "a.extract",
      runId: "run-1",
      link: "https://cordyna.example.com/console/runs/run-1",
      fields: {
        tick: "2026-01-01T03:00:00.000Z",
        expectedBy: "2026-01-01T05:00:00.000Z",
        expectedWithin: "2h",
        state: TaskState.STARTED,
        lastCompletedAt: "",
      },
    });
    expect(sent[0]!.fields.detail).toMatch(/^running for 1h 59m \(since 2026-01-01T03:00:05/);
    expect(sent[0]!.text).toContain("Its run run-1: running for 1h 59m");

    // Completing late sends nothing more; neither does the time passing.
    await store.save({
      taskRuns: [
        testTaskRun("run-1", "a.extract", {
          owner: daily.owner,
          state: TaskState.COMPLETED,
          attempts: [attempt(at("2026-01-01T03:00:05Z"), at("2026-01-01T05:30:00Z"))],
        }),
      ],
    });
    await advanceTo(clock, watch, "2026-01-01T12:00:00Z");
    expect(sent).toHaveLength(1);
    watch.stop();
  });

  it("say nothing for a tick completed in time, and name the blocker or a tick that never started", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(at("2026-01-01T00:00:00Z"));
    const { watch, sent } = await watchOn(store, clock);
    await cronRun(store, "run-1", "2026-01-01T03:00:00Z", {
      state: TaskState.COMPLETED,
      attempts: [attempt(at("2026-01-01T03:00:00Z"), at("2026-01-01T04:59:00Z"))],
    });
    await advanceTo(clock, watch, "2026-01-02T02:00:00Z");
    expect(sent).toEqual([]);

    // 2 January: blocked by another team's failure.
    await cronRun(
      store,
      "run-2",
      "2026-01-02T03:00:00Z",
      { state: TaskState.BLOCKED, blockedBy: ["z.source"], upstream: ["z.source"] },
      [
        testTaskRun("run-2", "z.source", {
          owner: { team: "team-z", contact: "z@example.com" },
          state: TaskState.ERROR,
        }),
      ],
    );
    await advanceTo(clock, watch, "2026-01-02T05:00:00Z");
    expect(sent.map((n) => [n.id, n.fields.state, n.fields.detail])).toEqual([
      [
        "late/2026-01-02T03:00:00.000Z/a.extract/team-a",
        TaskState.BLOCKED,
        "blocked by z.source (team team-z)",
      ],
    ]);

    // 3 January: no run at all for the tick (the overlap policy skipped it, say).
    await advanceTo(clock, watch, "2026-01-03T05:00:00Z");
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({
      id: "late/2026-01-03T03:00:00.000Z/a.extract/team-a",
      runId: "",
      fields: { state: "NOT_STARTED", lastCompletedAt: "2026-01-01T04:59:00.000Z" },
    });
    expect(sent[1]!.text).toContain("Its latest run, run-2 (2026-01-02T03:00:00.000Z): blocked");
    watch.stop();
  });

  it("count a later tick's run that completed before the deadline", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(at("2026-01-01T00:00:00Z"));
    const hourly = task("a.extract", {
      owner: daily.owner,
      schedule: { cron: "0 * * * *", timeZone: "UTC", expectedWithinMs: 3 * HOUR },
    });
    const { watch, sent } = await watchOn(store, clock, [hourly]);
    // The 01:00 tick had no run of its own; the 02:00 one completed at 02:30.
    await cronRun(store, "run-2", "2026-01-01T02:00:00Z", {
      state: TaskState.COMPLETED,
      attempts: [attempt(at("2026-01-01T02:00:00Z"), at("2026-01-01T02:30:00Z"))],
    });
    await advanceTo(clock, watch, "2026-01-01T05:00:00Z");
    expect(sent.map((n) => n.fields.tick)).toEqual([]);
    await advanceTo(clock, watch, "2026-01-01T06:00:00Z");
    expect(sent.map((n) => n.fields.tick)).toEqual(["2026-01-01T03:00:00.000Z"]);
    watch.stop();
  });

  it("count no completion of a run in test mode", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(at("2026-01-01T00:00:00Z"));
    const { watch, sent } = await watchOn(store, clock);
    const tick = at("2026-01-01T03:00:00Z");
    await store.createRun({
      run: testSnapshot("run-test", tick, [], { mode: "test", logicalTime: tick }).run,
      taskRuns: [
        testTaskRun("run-test", "a.extract", {
          owner: daily.owner,
          state: TaskState.COMPLETED,
          attempts: [attempt(tick, tick + HOUR)],
        }),
      ],
    });
    await advanceTo(clock, watch, "2026-01-01T05:00:00Z");
    expect(sent.map((n) => [n.rule, n.fields.tick])).toEqual([
      ["late", "2026-01-01T03:00:00.000Z"],
    ]);
    watch.stop();
  });

  it("are not sent for ticks before the task was first watched", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(at("2026-01-01T04:00:00Z"));
    const { watch, sent } = await watchOn(store, clock);
    await advanceTo(clock, watch, "2026-01-02T04:59:00Z");
    expect(sent).toEqual([]);
    await advanceTo(clock, watch, "2026-01-02T05:00:00Z");
    expect(sent.map((n) => n.fields.tick)).toEqual(["2026-01-02T03:00:00.000Z"]);
    watch.stop();
  });
});

describe("late notifications across restarts on Redis", () => {
  const redisUrl = inject("redisUrl");
  let admin: Redis;
  const prefixes: string[] = [];
  const stores: RedisStore[] = [];
  beforeAll(() => {
    admin = new Redis(redisUrl);
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const prefix of prefixes.splice(0)) await deleteKeysUnder(admin, prefix);
  });
  afterAll(async () => {
    await admin.quit();
  });
  function redisStore(prefix: string): RedisStore {
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    const store = RedisStore.connect(redisUrl, { prefix, logger: silent });
    stores.push(store);
    return store;
  }

  it("keep a pending deadline, check those passed while down, and send each once", async () => {
    const prefix = randomPrefix();
    const clock = new ManualClock(at("2026-01-01T00:00:00Z"));
    const first = await watchOn(redisStore(prefix), clock);
    await advanceTo(clock, first.watch, "2026-01-01T02:00:00Z");
    first.watch.stop();

    // Back before the 03:00 tick's deadline: it is still armed.
    clock.advance(2 * HOUR);
    const second = await watchOn(redisStore(prefix), clock);
    expect(second.sent).toEqual([]);
    await advanceTo(clock, second.watch, "2026-01-01T05:00:00Z");
    expect(second.sent.map((n) => n.id)).toEqual([
      "late/2026-01-01T03:00:00.000Z/a.extract/team-a",
    ]);
    second.watch.stop();

    // Down over two deadlines: both are checked on start; the one sent before is not again.
    clock.advance(at("2026-01-03T07:00:00Z") - clock.now());
    const third = await watchOn(redisStore(prefix), clock);
    expect(third.sent.map((n) => n.fields.tick)).toEqual([
      "2026-01-02T03:00:00.000Z",
      "2026-01-03T03:00:00.000Z",
    ]);
    third.watch.stop();
    const fourth = await watchOn(redisStore(prefix), clock);
    expect(fourth.sent).toEqual([]);
    fourth.watch.stop();
  });

  it(`check at most ${MAX_OVERDUE_CHECKS} deadlines that passed while down, the latest`, async () => {
    const prefix = randomPrefix();
    const clock = new ManualClock(at("2026-01-01T00:00:00Z"));
    const hourly = task("a.extract", {
      owner: daily.owner,
      schedule: { cron: "0 * * * *", timeZone: "UTC", expectedWithinMs: 30 * MINUTE },
    });
    (await watchOn(redisStore(prefix), clock, [hourly])).watch.stop();
    clock.advance(24 * HOUR);
    const { watch, sent } = await watchOn(redisStore(prefix), clock, [hourly]);
    expect(sent.map((n) => n.fields.tick)).toEqual(
      Array.from(
        { length: MAX_OVERDUE_CHECKS },
        (_, i) => `2026-01-01T${String(14 + i).padStart(2, "0")}:00:00.000Z`,
      ),
    );
    watch.stop();
  });
});

it("durations read as their two largest units", () => {
  expect(formatMs(2 * HOUR)).toBe("2h");
  expect(formatMs(HOUR + 59 * MINUTE + 55_000)).toBe("1h 59m");
  expect(formatMs(45_000)).toBe("45s");
  expect(formatMs(3 * 24 * HOUR + 4 * HOUR)).toBe("3d 4h");
  expect(formatMs(250)).toBe("250ms");
});
