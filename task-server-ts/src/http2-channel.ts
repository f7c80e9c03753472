import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from "node:http2";
import type { Message } from "@bufbuild/protobuf";
import {
  ACCEPTED_ENCODINGS,
  decodeStatusMessage,
  frameMessage,
  GRPC_CONTENT_TYPE,
  GrpcCode,
  GrpcStatusError,
  type KeepaliveOptions,
  keepAlive,
  type MessageCodec,
  MessageReader,
} from "@cordyna/contract";

/** How a stream's messages are written (requests) and read (responses). */
export interface StreamCodecs {
  readonly request: MessageCodec;
  readonly response: MessageCodec;
}

/** What a {@link BidiStream} tells its owner. */
export interface BidiStreamHandlers {
  readonly message: (message: Message) => void;
  /** The stream is over: without an error when the server ended it with OK. */
  readonly closed: (error: GrpcStatusError | undefined) => void;
}

/**
 * The HTTP/2 connection to one gRPC server, opened when a stream needs it and
 * opened again after it is lost. Streams speak the gRPC wire format on
 * node:http2 directly (see the contract's grpc-wire.ts for why).
 */
export class Http2Channel {
  readonly #authority: string;
  readonly #keepalive: KeepaliveOptions;
  #session: ClientHttp2Session | undefined;

  /** @param address "host:port" */
  constructor(address: string, keepalive: KeepaliveOptions) {
    try {
      this.#authority = new URL(`http://${address}`).origin;
    } catch {
      throw new Error(`cerebro address "${address}" is not host:port`);
    }
    this.#keepalive = keepalive;
  }

  /** Opens a bidirectional stream on `path` (on a new connection if there is none). */
  openStream(path: string, codecs: StreamCodecs, handlers: BidiStreamHandlers): BidiStream {
    const session = this.#connected();
    const request = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": GRPC_CONTENT_TYPE,
      te: "trailers",
      "grpc-accept-encoding": ACCEPTED_ENCODINGS,
      "user-agent": "cordyna-task-server-ts",
    });
    return new BidiStream(request, codecs, handlers);
  }

  /** Closes the connection; streams on it end. */
  close(): void {
    this.#session?.destroy();
    this.#session = undefined;
  }

  #connected(): ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = connect(this.#authority);
    this.#session = session;
    const { timeoutMs } = this.#keepalive;
    keepAlive(session, this.#keepalive, () =>
      session.destroy(new Error(`keepalive ping unanswered for ${timeoutMs} ms`)),
    );
    // Its streams report the error; the session's own event only must not go unheard.
    session.on("error", () => {});
    session.on("goaway", () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.on("close", () => {
      if (this.#session === session) this.#session = undefined;
    });
    return session;
  }
}

/** gRPC status codes for an HTTP status that is not 200 (gRPC's http-grpc-status-mapping). */
const HTTP_STATUS_CODES: Record<number, number> = {
  400: GrpcCode.INTERNAL,
  401: GrpcCode.UNAUTHENTICATED,
  403: GrpcCode.PERMISSION_DENIED,
  404: GrpcCode.UNIMPLEMENTED,
  429: GrpcCode.UNAVAILABLE,
  502: GrpcCode.UNAVAILABLE,
  503: GrpcCode.UNAVAILABLE,
  504: GrpcCode.UNAVAILABLE,
};

/** One bidirectional gRPC call. */
export class BidiStream {
  readonly #request: ClientHttp2Stream;
  readonly #codecs: StreamCodecs;
  readonly #handlers: BidiStreamHandlers;
  #status: GrpcStatusError | "ok" | undefined;

  constructor(request: ClientHttp2Stream, codecs: StreamCodecs, handlers: BidiStreamHandlers) {
    this.#request = request;
    this.#codecs = codecs;
    this.#handlers = handlers;
    request.on("response", (headers) => this.#responded(headers));
    request.on("trailers", (trailers) => this.#statusFrom(trailers));
    let failure: string | undefined;
    request.on("error", (error: Error) => {
      // A lost connection cancels its streams with its own error as the cause.
      failure = error.cause instanceof Error ? error.cause.message : error.message;
    });
    request.on("close", () => {
      const status =
        this.#status ??
        new GrpcStatusError(
          GrpcCode.UNAVAILABLE,
          failure ?? `the stream closed without a status (HTTP/2 code ${request.rstCode})`,
        );
      handlers.closed(status === "ok" ? undefined : status);
    });
  }

  write(message: Message): void {
    if (this.#request.closed || this.#request.writableEnded) return;
    this.#request.write(frameMessage(this.#codecs.request.encode(message)));
  }

  /** Sends nothing more; the server ends the call. */
  end(): void {
    if (!this.#request.writableEnded) this.#request.end();
  }

  /** Abandons the call. */
  cancel(): void {
    if (!this.#request.closed) this.#request.close(constants.NGHTTP2_CANCEL);
  }

  #responded(headers: IncomingHttpHeaders): void {
    const httpStatus = Number(headers[":status"]);
    if (httpStatus !== 200) {
      this.#fail(
        new GrpcStatusError(
          HTTP_STATUS_CODES[httpStatus] ?? GrpcCode.UNKNOWN,
          `cerebro answered HTTP ${httpStatus}`,
        ),
      );
      return;
    }
    if ("grpc-status" in headers) {
      this.#statusFrom(headers);
      return;
    }
    const reader = new MessageReader(headers["grpc-encoding"] as string | undefined);
    // Read only now: node may hand over DATA before it emits the response headers.
    this.#request.on("data", (chunk: Buffer) => {
      try {
        for (const bytes of reader.push(chunk)) {
          this.#handlers.message(this.#codecs.response.decode(bytes));
        }
      } catch (error) {
        this.#fail(
          error instanceof GrpcStatusError
            ? error
            : new GrpcStatusError(
                GrpcCode.INTERNAL,
                `cannot read a message from cerebro: ${(error as Error).message}`,
              ),
        );
      }
    });
  }

  #statusFrom(headers: IncomingHttpHeaders): void {
    const code = Number(headers["grpc-status"] ?? GrpcCode.UNKNOWN);
    const message =
      "grpc-status" in headers
        ? decodeStatusMessage((headers["grpc-message"] as string | undefined) ?? "")
        : "cerebro ended the stream without a grpc-status";
    this.#status = code === GrpcCode.OK ? "ok" : new GrpcStatusError(code, message);
    // The call is over once its status is in, whether or not we were done sending.
    this.#request.close();
  }

  #fail(error: GrpcStatusError): void {
    this.#status ??= error;
    this.cancel();
  }
}
