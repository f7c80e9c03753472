import type { IncomingMessage } from "node:http";
import { constants, type Http2ServerRequest } from "node:http2";
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
const RESET = createContextKey<() => void>(() => {});

/** The peer of a call, for handlers and interceptors. */
export function peerOf(context: Pick<HandlerContext, "values">): Peer {
  return context.values.get(PEER);
}

/**
 * Ends a call at once, even while its peer reads nothing: its HTTP/2 stream
 * is reset with ENHANCE_YOUR_CALM, which gRPC clients report as
 * RESOURCE_EXHAUSTED (a status in trailers would wait behind the unread
 * data); an HTTP/1.1 call loses its connection.
 */
export function resetCall(context: Pick<HandlerContext, "values">): void {
  context.values.get(RESET)();
}

/** What handlers learn of a call's request: its peer, and how to reset it. */
export function callValues(request: IncomingMessage | Http2ServerRequest): ContextValues {
  const socket = request.socket;
  const address = `${socket.remoteAddress ?? "unknown"}:${socket.remotePort ?? 0}`;
  const reset =
    "stream" in request
      ? () => {
          request.stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM);
          // Destroyed too, so that the write still waiting on it fails as a
          // hang-up, which the RPC library does not report as its own failure.
          request.stream.destroy();
        }
      : () => socket.destroy();
  return createContextValues()
    .set(PEER, { address, ...certificateOf(socket as TLSSocket) })
    .set(RESET, reset);
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
