import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  grpcServiceDefinition,
  PROTOCOL_VERSION,
  type TaskDeclarationSchema,
  TaskServerService,
} from "@cordyna/contract";
import {
  type ClientDuplexStream,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";

type DownValue<K> = Extract<ConnectResponse["message"], { case: K }>["value"];

const TaskServerClient = makeGenericClientConstructor(
  grpcServiceDefinition(TaskServerService),
  "TaskServerService",
);

/**
 * A hand-driven task-server stream over real gRPC, for tests of the
 * protocol itself: send any message, wait for the next matching reply. It
 * says protocol 1.0 unless told otherwise, so cerebro sends it one Invoke
 * per message.
 */
export class RawSession {
  readonly received: ConnectResponse[] = [];
  readonly #stream: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  readonly #waiters: Array<() => void> = [];
  #status: ServiceError | "ended" | undefined;

  /** @param token sent as `authorization: Bearer <token>` */
  constructor(address: string, token?: string) {
    const client = new TaskServerClient(address, credentials.createInsecure());
    const metadata = new Metadata();
    if (token) metadata.set("authorization", `Bearer ${token}`);
    this.#stream = (
      client as unknown as {
        connect(metadata: Metadata): ClientDuplexStream<ConnectRequest, ConnectResponse>;
      }
    ).connect(metadata);
    this.#stream.on("data", (message: ConnectResponse) => {
      this.received.push(message);
      this.#wake();
    });
    this.#stream.on("error", (error: ServiceError) => {
      this.#status = error;
      this.#wake();
    });
    this.#stream.on("end", () => {
      this.#status ??= "ended";
      this.#wake();
    });
  }

  send(message: NonNullable<MessageInitShape<typeof ConnectRequestSchema>["message"]>): void {
    this.#stream.write(create(ConnectRequestSchema, { message }));
  }

  hello(
    serverName: string,
    tasks: MessageInitShape<typeof TaskDeclarationSchema>[],
    extra: {
      instanceId?: string;
      major?: number;
      minor?: number;
      runningAttemptIds?: string[];
      maxConcurrency?: number;
      /** More tasks follow in DeclarationParts (protocol 1.2). */
      tasksContinue?: boolean;
    } = {},
  ): void {
    this.send({
      case: "hello",
      value: {
        serverName,
        instanceId: extra.instanceId ?? `${serverName}-raw`,
        protocolVersion: {
          major: extra.major ?? PROTOCOL_VERSION.major,
          minor: extra.minor ?? 0,
        },
        tasks,
        runningAttemptIds: extra.runningAttemptIds ?? [],
        maxConcurrency: extra.maxConcurrency ?? 0,
        tasksContinue: extra.tasksContinue ?? false,
      },
    });
  }

  /** Resolves with the first received message (from `from` on) of the given kind. */
  async next<K extends NonNullable<ConnectResponse["message"]["case"]>>(
    kind: K,
    from = 0,
    timeoutMs = 5_000,
  ): Promise<DownValue<K>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find((message) => message.message.case === kind);
      if (found) return found.message.value as unknown as DownValue<K>;
      if (this.#status) throw new Error(`stream closed before a ${kind}: ${this.describeStatus()}`);
      if (Date.now() > deadline) throw new Error(`no ${kind} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Resolves with the gRPC status the stream ended with. */
  async closed(timeoutMs = 5_000): Promise<ServiceError | "ended"> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#status) {
      if (Date.now() > deadline) throw new Error(`stream still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.#status;
  }

  describeStatus(): string {
    if (!this.#status) return "open";
    if (this.#status === "ended") return "ended";
    // grpc-js reads grpc-message with decodeURI, which leaves "," and ":" as
    // %2C and %3A; the spec's percent-decoding (grpcurl, grpc-java, ...) does not.
    return `${this.#status.code} ${decodeURIComponent(this.#status.details)}`;
  }

  end(): void {
    this.#stream.end();
  }

  cancel(): void {
    this.#stream.cancel();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
