// The three deadlines in real time, with short configured deadlines: the
// controlled-clock tests in cerebro prove the defaults; these prove that real
// timers, real gRPC and a real task-server process agree.

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { ControlService, ErrorCause, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { RawSession } from "../../cerebro/src/testing/index.js";
import { type Child, finishedRun, spawnTs, waitForServers, waitUntil } from "./processes.js";

let cerebro: Cerebro | undefined;
const children: Child[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop()));
  await cerebro?.stop();
  cerebro = undefined;
});

async function start(ackMs = 10_000) {
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    deadlines: { ackMs },
  });
  const control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  return { cerebro, control };
}

/** The only task-run of a run, once the run has finished. */
async function firstTaskRun(control: Parameters<typeof finishedRun>[0], runId: string) {
  const taskRun = (await finishedRun(control, runId)).taskRuns[0];
  if (!taskRun) throw new Error(`run ${runId} has no task-run`);
  return taskRun;
}

describe("deadlines in real time", () => {
  it("ends an unacknowledged invoke in ERROR(ACK_TIMEOUT) after the configured ack deadline", async () => {
    const { control, cerebro: running } = await start(300);
    const silent = new RawSession(running.address);
    silent.hello("mute-server", [{ id: "mute.task", owner: { team: "team-mute" } }]);
    await silent.next("welcome");
    const { run } = await control.startRun({ targets: ["mute.task"] });
    const invoke = await silent.next("invoke");
    const invokedAt = Date.now();
    const taskRun = await firstTaskRun(control, run?.id ?? "");
    expect(Date.now() - invokedAt).toBeGreaterThanOrEqual(250);
    expect(taskRun.state).toBe(TaskState.ERROR);
    expect(taskRun.errorCause).toBe(ErrorCause.ACK_TIMEOUT);
    expect(taskRun.errorDescription).toBe("no QUEUED or STARTED within 300ms of the invoke");
    expect(await silent.next("cancel")).toMatchObject({
      attemptId: invoke.attemptId,
      reason: "ACK_TIMEOUT",
    });
    silent.cancel();
  });

  it("ends a running task in ERROR(COMPLETE_TIMEOUT) and aborts it in its task-server process", async () => {
    const { control, cerebro: running } = await start();
    const server = spawnTs("slow-server", "test/src/fixtures/slow-server.ts", [], {
      CORDYNA_ADDR: running.address,
      SLOW_COMPLETE_DEADLINE: "400ms",
      LOG_LEVEL: "warn",
    });
    children.push(server);
    await waitForServers(control, ["slow-server"]);
    const { run } = await control.startRun({ targets: ["slow.task"] });
    const taskRun = await firstTaskRun(control, run?.id ?? "");
    expect(taskRun.errorCause).toBe(ErrorCause.COMPLETE_TIMEOUT);
    expect(taskRun.errorDescription).toBe("not COMPLETED within 400ms of STARTED");
    await waitUntil("the handler to be aborted", async () =>
      server.output().includes(`aborted ${taskRun.attempts[0]?.id}: COMPLETE_TIMEOUT`),
    );
  });

  it("ends a queued task in ERROR(START_TIMEOUT) after the start deadline", async () => {
    const { control, cerebro: running } = await start();
    const queuing = new RawSession(running.address);
    queuing.hello("queuing-server", [
      {
        id: "queue.task",
        owner: { team: "team-q" },
        deadlines: { start: { seconds: 0n, nanos: 400_000_000 } },
      },
    ]);
    await queuing.next("welcome");
    const { run } = await control.startRun({ targets: ["queue.task"] });
    const invoke = await queuing.next("invoke");
    queuing.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.QUEUED },
    });
    const taskRun = await firstTaskRun(control, run?.id ?? "");
    expect(taskRun.errorCause).toBe(ErrorCause.START_TIMEOUT);
    expect(taskRun.errorDescription).toBe("not STARTED within 400ms of QUEUED");
    expect(taskRun.attempts[0]?.queuedAt).toBeDefined();
    expect(taskRun.attempts[0]?.startedAt).toBeUndefined();
    queuing.cancel();
  });

  it("holds work while the server's only slot is busy, with the reason, and invokes it once the slot frees", async () => {
    const { control, cerebro: running } = await start();
    const server = spawnTs("slow-server", "test/src/fixtures/slow-server.ts", [], {
      CORDYNA_ADDR: running.address,
      SLOW_CONCURRENCY: "1",
      LOG_LEVEL: "warn",
    });
    children.push(server);
    await waitForServers(control, ["slow-server"]);
    const busy = await control.startRun({ targets: ["slow.task"] });
    const waiting = await control.startRun({ targets: ["slow.task"] });
    await waitUntil("the first run to start", async () => {
      const { run } = await control.getRun({ runId: busy.run?.id ?? "" });
      return run?.taskRuns[0]?.state === TaskState.STARTED;
    });
    const held = (await control.getRun({ runId: waiting.run?.id ?? "" })).run?.taskRuns[0];
    expect(held?.state).toBe(TaskState.PENDING);
    expect(held?.waitingReason).toBe("the only instance of server slow-server is busy (1/1)");

    await control.cancelRun({ runId: busy.run?.id ?? "" });
    await waitUntil("the held run to start", async () => {
      const { run } = await control.getRun({ runId: waiting.run?.id ?? "" });
      return run?.taskRuns[0]?.state === TaskState.STARTED;
    });
    await control.cancelRun({ runId: waiting.run?.id ?? "" });
  });
});
