// Starts runs as lightly as it can. The runner shares the machine's cores
// with what it measures: a unary call costs a @connectrpc client about twice
// the CPU it costs a grpc-js one, and decoding the whole run in every
// response cost as much again, for the one field the runner needs, the run
// id. At W3's rates that went to the load generator instead of cerebro.
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { StartRunRequestSchema } from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";

interface StartRunClient extends grpc.Client {
  startRun(
    request: Uint8Array,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, runId: string) => void,
  ): grpc.ClientUnaryCall;
}

const ControlClient = grpc.makeGenericClientConstructor(
  {
    startRun: {
      path: "/cordyna.v1.ControlService/StartRun",
      requestStream: false,
      responseStream: false,
      requestSerialize: (bytes: Uint8Array) => Buffer.from(bytes),
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (runId: string) => Buffer.from(runId),
      responseDeserialize: runIdOf,
    },
  },
  "ControlService",
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => StartRunClient;

/** StartRunResponse.run (field 1) .id (field 1), skipping everything else; "" when absent. */
function runIdOf(bytes: Buffer): string {
  const reader = new BinaryReader(bytes);
  let end = reader.len;
  let inRun = false;
  while (reader.pos < end) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo !== 1 || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, fieldNo);
    } else if (inRun) {
      return reader.string();
    } else {
      end = reader.uint32() + reader.pos;
      inRun = true;
    }
  }
  return "";
}

export class RunStarter {
  readonly #client: StartRunClient;

  constructor(address: string) {
    this.#client = new ControlClient(address, grpc.credentials.createInsecure());
  }

  /** StartRun for the targets; resolves with the run id, rejects with the call's error. */
  start(targets: readonly string[]): Promise<string> {
    const request = toBinary(
      StartRunRequestSchema,
      create(StartRunRequestSchema, { targets: [...targets] }),
    );
    return new Promise((resolve, reject) => {
      this.#client.startRun(request, { deadline: Date.now() + 30_000 }, (error, runId) =>
        error ? reject(error) : resolve(runId),
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}
