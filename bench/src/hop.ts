// One end of the transport-floor measurement: two processes and one gRPC
// bidirectional stream of small messages, no cerebro. `echo <transport>`
// serves the stream and answers every message at once; `send <transport>
// <port>` sends a message, waits for the answer, stays idle for HOP_GAP_MS
// (as a task-server does between the tasks of a chain) and sends the next.
// Each message carries [sent at, echoed at, echo's CPU µs] (wall clock of this
// machine). `send` prints one JSON line: the one-way times both ways and both
// ends' CPU.
//
// Transports, the same at both ends: "connect-node" is what cerebro and the
// SDK speak (@connectrpc/connect-node: connectNodeAdapter on a node:http2
// server, its gRPC transport as the client); "grpc-js" is @grpc/grpc-js, the
// other library they could use, for comparison.
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import {
  type BytesValueSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { wallMs } from "./clock.js";
import { cpuMicros } from "./protocol.js";

export const HOP_MESSAGES = 400;
export const HOP_GAP_MS = 2;
export type Transport = "grpc-js" | "connect-node";
/** Bytes of every gRPC message, both ways, whatever the transport. */
const MESSAGE_BYTES = 64;
const PATH = "/bench.Hop/Hop";

export interface HopResult {
  /** One-way times sender → echo, ms. */
  readonly there: number[];
  /** One-way times echo → sender, ms. */
  readonly back: number[];
  readonly senderCpuMicros: number;
  readonly echoCpuMicros: number;
}

/** The sender's end of the stream. */
interface Line {
  write(stamps: Buffer): void;
  close(): void;
}

interface Ends {
  /** Serves the echo; resolves with its port. */
  serve(): Promise<number>;
  /** Opens the stream to the echo; `onMessage` hears each answer. */
  dial(port: number, onMessage: (answer: Buffer) => void): Line;
  /** Bytes the transport's message adds around the stamps (a protobuf field's tag and length). */
  readonly envelope: number;
}

/** The echo's answer to `message`: as long, stamped when it arrived. */
function answerTo(message: Uint8Array): Buffer {
  const answer = Buffer.alloc(message.byteLength);
  answer.writeDoubleLE(Buffer.from(message.buffer, message.byteOffset, 8).readDoubleLE(0), 0);
  answer.writeDoubleLE(wallMs(), 8);
  answer.writeDoubleLE(cpuMicros(), 16);
  return answer;
}

const listening = (server: Http2Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );

const same = (bytes: Buffer) => bytes;
const grpcJsService: grpc.ServiceDefinition = {
  hop: {
    path: PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  },
};

// connect reads and writes protobuf messages only: the same path, a method of
// BytesValue messages, described here rather than generated.
const hopService = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "bench/hop.proto",
    package: "bench",
    dependency: ["google/protobuf/wrappers.proto"],
    syntax: "proto3",
    service: [
      {
        name: "Hop",
        method: [
          {
            name: "Hop",
            inputType: ".google.protobuf.BytesValue",
            outputType: ".google.protobuf.BytesValue",
            clientStreaming: true,
            serverStreaming: true,
          },
        ],
      },
    ],
  }),
  () => file_google_protobuf_wrappers,
).getService("bench.Hop") as GenService<{
  hop: {
    methodKind: "bidi_streaming";
    input: typeof BytesValueSchema;
    output: typeof BytesValueSchema;
  };
}>;

const ENDS: Record<Transport, Ends> = {
  "grpc-js": {
    envelope: 0,
    serve() {
      const server = new grpc.Server();
      server.addService(grpcJsService, {
        hop: (call: grpc.ServerDuplexStream<Buffer, Buffer>) =>
          call.on("data", (message: Buffer) => call.write(answerTo(message))),
      });
      return new Promise((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
          error ? reject(error) : resolve(port),
        ),
      );
    },
    dial(port, onMessage) {
      const Client = grpc.makeGenericClientConstructor(grpcJsService, "Hop");
      const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const call = (client as unknown as { hop(): grpc.ClientDuplexStream<Buffer, Buffer> }).hop();
      call.on("data", onMessage);
      // The floor ends by killing the echo: the reset that follows is expected.
      call.on("error", () => {});
      return {
        write: (stamps) => call.write(stamps),
        close: () => {
          call.end();
          client.close();
        },
      };
    },
  },
  "connect-node": {
    envelope: 2,
    serve() {
      const handler = connectNodeAdapter({
        connect: false,
        grpcWeb: false,
        routes: (router) =>
          router.service(hopService, {
            async *hop(requests) {
              for await (const { value } of requests) yield { value: answerTo(value) };
            },
          }),
      });
      return listening(createServer(handler));
    },
    dial(port, onMessage) {
      const client = createClient(
        hopService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
      );
      const requests = createWritableIterable<{ value: Uint8Array }>();
      const cancel = new AbortController();
      void (async () => {
        for await (const { value } of client.hop(requests, { signal: cancel.signal })) {
          onMessage(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        }
      })().catch((error: unknown) => {
        if (!cancel.signal.aborted) throw error;
      });
      return {
        write: (stamps) => void requests.write({ value: stamps }),
        close: () => cancel.abort(),
      };
    },
  },
};

async function send(transport: Transport, port: number): Promise<void> {
  const ends = ENDS[transport];
  const there: number[] = [];
  const back: number[] = [];
  const cpu = { sender: [] as number[], echo: [] as number[] };
  let line: Line | undefined;
  const sendOne = () => {
    const stamps = Buffer.alloc(MESSAGE_BYTES - ends.envelope);
    stamps.writeDoubleLE(wallMs(), 0);
    line!.write(stamps);
  };
  await new Promise<void>((done) => {
    line = ends.dial(port, (answer) => {
      const receivedAt = wallMs();
      there.push(answer.readDoubleLE(8) - answer.readDoubleLE(0));
      back.push(receivedAt - answer.readDoubleLE(8));
      cpu.echo.push(answer.readDoubleLE(16));
      cpu.sender.push(cpuMicros());
      if (there.length === HOP_MESSAGES) done();
      else setTimeout(sendOne, HOP_GAP_MS);
    });
    sendOne();
  });
  // The first exchange opens the connection: CPU is counted from its end.
  const result: HopResult = {
    there: there.slice(1),
    back: back.slice(1),
    senderCpuMicros: cpu.sender.at(-1)! - cpu.sender[0]!,
    echoCpuMicros: cpu.echo.at(-1)! - cpu.echo[0]!,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  line?.close();
}

const [role, transport, port] = process.argv.slice(2) as [string, Transport, string];
if (!Object.hasOwn(ENDS, transport))
  throw new Error(`transport "${transport}" is not one of ${Object.keys(ENDS).join(", ")}`);
if (role === "echo") process.stdout.write(`${await ENDS[transport].serve()}\n`);
else if (role === "send") await send(transport, Number(port));
