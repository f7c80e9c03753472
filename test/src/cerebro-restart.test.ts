// cerebro killed with SIGKILL mid-run on the Redis store and started again:
// runs, attempts and deadlines come back from Redis, task-servers reconnect
// and report what they still run, and every task-run completes exactly once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisServerProcess } from "@cordyna/cerebro/testing";
import { ErrorCause, RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Child,
  type ControlClient,
  freePort,
  spawnTs,
  startCerebroService,
  waitForServers,
  waitUntil,
} from "./processes.js";

let redis: RedisServerProcess;
let gateDir: string;
let port: number;
let cerebro: Child | undefined;
let control: ControlClient;
let server: Child;

async function startCerebro(): Promise<void> {
  const started = await startCerebroService(port, redis.url, {
    CORDYNA_SERVER_LOST_GRACE_MS: "15000",
  });
  cerebro = started.child;
  control = started.control;
}

beforeAll(async () => {
  redis = await RedisServerProcess.start({ appendOnly: true });
  gateDir = mkdtempSync(join(tmpdir(), "cordyna-gates-"));
  port = await freePort();
  await startCerebro();
  server = spawnTs("gated-server", "test/src/fixtures/gated-server.ts", [], {
    CORDYNA_ADDR: `127.0.0.1:${port}`,
    GATE_DIR: gateDir,
    GATE_COMPLETE_DEADLINE: "1500ms",
    LOG_LEVEL: "warn",
  });
  await waitForServers(control, ["gated-server"]);
}, 60_000);

afterAll(async () => {
  await server?.stop(3_000);
  await cerebro?.stop();
  await redis?.stop();
  rmSync(gateDir, { recursive: true, force: true });
});

const open = (attemptId: string) => writeFileSync(join(gateDir, attemptId), "");
const count = (text: string, needle: string) => text.split(needle).length - 1;

async function attemptOf(runId: string): Promise<string> {
  let attemptId = "";
  await waitUntil(`run ${runId} to be STARTED`, async () => {
    const { run } = await control.getRun({ runId });
    const taskRun = run?.taskRuns[0];
    attemptId = taskRun?.attempts[0]?.id ?? "";
    return taskRun?.state === TaskState.STARTED && server.output().includes(`started ${attemptId}`);
  });
  return attemptId;
}

describe("cerebro restarted after SIGKILL on the Redis store", () => {
  it("restores runs and deadlines; every task-run completes exactly once", async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { run } = await control.startRun({ targets: ["gated.task"] });
      runIds.push(run?.id ?? "");
    }
    const { run: deadlineRun } = await control.startRun({ targets: ["gated.deadline"] });
    const attempts = await Promise.all(runIds.map(attemptOf));
    await attemptOf(deadlineRun?.id ?? "");

    // The first finishes and is acknowledged before the crash.
    open(attempts[0] ?? "");
    await waitUntil("run 1 to succeed", async () => {
      const { run } = await control.getRun({ runId: runIds[0] ?? "" });
      return run?.state === RunState.SUCCEEDED;
    });

    cerebro?.process.kill("SIGKILL");
    await cerebro?.stop();
    // The second finishes while cerebro is down: its update waits in the SDK's outbox.
    open(attempts[1] ?? "");
    await waitUntil("attempt 2 to finish while cerebro is down", async () =>
      server.output().includes(`finished ${attempts[1]}`),
    );
    // Let gated.deadline's 1.5 s complete deadline pass while cerebro is down.
    const deadlinePassedBy = Date.now() + 1_600;
    await waitUntil("the deadline to pass", async () => Date.now() > deadlinePassedBy, 5_000);

    await startCerebro();
    await waitForServers(control, ["gated-server"]);
    // The third finishes after the restart.
    open(attempts[2] ?? "");

    for (const runId of runIds) {
      await waitUntil(`run ${runId} to finish`, async () => {
        const { run } = await control.getRun({ runId });
        return run?.state !== RunState.RUNNING;
      });
      const { run } = await control.getRun({ runId });
      expect(run?.state).toBe(RunState.SUCCEEDED);
      expect(run?.taskRuns[0]?.attempts.map((a) => TaskState[a.state])).toEqual(["COMPLETED"]);
    }
    const output = server.output();
    for (const attemptId of attempts) {
      expect(count(output, `started ${attemptId}`)).toBe(1);
      expect(count(output, `finished ${attemptId}`)).toBe(1);
    }

    await waitUntil("the passed deadline to fire after the restart", async () => {
      const { run } = await control.getRun({ runId: deadlineRun?.id ?? "" });
      return run?.state === RunState.FAILED;
    });
    const { run } = await control.getRun({ runId: deadlineRun?.id ?? "" });
    expect(run?.taskRuns[0]?.errorCause).toBe(ErrorCause.COMPLETE_TIMEOUT);
  });
});
