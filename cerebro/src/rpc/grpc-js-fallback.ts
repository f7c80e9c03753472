import {
  type ClientHttp2Session,
  connect,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { Duplex } from "node:stream";
import { Server, ServerCredentials } from "@grpc/grpc-js";

/**
 * A grpc-js server inside this process, with no port of its own, for the
 * services we take from the grpc-js ecosystem (health, reflection): each
 * request our server has no route for is relayed to it over an in-memory
 * HTTP/2 connection, and its answer relayed back. grpc-js also answers
 * UNIMPLEMENTED for unknown methods, as clients expect.
 */
export class GrpcJsFallback {
  readonly #server: Server;
  readonly #session: ClientHttp2Session;

  /** @param configure adds the services to the grpc-js server */
  constructor(configure: (server: Server) => void) {
    this.#server = new Server();
    configure(this.#server);
    const [ours, theirs] = duplexPair();
    this.#server
      .createConnectionInjector(ServerCredentials.createInsecure())
      .injectConnection(theirs);
    this.#session = connect("http://in-process", { createConnection: () => ours });
  }

  /** Relays one request to the grpc-js server and its answer back. */
  readonly relay = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const request = this.#session.request(relayedHeaders(headers, [":method", ":path"]));
    let trailers: OutgoingHttpHeaders = {};
    stream.on("wantTrailers", () => stream.sendTrailers(trailers));
    // Either side may fail or be cancelled at any point; "close" handles both.
    request.on("error", () => {});
    stream.on("error", () => {});
    request.on("response", (responseHeaders) => {
      if (stream.closed) return;
      const answer = relayedHeaders(responseHeaders, [":status"]);
      // A status in the first HEADERS frame means there is nothing else (trailers-only).
      if ("grpc-status" in responseHeaders) {
        stream.respond(answer, { endStream: true });
        return;
      }
      stream.respond(answer, { waitForTrailers: true });
      // Read only now: node may hand over DATA before it emits the response headers.
      request.on("data", (chunk: Buffer) => stream.write(chunk));
    });
    request.on("trailers", (received) => {
      trailers = relayedHeaders(received, []);
    });
    // Closed comes after the last data and the trailers, in whatever order node emitted those.
    request.on("close", () => {
      if (stream.closed) return;
      if (!stream.headersSent) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      else if (!stream.writableEnded) stream.end();
    });
    stream.on("data", (chunk: Buffer) => request.write(chunk));
    stream.on("end", () => request.end());
    stream.on("close", () => {
      if (!request.closed) request.close(constants.NGHTTP2_CANCEL);
    });
  };

  /** Closes the connection and the grpc-js server. */
  close(): void {
    this.#session.destroy();
    this.#server.forceShutdown();
  }
}

/** The headers worth relaying: every regular one, and the named pseudo-headers. */
function relayedHeaders(
  headers: IncomingHttpHeaders,
  pseudo: readonly string[],
): OutgoingHttpHeaders {
  const relayed: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(":") || pseudo.includes(name)) relayed[name] = value;
  }
  return relayed;
}

/** Two connected in-memory duplex streams: what one writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const end = (other: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _encoding, done) {
        other().push(chunk);
        done();
      },
      final(done) {
        other().push(null);
        done();
      },
      destroy(error, done) {
        other().destroy();
        done(error);
      },
    });
  ends.push(
    end(() => ends[1]!),
    end(() => ends[0]!),
  );
  return [ends[0]!, ends[1]!];
}
