import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type Invoke,
  InvokeSchema,
  LogLevel,
  type LogLine,
  LogStream,
  RunMode,
  TaskState,
  type TaskStateUpdate,
  TaskStateUpdateSchema,
} from "@cordyna/contract";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { AttemptAbortedError, NonRetryableError } from "./errors.js";
import { AttemptRunner } from "./runner.js";
import { type Deferred, deferred, Inbox } from "./testing/inbox.js";
import type { TaskContext, TaskHandler, TaskOutputs } from "./types.js";

const logger = pino({ level: "silent" });

function invoke(attemptId: string, taskId = "t.held"): Invoke {
  return create(InvokeSchema, {
    runId: "run-1",
    taskRunId: `tr-${attemptId}`,
    attemptId,
    attemptNumber: 1,
    taskId,
    params: { day: "2024-01-01" },
    mode: RunMode.TEST,
  });
}

/** A runner whose "t.held" handler waits until the test releases each attempt. */
function setup(concurrency: number) {
  const reports = new Inbox<TaskStateUpdate>();
  const logged: Array<{ attemptId: string; line: LogLine }> = [];
  const started = new Inbox<TaskContext>();
  const gates = new Map<string, Deferred<TaskOutputs | undefined>>();
  const gate = (attemptId: string) => {
    let entry = gates.get(attemptId);
    if (!entry) {
      entry = deferred<TaskOutputs | undefined>();
      gates.set(attemptId, entry);
    }
    return entry;
  };
  const handlers: Record<string, TaskHandler> = {
    "t.held": (ctx) => {
      started.push(ctx);
      return gate(ctx.attemptId).promise;
    },
    "t.fail": () => {
      throw new Error("disk full");
    },
    "t.final": async () => {
      throw new NonRetryableError("bad params");
    },
  };
  const runner = new AttemptRunner({
    concurrency,
    lookup: (taskId) => {
      const handler = handlers[taskId];
      return handler && { handler };
    },
    report: (update) => reports.push(update),
    log: (attemptId, line) => logged.push({ attemptId, line }),
    logger,
  });
  const states = () => reports.all.map((u) => `${u.attemptId}:${TaskState[u.state]}`);
  const next = (attemptId: string, state: TaskState) =>
    reports.next(
      (u) => u.attemptId === attemptId && u.state === state,
      `${attemptId} ${TaskState[state]}`,
    );
  return { runner, reports, started, gate, states, next };
}

describe("AttemptRunner", () => {
  it("reports STARTED, runs the handler with its context, then COMPLETED with outputs", async () => {
    const { runner, started, gate, next } = setup(2);
    expect(runner.invoke(invoke("a1"))).toBe("started");
    const startedUpdate = await next("a1", TaskState.STARTED);
    expect(startedUpdate.time).toBeDefined();
    const ctx = await started.next();
    expect(ctx).toMatchObject({
      taskId: "t.held",
      runId: "run-1",
      taskRunId: "tr-a1",
      attemptId: "a1",
      attemptNumber: 1,
      mode: "test",
      params: { day: "2024-01-01" },
    });
    expect(ctx.signal.aborted).toBe(false);
    gate("a1").resolve({ rows: "42" });
    const completed = await next("a1", TaskState.COMPLETED);
    expect(completed.outputs).toEqual({ rows: "42" });
    await runner.whenIdle();
  });

  it("reports updates that are exactly the messages protobuf-es would make, time included", async () => {
    const { runner, gate, next } = setup(2);
    const before = Date.now();
    runner.invoke(invoke("m1"));
    const started = await next("m1", TaskState.STARTED);
    gate("m1").resolve({ rows: "1" });
    const completed = await next("m1", TaskState.COMPLETED);
    const failed = setup(1);
    failed.runner.invoke(invoke("m2", "t.final"));
    const error = await failed.next("m2", TaskState.ERROR);
    for (const [update, extra] of [
      [started, {}],
      [completed, { outputs: { rows: "1" } }],
      [error, { errorDescription: "bad params", nonRetryable: true }],
    ] as const) {
      expect(update).toStrictEqual(
        create(TaskStateUpdateSchema, {
          attemptId: update.attemptId,
          state: update.state,
          time: update.time,
          ...extra,
        }),
      );
      const ms = timestampMs(update.time!);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(Date.now());
      expect(Number.isInteger(update.time!.nanos)).toBe(true);
    }
    await runner.whenIdle();
  });

  it("logs each attempt with its ids, and gives the handler the same logger", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const infoLogger = pino(
      { level: "info" },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const shipped: Array<{ attemptId: string; line: LogLine }> = [];
    const runner = new AttemptRunner({
      concurrency: 1,
      lookup: () => ({
        handler: (ctx) => {
          ctx.logger.info("from the handler");
          ctx.logger.child({ step: "load" }).warn({ rows: 3 }, "loaded %d files", 2);
          ctx.logger.debug("below the level in force");
        },
      }),
      report: () => {},
      log: (attemptId, line) => shipped.push({ attemptId, line }),
      logger: infoLogger,
    });
    runner.invoke(invoke("l1", "t.log"));
    await runner.whenIdle();
    expect(lines.map((line) => line.msg)).toEqual([
      "attempt started",
      "from the handler",
      "loaded 2 files",
      "attempt completed",
    ]);
    // Only what the handler logged goes to the attempt's log, at the levels in force.
    expect(
      shipped.map(({ attemptId, line }) => [attemptId, line.level, line.stream, line.text]),
    ).toEqual([
      ["l1", LogLevel.INFO, LogStream.LOGGER, "from the handler"],
      ["l1", LogLevel.WARN, LogStream.LOGGER, 'loaded 2 files {"rows":3}'],
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({
        runId: "run-1",
        taskRunId: "tr-l1",
        attemptId: "l1",
        taskId: "t.log",
      });
    }
  });

  it("sends a handler's info lines to cerebro also when the server prints only warnings", async () => {
    const printed: string[] = [];
    const shipped: string[] = [];
    const runner = new AttemptRunner({
      concurrency: 1,
      lookup: () => ({
        handler: (ctx) => {
          ctx.logger.info("ordinary progress");
          ctx.logger.debug("detail nobody asked for");
        },
      }),
      report: () => {},
      log: (_attemptId, line) => shipped.push(line.text),
      logger: pino({ level: "warn" }, { write: (line: string) => printed.push(line) }),
    });
    runner.invoke(invoke("w1", "t.warn-only"));
    await runner.whenIdle();
    expect(shipped).toEqual(["ordinary progress"]);
    expect(printed).toEqual([]);
  });

  it("makes no per-attempt logger for an attempt that logs nothing at the level in force", async () => {
    const quiet = pino({ level: "warn" });
    const child = vi.spyOn(quiet, "child");
    const runner = new AttemptRunner({
      concurrency: 1,
      lookup: () => ({ handler: async () => ({ rows: "1" }) }),
      report: () => {},
      log: () => {},
      logger: quiet,
    });
    runner.invoke(invoke("q1", "t.quiet"));
    await runner.whenIdle();
    expect(child).not.toHaveBeenCalled();
  });

  it("reports ERROR with the error's message; non_retryable only for NonRetryableError", async () => {
    const { runner, next } = setup(2);
    runner.invoke(invoke("f1", "t.fail"));
    runner.invoke(invoke("f2", "t.final"));
    const retryable = await next("f1", TaskState.ERROR);
    expect(retryable.errorDescription).toBe("disk full");
    expect(retryable.nonRetryable).toBe(false);
    const final = await next("f2", TaskState.ERROR);
    expect(final.errorDescription).toBe("bad params");
    expect(final.nonRetryable).toBe(true);
  });

  it("reports an unknown task as a non-retryable ERROR without running anything", () => {
    const { runner, states, reports } = setup(2);
    expect(runner.invoke(invoke("u1", "t.nope"))).toBe("unknown-task");
    expect(states()).toEqual(["u1:ERROR"]);
    expect(reports.all[0]?.nonRetryable).toBe(true);
    expect(reports.all[0]?.errorDescription).toContain("unknown task");
    expect(runner.invoke(invoke("u1", "t.nope"))).toBe("duplicate");
  });

  it("queues beyond the limit (QUEUED), and starts queued attempts FIFO as slots free", async () => {
    const { runner, gate, states, next } = setup(1);
    expect(runner.invoke(invoke("a"))).toBe("started");
    expect(runner.invoke(invoke("b"))).toBe("queued");
    expect(runner.invoke(invoke("c"))).toBe("queued");
    expect(states()).toEqual(["a:STARTED", "b:QUEUED", "c:QUEUED"]);
    expect(runner.activeAttemptIds()).toEqual(["a", "b", "c"]);
    gate("a").resolve(undefined);
    await next("b", TaskState.STARTED);
    expect(states()).toEqual(["a:STARTED", "b:QUEUED", "c:QUEUED", "a:COMPLETED", "b:STARTED"]);
    gate("b").resolve(undefined);
    await next("c", TaskState.STARTED);
    gate("c").resolve(undefined);
    await next("c", TaskState.COMPLETED);
    expect(states().slice(5)).toEqual(["b:COMPLETED", "c:STARTED", "c:COMPLETED"]);
  });

  it("runs without limit when concurrency is 0", () => {
    const { runner } = setup(0);
    for (const id of ["a", "b", "c", "d", "e"]) expect(runner.invoke(invoke(id))).toBe("started");
  });

  it("never runs an attempt twice", async () => {
    const { runner, started, gate, next } = setup(1);
    runner.invoke(invoke("a"));
    runner.invoke(invoke("b"));
    expect(runner.invoke(invoke("a"))).toBe("duplicate");
    expect(runner.invoke(invoke("b"))).toBe("duplicate");
    gate("a").resolve(undefined);
    gate("b").resolve(undefined);
    await next("b", TaskState.COMPLETED);
    expect(runner.invoke(invoke("a"))).toBe("duplicate");
    expect(started.all.map((ctx) => ctx.attemptId)).toEqual(["a", "b"]);
  });

  it("cancel aborts the signal with the reason and reports nothing further", async () => {
    const { runner, started, gate, states } = setup(1);
    runner.invoke(invoke("a"));
    runner.invoke(invoke("b"));
    const ctx = await started.next();
    expect(runner.cancel("a", "user asked")).toBe(true);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBeInstanceOf(AttemptAbortedError);
    expect((ctx.signal.reason as Error).message).toBe("user asked");
    expect(runner.activeAttemptIds()).toEqual(["b"]);
    gate("a").resolve({ late: "yes" });
    const second = await started.next();
    expect(second.attemptId).toBe("b");
    expect(states()).toEqual(["a:STARTED", "b:QUEUED", "b:STARTED"]);
  });

  it("cancel drops a queued attempt", async () => {
    const { runner, gate, started, states } = setup(1);
    runner.invoke(invoke("a"));
    runner.invoke(invoke("b"));
    runner.invoke(invoke("c"));
    expect(runner.cancel("b", "not needed")).toBe(true);
    expect(runner.cancel("zz", "unknown")).toBe(false);
    gate("a").resolve(undefined);
    await started.next((ctx) => ctx.attemptId === "c");
    expect(started.all.map((ctx) => ctx.attemptId)).toEqual(["a", "c"]);
    expect(states()).not.toContain("b:STARTED");
  });

  it("failAll reports a retryable ERROR for everything and ignores later handler results", async () => {
    const { runner, gate, states, started } = setup(1);
    runner.invoke(invoke("a"));
    runner.invoke(invoke("b"));
    const ctx = await started.next();
    runner.failAll("shutting down");
    expect(ctx.signal.aborted).toBe(true);
    expect(states()).toEqual(["a:STARTED", "b:QUEUED", "a:ERROR", "b:ERROR"]);
    gate("a").resolve(undefined);
    await runner.whenIdle();
    expect(states()).toHaveLength(4);
    expect(started.all).toHaveLength(1);
  });
});
