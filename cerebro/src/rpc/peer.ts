import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { TLSSocket } from "node:tls";
import {
  type ContextValues,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";

/** Who is calling, as cerebro sees it: never what the caller says about itself. */
export interface Peer {
  /** "ip:port" of the connection. */
  readonly address: string;
  /** The client certificate, when the connection presented one (TLS with --tls-client-ca). */
  readonly certificate?: PeerCertificate;
}

/** A client certificate and whether it was verified against cerebro's client CA. */
export interface PeerCertificate {
  /** The subject's common name, e.g. "task-server-a". */
  readonly commonName: string;
  /** Subject alternative names, as OpenSSL prints them ("DNS:a.example, URI:spiffe://…"). */
  readonly subjectAltName: string;
  readonly verified: boolean;
  /** Why it was not verified (e.g. "CERT_HAS_EXPIRED"). */
  readonly verifyError?: string;
}

const PEER = createContextKey<Peer>({ address: "unknown" });

/** The peer of a call, for handlers and interceptors. */
export function peerOf(context: Pick<HandlerContext, "values">): Peer {
  return context.values.get(PEER);
}

/** The context values of a call: the peer, read from the connection the request came on. */
export function peerValues(request: IncomingMessage | Http2ServerRequest): ContextValues {
  const socket = request.socket;
  const address = `${socket.remoteAddress ?? "unknown"}:${socket.remotePort ?? 0}`;
  return createContextValues().set(PEER, { address, ...certificateOf(socket as TLSSocket) });
}

function certificateOf(socket: TLSSocket): { certificate?: PeerCertificate } {
  if (typeof socket.getPeerCertificate !== "function") return {};
  const presented = socket.getPeerCertificate();
  if (!presented || Object.keys(presented).length === 0) return {};
  const commonName = presented.subject?.CN;
  const error = socket.authorizationError;
  return {
    certificate: {
      commonName: Array.isArray(commonName) ? (commonName[0] ?? "") : (commonName ?? ""),
      subjectAltName: presented.subjectaltname ?? "",
      verified: socket.authorized,
      ...(error ? { verifyError: String(error) } : {}),
    },
  };
}
