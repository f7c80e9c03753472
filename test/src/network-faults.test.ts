// Network faults between a task-server process and cerebro: the task-server
// connects through a fault proxy that cuts, refuses, blackholes and delays
// its traffic. Cerebro runs in this process, so its events can be watched
// as they happen; every wait is for an observable condition, with a deadline.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Cerebro,
  type CerebroEvent,
  ErrorCause,
  RunState,
  startCerebro,
  TaskState,
} from "@cordyna/cerebro";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy } from "./fault-proxy.js";
import { type Child, spawnTs, waitUntil } from "./processes.js";

const TASK = "gated.task";

interface Setup {
  readonly cerebro: Cerebro;
  readonly proxy: FaultProxy;
  readonly server: Child;
  readonly gateDir: string;
  readonly events: CerebroEvent[];
}

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Cerebro in this process, a fault proxy in front of it, and the gated
 * task-server as a child connected through the proxy.
 */
async function setup(options: {
  serverLostGraceMs: number;
  delayMs?: number;
  env?: Record<string, string>;
}): Promise<Setup> {
  const cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    serverLostGraceMs: options.serverLostGraceMs,
    heartbeatIntervalMs: 200,
    logger: pino({ level: "silent" }),
  });
  cleanups.push(() => cerebro.stop());
  const events: CerebroEvent[] = [];
  const unsubscribe = cerebro.events.subscribe((event) => events.push(event));
  cleanups.push(async () => unsubscribe());

  const proxy = await FaultProxy.start({ host: "127.0.0.1", port: cerebro.port });
  cleanups.push(() => proxy.close());
  if (options.delayMs) proxy.setDelay(options.delayMs);

  const gateDir = await mkdtemp(join(tmpdir(), "cordyna-gate-"));
  cleanups.push(() => rm(gateDir, { recursive: true, force: true }));

  const server = spawnTs("gated-server", "test/src/fixtures/gated-server.ts", [], {
    CORDYNA_ADDR: proxy.address,
    GATE_DIR: gateDir,
    LOG_LEVEL: "warn",
    ...options.env,
  });
  cleanups.push(() => server.stop(3_000));
  await waitUntil("the gated server to connect through the proxy", async () => {
    if (server.process.exitCode !== null) throw new Error(`exited:\n${server.output()}`);
    return events.some((e) => e.kind === "server-connected" && e.serverName === "gated-server");
  });
  return { cerebro, proxy, server, gateDir, events };
}

/** Waits for an event matching `match` (from `from` on in the list) and returns it. */
async function eventOf(
  events: readonly CerebroEvent[],
  what: string,
  match: (event: CerebroEvent) => boolean,
  from = 0,
  timeoutMs = 20_000,
): Promise<CerebroEvent> {
  let found: CerebroEvent | undefined;
  await waitUntil(
    what,
    async () => {
      found = events.slice(from).find(match);
      return found !== undefined;
    },
    timeoutMs,
  );
  if (!found) throw new Error(`no ${what}`);
  return found;
}

/** Starts a run of the gated task and waits until its attempt is STARTED. */
async function startedRun(s: Setup): Promise<{ runId: string; attemptId: string }> {
  const { snapshot } = await s.cerebro.engine.startRun({ targets: [TASK] });
  const runId = snapshot.run.id;
  const started = await eventOf(
    s.events,
    `${TASK} STARTED in run ${runId}`,
    (e) => e.runId === runId && e.kind === "task-run-changed" && e.state === TaskState.STARTED,
  );
  const attemptId = started.attemptId ?? "";
  await waitUntil("the handler to start in the task-server", async () =>
    s.server.output().includes(`started ${attemptId}`),
  );
  return { runId, attemptId };
}

function finishedRun(s: Setup, runId: string, timeoutMs = 20_000): Promise<CerebroEvent> {
  return eventOf(
    s.events,
    `run ${runId} to finish`,
    (e) => e.kind === "run-finished" && e.runId === runId,
    0,
    timeoutMs,
  );
}

function openGate(s: Setup, attemptId: string): Promise<void> {
  return writeFile(join(s.gateDir, attemptId), "go");
}

describe("network faults between a task-server and cerebro", () => {
  it("loses nothing in a cut shorter than the grace period: the update sent during it is resent", async () => {
    const graceMs = 10_000;
    const s = await setup({ serverLostGraceMs: graceMs });
    const { runId, attemptId } = await startedRun(s);

    const cutAt = Date.now();
    const eventsBefore = s.events.length;
    s.proxy.down("refuse");
    await eventOf(
      s.events,
      "cerebro to notice the broken stream",
      (e) => e.kind === "server-disconnected" && e.serverName === "gated-server",
      eventsBefore,
    );

    // The task finishes while the network is down: its COMPLETED waits in
    // the task-server's outbox.
    await openGate(s, attemptId);
    await waitUntil("the handler to finish during the cut", async () =>
      s.server.output().includes(`finished ${attemptId}`),
    );
    const during = await s.cerebro.engine.getRun(runId);
    expect(during.run.state).toBe(RunState.RUNNING);
    expect(during.taskRuns[0]?.state).toBe(TaskState.STARTED);

    const reconnectsBefore = s.proxy.accepted;
    s.proxy.up();
    const finished = await finishedRun(s, runId);
    expect(Date.now() - cutAt, "the cut outlasted the grace period").toBeLessThan(graceMs);
    expect(s.proxy.accepted).toBeGreaterThan(reconnectsBefore);
    expect(finished.runState).toBe(RunState.SUCCEEDED);

    const run = await s.cerebro.engine.getRun(runId);
    const taskRun = run.taskRuns[0];
    expect(taskRun?.state).toBe(TaskState.COMPLETED);
    expect(taskRun?.attempts.map((a) => [a.id, a.state])).toEqual([
      [attemptId, TaskState.COMPLETED],
    ]);
    expect(taskRun?.outputs).toEqual({ attemptId });
    expect(
      s.events.filter((e) => e.runId === runId && e.state === TaskState.ERROR),
      "no ERROR during the cut",
    ).toEqual([]);
    expect(s.server.output()).not.toContain(`aborted ${attemptId}`);
  });

  it("ends the attempt in ERROR(SERVER_LOST) after a cut longer than the grace period, and the reconnected server drops it", async () => {
    const graceMs = 800;
    const s = await setup({ serverLostGraceMs: graceMs });
    const { runId, attemptId } = await startedRun(s);

    // Blackholed: the task-server's reconnects hang instead of failing fast.
    s.proxy.down("blackhole");
    const lost = await eventOf(
      s.events,
      `${TASK} to end in ERROR(SERVER_LOST)`,
      (e) => e.runId === runId && e.kind === "task-run-changed" && e.state === TaskState.ERROR,
    );
    expect(lost.errorCause).toBe(ErrorCause.SERVER_LOST);
    expect(lost.attemptId).toBe(attemptId);
    expect((await finishedRun(s, runId)).runState).toBe(RunState.FAILED);
    expect(s.server.output()).not.toContain(`aborted ${attemptId}`);

    const eventsBefore = s.events.length;
    s.proxy.up();
    await eventOf(
      s.events,
      "the task-server to reconnect",
      (e) => e.kind === "server-connected" && e.serverName === "gated-server",
      eventsBefore,
    );
    await waitUntil("the task-server to abort the attempt cerebro no longer wants", async () =>
      s.server.output().includes(`aborted ${attemptId}: cerebro no longer wants this attempt`),
    );

    const run = await s.cerebro.engine.getRun(runId);
    expect(run.run.state).toBe(RunState.FAILED);
    expect(run.taskRuns[0]?.attempts.map((a) => [a.id, a.state, a.errorCause])).toEqual([
      [attemptId, TaskState.ERROR, ErrorCause.SERVER_LOST],
    ]);
    expect(run.run.summary?.failed.map((f) => [f.taskId, f.errorCause])).toEqual([
      [TASK, ErrorCause.SERVER_LOST],
    ]);
    // Opening the gate now changes nothing: the aborted handler reports nothing more.
    await openGate(s, attemptId);
    expect(s.server.output()).not.toContain(`finished ${attemptId}`);
  });

  it("sends an invoke lost in a cut again after the reconnect: the task runs once", async () => {
    const s = await setup({ serverLostGraceMs: 10_000, delayMs: 300 });
    const { snapshot } = await s.cerebro.engine.startRun({ targets: [TASK] });
    const runId = snapshot.run.id;
    // The invoke is on its way, held by the delay; the cut drops it.
    await waitUntil("the invoke to be in flight", async () => s.proxy.delayed.toClient > 0);
    const eventsBefore = s.events.length;
    s.proxy.cut();
    s.proxy.setDelay(0);
    expect(s.server.output()).not.toContain("started ");
    await eventOf(
      s.events,
      "the task-server to reconnect",
      (e) => e.kind === "server-connected" && e.serverName === "gated-server",
      eventsBefore,
    );
    const started = await eventOf(
      s.events,
      `${TASK} STARTED in run ${runId}`,
      (e) => e.runId === runId && e.kind === "task-run-changed" && e.state === TaskState.STARTED,
    );
    const attemptId = started.attemptId ?? "";
    await openGate(s, attemptId);
    expect((await finishedRun(s, runId)).runState).toBe(RunState.SUCCEEDED);
    const run = await s.cerebro.engine.getRun(runId);
    expect(run.taskRuns[0]?.attempts.map((a) => [a.id, a.state])).toEqual([
      [attemptId, TaskState.COMPLETED],
    ]);
    expect(s.server.output().split(`started ${attemptId}`)).toHaveLength(2);
  });

  it("keeps acknowledging through added latency: every run completes with one attempt", async () => {
    const s = await setup({ serverLostGraceMs: 5_000, delayMs: 150 });
    const runs = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const { snapshot } = await s.cerebro.engine.startRun({ targets: [TASK] });
        return snapshot.run.id;
      }),
    );
    // Each handler is let go as soon as it has started.
    for (const runId of runs) {
      const started = await eventOf(
        s.events,
        `${TASK} STARTED in run ${runId}`,
        (e) => e.runId === runId && e.kind === "task-run-changed" && e.state === TaskState.STARTED,
      );
      await openGate(s, started.attemptId ?? "");
    }
    for (const runId of runs) {
      expect((await finishedRun(s, runId)).runState).toBe(RunState.SUCCEEDED);
      const run = await s.cerebro.engine.getRun(runId);
      expect(run.taskRuns[0]?.attempts.map((a) => a.state)).toEqual([TaskState.COMPLETED]);
    }
    // One stream throughout: the delay broke no connection.
    expect(s.proxy.accepted).toBe(1);
    expect(s.events.filter((e) => e.kind === "server-disconnected")).toEqual([]);
    expect(s.server.output()).not.toContain("refused");
  });
});
