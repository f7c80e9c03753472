// The behaviour every Store promises, as one test suite run against each
// implementation.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LogLineRecord } from "../domain/logs.js";
import {
  type Completion,
  type RunRecord,
  type RunSnapshot,
  RunState,
  type TaskDefinition,
  type TaskRunRecord,
  TaskState,
} from "../domain/model.js";
import type { LoggedEvent } from "./event-store.js";
import { encodeLogLine, logLineBytes } from "./log-store.js";
import type { Store } from "./store.js";

/** A run record for tests: RUNNING, created at `createdAt`. */
export function testRun(id: string, createdAt: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    state: RunState.RUNNING,
    trigger: "api",
    targets: ["a.report"],
    params: { day: "2024-05-01" },
    mode: "normal",
    createdAt,
    ...extra,
  };
}

/** A PENDING task-run of a run, for tests. */
export function testTaskRun(
  runId: string,
  taskId: string,
  extra: Partial<TaskRunRecord> = {},
): TaskRunRecord {
  return {
    id: `tr-${runId}-${taskId}`,
    runId,
    taskId,
    serverName: "server-a",
    owner: { team: "team-a", contact: "a@example.com" },
    state: TaskState.PENDING,
    upstream: [],
    attempts: [],
    updatedAt: 1_000,
    ...extra,
  };
}

/** A run with task-runs for the given task ids, for tests. */
export function testSnapshot(
  id: string,
  createdAt: number,
  taskIds: readonly string[] = ["a.fetch", "a.report"],
  extra: Partial<RunRecord> = {},
): RunSnapshot {
  return {
    run: testRun(id, createdAt, extra),
    taskRuns: taskIds.map((taskId) => testTaskRun(id, taskId)),
  };
}

function testEvent(
  cursor: number,
  runId: string | undefined,
  seq: number,
  kind: LoggedEvent["kind"] = "task-run-changed",
): LoggedEvent {
  return {
    kind,
    time: 1_000 + cursor,
    message: `event ${cursor}`,
    cursor,
    seq,
    teams: ["team-a"],
    ...(runId === undefined ? {} : { runId }),
  };
}

function completion(taskId: string, completedAt: number, runId = "run-1"): Completion {
  return { taskId, runId, taskRunId: `tr-${runId}-${taskId}`, completedAt };
}

function definition(id: string): TaskDefinition {
  return {
    id,
    description: `task ${id}`,
    owner: { team: "team-a", contact: "a@example.com" },
    dependencies: [{ taskId: "a.upstream", freshWithinMs: 3_600_000 }],
    deadlines: { ackMs: 10_000 },
    retry: {
      maxAttempts: 3,
      initialBackoffMs: 1_000,
      maxBackoffMs: 60_000,
      multiplier: 2,
      retryOn: [],
    },
    concurrencyLimit: 1,
    tags: ["nightly"],
    schedule: { cron: "0 3 * * *", timeZone: "Europe/Berlin" },
  };
}

function byTaskId(snapshot: RunSnapshot | undefined): RunSnapshot | undefined {
  if (!snapshot) return undefined;
  const taskRuns = [...snapshot.taskRuns].sort((a, b) => (a.taskId < b.taskId ? -1 : 1));
  return { run: snapshot.run, taskRuns };
}

/** A log line for tests: info, from the handler's logger unless said otherwise. */
function logLine(text: string, stream: LogLineRecord["stream"] = "logger"): LogLineRecord {
  return { time: 1_700_000_000_000, level: "info", stream, text };
}

/**
 * Declares the Store contract tests for stores made by `open`, a new, empty
 * store per test; each is closed after its test.
 */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
    });

    it("getRun returns what createRun stored", async () => {
      const snapshot = testSnapshot("run-1", 1_000);
      snapshot.taskRuns[0]!.attempts.push({
        id: "att-1",
        number: 1,
        state: TaskState.INVOKED,
        instanceId: "inst-1",
        deadlines: { ackMs: 10_000, startMs: 600_000, completeMs: 1_800_000 },
        invokedAt: 1_000,
        deadlineAt: 11_000,
        deadlineCause: "ACK_TIMEOUT",
      });
      const created = await store.createRun(snapshot);
      expect(created.existing).toBe(false);
      expect(byTaskId(created.snapshot)).toEqual(byTaskId(snapshot));
      expect(byTaskId(await store.getRun("run-1"))).toEqual(byTaskId(snapshot));
    });

    it("getRun of an unknown run is undefined", async () => {
      expect(await store.getRun("no-such-run")).toBeUndefined();
    });

    it("a second createRun with a taken idempotency key returns the first run", async () => {
      const first = testSnapshot("run-1", 1_000, ["a.fetch"], { idempotencyKey: "nightly-05-01" });
      const second = testSnapshot("run-2", 2_000, ["b.other"], { idempotencyKey: "nightly-05-01" });
      expect((await store.createRun(first)).existing).toBe(false);
      const again = await store.createRun(second);
      expect(again.existing).toBe(true);
      expect(byTaskId(again.snapshot)).toEqual(byTaskId(first));
      expect(await store.getRun("run-2")).toBeUndefined();
      expect((await store.listRuns(10)).map((r) => r.id)).toEqual(["run-1"]);
    });

    it("creating the same run again (a retried write) is the same creation, not an earlier run", async () => {
      const snapshot = testSnapshot("run-1", 1_000, ["a.fetch"], { idempotencyKey: "nightly" });
      expect((await store.createRun(snapshot)).existing).toBe(false);
      const repeated = await store.createRun(snapshot);
      expect(repeated.existing).toBe(false);
      expect(repeated.snapshot.run.id).toBe("run-1");
      expect(await store.listRuns(10)).toHaveLength(1);
      expect(await store.activeRuns()).toHaveLength(1);
    });

    it("two concurrent createRun with one idempotency key create one run", async () => {
      const results = await Promise.all(
        ["run-1", "run-2", "run-3"].map((id, i) =>
          store.createRun(testSnapshot(id, 1_000 + i, ["a.fetch"], { idempotencyKey: "once" })),
        ),
      );
      expect(results.filter((r) => !r.existing)).toHaveLength(1);
      const ids = new Set(results.map((r) => r.snapshot.run.id));
      expect(ids.size).toBe(1);
      expect(await store.listRuns(10)).toHaveLength(1);
      expect(await store.activeRuns()).toHaveLength(1);
    });

    it("runs without an idempotency key are all created", async () => {
      await store.createRun(testSnapshot("run-1", 1_000));
      const second = await store.createRun(testSnapshot("run-2", 1_000));
      expect(second.existing).toBe(false);
      expect(await store.listRuns(10)).toHaveLength(2);
    });

    it("save() keeps the type and details of a task's error, on the task-run and its attempt", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.report"]));
      const facts = {
        errorType: "SmtpRefused",
        errorDetails: { host: "smtp.example.com", reply: "554" },
      };
      const failed = testTaskRun("run-1", "a.report", {
        state: TaskState.ERROR,
        errorCause: "TASK_FAILED",
        errorDescription: "relay refused",
        ...facts,
        attempts: [
          {
            id: "att-1",
            number: 1,
            state: TaskState.ERROR,
            instanceId: "server-a-1",
            deadlines: { ackMs: 10_000, startMs: 600_000, completeMs: 1_800_000 },
            errorCause: "TASK_FAILED",
            errorDescription: "relay refused",
            ...facts,
            invokedAt: 1_000,
            startedAt: 1_100,
            finishedAt: 1_200,
          },
        ],
      });
      await store.save({ taskRuns: [failed] });
      const [stored] = (await store.getRun("run-1"))?.taskRuns ?? [];
      expect(stored).toEqual(failed);
    });

    it("save() stores runs, task-runs and completions", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch", "a.report"]));
      const run = testRun("run-1", 1_000, {
        state: RunState.FAILED,
        finishedAt: 9_000,
        summary: { failed: [], blocked: [], completed: 1, skipped: 0, cancelled: 0 },
      });
      const fetched = testTaskRun("run-1", "a.fetch", {
        state: TaskState.COMPLETED,
        outputs: { rows: "42" },
        updatedAt: 5_000,
      });
      const report = testTaskRun("run-1", "a.report", {
        state: TaskState.ERROR,
        errorCause: "TASK_FAILED",
        errorDescription: "boom",
        updatedAt: 9_000,
      });
      await store.save({
        runs: [run],
        taskRuns: [fetched, report],
        completions: [completion("a.fetch", 5_000)],
      });
      expect(byTaskId(await store.getRun("run-1"))).toEqual({ run, taskRuns: [fetched, report] });
      expect(Object.fromEntries(await store.lastCompletions(["a.fetch", "a.report"]))).toEqual({
        "a.fetch": completion("a.fetch", 5_000),
      });
    });

    it("save() of task-runs alone, and of nothing, leaves the rest alone", async () => {
      const snapshot = testSnapshot("run-1", 1_000, ["a.fetch", "a.report"]);
      await store.createRun(snapshot);
      const started = testTaskRun("run-1", "a.fetch", { state: TaskState.STARTED });
      await store.save({ taskRuns: [started] });
      await store.save({});
      expect(byTaskId(await store.getRun("run-1"))).toEqual({
        run: snapshot.run,
        taskRuns: [started, snapshot.taskRuns[1]],
      });
    });

    it("listRuns gives the newest runs first, at most `limit`", async () => {
      for (const [id, createdAt] of [
        ["run-c", 3_000],
        ["run-a", 1_000],
        ["run-e", 5_000],
        ["run-b", 2_000],
        ["run-d", 4_000],
      ] as const) {
        await store.createRun(testSnapshot(id, createdAt));
      }
      expect((await store.listRuns(3)).map((r) => r.id)).toEqual(["run-e", "run-d", "run-c"]);
      expect((await store.listRuns(10)).map((r) => r.id)).toEqual([
        "run-e",
        "run-d",
        "run-c",
        "run-b",
        "run-a",
      ]);
      expect(await store.listRuns(0)).toEqual([]);
      expect((await store.listRuns(1))[0]).toEqual(testRun("run-e", 5_000));
    });

    it("listRuns pages by position without repeating or skipping a run", async () => {
      // Ties in createdAt are ordered by id, as they are across pages.
      const created = [1_000, 2_000, 2_000, 2_000, 3_000, 4_000, 4_000].map((createdAt, i) =>
        testRun(`run-${i}`, createdAt),
      );
      for (const run of created) await store.createRun({ run, taskRuns: [] });
      const pages: string[][] = [];
      let after: RunRecord | undefined;
      for (;;) {
        const page = await store.listRuns(3, after);
        if (page.length === 0) break;
        pages.push(page.map((r) => r.id));
        after = page.at(-1);
        // A run started between two pages belongs before the first one.
        await store.createRun({ run: testRun(`new-${pages.length}`, 9_000), taskRuns: [] });
      }
      expect(pages).toEqual([["run-6", "run-5", "run-4"], ["run-3", "run-2", "run-1"], ["run-0"]]);
    });

    it("listRuns continues after a position whose run is gone", async () => {
      for (const [id, createdAt] of [
        ["run-a", 1_000],
        ["run-b", 2_000],
        ["run-d", 2_000],
        ["run-e", 3_000],
      ] as const) {
        await store.createRun(testSnapshot(id, createdAt));
      }
      const page = await store.listRuns(10, { createdAt: 2_000, id: "run-c" });
      expect(page.map((r) => r.id)).toEqual(["run-b", "run-a"]);
      expect((await store.listRuns(10)).map((r) => r.id)).toEqual([
        "run-e",
        "run-d",
        "run-b",
        "run-a",
      ]);
    });

    it("removeFinishedRuns removes runs that finished before the time, with task-runs and idempotency key", async () => {
      const finish = async (id: string, finishedAt: number, key?: string) => {
        const extra = key ? { idempotencyKey: key } : {};
        await store.createRun(testSnapshot(id, finishedAt - 100, ["a.fetch"], extra));
        await store.save({
          runs: [
            testRun(id, finishedAt - 100, {
              ...extra,
              state: RunState.SUCCEEDED,
              finishedAt,
            }),
          ],
          taskRuns: [testTaskRun(id, "a.fetch", { state: TaskState.COMPLETED })],
          completions: [completion("a.fetch", finishedAt, id)],
        });
      };
      await finish("run-old", 1_000, "nightly-1");
      await finish("run-older", 500);
      await store.createRun(testSnapshot("run-running", 100, ["a.fetch"]));
      await finish("run-new", 5_000);
      await store.saveScheduleCursor("a.fetch", 400);

      const rule = { finishedBefore: 2_000, keepNewest: 100, limit: 100 };
      expect(await store.removeFinishedRuns(rule)).toBe(2);
      expect(await store.getRun("run-old")).toBeUndefined();
      expect(await store.getRun("run-older")).toBeUndefined();
      expect((await store.listRuns(10)).map((r) => r.id)).toEqual(["run-new", "run-running"]);
      expect((await store.activeRuns()).map((s) => s.run.id)).toEqual(["run-running"]);
      expect((await store.lastCompletions(["a.fetch"])).get("a.fetch")).toEqual(
        completion("a.fetch", 5_000, "run-new"),
      );
      expect(Object.fromEntries(await store.loadScheduleCursors())).toEqual({ "a.fetch": 400 });
      expect(await store.removeFinishedRuns(rule)).toBe(0);

      // The key is free again, and a late write for a removed run brings none of it back.
      const again = await store.createRun(
        testSnapshot("run-again", 6_000, ["a.fetch"], { idempotencyKey: "nightly-1" }),
      );
      expect(again.existing).toBe(false);
      await store.save({ taskRuns: [testTaskRun("run-old", "a.fetch")] });
      expect(await store.getRun("run-old")).toBeUndefined();
    });

    it("keeps each attempt's log lines in order, numbered from 1, a page at a time", async () => {
      await store.createRun(testSnapshot("run-1", 1_000));
      await store.logs.append("run-1", "att-1", [logLine("one"), logLine("two")], 1_000_000);
      await store.logs.append("run-1", "att-1", [logLine("three", "stderr")], 1_000_000);
      await store.logs.append("run-1", "att-2", [logLine("other attempt")], 1_000_000);

      const all = await store.logs.read("run-1", "att-1", 0, 100);
      expect(all).toEqual({
        lines: [
          { seq: 1, ...logLine("one") },
          { seq: 2, ...logLine("two") },
          { seq: 3, ...logLine("three", "stderr") },
        ],
        dropped: 0,
        lastSeq: 3,
      });
      expect((await store.logs.read("run-1", "att-1", 1, 1)).lines.map((l) => l.text)).toEqual([
        "two",
      ]);
      expect((await store.logs.read("run-1", "att-1", 3, 10)).lines).toEqual([]);
      expect(await store.logs.read("run-1", "att-none", 0, 10)).toEqual({
        lines: [],
        dropped: 0,
        lastSeq: 0,
      });
    });

    it("drops an attempt's oldest log lines beyond its bound in bytes, and counts them", async () => {
      await store.createRun(testSnapshot("run-1", 1_000));
      const bytes = logLineBytes(encodeLogLine(logLine("line 00")));
      const lines = Array.from({ length: 10 }, (_, i) =>
        logLine(`line ${String(i).padStart(2, "0")}`),
      );
      await store.logs.append("run-1", "att-1", lines.slice(0, 6), 4 * bytes);
      await store.logs.append("run-1", "att-1", lines.slice(6), 4 * bytes);

      const page = await store.logs.read("run-1", "att-1", 0, 100);
      expect(page.dropped).toBe(6);
      expect(page.lastSeq).toBe(10);
      expect(page.lines.map((line) => [line.seq, line.text])).toEqual([
        [7, "line 06"],
        [8, "line 07"],
        [9, "line 08"],
        [10, "line 09"],
      ]);
      // Reading from before the first kept line starts at the first kept line.
      expect((await store.logs.read("run-1", "att-1", 2, 1)).lines[0]?.seq).toBe(7);
    });

    it("a run's logs go with the run, and no log is written for a removed run", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch"]));
      await store.logs.append("run-1", "att-1", [logLine("kept until the run goes")], 1_000_000);
      await store.save({
        runs: [testRun("run-1", 1_000, { state: RunState.SUCCEEDED, finishedAt: 1_500 })],
      });
      expect(
        await store.removeFinishedRuns({ finishedBefore: 2_000, keepNewest: 0, limit: 10 }),
      ).toBe(1);
      expect((await store.logs.read("run-1", "att-1", 0, 10)).lines).toEqual([]);

      await store.logs.append("run-1", "att-1", [logLine("late")], 1_000_000);
      await store.logs.append("run-unknown", "att-9", [logLine("never stored")], 1_000_000);
      expect((await store.logs.read("run-1", "att-1", 0, 10)).lastSeq).toBe(0);
      expect((await store.logs.read("run-unknown", "att-9", 0, 10)).lastSeq).toBe(0);
    });

    it("removeFinishedRuns keeps the newest finished runs up to the count, at most `limit` a call", async () => {
      await store.createRun(testSnapshot("run-running", 1, ["a.fetch"]));
      for (let i = 0; i < 6; i++) {
        const run = testRun(`run-${i}`, 10 + i, { state: RunState.FAILED, finishedAt: 100 + i });
        await store.createRun({ run, taskRuns: [testTaskRun(run.id, "a.fetch")] });
      }
      const rule = { finishedBefore: 0, keepNewest: 2, limit: 3 };
      expect(await store.removeFinishedRuns(rule)).toBe(3);
      expect(await store.removeFinishedRuns(rule)).toBe(1);
      expect(await store.removeFinishedRuns(rule)).toBe(0);
      expect((await store.listRuns(10)).map((r) => r.id)).toEqual([
        "run-5",
        "run-4",
        "run-running",
      ]);
      expect(byTaskId(await store.getRun("run-4"))?.taskRuns).toHaveLength(1);
    });

    it("activeRuns holds exactly the RUNNING runs, with their task-runs", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch"]));
      await store.createRun(testSnapshot("run-2", 2_000, ["a.fetch", "a.report"]));
      await store.createRun(
        testSnapshot("run-3", 3_000, ["a.fetch"], { state: RunState.SUCCEEDED, finishedAt: 3_500 }),
      );
      const active = async (): Promise<string[]> =>
        (await store.activeRuns()).map((s) => s.run.id).sort();
      expect(await active()).toEqual(["run-1", "run-2"]);
      const run2 = (await store.activeRuns()).find((s) => s.run.id === "run-2");
      expect(byTaskId(run2)).toEqual(
        byTaskId(testSnapshot("run-2", 2_000, ["a.fetch", "a.report"])),
      );

      await store.save({ runs: [testRun("run-1", 1_000, { state: RunState.FAILED })] });
      expect(await active()).toEqual(["run-2"]);
      await store.save({ runs: [testRun("run-2", 2_000, { state: RunState.CANCELLED })] });
      expect(await active()).toEqual([]);
      await store.save({ runs: [testRun("run-4", 4_000)] });
      expect(await active()).toEqual(["run-4"]);
    });

    it("lastCompletions keeps the newest completion of each task", async () => {
      await store.save({ completions: [completion("a.fetch", 2_000, "run-2")] });
      await store.save({ completions: [completion("a.fetch", 1_000, "run-1")] });
      expect((await store.lastCompletions(["a.fetch"])).get("a.fetch")).toEqual(
        completion("a.fetch", 2_000, "run-2"),
      );
      await store.save({
        completions: [completion("a.fetch", 4_000, "run-4"), completion("a.fetch", 3_000, "run-3")],
      });
      await store.save({ completions: [completion("b.load", 500, "run-1")] });
      expect(
        Object.fromEntries(await store.lastCompletions(["a.fetch", "b.load", "c.none"])),
      ).toEqual({
        "a.fetch": completion("a.fetch", 4_000, "run-4"),
        "b.load": completion("b.load", 500, "run-1"),
      });
      expect((await store.lastCompletions([])).size).toBe(0);
    });

    it("a declaration of megabytes is saved and loaded whole, replacing the one before", async () => {
      const many = Array.from({ length: 5_000 }, (_, i) => definition(`big.task-${i}`));
      await store.saveDeclarations("server-big", [definition("big.before")]);
      await store.saveDeclarations("server-big", many);
      expect((await store.loadDeclarations()).get("server-big")).toEqual(many);
    });

    it("declarations are saved, replaced, forgotten and loaded per server name", async () => {
      expect((await store.loadDeclarations()).size).toBe(0);
      await store.saveDeclarations("server-a", [definition("a.fetch"), definition("a.report")]);
      await store.saveDeclarations("server-b", [definition("b.load")]);
      expect(Object.fromEntries(await store.loadDeclarations())).toEqual({
        "server-a": [definition("a.fetch"), definition("a.report")],
        "server-b": [definition("b.load")],
      });
      await store.saveDeclarations("server-a", [definition("a.other")]);
      await store.saveDeclarations("server-b", []);
      expect(Object.fromEntries(await store.loadDeclarations())).toEqual({
        "server-a": [definition("a.other")],
      });
    });

    it("keeps the last handled cron tick per task", async () => {
      expect((await store.loadScheduleCursors()).size).toBe(0);
      await store.saveScheduleCursor("a.fetch", 1_000);
      await store.saveScheduleCursor("b.load", 2_000);
      await store.saveScheduleCursor("a.fetch", 3_000);
      expect(Object.fromEntries(await store.loadScheduleCursors())).toEqual({
        "a.fetch": 3_000,
        "b.load": 2_000,
      });
    });

    it("taskRunsOf lists a task's task-runs, newest run first, paged, without removed runs", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch", "a.report"]));
      await store.createRun(testSnapshot("run-2", 2_000, ["a.report"], { idempotencyKey: "k" }));
      await store.createRun(testSnapshot("run-3", 3_000, ["a.fetch"]));
      await store.save({
        runs: [testRun("run-1", 1_000, { state: RunState.FAILED, finishedAt: 1_500 })],
        taskRuns: [testTaskRun("run-1", "a.report", { state: TaskState.ERROR })],
      });
      const ofReport = await store.taskRunsOf("a.report", 10);
      expect(ofReport.map(({ run, taskRun }) => [run.id, taskRun.state])).toEqual([
        ["run-2", TaskState.PENDING],
        ["run-1", TaskState.ERROR],
      ]);
      const firstPage = await store.taskRunsOf("a.fetch", 1);
      expect(firstPage.map(({ run }) => run.id)).toEqual(["run-3"]);
      const after = { id: "run-3", createdAt: 3_000 };
      expect((await store.taskRunsOf("a.fetch", 1, after)).map(({ run }) => run.id)).toEqual([
        "run-1",
      ]);
      expect(await store.taskRunsOf("a.nothing", 10)).toEqual([]);

      await store.removeFinishedRuns({ finishedBefore: 2_000, keepNewest: 100, limit: 100 });
      expect((await store.taskRunsOf("a.report", 10)).map(({ run }) => run.id)).toEqual(["run-2"]);
    });

    it("keeps events in cursor order and each run's by seq, and reads them after a position", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch"]));
      const limits = { maxEvents: 100, maxEventsPerRun: 100 };
      await store.events.append(
        [
          testEvent(10, "run-1", 1),
          testEvent(11, undefined, 0),
          testEvent(12, "run-1", 2),
          testEvent(13, "run-1", 3, "run-finished"),
        ],
        limits,
      );
      const cursors = (events: readonly LoggedEvent[]) => events.map((event) => event.cursor);
      expect(cursors(await store.events.read(0, 10))).toEqual([10, 11, 12, 13]);
      expect(cursors(await store.events.read(11, 1))).toEqual([12]);
      expect(cursors(await store.events.readLast(2))).toEqual([12, 13]);
      expect(cursors(await store.events.readLast(10))).toEqual([10, 11, 12, 13]);
      expect((await store.events.readRun("run-1", 1, 10)).map((event) => event.seq)).toEqual([
        2, 3,
      ]);
      expect(await store.events.readRun("run-1", 0, 10)).toContainEqual(testEvent(12, "run-1", 2));
      expect(await store.events.readRun("run-none", 0, 10)).toEqual([]);
    });

    it("drops the oldest events past the limits, in all and per run", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch"]));
      await store.createRun(testSnapshot("run-2", 1_000, ["a.fetch"]));
      const events = Array.from({ length: 6 }, (_, i) =>
        testEvent(i + 1, i % 2 === 0 ? "run-1" : "run-2", Math.floor(i / 2) + 1),
      );
      await store.events.append(events, { maxEvents: 4, maxEventsPerRun: 2 });
      expect((await store.events.read(0, 10)).map((event) => event.cursor)).toEqual([3, 4, 5, 6]);
      expect((await store.events.readRun("run-1", 0, 10)).map((event) => event.seq)).toEqual([
        2, 3,
      ]);
    });

    it("starts each epoch above the last, with the seqs of runs whose events have not ended", async () => {
      await store.createRun(testSnapshot("run-1", 1_000, ["a.fetch"]));
      await store.createRun(testSnapshot("run-2", 1_000, ["a.fetch"]));
      const first = await store.events.beginEpoch();
      await store.events.append(
        [
          testEvent(1, "run-1", 1),
          testEvent(2, "run-2", 1),
          testEvent(3, "run-1", 2),
          testEvent(4, "run-2", 2, "run-finished"),
        ],
        { maxEvents: 100, maxEventsPerRun: 100 },
      );
      const second = await store.events.beginEpoch();
      expect(second.epoch).toBeGreaterThan(first.epoch);
      expect(Object.fromEntries(second.runSeqs)).toEqual({ "run-1": 2 });
    });

    it("removes a run's events with the run, and writes none for a removed run", async () => {
      await store.createRun(
        testSnapshot("run-1", 1_000, ["a.fetch"], { state: RunState.SUCCEEDED, finishedAt: 1_000 }),
      );
      const limits = { maxEvents: 100, maxEventsPerRun: 100 };
      await store.events.append([testEvent(1, "run-1", 1)], limits);
      await store.removeFinishedRuns({ finishedBefore: 2_000, keepNewest: 100, limit: 100 });
      expect(await store.events.readRun("run-1", 0, 10)).toEqual([]);
      await store.events.append([testEvent(2, "run-1", 2)], limits);
      expect(await store.events.readRun("run-1", 0, 10)).toEqual([]);
    });

    it("returns copies: changing what goes in or comes out changes nothing stored", async () => {
      const snapshot = testSnapshot("run-1", 1_000, ["a.fetch"]);
      const created = await store.createRun(snapshot);
      snapshot.run.state = RunState.FAILED;
      snapshot.taskRuns[0]!.state = TaskState.ERROR;
      created.snapshot.run.targets.push("mutated");
      created.snapshot.taskRuns[0]!.upstream.push("mutated");

      const got = await store.getRun("run-1");
      got!.run.params.day = "mutated";
      got!.taskRuns[0]!.attempts.push({} as never);
      (await store.listRuns(1))[0]!.targets.push("mutated");
      (await store.activeRuns())[0]!.taskRuns[0]!.state = TaskState.CANCELLED;

      const c = completion("a.fetch", 2_000);
      await store.save({ completions: [c] });
      (c as { completedAt: number }).completedAt = 1;
      const completions = await store.lastCompletions(["a.fetch"]);
      (completions.get("a.fetch") as { completedAt: number }).completedAt = 2;

      const tasks = [definition("a.fetch")];
      await store.saveDeclarations("server-a", tasks);
      (tasks[0]!.tags as string[]).push("mutated");
      (await store.loadDeclarations()).get("server-a")!.push(definition("mutated"));

      expect(byTaskId(await store.getRun("run-1"))).toEqual(
        byTaskId(testSnapshot("run-1", 1_000, ["a.fetch"])),
      );
      expect((await store.lastCompletions(["a.fetch"])).get("a.fetch")).toEqual(
        completion("a.fetch", 2_000),
      );
      expect(Object.fromEntries(await store.loadDeclarations())).toEqual({
        "server-a": [definition("a.fetch")],
      });
    });
  });
}
