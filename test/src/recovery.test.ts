// Task-servers that die or freeze mid-run: their attempts end in
// ERROR(SERVER_LOST) within a known bound and are retried per policy.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { ControlService, ErrorCause, RunState, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Child, finishedRun, spawnTs, waitForServers, waitUntil } from "./processes.js";

const HEARTBEAT_MS = 100;
const LIVENESS_MS = 300;
const GRACE_MS = 200;

let cerebro: Cerebro | undefined;
const children: Child[] = [];

afterEach(async () => {
  for (const child of children) child.process.kill("SIGCONT");
  await Promise.all(children.splice(0).map((child) => child.stop(2_000)));
  await cerebro?.stop();
  cerebro = undefined;
});

async function setUp() {
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    heartbeatIntervalMs: HEARTBEAT_MS,
    livenessTimeoutMs: LIVENESS_MS,
    serverLostGraceMs: GRACE_MS,
  });
  const control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  const address = cerebro.address;
  const spawnServer = () => {
    const child = spawnTs("reboot-server", "test/src/fixtures/flaky-first-attempt-server.ts", [], {
      CORDYNA_ADDR: address,
      LOG_LEVEL: "warn",
    });
    children.push(child);
    return child;
  };
  return { control, spawnServer };
}

describe("task-servers that die or freeze mid-run", () => {
  it("a task-server killed mid-run: its attempt ends in SERVER_LOST and is retried on its replacement", async () => {
    const { control, spawnServer } = await setUp();
    const first = spawnServer();
    await waitForServers(control, ["reboot-server"]);
    const { run } = await control.startRun({ targets: ["reboot.task"] });
    await waitUntil("the first attempt to run", async () => first.output().includes("(attempt 1)"));

    first.process.kill("SIGKILL");
    spawnServer();
    const finished = await finishedRun(control, run?.id ?? "");

    expect(finished.state).toBe(RunState.SUCCEEDED);
    const attempts = finished.taskRuns[0]?.attempts ?? [];
    expect(attempts.map((a) => [a.number, TaskState[a.state], ErrorCause[a.errorCause]])).toEqual([
      [1, "ERROR", "SERVER_LOST"],
      [2, "COMPLETED", "UNSPECIFIED"],
    ]);
    expect(attempts[0]?.instanceId).not.toBe(attempts[1]?.instanceId);
  });

  it("a frozen task-server (SIGSTOP) is detected within liveness + grace; when it thaws it drops the lost attempt", async () => {
    const { control, spawnServer } = await setUp();
    const frozen = spawnServer();
    await waitForServers(control, ["reboot-server"]);
    const { run } = await control.startRun({ targets: ["reboot.task"] });
    await waitUntil("the first attempt to run", async () =>
      frozen.output().includes("(attempt 1)"),
    );
    const attemptId = /running (\S+) \(attempt 1\)/.exec(frozen.output())?.[1];

    frozen.process.kill("SIGSTOP");
    const stoppedAt = Date.now();
    let lostAfterMs = 0;
    await waitUntil("the frozen attempt to end in SERVER_LOST", async () => {
      const { run: current } = await control.getRun({ runId: run?.id ?? "" });
      lostAfterMs = Date.now() - stoppedAt;
      return current?.taskRuns[0]?.attempts[0]?.errorCause === ErrorCause.SERVER_LOST;
    });
    // Documented bound: liveness timeout + one heartbeat interval + grace period.
    expect(lostAfterMs).toBeLessThan(LIVENESS_MS + HEARTBEAT_MS + GRACE_MS + 1_000);

    spawnServer();
    const finished = await finishedRun(control, run?.id ?? "");
    expect(finished.state).toBe(RunState.SUCCEEDED);

    frozen.process.kill("SIGCONT");
    await waitUntil("the thawed server to drop its lost attempt", async () =>
      frozen.output().includes(`aborted ${attemptId}`),
    );
  });
});
