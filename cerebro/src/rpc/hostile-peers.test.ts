// Peers that misbehave as an attacker on the same network would, over real
// loopback sockets: each is bounded or refused, and cerebro keeps serving
// the peers that behave.
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ConnectRequestSchema,
  ControlService,
  PROTOCOL_VERSION,
  WatchEventsRequestSchema,
} from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import type { Cerebro } from "../cerebro.js";
import { LogCapture } from "../store/redis-test-support.js";
import { loopbackCerebros } from "../testing/loopback-cerebros.js";
import { RawSession } from "../testing/raw-session.js";
import { peerOf } from "./call-context.js";
import type { ServerLimits } from "./server.js";

const { start: cerebroWith, onCleanup } = loopbackCerebros();

function limits(overrides: Partial<ServerLimits>): Partial<ServerLimits> {
  return overrides;
}

function session(cerebro: Cerebro): ClientHttp2Session {
  const client = connect(`http://127.0.0.1:${cerebro.port}`);
  client.on("error", () => {});
  onCleanup(() => {
    client.destroy();
  });
  return client;
}

/** A gRPC message: the 5-byte prefix (not compressed, length) and the bytes. */
function frame(bytes: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([prefix, bytes]);
}

function grpcRequest(
  client: ClientHttp2Session,
  path: string,
  extraHeaders: Record<string, string> = {},
): ClientHttp2Stream {
  const stream = client.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...extraHeaders,
  });
  stream.on("error", () => {});
  return stream;
}

/**
 * The gRPC status of a call, from its trailers (or trailers-only headers),
 * as a client reads it: the call is over once the status is in.
 */
async function grpcStatus(stream: ClientHttp2Stream): Promise<{ code: number; message: string }> {
  const status = await new Promise<IncomingHttpHeaders>((resolve) => {
    stream.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) resolve(headers);
    });
    stream.on("trailers", resolve);
    stream.on("close", () => resolve({}));
    stream.resume();
  });
  return {
    code: Number(status["grpc-status"] ?? -1),
    message: decodeURIComponent(String(status["grpc-message"] ?? "")),
  };
}

function closed(stream: ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.once("close", () => resolve());
  });
}

/** Opens an event watch for everything; resolves once cerebro listens for it. */
async function watchAll(cerebro: Cerebro, client: ClientHttp2Session): Promise<ClientHttp2Stream> {
  const before = cerebro.eventLog.subscriberCount;
  const stream = grpcRequest(client, "/cordyna.v1.ControlService/WatchEvents");
  stream.end(frame(toBinary(WatchEventsRequestSchema, create(WatchEventsRequestSchema, {}))));
  await expect.poll(() => cerebro.eventLog.subscriberCount).toBe(before + 1);
  return stream;
}

function control(cerebro: Cerebro) {
  return createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
}

describe("resets, GOAWAYs and vanishing clients", () => {
  it("survives a rapid-reset flood on a served and an unserved path, and health still answers", async () => {
    const cerebro = await cerebroWith();
    for (const path of ["/grpc.health.v1.Health/Check", "/no.such.Service/Nothing"]) {
      const flood = session(cerebro);
      for (let i = 0; i < 1_200; i++) {
        const stream = grpcRequest(flood, path);
        stream.close(constants.NGHTTP2_CANCEL);
      }
      await new Promise<void>((resolve) => flood.once("close", resolve).close());
    }
    const healthy = session(cerebro);
    const check = grpcRequest(healthy, "/grpc.health.v1.Health/Check");
    check.end(frame(new Uint8Array()));
    expect(await grpcStatus(check)).toEqual({ code: 0, message: "" });
  });

  it("survives a peer's GOAWAY and a client that vanishes mid-stream", async () => {
    const cerebro = await cerebroWith();
    const listeners = cerebro.eventLog.subscriberCount;
    const leaving = session(cerebro);
    const vanishing = session(cerebro);
    await watchAll(cerebro, leaving);
    await watchAll(cerebro, vanishing);
    leaving.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    vanishing.destroy();
    // Both watches are forgotten, and cerebro goes on serving.
    await expect.poll(() => cerebro.eventLog.subscriberCount).toBe(listeners);
    expect((await control(cerebro).listTasks({})).tasks).toEqual([]);
  });
});

describe("limits on connections and calls", () => {
  it("advertises 100 concurrent streams and never runs more on one connection", async () => {
    const cerebro = await cerebroWith();
    const listeners = cerebro.eventLog.subscriberCount;
    const greedy = session(cerebro);
    await once(greedy, "remoteSettings");
    expect(greedy.remoteSettings.maxConcurrentStreams).toBe(100);
    const request = frame(toBinary(WatchEventsRequestSchema, create(WatchEventsRequestSchema, {})));
    for (let i = 0; i < 10_000; i++) {
      grpcRequest(greedy, "/cordyna.v1.ControlService/WatchEvents").end(request);
    }
    await expect.poll(() => cerebro.eventLog.subscriberCount - listeners).toBe(100);
    // Another connection is served meanwhile; the greedy one never gets more.
    expect((await control(cerebro).listTasks({})).tasks).toEqual([]);
    expect(cerebro.eventLog.subscriberCount - listeners).toBe(100);
  });

  it("refuses request headers over 16 KiB and keeps serving", async () => {
    const cerebro = await cerebroWith();
    const stream = grpcRequest(session(cerebro), "/cordyna.v1.ControlService/ListTasks", {
      "x-padding": "x".repeat(32 * 1024),
    });
    stream.end(frame(new Uint8Array()));
    const [headers] = (await once(stream, "response")) as [IncomingHttpHeaders];
    expect(headers[":status"]).toBe(431);
    expect((await control(cerebro).listTasks({})).tasks).toEqual([]);
  });

  it("serves a call whose deadline is the gRPC maximum (99999999H)", async () => {
    const cerebro = await cerebroWith();
    const stream = grpcRequest(session(cerebro), "/cordyna.v1.ControlService/ListTasks", {
      "grpc-timeout": "99999999H",
    });
    stream.end(frame(new Uint8Array()));
    expect(await grpcStatus(stream)).toEqual({ code: 0, message: "" });
  });

  it("refuses a gRPC message over 4 MiB with RESOURCE_EXHAUSTED", async () => {
    const cerebro = await cerebroWith();
    const stream = grpcRequest(session(cerebro), "/cordyna.v1.ControlService/StartRun");
    stream.end(frame(new Uint8Array(5 * 1024 * 1024)));
    expect((await grpcStatus(stream)).code).toBe(Code.ResourceExhausted);
  });

  it("refuses run params over 256 KiB at StartRun, naming the limit", async () => {
    const cerebro = await cerebroWith();
    const raw = new RawSession(cerebro.address);
    onCleanup(() => raw.cancel());
    raw.hello("a-server", [{ id: "a.task", owner: { team: "team-a" } }]);
    await raw.next("welcome");
    await expect(
      control(cerebro).startRun({ targets: ["a.task"], params: { data: "d".repeat(300 * 1024) } }),
    ).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("more than the limit of 262144 bytes"),
    });
    expect((await control(cerebro).listRuns({})).runs).toEqual([]);
  });

  it("refuses a 50 MB JSON body on the HTTP port before storing anything", async () => {
    const cerebro = await cerebroWith({ httpPort: 0 });
    const body = Buffer.alloc(50 * 1024 * 1024, " ");
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const call = httpRequest(
        `http://${cerebro.httpAddress}/cordyna.v1.ControlService/StartRun`,
        {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (response) => {
          let text = "";
          response.on("data", (chunk) => {
            text += chunk;
          });
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      call.on("error", reject);
      call.end(body);
    });
    expect(answer.status).toBe(429);
    expect(JSON.parse(answer.text)).toMatchObject({ code: "resource_exhausted" });
    expect((await control(cerebro).listRuns({})).runs).toEqual([]);
  });

  it("closes a connection that stays idle, and asks an old one to go", async () => {
    const idleCerebro = await cerebroWith({ limits: limits({ idleTimeoutMs: 100 }) });
    const idle = session(idleCerebro);
    await once(idle, "goaway");

    const agedCerebro = await cerebroWith({
      limits: limits({ maxConnectionAgeMs: 200, maxConnectionAgeGraceMs: 100 }),
    });
    const aged = session(agedCerebro);
    const watch = await watchAll(agedCerebro, aged);
    await once(aged, "goaway");
    // Its stream is cut once the grace is over.
    await once(watch, "close");
  });
});

describe("peers that do not read", () => {
  it("resets a watch whose reader stalls (RESOURCE_EXHAUSTED to gRPC clients), and forgets it", async () => {
    const logs = new LogCapture("warn");
    const cerebro = await cerebroWith({
      logger: logs.logger,
      limits: limits({ maxStreamBufferBytes: 32 * 1024 }),
    });
    const listenersBefore = cerebro.eventLog.subscriberCount;
    const stalled = await watchAll(cerebro, session(cerebro));
    stalled.pause();
    const raw = new RawSession(cerebro.address);
    onCleanup(() => raw.cancel());
    raw.hello("noisy", [{ id: "noisy.task", owner: { team: "team-noisy" } }]);
    await raw.next("welcome");
    const api = control(cerebro);
    // Each run publishes events; the stalled watch takes none of them.
    for (let i = 0; i < 2_000 && logs.matching("waiting for a reader").length === 0; i++) {
      await api.startRun({ targets: ["noisy.task"], params: { padding: "p".repeat(512) } });
    }
    expect(logs.matching("the event stream has more than 32768 bytes waiting")).toHaveLength(1);
    expect(cerebro.eventLog.subscriberCount).toBe(listenersBefore);
    // Reset at once, though it reads nothing: gRPC clients report RESOURCE_EXHAUSTED.
    await closed(stalled);
    expect(stalled.rstCode).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
  });

  it("resets a task-server stream that does not read its invokes, and its instance goes", async () => {
    const logs = new LogCapture("warn");
    const cerebro = await cerebroWith({
      logger: logs.logger,
      limits: limits({ maxStreamBufferBytes: 32 * 1024 }),
    });
    const client = session(cerebro);
    const stream = grpcRequest(client, "/cordyna.v1.TaskServerService/Connect");
    const hello = create(ConnectRequestSchema, {
      message: {
        case: "hello",
        value: {
          serverName: "deaf-server",
          instanceId: "deaf-1",
          protocolVersion: { major: PROTOCOL_VERSION.major, minor: 0 },
          tasks: [{ id: "deaf.task", owner: { team: "team-deaf" } }],
          maxConcurrency: 0,
        },
      },
    });
    stream.write(frame(toBinary(ConnectRequestSchema, hello)));
    await once(stream, "response");
    stream.pause();
    const api = control(cerebro);
    for (let i = 0; i < 2_000 && logs.matching("waiting for a reader").length === 0; i++) {
      await api.startRun({ targets: ["deaf.task"], params: { padding: "p".repeat(512) } });
    }
    expect(logs.matching("the task-server stream has more than 32768 bytes waiting")).toHaveLength(
      1,
    );
    await expect
      .poll(async () => (await api.listServers({})).servers.find((s) => s.name === "deaf-server"))
      .toMatchObject({ instances: [] });
    await closed(stream);
    expect(stream.rstCode).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
  });
});

describe("interceptors", () => {
  it("see every call's headers and peer before its handler, unary and stream alike", async () => {
    const seen: string[] = [];
    const interceptor: Interceptor = (next) => async (request) => {
      const peer = peerOf({ values: request.contextValues });
      seen.push(`${request.method.name} ${request.header.get("x-team")} ${peer.address}`);
      if (request.header.get("x-team") === "nobody") {
        throw new ConnectError("not for nobody", Code.PermissionDenied);
      }
      return next(request);
    };
    const cerebro = await cerebroWith({ interceptors: [interceptor] });
    await control(cerebro).listTasks({}, { headers: { "x-team": "team-a" } });
    const raw = new RawSession(cerebro.address);
    onCleanup(() => raw.cancel());
    raw.hello("a-server", [{ id: "a.task", owner: { team: "team-a" } }]);
    await raw.next("welcome");
    await expect(
      control(cerebro).listTasks({}, { headers: { "x-team": "nobody" } }),
    ).rejects.toMatchObject({ code: Code.PermissionDenied });

    expect(seen[0]).toMatch(/^ListTasks team-a 127\.0\.0\.1:\d+$/);
    expect(seen[1]).toMatch(/^Connect null 127\.0\.0\.1:\d+$/);
    expect(seen[2]).toMatch(/^ListTasks nobody /);
  });
});
