import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import type { Schedule, TaskDefinition, UpstreamTrigger } from "../domain/model.js";
import { task } from "../testing/engine-harness.js";
import { type ScheduledRunRequest, Scheduler, type SchedulerPorts } from "./scheduler.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Fake ports that record every call; runs stay active until finish(). */
class FakePorts implements SchedulerPorts {
  readonly clock: ManualClock;
  readonly logger = pino({ level: "silent" });
  readonly requests: ScheduledRunRequest[] = [];
  readonly cancels: { runId: string; reason: string }[] = [];
  readonly saves: [string, number][] = [];
  /** The durable side: what load() returns. */
  readonly stored: Map<string, number>;
  readonly #runs = new Map<string, string>(); // idempotency key → run id
  readonly #active = new Set<string>();
  /** startRun fails while this is above zero, counting down. */
  failures = 0;
  /** When set, only requests for this task fail. */
  failTask: string | undefined;

  constructor(
    clock: ManualClock,
    stored = new Map<string, number>(),
    runs = new Map<string, string>(),
  ) {
    this.clock = clock;
    this.stored = stored;
    this.#runs = runs;
  }

  readonly cursors = {
    load: async () => new Map(this.stored),
    save: async (taskId: string, tick: number) => {
      this.saves.push([taskId, tick]);
      this.stored.set(taskId, tick);
    },
  };

  async startRun(request: ScheduledRunRequest): Promise<{ runId: string; existing: boolean }> {
    this.requests.push(request);
    if (this.failures > 0 && (this.failTask === undefined || this.failTask === request.taskId)) {
      this.failures--;
      throw new Error("store unavailable");
    }
    const known = this.#runs.get(request.idempotencyKey);
    if (known) return { runId: known, existing: true };
    const runId = `run-${this.#runs.size + 1}`;
    this.#runs.set(request.idempotencyKey, runId);
    this.#active.add(runId);
    return { runId, existing: false };
  }

  async cancelRun(runId: string, reason: string): Promise<void> {
    this.cancels.push({ runId, reason });
    this.#active.delete(runId);
  }

  isRunActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  /** Runs a previous cerebro left active, by task. */
  readonly restored = new Map<string, string[]>();

  activeCronRuns(taskId: string): string[] {
    return (this.restored.get(taskId) ?? []).filter((runId) => this.#active.has(runId));
  }

  /** Marks a run as active, as if a previous cerebro had started it. */
  restore(taskId: string, runId: string): void {
    this.restored.set(taskId, [...(this.restored.get(taskId) ?? []), runId]);
    this.#active.add(runId);
  }

  finish(runId: string): void {
    this.#active.delete(runId);
  }

  get active(): string[] {
    return [...this.#active];
  }

  /** The runs created, by idempotency key. */
  get runs(): Map<string, string> {
    return this.#runs;
  }

  /** Ticks (ISO) of the cron requests that created or found a run, in order. */
  get cronTicks(): string[] {
    return this.requests.filter((r) => r.trigger === "cron").map((r) => iso(r.logicalTime));
  }
}

function scheduled(id: string, schedule: Partial<Schedule> & { cron: string }): TaskDefinition {
  return task(id, { schedule: { timeZone: "UTC", ...schedule } });
}

function triggered(id: string, upstream: string[], trigger: UpstreamTrigger): TaskDefinition {
  return task(id, { dependsOn: upstream, trigger });
}

function setup(options: {
  now: string;
  tasks: TaskDefinition[];
  cursors?: Record<string, string>;
  retryDelayMs?: number;
}) {
  const clock = new ManualClock(at(options.now));
  const stored = new Map(Object.entries(options.cursors ?? {}).map(([k, v]) => [k, at(v)]));
  const ports = new FakePorts(clock, stored);
  const scheduler = new Scheduler(
    ports,
    options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs },
  );
  scheduler.setTasks(options.tasks);
  /** Moves the clock and lets the scheduler settle. */
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await scheduler.whenIdle();
  };
  /** Finishes a run and tells the scheduler. */
  const finish = async (runId: string): Promise<void> => {
    ports.finish(runId);
    scheduler.runFinished(runId);
    await scheduler.whenIdle();
  };
  return { clock, ports, scheduler, advance, finish };
}

describe("Scheduler: cron ticks", () => {
  it("fires each tick of a seconds-level cron once, with a stable key and the tick as logical time", async () => {
    const { ports, scheduler, advance, finish } = setup({
      now: "2026-01-01T00:00:00Z",
      tasks: [scheduled("a.poll", { cron: "*/10 * * * * *" })],
    });
    await scheduler.start();
    expect(ports.requests).toEqual([]); // first time seen: starts from now, nothing to catch up
    expect(ports.saves).toEqual([["a.poll", at("2026-01-01T00:00:00Z")]]);
    expect(scheduler.nextFireTime("a.poll")).toBe(at("2026-01-01T00:00:10Z"));

    await advance(9 * SECOND);
    expect(ports.requests).toEqual([]);
    await advance(1 * SECOND);
    expect(ports.requests).toEqual([
      {
        taskId: "a.poll",
        trigger: "cron",
        logicalTime: at("2026-01-01T00:00:10Z"),
        idempotencyKey: `cron:a.poll:${at("2026-01-01T00:00:10Z")}`,
      },
    ]);
    await finish("run-1");
    await advance(10 * SECOND);
    await finish("run-2");
    await advance(10 * SECOND);
    expect(ports.cronTicks).toEqual([
      "2026-01-01T00:00:10.000Z",
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:30.000Z",
    ]);
    expect(ports.stored.get("a.poll")).toBe(at("2026-01-01T00:00:30Z"));
    expect(scheduler.nextFireTime("a.poll")).toBe(at("2026-01-01T00:00:40Z"));
  });

  it("arms nothing before start(), and nothing after stop()", async () => {
    const { clock, ports, scheduler, advance } = setup({
      now: "2026-01-01T00:00:00Z",
      tasks: [scheduled("a.poll", { cron: "* * * * * *" })],
    });
    expect(clock.pendingTimers).toBe(0);
    expect(scheduler.nextFireTime("a.poll")).toBeUndefined();
    await scheduler.start();
    expect(clock.pendingTimers).toBe(1);
    scheduler.stop();
    expect(clock.pendingTimers).toBe(0);
    await advance(MINUTE);
    expect(ports.requests).toEqual([]);
  });

  it("follows declarations: a removed task stops, a changed expression continues from now", async () => {
    const { clock, ports, scheduler, advance } = setup({
      now: "2026-01-01T10:30:00Z",
      tasks: [scheduled("a.daily", { cron: "0 3 * * *" })],
      cursors: { "a.daily": "2026-01-01T03:00:00Z" },
    });
    await scheduler.start();
    expect(ports.requests).toEqual([]);
    // Now hourly: 04:00..10:00 are not missed ticks of the new schedule.
    scheduler.setTasks([scheduled("a.daily", { cron: "0 * * * *" })]);
    await scheduler.whenIdle();
    expect(ports.requests).toEqual([]);
    expect(scheduler.nextFireTime("a.daily")).toBe(at("2026-01-01T11:00:00Z"));
    // Only the policy changes: the timer stays.
    scheduler.setTasks([scheduled("a.daily", { cron: "0 * * * *", overlap: "allow" })]);
    expect(clock.pendingTimers).toBe(1);
    scheduler.setTasks([]);
    expect(clock.pendingTimers).toBe(0);
    expect(scheduler.nextFireTime("a.daily")).toBeUndefined();
    await advance(DAY);
    expect(ports.requests).toEqual([]);
  });

  it("a task declared after start() with a known cursor catches up; a new one starts from now", async () => {
    const { ports, scheduler } = setup({
      now: "2026-01-01T10:30:00Z",
      tasks: [],
      cursors: { "a.known": "2026-01-01T08:00:00Z" },
    });
    await scheduler.start();
    scheduler.setTasks([
      scheduled("a.known", { cron: "0 * * * *" }),
      scheduled("a.new", { cron: "0 * * * *" }),
    ]);
    await scheduler.whenIdle();
    expect(ports.requests.map((r) => r.idempotencyKey)).toEqual([
      `cron:a.known:${at("2026-01-01T10:00:00Z")}`,
    ]);
    expect(ports.stored.get("a.new")).toBe(at("2026-01-01T10:30:00Z"));
  });

  it("a task with only an upstream trigger has no next fire time", async () => {
    const { scheduler } = setup({
      now: "2026-01-01T00:00:00Z",
      tasks: [triggered("b.load", ["a.extract"], { mode: "any", debounceMs: 0 })],
    });
    await scheduler.start();
    expect(scheduler.nextFireTime("b.load")).toBeUndefined();
    expect(scheduler.nextFireTime("nobody")).toBeUndefined();
  });
});

describe("Scheduler: catch-up after downtime", () => {
  // Down from just after 06:00 until 10:30: 07:00, 08:00, 09:00 and 10:00 were missed.
  const downtime = {
    now: "2026-01-01T10:30:00Z",
    cursors: { "a.hourly": "2026-01-01T06:00:00Z" },
  };

  it("skip fires none and moves the cursor past them", async () => {
    const { ports, scheduler } = setup({
      ...downtime,
      tasks: [scheduled("a.hourly", { cron: "0 * * * *", catchUp: "skip" })],
    });
    await scheduler.start();
    expect(ports.requests).toEqual([]);
    expect(ports.stored.get("a.hourly")).toBe(at("2026-01-01T10:00:00Z"));
    expect(scheduler.nextFireTime("a.hourly")).toBe(at("2026-01-01T11:00:00Z"));
  });

  it("latest (the default) fires only the latest missed tick", async () => {
    const { ports, scheduler } = setup({
      ...downtime,
      tasks: [scheduled("a.hourly", { cron: "0 * * * *" })],
    });
    await scheduler.start();
    expect(ports.cronTicks).toEqual(["2026-01-01T10:00:00.000Z"]);
    expect(ports.requests[0]?.idempotencyKey).toBe(`cron:a.hourly:${at("2026-01-01T10:00:00Z")}`);
    expect(ports.stored.get("a.hourly")).toBe(at("2026-01-01T10:00:00Z"));
  });

  it("all fires every missed tick in order, each after the previous run finished", async () => {
    const { ports, scheduler, finish, advance } = setup({
      ...downtime,
      tasks: [scheduled("a.hourly", { cron: "0 * * * *", catchUp: "all" })],
    });
    await scheduler.start();
    expect(ports.cronTicks).toEqual(["2026-01-01T07:00:00.000Z"]);
    expect(ports.stored.get("a.hourly")).toBe(at("2026-01-01T07:00:00Z"));
    await finish("run-1");
    await finish("run-2");
    expect(ports.cronTicks).toEqual([
      "2026-01-01T07:00:00.000Z",
      "2026-01-01T08:00:00.000Z",
      "2026-01-01T09:00:00.000Z",
    ]);
    // A tick that comes while the backlog drains waits behind it.
    await advance(30 * MINUTE);
    expect(ports.cronTicks).toHaveLength(3);
    await finish("run-3");
    await finish("run-4");
    expect(ports.cronTicks).toEqual([
      "2026-01-01T07:00:00.000Z",
      "2026-01-01T08:00:00.000Z",
      "2026-01-01T09:00:00.000Z",
      "2026-01-01T10:00:00.000Z",
      "2026-01-01T11:00:00.000Z",
    ]);
    expect(ports.stored.get("a.hourly")).toBe(at("2026-01-01T11:00:00Z"));
  });

  it("all with overlap allow starts every missed tick at once, oldest first", async () => {
    const { ports, scheduler } = setup({
      ...downtime,
      tasks: [scheduled("a.hourly", { cron: "0 * * * *", catchUp: "all", overlap: "allow" })],
    });
    await scheduler.start();
    expect(ports.cronTicks).toEqual([
      "2026-01-01T07:00:00.000Z",
      "2026-01-01T08:00:00.000Z",
      "2026-01-01T09:00:00.000Z",
      "2026-01-01T10:00:00.000Z",
    ]);
    expect(ports.active).toHaveLength(4);
  });

  it("all keeps only the most recent catchUpMax ticks", async () => {
    const { ports, scheduler } = setup({
      ...downtime,
      tasks: [
        scheduled("a.hourly", {
          cron: "0 * * * *",
          catchUp: "all",
          catchUpMax: 2,
          overlap: "allow",
        }),
      ],
    });
    await scheduler.start();
    expect(ports.cronTicks).toEqual(["2026-01-01T09:00:00.000Z", "2026-01-01T10:00:00.000Z"]);
  });

  it("all without a maximum caps at 100", async () => {
    const { ports, scheduler } = setup({
      now: "2026-01-02T00:00:00Z",
      cursors: { "a.minutely": "2026-01-01T00:00:00Z" }, // 1440 ticks missed
      tasks: [scheduled("a.minutely", { cron: "* * * * *", catchUp: "all", overlap: "allow" })],
    });
    await scheduler.start();
    expect(ports.cronTicks).toHaveLength(100);
    expect(ports.cronTicks[0]).toBe(iso(at("2026-01-02T00:00:00Z") - 99 * MINUTE));
    expect(ports.cronTicks.at(-1)).toBe("2026-01-02T00:00:00.000Z");
  });

  it("keys are stable: a second scheduler on the same cursors asks for the same runs", async () => {
    const tasks = [scheduled("a.hourly", { cron: "0 * * * *", catchUp: "all", overlap: "allow" })];
    const first = setup({ ...downtime, tasks });
    await first.scheduler.start();
    await first.scheduler.start(); // a second start() is a no-op
    const keys = first.ports.requests.map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(4);

    // A replica (or a restart whose cursor saves were lost) on the same cursors and run store.
    const clock = new ManualClock(at(downtime.now));
    const ports = new FakePorts(
      clock,
      new Map([["a.hourly", at("2026-01-01T06:00:00Z")]]),
      first.ports.runs,
    );
    const second = new Scheduler(ports);
    second.setTasks(tasks);
    await second.start();
    expect(ports.requests.map((r) => r.idempotencyKey)).toEqual(keys);
    expect(first.ports.runs.size).toBe(4); // every request found its existing run

    // A restart that kept its cursors asks for nothing again.
    const restarted = setup({
      now: downtime.now,
      tasks,
      cursors: { "a.hourly": iso(first.ports.stored.get("a.hourly") ?? 0) },
    });
    await restarted.scheduler.start();
    expect(restarted.ports.requests).toEqual([]);
  });
});

describe("Scheduler: overlap with the previous scheduled run", () => {
  const minutely = (overlap: Schedule["overlap"]) => ({
    now: "2026-01-01T00:00:30Z",
    tasks: [scheduled("a.sync", { cron: "* * * * *", ...(overlap && { overlap }) })],
  });

  it("skip (the default) drops the tick, logs it and moves the cursor", async () => {
    const { ports, scheduler, advance, finish } = setup(minutely(undefined));
    await scheduler.start();
    await advance(30 * SECOND); // 00:01 starts run-1
    await advance(MINUTE); // 00:02 skipped: run-1 still active
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z"]);
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:02:00Z"));
    await finish("run-1");
    expect(ports.cronTicks).toHaveLength(1); // a skipped tick does not come back
    await advance(MINUTE);
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:03:00.000Z"]);
  });

  it("counts a run a previous cerebro started, so a restart does not overlap it", async () => {
    const { ports, scheduler, advance, finish } = setup(minutely(undefined));
    ports.restore("a.sync", "run-before-restart");
    await scheduler.start();
    await advance(30 * SECOND); // 00:01 skipped: the restored run is still active
    expect(ports.cronTicks).toEqual([]);
    await finish("run-before-restart");
    await advance(MINUTE);
    expect(ports.cronTicks).toEqual(["2026-01-01T00:02:00.000Z"]);
  });

  it("queue_one remembers the newest tick and starts it when the active run finishes", async () => {
    const { ports, scheduler, advance, finish } = setup(minutely("queue_one"));
    await scheduler.start();
    await advance(30 * SECOND); // 00:01 starts run-1
    await advance(MINUTE); // 00:02 queued
    await advance(MINUTE); // 00:03 replaces it
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z"]);
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:01:00Z"));
    await finish("run-1");
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:03:00.000Z"]);
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:03:00Z"));
  });

  it("allow starts anyway", async () => {
    const { ports, scheduler, advance } = setup(minutely("allow"));
    await scheduler.start();
    await advance(30 * SECOND);
    await advance(MINUTE);
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z"]);
    expect(ports.active).toEqual(["run-1", "run-2"]);
  });

  it("cancel_previous cancels the active run, naming the tick, then starts", async () => {
    const { ports, scheduler, advance } = setup(minutely("cancel_previous"));
    await scheduler.start();
    await advance(30 * SECOND);
    await advance(MINUTE);
    expect(ports.cancels).toEqual([
      { runId: "run-1", reason: expect.stringContaining("2026-01-01T00:02:00.000Z") },
    ]);
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z"]);
    expect(ports.active).toEqual(["run-2"]);
  });

  it("a run that ended without runFinished does not block the next tick", async () => {
    const { ports, scheduler, advance } = setup(minutely(undefined));
    await scheduler.start();
    await advance(30 * SECOND);
    ports.finish("run-1"); // the lead forgot to call runFinished
    await advance(MINUTE);
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z"]);
  });
});

describe("Scheduler: failures of startRun", () => {
  it("logs, keeps the cursor before the tick and retries it; other tasks go on", async () => {
    const { ports, scheduler, advance } = setup({
      now: "2026-01-01T00:00:30Z",
      tasks: [
        scheduled("a.sync", { cron: "* * * * *" }),
        scheduled("b.sync", { cron: "* * * * *" }),
      ],
      retryDelayMs: 5 * SECOND,
    });
    await scheduler.start();
    ports.failures = 2;
    ports.failTask = "a.sync";
    await advance(30 * SECOND); // 00:01 fails for a.sync
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:00:30Z"));
    expect(ports.stored.get("b.sync")).toBe(at("2026-01-01T00:01:00Z"));
    await advance(5 * SECOND); // retry fails
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:00:30Z"));
    await advance(5 * SECOND); // retry succeeds, same key
    const aRequests = ports.requests.filter((r) => r.taskId === "a.sync");
    expect(aRequests.map((r) => iso(r.logicalTime))).toEqual([
      "2026-01-01T00:01:00.000Z",
      "2026-01-01T00:01:00.000Z",
      "2026-01-01T00:01:00.000Z",
    ]);
    expect(new Set(aRequests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(ports.runs.size).toBe(2); // one for each task
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:01:00Z"));
  });

  it("under catch-up latest, a newer tick replaces one that still fails", async () => {
    const { ports, scheduler, advance, finish } = setup({
      now: "2026-01-01T00:00:30Z",
      tasks: [scheduled("a.sync", { cron: "* * * * *" })],
      retryDelayMs: 2 * MINUTE,
    });
    await scheduler.start();
    ports.failures = 1;
    await advance(30 * SECOND); // 00:01 fails, retry armed for 00:03
    await advance(MINUTE); // 00:02 supersedes it
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z"]);
    await finish("run-1");
    await advance(MINUTE); // the retry timer finds nothing left of 00:01
    expect(ports.cronTicks).toEqual([
      "2026-01-01T00:01:00.000Z",
      "2026-01-01T00:02:00.000Z",
      "2026-01-01T00:03:00.000Z",
    ]);
  });

  it("under catch-up all, a failing tick is kept and the later ones wait behind it", async () => {
    const { ports, scheduler, advance, finish } = setup({
      now: "2026-01-01T00:00:30Z",
      tasks: [scheduled("a.sync", { cron: "* * * * *", catchUp: "all" })],
      retryDelayMs: 90 * SECOND,
    });
    await scheduler.start();
    ports.failures = 1;
    await advance(30 * SECOND); // 00:01 fails
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:00:30Z"));
    // The next timer retries 00:01 first (now it works); 00:02 waits behind its run.
    await advance(MINUTE);
    expect(ports.cronTicks).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:01:00.000Z"]);
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:01:00Z"));
    await advance(30 * SECOND); // the retry timer finds nothing to retry
    expect(ports.cronTicks).toHaveLength(2);
    await finish("run-1");
    expect(ports.cronTicks.at(-1)).toBe("2026-01-01T00:02:00.000Z");
    expect(ports.stored.get("a.sync")).toBe(at("2026-01-01T00:02:00Z"));
  });
});

describe("Scheduler: upstream triggers", () => {
  it("any: completions within the debounce window start one run", async () => {
    const { ports, scheduler, clock, advance } = setup({
      now: "2026-01-01T00:00:00Z",
      tasks: [
        triggered("c.report", ["a.extract", "b.rates"], { mode: "any", debounceMs: 5 * SECOND }),
      ],
    });
    await scheduler.start();
    const t0 = clock.now();
    scheduler.taskCompleted("a.extract", t0);
    await advance(2 * SECOND);
    scheduler.taskCompleted("b.rates", clock.now());
    await advance(2 * SECOND);
    expect(ports.requests).toEqual([]);
    await advance(1 * SECOND);
    expect(ports.requests).toEqual([
      {
        taskId: "c.report",
        trigger: "upstream",
        logicalTime: t0 + 5 * SECOND,
        idempotencyKey: `upstream:c.report:${t0}`,
      },
    ]);
    // A later completion opens a new window.
    scheduler.taskCompleted("a.extract", clock.now());
    await advance(5 * SECOND);
    expect(ports.requests.map((r) => r.idempotencyKey)).toEqual([
      `upstream:c.report:${t0}`,
      `upstream:c.report:${t0 + 5 * SECOND}`,
    ]);
    // Completions of tasks it does not depend on are ignored.
    scheduler.taskCompleted("z.other", clock.now());
    await advance(MINUTE);
    expect(ports.requests).toHaveLength(2);
  });

  it("any without debounce starts at once; a repeated completion finds the same run", async () => {
    const { ports, scheduler, clock } = setup({
      now: "2026-01-01T00:00:00Z",
      tasks: [triggered("c.report", ["a.extract"], { mode: "any", debounceMs: 0 })],
    });
    await scheduler.start();
    scheduler.taskCompleted("a.extract", clock.now());
    scheduler.taskCompleted("a.extract", clock.now()); // duplicate report
    await scheduler.whenIdle();
    expect(ports.requests.map((r) => r.idempotencyKey)).toEqual([
      `upstream:c.report:${clock.now()}`,
      `upstream:c.report:${clock.now()}`,
    ]);
    expect(ports.runs.size).toBe(1);
  });

  it("all: once every upstream completed since the last triggered run, after the debounce", async () => {
    const { ports, scheduler, clock, advance } = setup({
      now: "2026-01-01T00:00:00Z",
      tasks: [
        triggered("c.report", ["a.extract", "b.rates"], { mode: "all", debounceMs: 10 * SECOND }),
      ],
    });
    await scheduler.start();
    scheduler.taskCompleted("a.extract", clock.now());
    scheduler.taskCompleted("a.extract", clock.now() + 1);
    await advance(MINUTE);
    expect(ports.requests).toEqual([]); // b.rates has not completed yet
    const complete = clock.now();
    scheduler.taskCompleted("b.rates", complete);
    await advance(9 * SECOND);
    expect(ports.requests).toEqual([]);
    await advance(1 * SECOND);
    expect(ports.requests).toEqual([
      {
        taskId: "c.report",
        trigger: "upstream",
        logicalTime: complete + 10 * SECOND,
        idempotencyKey: `upstream:c.report:${complete}`,
      },
    ]);
    // The set starts over: b.rates alone is not enough.
    scheduler.taskCompleted("b.rates", clock.now());
    await advance(MINUTE);
    expect(ports.requests).toHaveLength(1);
    scheduler.taskCompleted("a.extract", clock.now());
    await advance(10 * SECOND);
    expect(ports.requests).toHaveLength(2);
  });

  it("a failed start is retried with the same key", async () => {
    const { ports, scheduler, clock, advance } = setup({
      now: "2026-01-01T00:00:00Z",
      tasks: [triggered("c.report", ["a.extract"], { mode: "any", debounceMs: 0 })],
      retryDelayMs: 5 * SECOND,
    });
    await scheduler.start();
    ports.failures = 1;
    const t0 = clock.now();
    scheduler.taskCompleted("a.extract", t0);
    await scheduler.whenIdle();
    await advance(5 * SECOND);
    expect(ports.requests.map((r) => r.idempotencyKey)).toEqual([
      `upstream:c.report:${t0}`,
      `upstream:c.report:${t0}`,
    ]);
    expect(ports.runs.size).toBe(1);
  });
});

describe("Scheduler: time zones and daylight saving time", () => {
  it("a daily 02:30 in Europe/Berlin around both changes, as croner defines it", async () => {
    const { ports, scheduler, advance } = setup({
      now: "2026-03-27T12:00:00Z",
      tasks: [
        scheduled("a.nightly", { cron: "30 2 * * *", timeZone: "Europe/Berlin", overlap: "allow" }),
      ],
    });
    await scheduler.start();
    await advance(3 * DAY);
    expect(ports.cronTicks).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:30:00.000Z", // spring forward: 02:30 does not exist, fires at 03:30 CEST
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
    ]);

    const fall = setup({
      now: "2026-10-23T12:00:00Z",
      tasks: [
        scheduled("a.nightly", { cron: "30 2 * * *", timeZone: "Europe/Berlin", overlap: "allow" }),
      ],
    });
    await fall.scheduler.start();
    await fall.advance(3 * DAY);
    expect(fall.ports.cronTicks).toEqual([
      "2026-10-24T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T01:30:00.000Z", // fall back: 02:30 happens twice, fires once at 02:30 CET
      "2026-10-26T01:30:00.000Z", // 02:30 CET
    ]);
  });

  it("0 9 * * * fires at 09:00 local on both sides of a change (America/New_York)", async () => {
    const { ports, scheduler, advance } = setup({
      now: "2026-03-06T20:00:00Z",
      tasks: [
        scheduled("a.morning", {
          cron: "0 9 * * *",
          timeZone: "America/New_York",
          overlap: "allow",
        }),
      ],
    });
    await scheduler.start();
    await advance(3 * DAY);
    expect(ports.cronTicks).toEqual([
      "2026-03-07T14:00:00.000Z", // 09:00 EST
      "2026-03-08T13:00:00.000Z", // 09:00 EDT
      "2026-03-09T13:00:00.000Z",
    ]);
    expect(scheduler.nextFireTime("a.morning")).toBe(at("2026-03-10T13:00:00Z"));
  });

  it("catch-up counts missed ticks across a change in local time", async () => {
    const { ports, scheduler } = setup({
      now: "2026-10-26T12:00:00Z",
      cursors: { "a.morning": "2026-10-23T12:00:00Z" },
      tasks: [
        scheduled("a.morning", {
          cron: "0 9 * * *",
          timeZone: "Europe/Berlin",
          catchUp: "all",
          overlap: "allow",
        }),
      ],
    });
    await scheduler.start();
    expect(ports.cronTicks).toEqual([
      "2026-10-24T07:00:00.000Z",
      "2026-10-25T08:00:00.000Z",
      "2026-10-26T08:00:00.000Z",
    ]);
  });
});
