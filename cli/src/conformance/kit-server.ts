// The conformance kit's stand-in cerebro: a TaskServerService on a loopback
// port that records every message of every stream, welcomes every Hello and
// acknowledges updates unless told not to.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  type ConnectRequest,
  type ConnectResponse,
  ConnectResponseSchema,
  grpcServiceDefinition,
  PROTOCOL_VERSION,
  TaskServerService,
  type TaskStateUpdate,
  taskStatesOf,
} from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";

type ResponseInit = NonNullable<
  Exclude<MessageInitShape<typeof ConnectResponseSchema>, ConnectResponse>["message"]
>;

/** One message up a stream, with when it arrived. */
export interface Received {
  readonly request: ConnectRequest;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Arrival order across every stream. */
  readonly order: number;
}

/** One TaskStateUpdate as received. */
export interface ReceivedUpdate {
  readonly update: TaskStateUpdate;
  readonly at: number;
  readonly order: number;
  /** The stream it came on. */
  readonly session: KitSession;
}

/**
 * How a stream ended: the task-server half-closed it ("closed"), it was
 * cancelled or dropped from the task-server's side ("dropped"), or the kit
 * cut it ("cut").
 */
export type StreamEnd = "closed" | "dropped" | "cut";

/**
 * Wakes waiters whenever something happens (a message, a stream opening or
 * ending, the process exiting), so that each re-checks its condition: no
 * polling, no sleeping.
 */
export class Conditions {
  readonly #waiters = new Set<() => void>();

  /** Something happened: every waiter re-checks. */
  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * Resolves with the first defined value `check` returns, checked now and
   * after every notification; with undefined once `timeoutMs` has passed.
   */
  until<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const wake = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(value);
      };
      const timer = setTimeout(
        () => {
          this.#waiters.delete(wake);
          resolve(check());
        },
        Math.max(0, timeoutMs),
      );
      this.#waiters.add(wake);
    });
  }
}

/** One Connect stream as the kit sees it. */
export class KitSession {
  /** 1 for the first stream, 2 for the next, … */
  readonly number: number;
  /** When it opened. */
  readonly openedAt = Date.now();
  /** The values of its `authorization` header, as the task-server sent them. */
  readonly authorization: readonly string[];
  /** Every message up, in order. */
  readonly received: Received[] = [];
  /** When the Welcome was sent; undefined until then. */
  welcomedAt: number | undefined;
  /** Whether TaskStateUpdates are acknowledged as they arrive. */
  autoAck = true;
  /** How and when it ended; undefined while open. */
  ended: { readonly how: StreamEnd; readonly at: number } | undefined;
  readonly #call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>;
  readonly #kit: KitServer;

  constructor(
    kit: KitServer,
    number: number,
    call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>,
  ) {
    this.#kit = kit;
    this.number = number;
    this.#call = call;
    this.authorization = call.metadata.get("authorization").map(String);
    call.on("data", (request: ConnectRequest) => this.#onRequest(request));
    call.on("end", () => {
      // The task-server half-closed: end our side too, as cerebro does.
      this.#end("closed");
      try {
        call.end();
      } catch {
        // already over
      }
    });
    call.on("cancelled", () => this.#end("dropped"));
    call.on("error", () => this.#end("dropped"));
    call.on("close", () => this.#end("dropped"));
  }

  /** The TaskStateUpdates received on this stream, in order. */
  updates(): ReceivedUpdate[] {
    const updates: ReceivedUpdate[] = [];
    for (const { request, at, order } of this.received) {
      for (const update of taskStatesOf(request) ?? []) {
        updates.push({ update, at, order, session: this });
      }
    }
    return updates;
  }

  /** The first message, if it is a Hello. */
  hello(): Extract<ConnectRequest["message"], { case: "hello" }>["value"] | undefined {
    const first = this.received[0]?.request.message;
    return first?.case === "hello" ? first.value : undefined;
  }

  /** True until the stream ended. */
  get open(): boolean {
    return this.ended === undefined;
  }

  /** Sends one message down the stream; false when it has ended. */
  send(message: ResponseInit): boolean {
    if (!this.open) return false;
    try {
      this.#call.write(create(ConnectResponseSchema, { message }));
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the stream with UNAVAILABLE, as a failing network or a restarting cerebro would. */
  cut(details: string): void {
    if (!this.open) return;
    this.#end("cut");
    this.#call.emit("error", { code: grpc.status.UNAVAILABLE, details });
  }

  #onRequest(request: ConnectRequest): void {
    this.received.push({ request, at: Date.now(), order: this.#kit.nextOrder() });
    const message = request.message;
    if (message.case === "hello" && this.received.length === 1) {
      this.welcomedAt = Date.now();
      this.send({
        case: "welcome",
        value: {
          sessionId: `conformance-session-${this.number}`,
          protocolVersion: { major: PROTOCOL_VERSION.major, minor: PROTOCOL_VERSION.minor },
          heartbeatInterval: durationFromMs(this.#kit.heartbeatMs),
        },
      });
    } else if (this.autoAck && this.welcomedAt !== undefined) {
      const last = taskStatesOf(request)?.at(-1);
      if (last) this.send({ case: "ack", value: { throughSeq: last.seq } });
    }
    this.#kit.conditions.notify();
  }

  #end(how: StreamEnd): void {
    if (this.ended) return;
    this.ended = { how, at: Date.now() };
    this.#kit.conditions.notify();
  }
}

/** The stand-in cerebro's gRPC server. */
export class KitServer {
  /** Every stream opened, in order. */
  readonly sessions: KitSession[] = [];
  readonly conditions: Conditions;
  /** The heartbeat interval every Welcome asks for. */
  readonly heartbeatMs: number;
  /** "127.0.0.1:port". */
  address = "";
  readonly #server = new grpc.Server();
  #order = 0;

  private constructor(conditions: Conditions, heartbeatMs: number) {
    this.conditions = conditions;
    this.heartbeatMs = heartbeatMs;
  }

  /** Listens on a free loopback port, plaintext or TLS as `credentials` say. */
  static async start(
    conditions: Conditions,
    heartbeatMs: number,
    credentials: grpc.ServerCredentials,
  ): Promise<KitServer> {
    const kit = new KitServer(conditions, heartbeatMs);
    kit.#server.addService(grpcServiceDefinition(TaskServerService), {
      connect(call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>) {
        kit.sessions.push(new KitSession(kit, kit.sessions.length + 1, call));
        conditions.notify();
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      kit.#server.bindAsync("127.0.0.1:0", credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
    kit.address = `127.0.0.1:${port}`;
    return kit;
  }

  /** Arrival order of the next message. */
  nextOrder(): number {
    return ++this.#order;
  }

  /** Arrival order of the latest message so far (0 before the first). */
  get lastOrder(): number {
    return this.#order;
  }

  /** Every TaskStateUpdate received on any stream, in arrival order. */
  allUpdates(): ReceivedUpdate[] {
    return this.sessions.flatMap((session) => session.updates()).sort((a, b) => a.order - b.order);
  }

  /** Stops at once, ending every stream. */
  close(): void {
    this.#server.forceShutdown();
  }
}
