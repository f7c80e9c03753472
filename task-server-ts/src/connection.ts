import { create } from "@bufbuild/protobuf";
import {
  type ClientTls,
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  RECONNECT_BACKOFF,
} from "@cordyna/contract";
import type { Logger } from "pino";
import { CerebroChannel, type SessionStream } from "./channel.js";
import type { RequestMessage } from "./declaration-parts.js";

/** Modest keepalive so a dead peer is noticed within seconds. */
const KEEPALIVE = { intervalMs: 10_000, timeoutMs: 5_000 };

/**
 * Exponential reconnect backoff with jitter. The defaults are the protocol's
 * (RECONNECT_BACKOFF): a larger cap risks coming back after cerebro gave up
 * on this instance's attempts.
 */
export interface BackoffOptions {
  /** First delay, in ms. Default 100. */
  readonly initialMs?: number;
  /** Largest delay, in ms. Default 2 000. */
  readonly maxMs?: number;
}

/**
 * How long to wait before the next try after `failures` failed ones: the
 * ceiling doubles from the first delay up to the cap, and the delay is drawn
 * from its upper half, so that replicas do not reconnect in step.
 */
export function reconnectDelayMs(
  failures: number,
  backoff: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = backoff.initialMs ?? RECONNECT_BACKOFF.initialMs;
  const max = backoff.maxMs ?? RECONNECT_BACKOFF.maxMs;
  const ceiling = Math.min(max, initial * 2 ** Math.min(failures, 32));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** What the connection tells its owner. */
export interface ConnectionHandlers {
  /** Builds the Hello sent first on every new stream (with its declaration's parts, if any). */
  readonly hello: () => readonly RequestMessage[];
  /** A message from cerebro on the current stream. */
  readonly message: (message: ConnectResponse) => void;
  /**
   * The current stream ended; `retryInMs` says in how long a new one is
   * opened, unless the owner closes the connection on hearing this
   * (undefined: none follows).
   */
  readonly disconnected: (error: Error | undefined, retryInMs: number | undefined) => void;
}

/** Options of a {@link Connection}. */
export interface ConnectionOptions {
  /** Cerebro's address, "host:port". */
  readonly address: string;
  /** Where connection events are logged. */
  readonly logger: Logger;
  /** Reconnect backoff. */
  readonly backoff?: BackoffOptions;
  /** TLS towards cerebro; omitted: plaintext. */
  readonly tls?: ClientTls;
  /** Bearer token sent with the stream; omitted: none. */
  readonly token?: string;
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
  readonly #channel: CerebroChannel;
  #stream: SessionStream | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;
  #started = false;
  /** Waits for the current stream to close (a graceful close). */
  #onStreamClosed: (() => void) | undefined;

  /** @param options address, logger, backoff and handlers. */
  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#channel = new CerebroChannel(options.address, KEEPALIVE, options.tls, options.token);
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
        this.#onStreamClosed = done;
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
    this.#channel.close();
  }

  #open(): void {
    if (this.#closed) return;
    const { logger, handlers, address } = this.#options;
    const stream: SessionStream = this.#channel.openSessionStream({
      message: (message: ConnectResponse) => {
        if (this.#stream === stream) handlers.message(message);
      },
      closed: (error) => this.#ended(stream, error),
    });
    this.#stream = stream;
    logger.debug({ address }, "opening stream to cerebro");
    for (const message of handlers.hello()) {
      stream.write(create(ConnectRequestSchema, { message }));
    }
  }

  #ended(stream: SessionStream, error: Error | undefined): void {
    const onClosed = this.#onStreamClosed;
    this.#onStreamClosed = undefined;
    onClosed?.();
    if (this.#stream !== stream) return;
    this.#stream = undefined;
    stream.cancel();
    const delay = this.#closed
      ? undefined
      : reconnectDelayMs(this.#failures, this.#options.backoff);
    this.#options.handlers.disconnected(error, delay);
    // The owner may have closed the connection on hearing why it ended.
    if (!this.#closed && delay !== undefined) this.#scheduleReconnect(delay);
  }

  #scheduleReconnect(delay: number): void {
    this.#failures++;
    this.#options.logger.debug({ delayMs: delay, attempt: this.#failures }, "reconnect scheduled");
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
