import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import {
  constants,
  createServer as createHttp2Server,
  createSecureServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type KeepaliveOptions, keepAlive } from "@cordyna/contract";
import type { Logger } from "pino";
import { callValues } from "./call-context.js";

/** What every connection and call may use at most; each has a default. */
export interface ServerLimits {
  /** The largest message (or JSON body) a peer may send. Default 4 MiB. */
  readonly maxReceiveBytes: number;
  /** Concurrent streams per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS). Default 100. */
  readonly maxConcurrentStreams: number;
  /** The most bytes of request headers. Default 16 KiB. */
  readonly maxHeaderBytes: number;
  /** A connection older than this is asked to go (GOAWAY). Default 2 h; 0 never. */
  readonly maxConnectionAgeMs: number;
  /** How long calls may go on after that before the connection is cut. Default 30 s. */
  readonly maxConnectionAgeGraceMs: number;
  /** A connection with no call for this long is closed. Default 5 min; 0 never. */
  readonly idleTimeoutMs: number;
  /** Every HTTP/2 connection is pinged; one that does not answer is closed. */
  readonly keepalive: KeepaliveOptions;
  /**
   * The most bytes cerebro queues on one stream for a peer that does not
   * read (an event watch, a task-server's commands) before closing it with
   * RESOURCE_EXHAUSTED. Default 8 MiB.
   */
  readonly maxStreamBufferBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxReceiveBytes: 4 * 1024 * 1024,
  maxConcurrentStreams: 100,
  maxHeaderBytes: 16 * 1024,
  maxConnectionAgeMs: 2 * 60 * 60 * 1000,
  maxConnectionAgeGraceMs: 30_000,
  idleTimeoutMs: 5 * 60 * 1000,
  keepalive: { intervalMs: 20_000, timeoutMs: 10_000 },
  maxStreamBufferBytes: 8 * 1024 * 1024,
};

/** Answers a plain HTTP request, e.g. a Prometheus scrape. */
export type PlainHttpHandler = (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => void;

/** Cerebro's certificate, and the CA whose client certificates it accepts (mTLS). */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer;
}

export interface ServeOptions {
  readonly routes: (router: ConnectRouter) => void;
  readonly host: string;
  /** The gRPC port (also gRPC-Web and Connect over HTTP/2; with TLS, HTTP/1.1 too). */
  readonly port: number;
  /** A second port for HTTP/1.1 (Connect JSON, gRPC-Web): curl and browsers. */
  readonly httpPort?: number;
  /** Plain HTTP handlers on the HTTP port by path, e.g. "/metrics"; the services answer the rest. */
  readonly httpPaths?: Readonly<Record<string, PlainHttpHandler>>;
  readonly logger: Logger;
  readonly tls?: ServerTls;
  readonly limits?: Partial<ServerLimits>;
  /** Run before every handler, unary or stream, with the call's headers and peer. */
  readonly interceptors?: readonly Interceptor[];
}

/** Listening servers and how to stop them. */
export interface ListeningServer {
  readonly port: number;
  readonly httpPort?: number;
  /** Stops accepting, lets calls end for a moment, then cuts what is left. */
  stop(): Promise<void>;
}

/** How long calls get to end once cerebro stops, before their connections are cut. */
const STOP_GRACE_MS = 1_000;

/**
 * Node.js timers fire at once past 2^31 - 1 ms. The RPC library arms one per
 * call deadline, so a longer deadline (valid gRPC: "99999999H") is served as
 * this one, about 24.8 days: longer than any call to cerebro lasts.
 */
const LONGEST_DEADLINE_MS = 2_147_483_647;

/**
 * Serves cerebro's services with @connectrpc/connect-node: gRPC, gRPC-Web
 * and Connect from one set of handlers, on node:http2 (and node:http for
 * the HTTP/1.1 port), with every size, count and wait bounded.
 */
export async function serve(options: ServeOptions): Promise<ListeningServer> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { logger } = options;
  const abort = new AbortController();
  const handler = connectNodeAdapter({
    routes: options.routes,
    readMaxBytes: limits.maxReceiveBytes,
    maxTimeoutMs: LONGEST_DEADLINE_MS,
    shutdownSignal: abort.signal,
    interceptors: [...(options.interceptors ?? [])],
    contextValues: callValues,
  });
  const handleWith =
    (paths: ServeOptions["httpPaths"] = {}): PlainHttpHandler =>
    (request, response) => {
      // Node advertises SETTINGS_MAX_HEADER_LIST_SIZE but does not enforce it.
      if (headerBytes(request.rawHeaders) > limits.maxHeaderBytes) {
        response.writeHead(431).end(`request headers over ${limits.maxHeaderBytes} bytes`);
        return;
      }
      if ("stream" in response) endStreamWithResponse(response);
      const path = pathOf(request.url);
      const plain = Object.hasOwn(paths, path) ? paths[path] : undefined;
      if (plain) {
        plain(request, response);
        return;
      }
      clampDeadline(request.headers);
      handler(request as never, response as never);
    };
  const handle = handleWith();

  const sessions = new Set<Http2Session>();
  // With TLS, each port serves HTTP/2 and, through ALPN, HTTP/1.1.
  const tlsServer = (tls: ServerTls, handleRequest: PlainHttpHandler): Http2SecureServer =>
    createSecureServer(
      {
        ...http2Settings(limits),
        cert: tls.cert,
        key: tls.key,
        allowHTTP1: true,
        ...clientCertificates(tls),
      },
      handleRequest,
    );
  const grpc = options.tls
    ? tlsServer(options.tls, handle)
    : createHttp2Server(http2Settings(limits), handle);
  watchSessions(grpc, sessions, limits, logger);
  const servers: (Http2Server | Http2SecureServer | Server)[] = [grpc];
  let http: Http2SecureServer | Server | undefined;
  if (options.httpPort !== undefined) {
    const handleHttp = handleWith(options.httpPaths);
    if (options.tls) {
      const secure = tlsServer(options.tls, handleHttp);
      watchSessions(secure, sessions, limits, logger);
      http = secure;
    } else {
      http = createHttpServer({ maxHeaderSize: limits.maxHeaderBytes }, handleHttp);
    }
    servers.push(http);
  }

  const stopAll = async (): Promise<void> => {
    abort.abort();
    for (const server of servers) server.close();
    for (const session of sessions) session.close();
    const cut = setTimeout(() => {
      for (const session of sessions) session.destroy();
      for (const server of servers) {
        if ("closeAllConnections" in server) server.closeAllConnections();
      }
    }, STOP_GRACE_MS);
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (!server.listening) resolve();
            else server.once("close", () => resolve());
          }),
      ),
    );
    clearTimeout(cut);
  };

  try {
    const port = await listenOn(grpc, options.host, options.port, "gRPC");
    const httpPort = http
      ? await listenOn(http, options.host, options.httpPort ?? 0, "HTTP/JSON gateway")
      : undefined;
    return { port, ...(httpPort === undefined ? {} : { httpPort }), stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The path of a request's URL, without its query. */
function pathOf(url: string | undefined): string {
  const path = url ?? "/";
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}

function headerBytes(rawHeaders: readonly string[]): number {
  let bytes = 0;
  for (const part of rawHeaders) bytes += part.length;
  return bytes;
}

/**
 * Once the response (and its trailers) is sent, a client still sending, such
 * as one whose message was refused as too large, has its stream reset: the
 * call is over, and the stream must not stay open for its unread bytes.
 */
function endStreamWithResponse(response: Http2ServerResponse): void {
  response.once("finish", () => {
    const { stream } = response;
    if (!stream.destroyed && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
  });
}

function http2Settings(limits: ServerLimits) {
  return {
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListSize: limits.maxHeaderBytes,
    },
    maxHeaderListPairs: 128,
    // Megabytes of frames, headers and buffers one connection may hold in
    // nghttp2 before new streams are refused: a slow reader stays bounded.
    maxSessionMemory: 32,
    // A peer that opens a connection and never speaks HTTP/2 is dropped.
    unknownProtocolTimeout: 10_000,
  };
}

function clientCertificates(tls: ServerTls) {
  // Verified, but not required at the handshake: a call without a valid
  // certificate is refused by name (expired, unknown CA) where one is needed.
  return tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {};
}

/** Keepalive, idle timeout and maximum age for every HTTP/2 connection; their errors are logged. */
function watchSessions(
  server: Http2Server | Http2SecureServer,
  sessions: Set<Http2Session>,
  limits: ServerLimits,
  logger: Logger,
): void {
  // A connection is idle while it has no call: keepalive pings do not count.
  const idle = new WeakMap<Http2Session, IdleTimer>();
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    keepAlive(session, limits.keepalive, () =>
      session.destroy(new Error(`keepalive ping unanswered for ${limits.keepalive.timeoutMs} ms`)),
    );
    const timers: NodeJS.Timeout[] = [];
    if (limits.maxConnectionAgeMs > 0) {
      timers.push(
        setTimeout(() => {
          session.close();
          timers.push(setTimeout(() => session.destroy(), limits.maxConnectionAgeGraceMs).unref());
        }, limits.maxConnectionAgeMs).unref(),
      );
    }
    if (limits.idleTimeoutMs > 0) idle.set(session, idleTimer(session, limits.idleTimeoutMs));
    session.on("error", (error) => logger.debug({ err: error }, "HTTP/2 connection error"));
    session.once("close", () => {
      sessions.delete(session);
      for (const timer of timers) clearTimeout(timer);
    });
  });
  server.on("stream", (stream) => {
    const timer = idle.get(stream.session as Http2Session);
    if (!timer) return;
    timer.opened();
    stream.once("close", () => timer.closed());
  });
  server.on("sessionError", (error) => logger.debug({ err: error }, "HTTP/2 session error"));
}

interface IdleTimer {
  opened(): void;
  closed(): void;
}

/** Closes the session once it has had no open stream for `timeoutMs`. */
function idleTimer(session: Http2Session, timeoutMs: number): IdleTimer {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => session.close(), timeoutMs).unref();
  };
  session.once("close", () => clearTimeout(timer));
  arm();
  return {
    opened() {
      open++;
      clearTimeout(timer);
    },
    closed() {
      open--;
      if (open === 0) arm();
    },
  };
}

/** Rewrites a call deadline Node.js cannot time to the longest it can. */
function clampDeadline(headers: IncomingMessage["headers"]): void {
  const grpcTimeout = headers["grpc-timeout"];
  if (typeof grpcTimeout === "string") {
    const match = /^(\d{1,8})([HMSmun])$/.exec(grpcTimeout);
    const unitMs = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };
    const ms = match ? Number(match[1]) * unitMs[match[2] as keyof typeof unitMs] : 0;
    // 596 hours is the longest whole number of hours below the limit.
    if (ms > LONGEST_DEADLINE_MS) headers["grpc-timeout"] = "596H";
  }
  const connectTimeout = headers["connect-timeout-ms"];
  if (typeof connectTimeout === "string" && Number(connectTimeout) > LONGEST_DEADLINE_MS) {
    headers["connect-timeout-ms"] = String(LONGEST_DEADLINE_MS);
  }
}

function listenOn(
  server: Http2Server | Http2SecureServer | Server,
  host: string,
  port: number,
  listener: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      // Node's own message says neither which listener it was nor, for a
      // taken port, what is wrong; operators look for the port number.
      const message =
        error.code === "EADDRINUSE"
          ? `port ${port} (${listener}) is already in use`
          : `could not listen on port ${port} of ${host} (${listener}): ${error.message}`;
      reject(new Error(message, { cause: error }));
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
