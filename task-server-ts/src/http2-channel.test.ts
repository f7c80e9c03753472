import {
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { create, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import {
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
  frameMessage,
  GrpcCode,
  type GrpcStatusError,
  MessageReader,
  messageCodec,
} from "@cordyna/contract";
import { afterEach, describe, expect, it } from "vitest";
import { Http2Channel } from "./http2-channel.js";

const CODECS = {
  request: messageCodec(ConnectRequestSchema),
  response: messageCodec(ConnectResponseSchema),
};
const KEEPALIVE = { intervalMs: 60_000, timeoutMs: 60_000 };
const PATH = "/cordyna.v1.TaskServerService/Connect";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A bare HTTP/2 server playing cerebro: `serve` decides what each stream gets. */
async function peer(
  serve: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void,
): Promise<{ address: string; server: Http2Server }> {
  const server = createServer();
  server.on("stream", serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const ack = (throughSeq: bigint) =>
  create(ConnectResponseSchema, { message: { case: "ack", value: { throughSeq } } });
const taskState = (seq: bigint) =>
  create(ConnectRequestSchema, {
    message: { case: "taskState", value: { attemptId: "a-1", seq } },
  });

/** Opens a stream and collects what it receives until it closes. */
function open(address: string, keepalive = KEEPALIVE) {
  const channel = new Http2Channel(address, keepalive);
  closers.push(() => channel.close());
  const received: ConnectResponse[] = [];
  let closedWith: (error: GrpcStatusError | undefined) => void = () => {};
  const closed = new Promise<GrpcStatusError | undefined>((resolve) => {
    closedWith = resolve;
  });
  const stream = channel.openStream(PATH, CODECS, {
    message: (message: Message) => received.push(message as ConnectResponse),
    closed: (error) => closedWith(error),
  });
  return { channel, stream, received, closed };
}

const GRPC_HEADERS = { ":status": 200, "content-type": "application/grpc" };

describe("Http2Channel", () => {
  it("sends and receives messages and closes without an error when the server ends OK", async () => {
    const { address } = await peer((stream, headers) => {
      expect(headers["content-type"]).toBe("application/grpc");
      expect(headers.te).toBe("trailers");
      const reader = new MessageReader(undefined);
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.on("data", (chunk: Buffer) => {
        for (const bytes of reader.push(chunk)) {
          const request = fromBinary(ConnectRequestSchema, bytes) as ConnectRequest;
          if (request.message.case !== "taskState") continue;
          stream.write(
            frameMessage(toBinary(ConnectResponseSchema, ack(request.message.value.seq))),
          );
        }
      });
      stream.on("end", () => stream.end());
    });
    const { stream, received, closed } = open(address);
    stream.write(taskState(1n));
    stream.write(taskState(2n));
    stream.end();
    expect(await closed).toBeUndefined();
    expect(received.map((message) => message.message.value)).toMatchObject([
      { throughSeq: 1n },
      { throughSeq: 2n },
    ]);
  });

  it("closes with the server's status and message when it ends the call with an error", async () => {
    const { address } = await peer((stream) => {
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on("wantTrailers", () =>
        stream.sendTrailers({
          "grpc-status": String(GrpcCode.FAILED_PRECONDITION),
          "grpc-message": "instance %C3%A9-1 is draining",
        }),
      );
      stream.end(frameMessage(toBinary(ConnectResponseSchema, ack(7n))));
    });
    const { received, closed } = open(address);
    const error = await closed;
    expect(error?.code).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(error?.details).toBe("instance é-1 is draining");
    expect(received).toHaveLength(1);
  });

  it("reads a status sent with the headers alone (trailers-only)", async () => {
    const { address } = await peer((stream) =>
      stream.respond(
        {
          ...GRPC_HEADERS,
          "grpc-status": String(GrpcCode.INVALID_ARGUMENT),
          "grpc-message": "bad hello",
        },
        { endStream: true },
      ),
    );
    const error = await open(address).closed;
    expect(error?.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(error?.details).toBe("bad hello");
  });

  it("closes with UNKNOWN when the server ends without a status", async () => {
    const { address } = await peer((stream) => {
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-other": "1" }));
      stream.end();
    });
    const error = await open(address).closed;
    expect(error?.code).toBe(GrpcCode.UNKNOWN);
    expect(error?.details).toBe("cerebro ended the stream without a grpc-status");
  });

  it("turns an HTTP error into gRPC's code for it", async () => {
    for (const [httpStatus, code] of [
      [503, GrpcCode.UNAVAILABLE],
      [404, GrpcCode.UNIMPLEMENTED],
      [418, GrpcCode.UNKNOWN],
    ] as const) {
      const { address } = await peer((stream) =>
        stream.respond({ ":status": httpStatus }, { endStream: true }),
      );
      const error = await open(address).closed;
      expect(error?.code).toBe(code);
      expect(error?.details).toBe(`cerebro answered HTTP ${httpStatus}`);
    }
  });

  it("closes with INTERNAL when a message from the server does not decode", async () => {
    const { address } = await peer((stream) => {
      stream.respond(GRPC_HEADERS);
      stream.write(frameMessage(Buffer.from([0xff, 0xff, 0xff])));
    });
    const error = await open(address).closed;
    expect(error?.code).toBe(GrpcCode.INTERNAL);
    expect(error?.details).toMatch(/^cannot read a message from cerebro: /);
  });

  it("closes with UNAVAILABLE, naming the cause, when nothing listens", async () => {
    const { address, server } = await peer(() => {});
    await new Promise((resolve) => server.close(resolve));
    const error = await open(address).closed;
    expect(error?.code).toBe(GrpcCode.UNAVAILABLE);
    expect(error?.details).toContain("ECONNREFUSED");
  });

  it("drops a connection whose keepalive ping goes unanswered", async () => {
    // Opens HTTP/2 as a server (an empty SETTINGS frame), then ignores everything.
    const silent: TcpServer = createTcpServer((socket) => {
      socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
      socket.on("data", () => {});
      closers.push(() => socket.destroy());
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    closers.push(() => silent.close());
    const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const error = await open(address, { intervalMs: 20, timeoutMs: 30 }).closed;
    expect(error?.code).toBe(GrpcCode.UNAVAILABLE);
    expect(error?.details).toBe("keepalive ping unanswered for 30 ms");
  });

  it("opens a new connection for the next stream once the last one is lost", async () => {
    let streams = 0;
    const { address } = await peer((stream) => {
      streams++;
      stream.respond(GRPC_HEADERS);
      stream.session?.destroy();
    });
    const first = open(address);
    expect((await first.closed)?.code).toBe(GrpcCode.UNAVAILABLE);
    const second = first.channel.openStream(PATH, CODECS, { message: () => {}, closed: () => {} });
    await expect.poll(() => streams).toBe(2);
    second.cancel();
  });

  it("refuses an address that is not host:port", () => {
    expect(() => new Http2Channel("cerebro:70:70", KEEPALIVE)).toThrow(
      'cerebro address "cerebro:70:70" is not host:port',
    );
  });
});
