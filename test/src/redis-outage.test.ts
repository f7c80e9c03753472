// Redis goes away mid-run: cerebro keeps the task-server's stream open,
// stops acknowledging, and catches up when Redis is back; nothing is lost.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, openStore, startCerebro } from "@cordyna/cerebro";
import { ControlService, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { RawSession, RedisServerProcess } from "../../cerebro/src/testing/index.js";
import { type Child, spawnTs, waitForServers, waitUntil } from "./processes.js";

const silent = pino({ level: "silent" });
let redis: RedisServerProcess | undefined;
let cerebro: Cerebro | undefined;
let server: Child | undefined;
let gateDir: string | undefined;

afterAll(async () => {
  await server?.stop(3_000);
  await cerebro?.stop();
  await redis?.stop();
  if (gateDir) rmSync(gateDir, { recursive: true, force: true });
});

describe("Redis outage mid-run", () => {
  it("keeps streams open, withholds acknowledgement, and stores everything once Redis is back", async () => {
    // "always": the test kills Redis and then counts on every write it acknowledged.
    redis = await RedisServerProcess.start({ appendOnly: true, appendFsync: "always" });
    gateDir = mkdtempSync(join(tmpdir(), "cordyna-gates-"));
    cerebro = await startCerebro({ port: 0, host: "127.0.0.1", logger: silent, store: redis.url });
    const control = createClient(
      ControlService,
      createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
    );
    server = spawnTs("gated-server", "test/src/fixtures/gated-server.ts", [], {
      CORDYNA_ADDR: cerebro.address,
      GATE_DIR: gateDir,
      LOG_LEVEL: "warn",
    });
    // A hand-driven task-server too, whose acknowledgements the test can see.
    const raw = new RawSession(cerebro.address);
    raw.hello("raw-server", [{ id: "raw.task", owner: { team: "team-raw" } }]);
    await raw.next("welcome");
    await control.startRun({ targets: ["raw.task"] });
    const rawInvoke = await raw.next("invoke");
    await waitForServers(control, ["gated-server"]);
    const { run } = await control.startRun({ targets: ["gated.task"] });
    const runId = run?.id ?? "";
    let attemptId = "";
    await waitUntil("the attempt to start", async () => {
      const { run: current } = await control.getRun({ runId });
      attemptId = current?.taskRuns[0]?.attempts[0]?.id ?? "";
      return current?.taskRuns[0]?.state === TaskState.STARTED;
    });

    await redis.kill("SIGKILL");
    raw.send({
      case: "taskState",
      value: { seq: 1n, attemptId: rawInvoke.attemptId, state: TaskState.STARTED },
    });
    writeFileSync(join(gateDir, attemptId), "");
    await waitUntil("the task to finish during the outage", async () =>
      (server?.output() ?? "").includes(`finished ${attemptId}`),
    );
    const { servers } = await control.listServers({});
    expect(servers.find((s) => s.name === "gated-server")?.instances).toHaveLength(1);

    // The update was sent long ago, but it is not stored, so it is not acknowledged.
    expect(raw.received.some((message) => message.message.case === "ack")).toBe(false);
    await redis.resume();
    expect(await raw.next("ack")).toMatchObject({ throughSeq: 1n });
    raw.cancel();
    const reader = await openStore(redis.url, silent);
    try {
      await waitUntil("the completion to reach Redis", async () => {
        const stored = await reader.getRun(runId);
        return stored?.run.state === "SUCCEEDED";
      });
      const stored = await reader.getRun(runId);
      expect(stored?.taskRuns[0]?.attempts.map((a) => a.state)).toEqual(["COMPLETED"]);
      expect((await reader.lastCompletions(["gated.task"])).get("gated.task")?.runId).toBe(runId);
    } finally {
      await reader.close();
    }
  });
});
