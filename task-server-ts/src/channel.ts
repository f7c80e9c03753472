import type { SecureClientSessionOptions } from "node:http2";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  bearerToken,
  type ClientTls,
  type ConnectRequest,
  type ConnectResponse,
  type KeepaliveOptions,
  TaskServerService,
} from "@cordyna/contract";

/** What a {@link SessionStream} tells its owner. */
export interface SessionStreamHandlers {
  readonly message: (message: ConnectResponse) => void;
  /** The stream is over: without an error when cerebro ended it with OK. */
  readonly closed: (error: ConnectError | undefined) => void;
}

/**
 * The HTTP/2 connection to cerebro (with @connectrpc/connect-node, speaking
 * gRPC), opened when a stream needs it and again after it is lost.
 */
export class CerebroChannel {
  readonly #sessions: Http2SessionManager;
  readonly #client;

  /** @param address "host:port" */
  constructor(address: string, keepalive: KeepaliveOptions, tls?: ClientTls, token?: string) {
    let url: URL;
    try {
      url = new URL(`${tls ? "https" : "http"}://${address}`);
    } catch {
      throw new Error(`cerebro address "${address}" is not host:port`);
    }
    const nodeOptions: SecureClientSessionOptions = tls
      ? {
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.cert ? { cert: tls.cert } : {}),
          ...(tls.key ? { key: tls.key } : {}),
        }
      : {};
    this.#sessions = new Http2SessionManager(
      url,
      {
        pingIntervalMs: keepalive.intervalMs,
        pingTimeoutMs: keepalive.timeoutMs,
        // The session stream is long-lived and mostly quiet: a dead peer
        // must be noticed while nothing is being sent.
        pingIdleConnection: true,
      },
      nodeOptions,
    );
    const transport = createGrpcTransport({
      baseUrl: url.origin,
      sessionManager: this.#sessions,
      ...(token ? { interceptors: [bearerToken(token)] } : {}),
    });
    this.#client = createClient(TaskServerService, transport);
  }

  /** Opens the session stream (on a new connection if there is none). */
  openSessionStream(handlers: SessionStreamHandlers): SessionStream {
    const stream = new SessionStream();
    void (async () => {
      try {
        for await (const message of this.#client.connect(stream.requests(), {
          signal: stream.signal,
        })) {
          handlers.message(message);
        }
        handlers.closed(undefined);
      } catch (error) {
        handlers.closed(ConnectError.from(error));
      }
    })();
    return stream;
  }

  /** Closes the connection; streams on it end. */
  close(): void {
    this.#sessions.abort();
  }
}

/** The session stream's sending side. */
export class SessionStream {
  readonly #abort = new AbortController();
  #queue: ConnectRequest[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  write(message: ConnectRequest): void {
    if (this.#ended || this.#abort.signal.aborted) return;
    this.#queue.push(message);
    this.#wake?.();
  }

  /** Sends nothing more; cerebro ends the call. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** Abandons the call. */
  cancel(): void {
    this.#abort.abort();
    this.#wake?.();
  }

  /** What the stream sends, as the RPC library reads it: no faster than the connection takes it. */
  async *requests(): AsyncGenerator<ConnectRequest> {
    for (;;) {
      if (this.#abort.signal.aborted) return;
      const batch = this.#queue;
      if (batch.length > 0) {
        this.#queue = [];
        yield* batch;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
