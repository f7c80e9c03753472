import { connect as connectHttp2, type IncomingHttpHeaders } from "node:http2";
import { connect as connectTcp } from "node:net";
import { create, type Message, toBinary } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import {
  CancelRunResponseSchema,
  type ConnectRequest,
  ConnectRequestSchema,
  ConnectResponseSchema,
  ControlService,
  frameMessage,
  GetGraphResponseSchema,
  GetRunResponseSchema,
  GrpcCode,
  GrpcStatusError,
  ListRunsResponseSchema,
  ListServersResponseSchema,
  ListTasksResponseSchema,
  type StartRunRequest,
  StartRunRequestSchema,
  StartRunResponseSchema,
  TaskServerService,
  WatchEventsResponseSchema,
} from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { failureOf } from "../testing/call-failure.js";
import {
  type BidiCall,
  type CallContext,
  GrpcServer,
  type GrpcServerOptions,
  type ServerStreamCall,
} from "./grpc-server.js";

const silent = pino({ level: "silent" });

/** What the handlers saw, for the tests to check. */
interface Seen {
  peer?: string;
  cancelled: string[];
}

let server: GrpcServer;
let address: string;
let seen: Seen;

function startServer(options: Partial<GrpcServerOptions> = {}) {
  seen = { cancelled: [] };
  const answer = (schema: Parameters<typeof create>[0]) => async () => create(schema) as Message;
  server = new GrpcServer({
    logger: silent,
    // Paths without a route: a trailers-only UNIMPLEMENTED naming the path, as grpc-js answers.
    fallback: (stream, headers) =>
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": String(GrpcCode.UNIMPLEMENTED),
          "grpc-message": `fallback got ${headers[":path"]}`,
        },
        { endStream: true },
      ),
    ...options,
  });
  server.addService(ControlService, {
    async startRun(request: StartRunRequest, call: CallContext) {
      seen.peer = call.peer;
      const [behaviour] = request.targets;
      if (behaviour === "status")
        throw new GrpcStatusError(GrpcCode.NOT_FOUND, "no task é.b at 100%");
      if (behaviour === "crash") throw new Error("boom");
      if (behaviour === "hang") {
        call.onCancel(() => seen.cancelled.push("startRun"));
        return new Promise<Message>(() => {});
      }
      return create(StartRunResponseSchema, { run: { id: `run-of-${behaviour}` } });
    },
    getRun: answer(GetRunResponseSchema),
    listRuns: answer(ListRunsResponseSchema),
    cancelRun: answer(CancelRunResponseSchema),
    listTasks: answer(ListTasksResponseSchema),
    listServers: answer(ListServersResponseSchema),
    getGraph: answer(GetGraphResponseSchema),
    watchEvents(_request: Message, call: ServerStreamCall) {
      call.onCancel(() => seen.cancelled.push("watchEvents"));
      call.write(create(WatchEventsResponseSchema, { event: { message: "first" } }));
    },
  });
  server.addService(TaskServerService, {
    // Acknowledges every task state it is sent; ends OK when the client does.
    connect(call: BidiCall) {
      call.onMessage((message) => {
        const request = message as ConnectRequest;
        if (request.message.case === "taskState") {
          const throughSeq = request.message.value.seq;
          call.write(
            create(ConnectResponseSchema, { message: { case: "ack", value: { throughSeq } } }),
          );
        }
      });
      call.onHalfClose(() => call.end());
      call.onCancel(() => seen.cancelled.push("connect"));
    },
  });
  return server.listen("127.0.0.1", 0).then((port) => {
    address = `127.0.0.1:${port}`;
  });
}

beforeEach(() => startServer());
afterEach(() => server.stop(100));

function control(options: Partial<Parameters<typeof createGrpcTransport>[0]> = {}) {
  return createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${address}`, ...options }),
  );
}

interface RawAnswer {
  readonly headers: IncomingHttpHeaders;
  readonly trailers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request over a bare HTTP/2 client, for what well-behaved clients never send. */
function rawCall(path: string, headers: Record<string, string>, body: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(`http://${address}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    let answerHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (received) => {
      answerHeaders = received;
    });
    stream.on("trailers", (received) => {
      trailers = received;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("close", () => {
      session.close();
      resolve({ headers: answerHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

const START_RUN = "/cordyna.v1.ControlService/StartRun";
const CONNECT = "/cordyna.v1.TaskServerService/Connect";
const GRPC = { "content-type": "application/grpc", te: "trailers" };
const emptyRequest = frameMessage(new Uint8Array(0));

describe("GrpcServer: unary calls", () => {
  it("answers with the handler's response and tells it the client's address", async () => {
    const response = await control().startRun({ targets: ["ok"] });
    expect(response.run?.id).toBe("run-of-ok");
    expect(seen.peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("ends with the handler's status and its message, whatever its characters", async () => {
    expect(await failureOf(control().startRun({ targets: ["status"] }))).toEqual([
      Code.NotFound,
      "no task é.b at 100%",
    ]);
  });

  it("ends with INTERNAL and the error's message when a handler throws something else", async () => {
    expect(await failureOf(control().startRun({ targets: ["crash"] }))).toEqual([
      Code.Internal,
      "boom",
    ]);
  });

  it("ends a call past its grpc-timeout with DEADLINE_EXCEEDED and tells the handler", async () => {
    const hang = toBinary(
      StartRunRequestSchema,
      create(StartRunRequestSchema, { targets: ["hang"] }),
    );
    const answer = await rawCall(START_RUN, { ...GRPC, "grpc-timeout": "50m" }, frameMessage(hang));
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.DEADLINE_EXCEEDED));
    expect(answer.headers["grpc-message"]).toBe("deadline exceeded");
    expect(seen.cancelled).toEqual(["startRun"]);
  });

  it("reads a gzip-compressed request", async () => {
    const gzip = control({ sendCompression: compressionGzip, compressMinBytes: 0 });
    const response = await gzip.startRun({ targets: ["ok"], params: { note: "x".repeat(2_000) } });
    expect(response.run?.id).toBe("run-of-ok");
  });

  it("hands a path it has no route for to the fallback", async () => {
    const answer = await rawCall("/no.Such/Method", GRPC, emptyRequest);
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.UNIMPLEMENTED));
    expect(answer.headers["grpc-message"]).toBe("fallback got /no.Such/Method");
  });

  it("answers UNAVAILABLE, naming the path, when the fallback fails", async () => {
    await server.stop(0);
    await startServer({
      fallback: () => {
        throw new Error("the in-process grpc-js server is gone");
      },
    });
    const answer = await rawCall("/grpc.health.v1.Health/Check", GRPC, emptyRequest);
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.UNAVAILABLE));
    expect(answer.headers["grpc-message"]).toBe("cannot serve /grpc.health.v1.Health/Check now");
  });

  it("answers HTTP 415 to a request that is not gRPC", async () => {
    const answer = await rawCall(
      START_RUN,
      { "content-type": "application/json" },
      Buffer.from("{}"),
    );
    expect(answer.headers[":status"]).toBe(415);
    expect(answer.body.toString()).toContain("expected content-type application/grpc");
  });

  it("refuses a malformed grpc-timeout, naming it", async () => {
    const answer = await rawCall(START_RUN, { ...GRPC, "grpc-timeout": "soon" }, emptyRequest);
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.INVALID_ARGUMENT));
    expect(decodeURIComponent(String(answer.headers["grpc-message"]))).toContain(
      'grpc-timeout "soon"',
    );
  });

  it("refuses a unary call with two request messages", async () => {
    const answer = await rawCall(START_RUN, GRPC, Buffer.concat([emptyRequest, emptyRequest]));
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.UNIMPLEMENTED));
    expect(answer.headers["grpc-message"]).toBe("expected one request message, received 2");
  });

  it("refuses a unary call with no request message", async () => {
    const answer = await rawCall(START_RUN, GRPC, Buffer.alloc(0));
    expect(answer.headers["grpc-message"]).toBe("expected one request message, received 0");
  });

  it("refuses a request that ends inside a message", async () => {
    const answer = await rawCall(START_RUN, GRPC, frameMessage(new Uint8Array(10)).subarray(0, 8));
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.INTERNAL));
    expect(answer.headers["grpc-message"]).toBe("the request ended inside a message");
  });

  it("refuses a message over 4 MiB with RESOURCE_EXHAUSTED", async () => {
    const prefix = Buffer.from([0, 0, 0x50, 0, 0]); // 5 MiB announced
    const answer = await rawCall(START_RUN, GRPC, prefix);
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.RESOURCE_EXHAUSTED));
    expect(answer.headers["grpc-message"]).toBe(
      "received message larger than max (5242880 vs. 4194304)",
    );
  });

  it("refuses a request message that is not the method's message", async () => {
    const answer = await rawCall(START_RUN, GRPC, frameMessage(Buffer.from([0xff, 0xff, 0xff])));
    expect(answer.headers["grpc-status"]).toBe(String(GrpcCode.INTERNAL));
  });
});

describe("GrpcServer: streams", () => {
  it("writes a server stream's messages and tells the handler when the client cancels", async () => {
    const abort = new AbortController();
    const events = control().watchEvents({}, { signal: abort.signal });
    const first = await events[Symbol.asyncIterator]().next();
    expect(first.value?.event?.message).toBe("first");
    abort.abort();
    await expect.poll(() => seen.cancelled).toEqual(["watchEvents"]);
  });

  it("delivers a bidirectional stream's messages in order and ends OK after the client's last", async () => {
    const client = createClient(
      TaskServerService,
      createGrpcTransport({ baseUrl: `http://${address}` }),
    );
    async function* states() {
      for (const seq of [1n, 2n, 3n]) {
        yield { message: { case: "taskState" as const, value: { attemptId: "a-1", seq } } };
      }
    }
    const acks: bigint[] = [];
    for await (const response of client.connect(states())) {
      if (response.message.case === "ack") acks.push(response.message.value.throughSeq);
    }
    expect(acks).toEqual([1n, 2n, 3n]);
    expect(seen.cancelled).toEqual([]);
  });

  it("on stop, cuts a stream still open after the grace period and tells its handler", async () => {
    const session = connectHttp2(`http://${address}`);
    const stream = session.request({ ":method": "POST", ":path": CONNECT, ...GRPC });
    const state = create(ConnectRequestSchema, {
      message: { case: "taskState", value: { attemptId: "a-1", seq: 1n } },
    });
    stream.write(frameMessage(toBinary(ConnectRequestSchema, state)));
    await new Promise((resolve) => stream.once("data", resolve)); // the ack: the call is open
    const streamClosed = new Promise((resolve) => stream.once("close", resolve));
    stream.on("error", () => {});
    await server.stop(50);
    expect(seen.cancelled).toEqual(["connect"]);
    await streamClosed;
    session.destroy();
  });
});

describe("GrpcServer: keepalive", () => {
  it("closes a connection that does not answer its pings", async () => {
    await server.stop(0);
    await startServer({ keepaliveIntervalMs: 20, keepaliveTimeoutMs: 20 });
    const [host, port] = address.split(":") as [string, string];
    const socket = connectTcp(Number(port), host);
    // A client that opens HTTP/2 (preface and an empty SETTINGS frame), then reads nothing.
    socket.write(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
    socket.on("data", () => {});
    await new Promise<void>((resolve) => socket.on("close", () => resolve()));
    expect(socket.destroyed).toBe(true);
  });
});
