// Clients of cerebro's ControlService and AccessService for Node.js, over
// gRPC, with the credentials every Cordyna client may carry.

import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AccessService } from "../gen/ts/cordyna/v1/access_pb.js";
import { ControlService } from "../gen/ts/cordyna/v1/control_pb.js";
import type { ClientTls } from "./client-tls.js";
import { bearerToken } from "./client-token.js";

/** A connect-es client of cerebro's ControlService. */
export type ControlClient = Client<typeof ControlService>;

/** A connect-es client of cerebro's AccessService (credentials, audit trail). */
export type AccessClient = Client<typeof AccessService>;

/** How a client proves who it is: TLS (with a client certificate for mTLS) and a bearer token. */
export interface ClientCredentials {
  readonly tls?: ClientTls;
  /** Sent as `authorization: Bearer <token>` (CORDYNA_TOKEN). */
  readonly token?: string;
}

/**
 * The base URL for an address: "host:port" → "http://host:port", or
 * "https://…" with TLS; URLs pass through.
 */
export function baseUrlFor(address: string, tls = false): string {
  return /^https?:\/\//.test(address) ? address : `${tls ? "https" : "http"}://${address}`;
}

/** A gRPC transport to cerebro at `address` ("host:port" or a URL) with the given credentials. */
export function cerebroTransport(
  address: string,
  { tls, token }: ClientCredentials = {},
): Transport {
  return createGrpcTransport({
    baseUrl: baseUrlFor(address, tls !== undefined),
    ...(tls ? { nodeOptions: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {}),
    ...(token ? { interceptors: [bearerToken(token)] } : {}),
  });
}

/** A ControlService client of cerebro at `address`. */
export function createControlClient(
  address: string,
  credentials: ClientCredentials = {},
): ControlClient {
  return createClient(ControlService, cerebroTransport(address, credentials));
}

/** An AccessService client of cerebro at `address`. */
export function createAccessClient(
  address: string,
  credentials: ClientCredentials = {},
): AccessClient {
  return createClient(AccessService, cerebroTransport(address, credentials));
}
