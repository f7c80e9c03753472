import { create } from "@bufbuild/protobuf";
import {
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  grpcServiceDefinition,
  type Hello,
  TaskServerService,
} from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";

type ConnectStream = grpc.ClientDuplexStream<ConnectRequest, ConnectResponse>;

/** A gRPC client of TaskServerService whose `connect` opens the session stream. */
interface TaskServerClient extends grpc.Client {
  connect(): ConnectStream;
}

const TaskServerClientConstructor = grpc.makeGenericClientConstructor(
  grpcServiceDefinition(TaskServerService),
  "TaskServerService",
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => TaskServerClient;

/** Channel options: modest keepalive so a dead peer is noticed within seconds. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
};

const DEFAULT_INITIAL_BACKOFF_MS = 100;
const DEFAULT_MAX_BACKOFF_MS = 5_000;

/** Exponential reconnect backoff with jitter. */
export interface BackoffOptions {
  /** First delay, in ms. Default 100. */
  readonly initialMs?: number;
  /** Largest delay, in ms. Default 5 000. */
  readonly maxMs?: number;
}

/** What the connection tells its owner. */
export interface ConnectionHandlers {
  /** Builds the Hello sent first on every new stream. */
  readonly hello: () => Hello;
  /** A message from cerebro on the current stream. */
  readonly message: (message: ConnectResponse) => void;
  /** The current stream ended; `willReconnect` says whether a new one follows. */
  readonly disconnected: (error: Error | undefined, willReconnect: boolean) => void;
}

/** Options of a {@link Connection}. */
export interface ConnectionOptions {
  /** Cerebro's address, "host:port". */
  readonly address: string;
  /** Where connection events are logged. */
  readonly logger: Logger;
  /** Reconnect backoff. */
  readonly backoff?: BackoffOptions;
  /** Callbacks for the stream's life. */
  readonly handlers: ConnectionHandlers;
}

/**
 * The session stream to cerebro: opens it with a Hello, hands every message
 * down to the owner, and when the stream fails or ends opens a new one after
 * an exponential backoff with jitter, until closed.
 */
export class Connection {
  readonly #options: ConnectionOptions;
  readonly #client: TaskServerClient;
  #stream: ConnectStream | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;
  #started = false;

  /** @param options address, logger, backoff and handlers. */
  constructor(options: ConnectionOptions) {
    this.#options = options;
    // The channel reconnects on its own schedule too (by default from 1 s up
    // to 2 min); bound it by ours, or a cerebro that restarts is found late.
    this.#client = new TaskServerClientConstructor(
      options.address,
      grpc.credentials.createInsecure(),
      {
        ...CHANNEL_OPTIONS,
        "grpc.initial_reconnect_backoff_ms":
          options.backoff?.initialMs ?? DEFAULT_INITIAL_BACKOFF_MS,
        "grpc.max_reconnect_backoff_ms": options.backoff?.maxMs ?? DEFAULT_MAX_BACKOFF_MS,
      },
    );
  }

  /** Opens the first stream. */
  start(): void {
    if (this.#started) throw new Error("connection already started");
    this.#started = true;
    this.#open();
  }

  /** Writes a message on the current stream; false when there is none. */
  send(request: ConnectRequest): boolean {
    const stream = this.#stream;
    if (!stream || this.#closed) return false;
    stream.write(request);
    return true;
  }

  /** True while a stream is open. */
  get isConnected(): boolean {
    return this.#stream !== undefined;
  }

  /** Call once a stream has been welcomed: the next reconnect starts from the shortest delay. */
  resetBackoff(): void {
    this.#failures = 0;
  }

  /**
   * Half-closes the stream and waits (at most `timeoutMs`) for cerebro to end
   * it, then closes the channel. No reconnect follows.
   */
  async closeGracefully(timeoutMs: number): Promise<void> {
    const stream = this.#stream;
    this.#closed = true;
    this.#clearReconnect();
    if (stream) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        stream.once("status", done);
        stream.once("error", done);
        stream.once("close", done);
        stream.end();
      });
    }
    this.close();
  }

  /** Closes the stream and the channel at once. No reconnect follows. */
  close(): void {
    this.#closed = true;
    this.#clearReconnect();
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) stream.cancel();
    this.#client.close();
  }

  #open(): void {
    if (this.#closed) return;
    const { logger, handlers, address } = this.#options;
    const stream = this.#client.connect();
    this.#stream = stream;
    stream.on("data", (message: ConnectResponse) => {
      if (this.#stream === stream) handlers.message(message);
    });
    stream.on("error", (error: Error) => this.#ended(stream, error));
    stream.on("end", () => this.#ended(stream, undefined));
    logger.debug({ address }, "opening stream to cerebro");
    stream.write(
      create(ConnectRequestSchema, { message: { case: "hello", value: handlers.hello() } }),
    );
  }

  #ended(stream: ConnectStream, error: Error | undefined): void {
    if (this.#stream !== stream) return;
    this.#stream = undefined;
    stream.cancel();
    const willReconnect = !this.#closed;
    this.#options.handlers.disconnected(error, willReconnect);
    if (willReconnect) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const initial = this.#options.backoff?.initialMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const max = this.#options.backoff?.maxMs ?? DEFAULT_MAX_BACKOFF_MS;
    const ceiling = Math.min(max, initial * 2 ** this.#failures);
    this.#failures++;
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.#options.logger.info(
      { delayMs: delay, attempt: this.#failures },
      "reconnecting to cerebro",
    );
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#open();
    }, delay);
  }

  #clearReconnect(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }
}
