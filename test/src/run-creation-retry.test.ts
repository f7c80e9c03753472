// The connection to Redis breaks after the run-creation script ran but before
// its reply arrived: ioredis sends the script again, which finds the
// idempotency key already pointing at this very run. That is the same
// creation, so the run must start, and the caller must hear existing: false.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { ControlService, RunState } from "@cordyna/contract";
import { TaskServer } from "@cordyna/task-server";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServerProcess } from "../../cerebro/src/testing/index.js";
import { FaultProxy } from "./fault-proxy.js";
import { type ControlClient, finishedRun, waitForServers } from "./processes.js";

/** The start of createRun's reply for a new run, {0, run id}, as Redis encodes it. */
const CREATED_REPLY = "*2\r\n:0\r\n$";
const TRIES = 100;

const silent = pino({ level: "silent" });
let redis: RedisServerProcess;
let proxy: FaultProxy;
let cerebro: Cerebro;
let server: TaskServer;
let control: ControlClient;

beforeAll(async () => {
  redis = await RedisServerProcess.start();
  proxy = await FaultProxy.start({ host: "127.0.0.1", port: redis.port });
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: silent,
    store: `redis://${proxy.address}`,
    redisPrefix: `cordyna-retry-${process.pid}:`,
  });
  control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  server = new TaskServer({
    name: "retry-server",
    team: "team-retry",
    contact: "retry@example.com",
    cerebro: cerebro.address,
    logger: silent,
    handleSignals: false,
  });
  server.task({ id: "retry.quick" }, async () => ({ done: "yes" }));
  await server.start();
  await waitForServers(control, ["retry-server"]);
}, 60_000);

afterAll(async () => {
  await server?.drain();
  await cerebro?.stop();
  await proxy?.close();
  await redis?.stop();
});

describe("StartRun when Redis's reply to the run's creation is lost", () => {
  it(`starts and completes the run it created, on ${TRIES} tries`, async () => {
    for (let i = 0; i < TRIES; i++) {
      const connectionsBefore = proxy.accepted;
      proxy.cutOnReply(CREATED_REPLY);
      const { run, existing } = await control.startRun({
        targets: ["retry.quick"],
        idempotencyKey: `nightly-${i}`,
      });
      // The reply was dropped and ioredis connected again to send the script once more.
      expect(proxy.accepted).toBeGreaterThan(connectionsBefore);
      expect(existing).toBe(false);
      const finished = await finishedRun(control, run?.id ?? "");
      expect(finished.state).toBe(RunState.SUCCEEDED);
    }
    // Asking again with a key now names the earlier run, as it should.
    const again = await control.startRun({ targets: ["retry.quick"], idempotencyKey: "nightly-0" });
    expect(again.existing).toBe(true);
  }, 120_000);
});
