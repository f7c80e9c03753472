// One end of the transport-floor measurement: two processes and one gRPC
// bidirectional stream of raw bytes, no cerebro and no protobuf. `echo
// <transport>` serves the stream and answers every message at once; `send
// <transport> <port>` sends a message, waits for the answer, stays idle for
// HOP_GAP_MS (as a task-server does between the tasks of a chain) and sends
// the next. Each message carries [sent at, echoed at, echo's CPU µs] (wall
// clock of this machine). `send` prints one JSON line: the one-way times both
// ways and both ends' CPU.
//
// Transports: "http2" is what cerebro and the SDK speak (gRPC framing on
// node:http2, the contract's grpc-wire.ts); "grpc-js" is @grpc/grpc-js, which
// they used before, for comparison.
import { connect, createServer, type ServerHttp2Stream } from "node:http2";
import { frameMessage, MessageReader } from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";
import { wallMs } from "./clock.js";
import { cpuMicros } from "./protocol.js";

export const HOP_MESSAGES = 400;
export const HOP_GAP_MS = 2;
export const TRANSPORTS = ["http2", "grpc-js"] as const;
export type Transport = (typeof TRANSPORTS)[number];
const PAYLOAD_BYTES = 64;
const PATH = "/bench.Hop/Hop";

export interface HopResult {
  /** One-way times sender → echo, ms. */
  readonly there: number[];
  /** One-way times echo → sender, ms. */
  readonly back: number[];
  readonly senderCpuMicros: number;
  readonly echoCpuMicros: number;
}

/** Both ends of one stream: `write` sends a message, `onMessage` hears each answer. */
interface Line {
  write(message: Buffer): void;
  close(): void;
}

function answerTo(message: Uint8Array): Buffer {
  const answer = Buffer.alloc(PAYLOAD_BYTES);
  answer.writeDoubleLE(Buffer.from(message.buffer, message.byteOffset, 8).readDoubleLE(0), 0);
  answer.writeDoubleLE(wallMs(), 8);
  answer.writeDoubleLE(cpuMicros(), 16);
  return answer;
}

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

/** Serves the echo; resolves with its port. */
function serve(transport: Transport): Promise<number> {
  if (transport === "grpc-js") {
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
  }
  const server = createServer();
  server.on("stream", (stream: ServerHttp2Stream) => {
    const reader = new MessageReader(undefined);
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
    stream.on("data", (chunk: Buffer) => {
      for (const message of reader.push(chunk)) stream.write(frameMessage(answerTo(message)));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
}

/** Opens the stream to the echo. */
function dial(transport: Transport, port: number, onMessage: (answer: Buffer) => void): Line {
  if (transport === "grpc-js") {
    const Client = grpc.makeGenericClientConstructor(grpcJsService, "Hop");
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = (client as unknown as { hop(): grpc.ClientDuplexStream<Buffer, Buffer> }).hop();
    call.on("data", onMessage);
    return {
      write: (message) => call.write(message),
      close: () => {
        call.end();
        client.close();
      },
    };
  }
  const session = connect(`http://127.0.0.1:${port}`);
  const stream = session.request({
    ":method": "POST",
    ":path": PATH,
    "content-type": "application/grpc",
    te: "trailers",
  });
  const reader = new MessageReader(undefined);
  stream.on("data", (chunk: Buffer) => {
    for (const answer of reader.push(chunk)) onMessage(Buffer.from(answer));
  });
  return {
    write: (message) => stream.write(frameMessage(message)),
    close: () => session.destroy(),
  };
}

async function send(transport: Transport, port: number): Promise<void> {
  const there: number[] = [];
  const back: number[] = [];
  const cpu = { sender: [] as number[], echo: [] as number[] };
  let line: Line | undefined;
  const sendOne = () => {
    const message = Buffer.alloc(PAYLOAD_BYTES);
    message.writeDoubleLE(wallMs(), 0);
    line!.write(message);
  };
  await new Promise<void>((done) => {
    line = dial(transport, port, (answer) => {
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
if (!TRANSPORTS.includes(transport))
  throw new Error(`transport "${transport}" is not one of ${TRANSPORTS.join(", ")}`);
if (role === "echo") process.stdout.write(`${await serve(transport)}\n`);
else if (role === "send") await send(transport, Number(port));
