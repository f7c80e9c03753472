// Starts runs over @grpc/grpc-js. The runner shares the machine's cores with
// what it measures, and a unary call costs a @connectrpc client about twice
// the CPU it costs a grpc-js one: at W3's rates that difference went to the
// load generator instead of cerebro.
import { create } from "@bufbuild/protobuf";
import {
  ControlService,
  grpcServiceDefinition,
  StartRunRequestSchema,
  type StartRunResponse,
} from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";

interface StartRunClient extends grpc.Client {
  startRun(
    request: unknown,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response: StartRunResponse) => void,
  ): grpc.ClientUnaryCall;
}

const ControlClient = grpc.makeGenericClientConstructor(
  grpcServiceDefinition(ControlService),
  "ControlService",
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => StartRunClient;

export class RunStarter {
  readonly #client: StartRunClient;

  constructor(address: string) {
    this.#client = new ControlClient(address, grpc.credentials.createInsecure());
  }

  /** StartRun for the targets; rejects with the call's error. */
  start(targets: readonly string[], timeoutMs = 30_000): Promise<StartRunResponse> {
    const request = create(StartRunRequestSchema, { targets: [...targets] });
    return new Promise((resolve, reject) => {
      this.#client.startRun(request, { deadline: Date.now() + timeoutMs }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}
