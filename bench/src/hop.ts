// One end of the transport-floor measurement: two processes and one gRPC
// bidirectional stream of raw bytes, no cerebro and no protobuf. `echo`
// serves the stream and answers every message at once; `send <port>` sends a
// message, waits for the answer, stays idle for HOP_GAP_MS (as a task-server
// does between the tasks of a chain) and sends the next. Each message
// carries [sent at, echoed at, echo's CPU µs] (wall clock of this machine).
// `send` prints one JSON line: the one-way times both ways and both ends' CPU.
import * as grpc from "@grpc/grpc-js";
import { wallMs } from "./clock.js";
import { cpuMicros } from "./protocol.js";

export const HOP_MESSAGES = 400;
export const HOP_GAP_MS = 2;
const PAYLOAD_BYTES = 64;

const same = (bytes: Buffer) => bytes;
const service: grpc.ServiceDefinition = {
  hop: {
    path: "/bench.Hop/Hop",
    requestStream: true,
    responseStream: true,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  },
};

export interface HopResult {
  /** One-way times sender → echo, ms. */
  readonly there: number[];
  /** One-way times echo → sender, ms. */
  readonly back: number[];
  readonly senderCpuMicros: number;
  readonly echoCpuMicros: number;
}

async function echo(): Promise<void> {
  const server = new grpc.Server();
  server.addService(service, {
    hop: (call: grpc.ServerDuplexStream<Buffer, Buffer>) =>
      call.on("data", (message: Buffer) => {
        const answer = Buffer.alloc(PAYLOAD_BYTES);
        answer.writeDoubleLE(message.readDoubleLE(0), 0);
        answer.writeDoubleLE(wallMs(), 8);
        answer.writeDoubleLE(cpuMicros(), 16);
        call.write(answer);
      }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  process.stdout.write(`${port}\n`);
}

async function send(port: number): Promise<void> {
  const Client = grpc.makeGenericClientConstructor(service, "Hop");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (client as unknown as { hop(): grpc.ClientDuplexStream<Buffer, Buffer> }).hop();
  const there: number[] = [];
  const back: number[] = [];
  const cpu = { sender: [] as number[], echo: [] as number[] };
  const sendOne = () => {
    const message = Buffer.alloc(PAYLOAD_BYTES);
    message.writeDoubleLE(wallMs(), 0);
    call.write(message);
  };
  await new Promise<void>((done) => {
    call.on("data", (answer: Buffer) => {
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
  call.end();
  client.close();
}

if (process.argv[2] === "echo") await echo();
else if (process.argv[2] === "send") await send(Number(process.argv[3]));
