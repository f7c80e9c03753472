import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ConnectRequest,
  type ConnectResponse,
  ConnectResponseSchema,
  grpcServiceDefinition,
  type InvokeSchema,
  TaskServerService,
  type WelcomeSchema,
} from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";
import { Inbox } from "./inbox.js";

type RequestCase = NonNullable<ConnectRequest["message"]["case"]>;
type RequestValue<K extends RequestCase> = Extract<ConnectRequest["message"], { case: K }>["value"];
type ResponseInit = NonNullable<
  Exclude<MessageInitShape<typeof ConnectResponseSchema>, ConnectResponse>["message"]
>;

/** One Connect stream as cerebro sees it. */
export class FakeSession {
  /** Messages received from the task-server. */
  readonly requests = new Inbox<ConnectRequest>();
  /** Resolves when the stream is over (either side ended it). */
  readonly ended: Promise<void>;
  readonly #call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>;
  #open = true;
  #ending = false;

  constructor(call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>) {
    this.#call = call;
    call.on("data", (request: ConnectRequest) => this.requests.push(request));
    this.ended = new Promise<void>((resolve) => {
      const done = (): void => {
        this.#open = false;
        resolve();
      };
      call.on("end", done);
      call.on("cancelled", done);
      call.on("error", done);
      call.on("close", done);
    });
    // Like cerebro: when the task-server half-closes, end the stream too.
    call.on("end", () => {
      if (!this.#ending) {
        this.#ending = true;
        call.end();
      }
    });
  }

  /** Waits for the next message of the given kind (optionally matching) and returns its value. */
  async next<K extends RequestCase>(
    kind: K,
    match: (value: RequestValue<K>) => boolean = () => true,
  ): Promise<RequestValue<K>> {
    const request = await this.requests.next(
      (r) => r.message.case === kind && match(r.message.value as RequestValue<K>),
      kind,
    );
    return request.message.value as RequestValue<K>;
  }

  /** Sends one message down the stream. */
  send(message: ResponseInit): void {
    this.#call.write(create(ConnectResponseSchema, { message }));
  }

  /** Sends a Welcome. */
  welcome(value: MessageInitShape<typeof WelcomeSchema> = {}): void {
    this.send({ case: "welcome", value: { sessionId: "session-1", ...value } });
  }

  /** Sends an Invoke. */
  invoke(value: MessageInitShape<typeof InvokeSchema>): void {
    this.send({ case: "invoke", value });
  }

  /** Ends the stream with an error status, as a failing network or cerebro would. */
  kill(code: grpc.status = grpc.status.UNAVAILABLE, details = "killed by test"): void {
    this.#call.emit("error", { code, details });
  }

  /** True until the stream ended. */
  get open(): boolean {
    return this.#open;
  }
}

/** A stand-in cerebro: a real gRPC server whose Connect streams a test drives. */
export class FakeCerebro {
  /** Every Connect stream opened, in order. */
  readonly sessions = new Inbox<FakeSession>();
  readonly #server: grpc.Server;
  /** "127.0.0.1:port". */
  readonly address: string;

  private constructor(server: grpc.Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  /** Starts a server on a free local port. */
  static async start(): Promise<FakeCerebro> {
    const server = new grpc.Server();
    const sessions: FakeSession[] = [];
    let cerebro: FakeCerebro | undefined;
    server.addService(grpcServiceDefinition(TaskServerService), {
      connect(call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>) {
        const session = new FakeSession(call);
        if (cerebro) cerebro.sessions.push(session);
        else sessions.push(session);
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
    cerebro = new FakeCerebro(server, `127.0.0.1:${port}`);
    for (const session of sessions) cerebro.sessions.push(session);
    return cerebro;
  }

  /** Waits for the next Connect stream. */
  nextSession(): Promise<FakeSession> {
    return this.sessions.next(() => true, "a new Connect stream");
  }

  /** Stops the server, ending every stream. */
  close(): void {
    this.#server.forceShutdown();
  }
}
