// cerebro killed with SIGKILL mid-run on the Redis store and started again,
// with the default grace period and the SDK's default reconnect backoff:
// runs, attempts and deadlines come back from Redis, two healthy task-server
// instances reconnect within the recovery window and report what they still
// run or finished meanwhile, every task-run completes exactly once, and no
// attempt runs twice.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCause, RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServerProcess } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  type ControlClient,
  freePort,
  spawnTs,
  startCerebroService,
  waitUntil,
} from "./processes.js";

let redis: RedisServerProcess;
let gateDir: string;
let port: number;
let cerebro: Child | undefined;
let control: ControlClient;
let servers: Child[] = [];

async function startCerebro(): Promise<void> {
  const started = await startCerebroService(port, redis.url);
  cerebro = started.child;
  control = started.control;
}

const output = () => servers.map((server) => server.output()).join("");

beforeAll(async () => {
  redis = await RedisServerProcess.start({ appendOnly: true });
  gateDir = mkdtempSync(join(tmpdir(), "cordyna-gates-"));
  port = await freePort();
  await startCerebro();
  servers = [1, 2].map((n) =>
    spawnTs(`gated-server-${n}`, "test/src/fixtures/gated-server.ts", [], {
      CORDYNA_ADDR: `127.0.0.1:${port}`,
      GATE_DIR: gateDir,
      GATE_COMPLETE_DEADLINE: "1500ms",
      GATE_DEFAULT_RECONNECT: "1",
      LOG_LEVEL: "warn",
    }),
  );
  await waitUntil("both gated-server instances", async () => {
    const { servers: listed } = await control.listServers({});
    return listed.find((s) => s.name === "gated-server")?.instances.length === 2;
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop(3_000)));
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
    return taskRun?.state === TaskState.STARTED && output().includes(`started ${attemptId}`);
  });
  return attemptId;
}

describe("cerebro restarted after SIGKILL on the Redis store", () => {
  it("restores runs and deadlines; every task-run completes once and no attempt runs twice", async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { run } = await control.startRun({ targets: ["gated.task"] });
      runIds.push(run?.id ?? "");
    }
    const { run: deadlineRun } = await control.startRun({ targets: ["gated.deadline"] });
    const attempts = await Promise.all(runIds.map(attemptOf));
    await attemptOf(deadlineRun?.id ?? "");
    const instances = new Set<string>();
    for (const runId of runIds) {
      const { run } = await control.getRun({ runId });
      instances.add(run?.taskRuns[0]?.attempts[0]?.instanceId ?? "");
    }
    // Invokes go to the instance with the fewest unfinished attempts: both hold some.
    expect(instances.size).toBe(2);

    // The first finishes and is acknowledged before the crash.
    open(attempts[0] ?? "");
    await waitUntil("run 1 to succeed", async () => {
      const { run } = await control.getRun({ runId: runIds[0] ?? "" });
      return run?.state === RunState.SUCCEEDED;
    });

    cerebro?.process.kill("SIGKILL");
    await cerebro?.stop();
    // Two finish while cerebro is down: their updates wait in the SDK's outbox.
    for (const attemptId of attempts.slice(1, 3)) {
      open(attemptId);
      await waitUntil(`attempt ${attemptId} to finish while cerebro is down`, async () =>
        output().includes(`finished ${attemptId}`),
      );
    }
    // Down long enough for gated.deadline's 1.5 s complete deadline to pass,
    // and for the SDK's reconnect backoff to grow to its cap.
    const downUntil = Date.now() + 4_000;
    await waitUntil("the outage to last", async () => Date.now() > downUntil, 6_000);

    await startCerebro();
    await waitUntil("both instances back", async () => {
      const { servers: listed } = await control.listServers({});
      return listed.find((s) => s.name === "gated-server")?.instances.length === 2;
    });
    // The rest finish after the restart.
    for (const attemptId of attempts.slice(3)) open(attemptId);

    for (const runId of runIds) {
      await waitUntil(`run ${runId} to finish`, async () => {
        const { run } = await control.getRun({ runId });
        return run?.state !== RunState.RUNNING;
      });
      const { run } = await control.getRun({ runId });
      expect(run?.state).toBe(RunState.SUCCEEDED);
      expect(run?.taskRuns[0]?.attempts.map((a) => TaskState[a.state])).toEqual(["COMPLETED"]);
    }
    const printed = output();
    for (const attemptId of attempts) {
      expect(count(printed, `started ${attemptId}`)).toBe(1);
      expect(count(printed, `finished ${attemptId}`)).toBe(1);
      expect(printed).not.toContain(`aborted ${attemptId}`);
    }

    // The deadline passed during the outage; it fires once the recovery window is over.
    await waitUntil("the passed deadline to fire after the restart", async () => {
      const { run } = await control.getRun({ runId: deadlineRun?.id ?? "" });
      return run?.state === RunState.FAILED;
    });
    const { run } = await control.getRun({ runId: deadlineRun?.id ?? "" });
    expect(run?.taskRuns[0]?.errorCause).toBe(ErrorCause.COMPLETE_TIMEOUT);
  });
});
