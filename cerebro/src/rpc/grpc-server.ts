import {
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { DescService, Message } from "@bufbuild/protobuf";
import {
  ACCEPTED_ENCODINGS,
  encodeStatusMessage,
  frameMessage,
  GRPC_CONTENT_TYPE,
  GrpcCode,
  GrpcStatusError,
  keepAlive,
  type MessageCodec,
  MessageReader,
  messageCodec,
  parseGrpcTimeout,
} from "@cordyna/contract";
import type { Logger } from "pino";

/** What every handler can learn of its call. */
export interface CallContext {
  /** The client's address, "host:port". */
  readonly peer: string;
  /**
   * Called once when the call ends before its handler ended it: the client
   * cancelled, the deadline passed or the connection dropped.
   */
  onCancel(listener: () => void): void;
}

/** A call whose handler writes any number of messages, then ends it. */
export interface ServerStreamCall extends CallContext {
  write(message: Message): void;
  /** Ends the call: OK, or the given status. */
  end(error?: GrpcStatusError): void;
}

/** A call with messages both ways. */
export interface BidiCall extends ServerStreamCall {
  /** Each message of the client, in order. Set before the handler returns. */
  onMessage(listener: (message: Message) => void): void;
  /** The client has sent its last message. */
  onHalfClose(listener: () => void): void;
}

// A handler takes its method's own request type; the route knows which it is.
type UnaryHandler = (request: never, call: CallContext) => Promise<Message>;
type ServerStreamHandler = (request: never, call: ServerStreamCall) => void;
type BidiHandler = (call: BidiCall) => void;
type Handler = UnaryHandler | ServerStreamHandler | BidiHandler;

/** A service's handlers by the method's local name (`startRun`, `connect`). */
export type ServiceHandlers = Record<string, Handler>;

interface Route {
  readonly kind: "unary" | "server_streaming" | "bidi_streaming";
  readonly request: MessageCodec;
  readonly response: MessageCodec;
  readonly handler: Handler;
}

/** Where a request for a method we do not serve goes (health, reflection, unknown ones). */
export type Fallback = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

export interface GrpcServerOptions {
  readonly logger: Logger;
  /** Requests for paths without a route. */
  readonly fallback: Fallback;
  /** Ping every connection this often; one that does not answer in `keepaliveTimeoutMs` is closed. */
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveTimeoutMs?: number;
}

const RESPONSE_HEADERS = {
  ":status": 200,
  "content-type": GRPC_CONTENT_TYPE,
  "grpc-accept-encoding": ACCEPTED_ENCODINGS,
};

/**
 * A gRPC server on node:http2 for our own services: unary, server-streaming
 * and bidirectional methods, messages read and written by the contract's
 * codecs, grpc-timeout deadlines, compressed requests (gzip, deflate),
 * keepalive pings and a graceful stop. Anything else is handed to the
 * fallback.
 */
export class GrpcServer {
  readonly #routes = new Map<string, Route>();
  readonly #options: GrpcServerOptions;
  readonly #http2: Http2Server;
  readonly #sessions = new Set<Http2Session>();
  /** Calls whose stream is not closed yet. */
  readonly #calls = new Set<GrpcCall>();
  #allCallsClosed: (() => void) | undefined;

  constructor(options: GrpcServerOptions) {
    this.#options = options;
    // Our own limits are per message; node's default of 10 MB for a
    // session's buffers would refuse streams during a burst of large answers.
    this.#http2 = createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
    this.#http2.on("session", (session) => this.#track(session));
    this.#http2.on("stream", (stream, headers) => this.#dispatch(stream, headers));
  }

  /** Serves the methods of `service` with `handlers`; every method needs one. */
  addService(service: DescService, handlers: ServiceHandlers): void {
    for (const method of service.methods) {
      const handler = handlers[method.localName];
      if (!handler) throw new Error(`no handler for ${service.typeName}.${method.name}`);
      if (method.methodKind === "client_streaming") {
        throw new Error(`${service.typeName}.${method.name}: client streaming is not supported`);
      }
      this.#routes.set(`/${service.typeName}/${method.name}`, {
        kind: method.methodKind,
        request: messageCodec(method.input),
        response: messageCodec(method.output),
        handler,
      });
    }
  }

  /** Listens and resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#http2.once("error", reject);
      this.#http2.listen(port, host, () => {
        this.#http2.off("error", reject);
        resolve((this.#http2.address() as { port: number }).port);
      });
    });
  }

  /**
   * Stops accepting connections and tells every client to go away (GOAWAY);
   * streams still open after `graceMs` are cut. Resolves once closed.
   */
  async stop(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#http2.close(() => resolve()));
    const callsClosed = new Promise<void>((resolve) => {
      if (this.#calls.size === 0) resolve();
      else this.#allCallsClosed = resolve;
    });
    for (const session of this.#sessions) session.close();
    const cut = setTimeout(() => {
      for (const session of this.#sessions) session.destroy();
    }, graceMs);
    try {
      await Promise.all([closed, callsClosed]);
    } finally {
      clearTimeout(cut);
    }
  }

  #track(session: Http2Session): void {
    this.#sessions.add(session);
    const interval = this.#options.keepaliveIntervalMs ?? 20_000;
    const timeout = this.#options.keepaliveTimeoutMs ?? 10_000;
    keepAlive(session, { intervalMs: interval, timeoutMs: timeout }, () => {
      this.#options.logger.warn(
        { peer: session.socket?.remoteAddress },
        `closing a connection that did not answer a ping within ${timeout} ms`,
      );
      session.destroy();
    });
    session.on("error", (error) =>
      this.#options.logger.debug({ err: error }, "HTTP/2 session error"),
    );
    session.on("close", () => this.#sessions.delete(session));
  }

  #dispatch(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const route = this.#routes.get(headers[":path"] ?? "");
    if (!route) {
      try {
        this.#options.fallback(stream, headers);
      } catch (error) {
        this.#options.logger.warn({ err: error, path: headers[":path"] }, "fallback failed");
        if (!stream.destroyed && !stream.headersSent) {
          respondWithStatus(
            stream,
            new GrpcStatusError(GrpcCode.UNAVAILABLE, `cannot serve ${headers[":path"]} now`),
          );
        }
      }
      return;
    }
    if (!headers["content-type"]?.startsWith(GRPC_CONTENT_TYPE)) {
      // Not gRPC at all: an HTTP answer, as the protocol asks.
      stream.respond({ ":status": 415, "content-type": "text/plain" });
      stream.end(`expected content-type ${GRPC_CONTENT_TYPE}\n`);
      return;
    }
    const call = new GrpcCall(stream, route.response, this.#options.logger);
    this.#calls.add(call);
    stream.once("close", () => {
      this.#calls.delete(call);
      if (this.#calls.size === 0) this.#allCallsClosed?.();
    });
    try {
      const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"] as string | undefined);
      if (timeoutMs !== undefined) call.expireAfter(timeoutMs);
      call.read(
        new MessageReader(headers["grpc-encoding"] as string | undefined),
        route.request,
        route.kind === "bidi_streaming",
      );
    } catch (error) {
      call.end(statusOf(error));
      return;
    }
    if (route.kind === "bidi_streaming")
      this.#run(call, () => (route.handler as BidiHandler)(call));
    else call.onRequest((request) => this.#serveRequest(route, call, request));
  }

  #serveRequest(route: Route, call: GrpcCall, request: Message): void {
    if (route.kind === "server_streaming") {
      const handler = route.handler as (request: Message, call: ServerStreamCall) => void;
      this.#run(call, () => handler(request, call));
      return;
    }
    const handler = route.handler as (request: Message, call: CallContext) => Promise<Message>;
    this.#run(call, () =>
      handler(request, call).then(
        (response) => {
          call.write(response);
          call.end();
        },
        (error: unknown) => this.#failed(call, error),
      ),
    );
  }

  /** Runs a handler; if it throws, the call ends with the error's status. */
  #run(call: GrpcCall, handler: () => unknown): void {
    try {
      handler();
    } catch (error) {
      this.#failed(call, error);
    }
  }

  /** Ends the call with the status of a handler's failure; a failure that is not a status is logged. */
  #failed(call: GrpcCall, error: unknown): void {
    if (!(error instanceof GrpcStatusError)) {
      this.#options.logger.error({ err: error }, "gRPC handler failed");
    }
    call.end(statusOf(error));
  }
}

/** The trailers that end a call: OK, or the error's code and message. */
function statusTrailers(error: GrpcStatusError | undefined): Record<string, string> {
  const trailers: Record<string, string> = { "grpc-status": String(error?.code ?? GrpcCode.OK) };
  if (error) trailers["grpc-message"] = encodeStatusMessage(error.details);
  return trailers;
}

/** Ends a call that sent nothing: its status goes in its only HEADERS frame ("trailers-only"). */
function respondWithStatus(stream: ServerHttp2Stream, error: GrpcStatusError | undefined): void {
  stream.respond({ ...RESPONSE_HEADERS, ...statusTrailers(error) }, { endStream: true });
}

/** A handler's failure as the status the client sees. */
function statusOf(error: unknown): GrpcStatusError {
  if (error instanceof GrpcStatusError) return error;
  return new GrpcStatusError(
    GrpcCode.INTERNAL,
    error instanceof Error ? error.message : String(error),
  );
}

/** One call on one HTTP/2 stream: reads the client's messages, writes ours, ends with a status. */
class GrpcCall implements BidiCall {
  readonly peer: string;
  readonly #stream: ServerHttp2Stream;
  readonly #response: MessageCodec;
  readonly #logger: Logger;
  #headersSent = false;
  #ended = false;
  #trailers: Record<string, string> = {};
  #deadline: NodeJS.Timeout | undefined;
  #cancelListeners: (() => void)[] = [];
  #messageListener: ((message: Message) => void) | undefined;
  #halfCloseListener: (() => void) | undefined;
  #requests: Message[] = [];
  #requestListener: ((request: Message) => void) | undefined;

  constructor(stream: ServerHttp2Stream, response: MessageCodec, logger: Logger) {
    this.#stream = stream;
    this.#response = response;
    this.#logger = logger;
    const socket = stream.session?.socket;
    const address = socket?.remoteAddress ?? "unknown";
    this.peer = `${address.includes(":") ? `[${address}]` : address}:${socket?.remotePort ?? 0}`;
    stream.on("wantTrailers", () => stream.sendTrailers(this.#trailers));
    stream.on("error", (error) => logger.debug({ err: error, peer: this.peer }, "stream error"));
    stream.on("close", () => this.#closed());
  }

  /** Reads the client's messages: each to the handler when streaming, else the one request. */
  read(reader: MessageReader, request: MessageCodec, streaming: boolean): void {
    this.#stream.on("data", (chunk: Buffer) => {
      if (this.#ended) return;
      try {
        for (const bytes of reader.push(chunk)) {
          const message = request.decode(bytes);
          if (streaming) this.#messageListener?.(message);
          else this.#requests.push(message);
        }
      } catch (error) {
        this.#cancelled(statusOf(error));
      }
    });
    this.#stream.on("end", () => {
      // A stream cut from under us ends its reading too; that is no half-close ("close" follows).
      if (this.#ended || this.#stream.destroyed || this.#stream.aborted) return;
      if (reader.midMessage) {
        this.#cancelled(
          new GrpcStatusError(GrpcCode.INTERNAL, "the request ended inside a message"),
        );
      } else if (streaming) {
        this.#halfCloseListener?.();
      } else if (this.#requests.length !== 1) {
        this.#cancelled(
          new GrpcStatusError(
            GrpcCode.UNIMPLEMENTED,
            `expected one request message, received ${this.#requests.length}`,
          ),
        );
      } else {
        this.#requestListener?.(this.#requests[0]!);
      }
    });
  }

  /** The single request of a unary or server-streaming call, once it is whole. */
  onRequest(listener: (request: Message) => void): void {
    this.#requestListener = listener;
  }

  onMessage(listener: (message: Message) => void): void {
    this.#messageListener = listener;
  }

  onHalfClose(listener: () => void): void {
    this.#halfCloseListener = listener;
  }

  onCancel(listener: () => void): void {
    this.#cancelListeners.push(listener);
  }

  expireAfter(timeoutMs: number): void {
    this.#deadline = setTimeout(
      () => this.#cancelled(new GrpcStatusError(GrpcCode.DEADLINE_EXCEEDED, "deadline exceeded")),
      timeoutMs,
    );
  }

  write(message: Message): void {
    if (this.#ended || this.#stream.destroyed) return;
    if (!this.#headersSent) {
      this.#headersSent = true;
      this.#stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    }
    this.#stream.write(frameMessage(this.#response.encode(message)));
  }

  end(error?: GrpcStatusError): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#deadline);
    if (this.#stream.destroyed || this.#stream.closed) return;
    if (this.#headersSent) {
      this.#trailers = statusTrailers(error);
      this.#stream.end();
    } else {
      respondWithStatus(this.#stream, error);
    }
  }

  /** Ends the call with `error` and tells the handler it is over. */
  #cancelled(error: GrpcStatusError): void {
    if (this.#ended) return;
    this.#logger.debug({ peer: this.peer, code: error.code }, error.details);
    this.end(error);
    this.#notifyCancel();
  }

  #closed(): void {
    clearTimeout(this.#deadline);
    if (this.#ended) return;
    this.#ended = true;
    this.#notifyCancel();
  }

  #notifyCancel(): void {
    const listeners = this.#cancelListeners;
    this.#cancelListeners = [];
    for (const listener of listeners) listener();
  }
}
