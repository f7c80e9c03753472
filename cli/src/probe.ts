// Who answers at an address: asked when a call there failed in a way that
// does not say (a plaintext client at a TLS port, at an HTTP/1.1 port, at a
// server that is not cerebro), and by `dyna version`.

import { Buffer } from "node:buffer";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { baseUrlFor, ControlService, VERSION_HEADERS } from "@cordyna/contract";
import { describeRpcError, grpcCodeName } from "./client.js";

/** How long one look at an address may take. */
export const PROBE_TIMEOUT_MS = 2_000;

/** What a port said to a request of the wrong kind. */
export type PortAnswer =
  /** An HTTP/1.x response; from cerebro's HTTP/JSON port when `cerebro`. */
  | { readonly kind: "http1"; readonly version: string; readonly cerebro: boolean }
  /** A TLS handshake (or a TLS alert): the port expects TLS. */
  | { readonly kind: "tls" }
  /** HTTP/2 frames: it speaks HTTP/2 without TLS, as gRPC does. */
  | { readonly kind: "http2" }
  /** Bytes that are none of these. */
  | { readonly kind: "other" }
  /** It took the connection but said nothing, to HTTP/1.1 or to TLS. */
  | { readonly kind: "silent" }
  /** No connection. */
  | { readonly kind: "unreachable" };

/** Host and port of an address as the CLI takes it ("host:port" or a URL). */
export function hostAndPort(address: string): { host: string; port: number } | undefined {
  try {
    const url = new URL(baseUrlFor(address));
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
    return { host, port };
  } catch {
    return undefined;
  }
}

/**
 * What the port says to a plaintext HTTP/1.1 request, and, when it says
 * nothing, whether it takes a TLS handshake. The request is cerebro's
 * health check in Connect's JSON form, so that cerebro's HTTP/JSON port
 * answers it and names itself in the response headers.
 */
export async function probePort(address: string): Promise<PortAnswer> {
  const target = hostAndPort(address);
  if (target === undefined) return { kind: "unreachable" };
  const reply = await firstBytes(target.host, target.port, healthRequest(target.host));
  if (reply === undefined) return { kind: "unreachable" };
  if (reply.length > 0) return classify(reply);
  return (await takesTls(target.host, target.port)) ? { kind: "tls" } : { kind: "silent" };
}

function healthRequest(host: string): string {
  const body = "{}";
  return [
    "POST /grpc.health.v1.Health/Check HTTP/1.1",
    `Host: ${host}`,
    "Content-Type: application/json",
    `Content-Length: ${body.length}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** What the first bytes of an answer are. */
export function classify(reply: Buffer): PortAnswer {
  const text = reply.toString("latin1");
  const status = /^HTTP\/(1\.[01]) \d{3}/.exec(text);
  if (status) {
    const head = text.split("\r\n\r\n", 1)[0] ?? "";
    const cerebro = head
      .split("\r\n")
      .some((line) => line.toLowerCase().startsWith(`${VERSION_HEADERS.version}:`));
    return { kind: "http1", version: status[1] ?? "1.1", cerebro };
  }
  // A TLS record: handshake (22) or alert (21), version 3.x.
  if ((reply[0] === 0x16 || reply[0] === 0x15) && reply[1] === 0x03) return { kind: "tls" };
  // An HTTP/2 server speaks first: a SETTINGS frame (type 4) on stream 0.
  if (reply.length >= 9 && reply[3] === 0x04 && reply.readUInt32BE(5) === 0) {
    return { kind: "http2" };
  }
  return { kind: "other" };
}

/**
 * Connects, sends the request and collects what comes back until the peer
 * closes, an HTTP/1.x head is complete, or the time is up. Undefined when
 * no connection could be made.
 */
function firstBytes(host: string, port: number, request: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let connected = false;
    let settled = false;
    const socket: Socket = netConnect({ host, port });
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(connected ? Buffer.concat(chunks) : undefined);
    };
    const timer = setTimeout(done, PROBE_TIMEOUT_MS);
    socket.on("connect", () => {
      connected = true;
      socket.write(request);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const received = Buffer.concat(chunks);
      const http1 = received.subarray(0, 5).toString("latin1") === "HTTP/";
      if (!http1 || received.includes("\r\n\r\n") || received.length > 64 * 1024) done();
    });
    socket.on("end", done);
    socket.on("close", done);
    socket.on("error", done);
  });
}

/** Whether the port completes a TLS handshake (any certificate will do). */
function takesTls(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    const done = (tls: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(tls);
    };
    const timer = setTimeout(() => done(false), PROBE_TIMEOUT_MS);
    socket.on("secureConnect", () => done(true));
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}

/** What cerebro's health check said of the cerebro that answered it. */
export interface CerebroAnswer {
  /** Whether it serves cordyna.v1.ControlService: false for a server that is not cerebro. */
  readonly cerebro: boolean;
  /** Cerebro's version and protocol, when it says (older ones do not). */
  readonly version?: string;
  readonly protocol?: string;
}

interface HealthClient {
  check(
    request: { service: string },
    options: { timeoutMs: number; onHeader?: (headers: Headers) => void },
  ): Promise<{ status: number }>;
}

/**
 * Asks the standard health check whether cordyna.v1.ControlService is
 * served there. A server without it (NOT_FOUND) or without any health
 * service (UNIMPLEMENTED, or an HTTP status of its own) is not cerebro;
 * other failures are thrown.
 */
export async function askHealth(
  transport: Transport,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<CerebroAnswer> {
  // Loaded on demand: the health service's descriptor is read from its .proto file.
  const { HealthService } = await import("@cordyna/cerebro/standard-services");
  const client = createClient(HealthService, transport) as unknown as HealthClient;
  let headers: Headers | undefined;
  try {
    await client.check(
      { service: ControlService.typeName },
      { timeoutMs, onHeader: (received) => (headers = received) },
    );
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    if (error.code === Code.NotFound || isNotGrpc(error)) return { cerebro: false };
    throw error;
  }
  const version = headers?.get(VERSION_HEADERS.version) ?? undefined;
  const protocol = headers?.get(VERSION_HEADERS.protocol) ?? undefined;
  return {
    cerebro: true,
    ...(version === undefined ? {} : { version }),
    ...(protocol === undefined ? {} : { protocol }),
  };
}

/**
 * An answer that is HTTP but not gRPC, or gRPC without the method: the
 * RPC library reports an HTTP status as UNIMPLEMENTED (404) or UNKNOWN,
 * and a response that is not gRPC as UNKNOWN.
 */
export function isNotGrpc(error: ConnectError): boolean {
  return (
    error.code === Code.Unimplemented ||
    (error.code === Code.Unknown && /^(HTTP \d{3}|unsupported content type)/.test(error.rawMessage))
  );
}

/** How the failed call reached cerebro, to look again the same way. */
export interface FailedCall {
  readonly address: string;
  /** Whether the client spoke TLS. */
  readonly tls: boolean;
  /** A transport to an address with the client's credentials. */
  transport(address: string): Transport;
}

const POINT_AT_GRPC =
  "Point --cerebro, CORDYNA_ADDR or the profile's address at cerebro's gRPC port";

/**
 * A one-line explanation of a failed call, as describeRpcError gives, but
 * where the failure itself does not say what is wrong (INTERNAL: Protocol
 * error, a closed connection, an HTTP status), it looks at the address
 * first: a TLS port, cerebro's HTTP/JSON port, another HTTP server, or a
 * server that is not cerebro. Undefined for errors that are not RPC errors.
 */
export async function explainFailure(
  error: unknown,
  call: FailedCall,
): Promise<string | undefined> {
  const plain = describeRpcError(error, call.address);
  if (!(error instanceof ConnectError) || plain === undefined) return plain;
  if (isNotGrpc(error)) {
    const health = await askHealth(call.transport(call.address)).catch(() => undefined);
    if (health?.cerebro === false) return notCerebro(call.address, error);
    if (health?.cerebro && error.code === Code.Unimplemented) {
      return (
        `cerebro at ${call.address} does not know this call (${grpcCodeName(error.code)}: ${error.rawMessage}): ` +
        "it is older than this dyna. Use a dyna of cerebro's version, or upgrade cerebro."
      );
    }
  }
  if (call.tls || !mayBeWrongPort(error)) return plain;
  const answer = await probePort(call.address);
  switch (answer.kind) {
    case "tls":
      return (
        `${call.address} expects TLS, but dyna connected without it: set CORDYNA_TLS=on ` +
        "(and CORDYNA_TLS_CA to the CA that signed cerebro's certificate, unless a public CA did), " +
        "or tls = true in the profile."
      );
    case "http1":
      if (answer.cerebro) return httpPortMessage(call.address, await grpcPortBefore(call));
      return (
        `${call.address} answers HTTP/${answer.version}, not gRPC: it is not cerebro's gRPC port ` +
        `(nor its HTTP/JSON port, which would say so). ${POINT_AT_GRPC}.`
      );
    case "http2": {
      const health = await askHealth(call.transport(call.address)).catch(() => undefined);
      return health?.cerebro === false ? notCerebro(call.address, error) : plain;
    }
    case "other":
      return `${call.address} answers neither HTTP nor TLS: it is not cerebro. ${POINT_AT_GRPC}.`;
    default:
      return plain;
  }
}

/**
 * Failures of the connection that say nothing about why: a peer that
 * closed it, reset it or broke the HTTP/2 protocol.
 */
function mayBeWrongPort(error: ConnectError): boolean {
  if (error.code === Code.Internal || error.code === Code.Canceled) return true;
  if (error.code === Code.Unknown) return true;
  const cause = (error.cause ?? {}) as { code?: string };
  return error.code === Code.Unavailable && cause.code === "ECONNRESET";
}

function notCerebro(address: string, error: ConnectError): string {
  return (
    `${address} is not a cordyna cerebro (no cordyna.v1 service): it answered ` +
    `${grpcCodeName(error.code)}: ${error.rawMessage}. ${POINT_AT_GRPC}.`
  );
}

function httpPortMessage(address: string, grpcAddress: string | undefined): string {
  const where =
    grpcAddress === undefined
      ? "by default the port before this one"
      : `cerebro's gRPC port is ${grpcAddress}`;
  return (
    `${address} is cerebro's HTTP/JSON port (for curl and browsers), not its gRPC port: ${where}. ` +
    `${POINT_AT_GRPC}.`
  );
}

/**
 * Cerebro's gRPC port when it is the one before its HTTP/JSON port, as by
 * default: asked there, the health check must answer as cerebro.
 */
async function grpcPortBefore(call: FailedCall): Promise<string | undefined> {
  const target = hostAndPort(call.address);
  if (target === undefined || target.port <= 1) return undefined;
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const before = `${host}:${target.port - 1}`;
  const health = await askHealth(call.transport(before)).catch(() => undefined);
  return health?.cerebro ? before : undefined;
}
