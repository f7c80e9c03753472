import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ControlService, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Cerebro, startCerebro } from "../cerebro.js";
import { freePort, occupyPort } from "../testing/ports.js";
import { RawSession } from "../testing/raw-session.js";

let cerebro: Cerebro;
let server: RawSession;
let base: string;

beforeEach(async () => {
  cerebro = await startCerebro({
    port: 0,
    httpPort: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
  });
  base = `http://${cerebro.httpAddress}/cordyna.v1.ControlService`;
  server = new RawSession(cerebro.address);
  server.hello("task-server-a", [{ id: "a.x", owner: { team: "team-a" } }]);
  await server.next("welcome");
});

afterEach(async () => {
  server.cancel();
  await cerebro.stop();
});

/** What `curl -H 'content-type: application/json' -d BODY URL` does. */
async function post(
  method: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("the control API over plain HTTP with JSON", () => {
  it("starts a run with params and an idempotency key, and says where to follow it", async () => {
    const first = await post("StartRun", {
      targets: ["a.x"],
      params: { day: "2026-06-01" },
      idempotencyKey: "k-1",
    });
    expect(first.status).toBe(200);
    const run = first.json.run as { id: string; params: Record<string, string> };
    expect(run.params).toEqual({ day: "2026-06-01" });
    expect(first.json.follow).toEqual({
      cli: `dyna runs ${run.id} --cerebro ${cerebro.address}`,
      grpc: `grpcurl -plaintext -d '{"run_id":"${run.id}"}' ${cerebro.address} cordyna.v1.ControlService/WatchEvents`,
      http: `GET http://${cerebro.httpAddress}/cordyna.v1.ControlService/GetRun?encoding=json&message=${encodeURIComponent(
        JSON.stringify({ run_id: run.id }),
      )}`,
    });
    const again = await post("StartRun", { targets: ["a.x"], idempotencyKey: "k-1" });
    expect(again.json).toMatchObject({ existing: true, run: { id: run.id } });

    const invoke = await server.next("invoke");
    expect(invoke.params).toEqual({ day: "2026-06-01" });
    server.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.COMPLETED },
    });
    await server.next("ack");

    const follow = (first.json.follow as { http: string }).http.replace(/^GET /, "");
    const fetched = await fetch(follow);
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as { run: { state: string } }).run.state).toBe(
      "RUN_STATE_SUCCEEDED",
    );
  });

  it("answers a bad request with the status and a message naming what was wrong", async () => {
    const unknown = await post("StartRun", { targets: ["no.such-task"] });
    expect(unknown).toEqual({
      status: 404,
      json: { code: "not_found", message: "no server declares task no.such-task" },
    });
    const empty = await post("StartRun", {});
    expect(empty.status).toBe(400);
    expect(empty.json).toEqual({
      code: "invalid_argument",
      message: "a run needs at least one target task",
    });
    const malformed = await fetch(`${base}/StartRun`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"targets": 42}',
    });
    expect(malformed.status).toBe(400);
  });
});

describe("one set of handlers for every protocol", () => {
  it("answers gRPC-Web on the HTTP port and Connect with binary messages on the gRPC port", async () => {
    const viaGrpcWeb = createClient(
      ControlService,
      createGrpcWebTransport({ baseUrl: `http://${cerebro.httpAddress}`, httpVersion: "1.1" }),
    );
    const viaConnect = createClient(
      ControlService,
      createConnectTransport({
        baseUrl: `http://${cerebro.address}`,
        httpVersion: "2",
        useBinaryFormat: true,
      }),
    );
    for (const client of [viaGrpcWeb, viaConnect]) {
      const { tasks } = await client.listTasks({});
      expect(tasks.map((task) => task.taskId)).toEqual(["a.x"]);
      await expect(client.getRun({ runId: "run_missing" })).rejects.toMatchObject({
        code: Code.NotFound,
      });
    }
  });
});

describe("a taken HTTP port", () => {
  it("fails the start naming the port, and stops the gRPC listener already started", async () => {
    const grpcPort = await freePort();
    const taken = await occupyPort();
    try {
      await expect(
        startCerebro({
          port: grpcPort,
          httpPort: taken.port,
          host: "127.0.0.1",
          logger: pino({ level: "silent" }),
        }),
      ).rejects.toThrow(`port ${taken.port} (HTTP/JSON gateway) is already in use`);
    } finally {
      await taken.release();
    }
    await (await occupyPort(grpcPort)).release();
  });
});
