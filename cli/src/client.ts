// Where cerebro is, and what to tell a person when a call to it fails.

import { Code, ConnectError } from "@connectrpc/connect";
import { TOKEN_ENV } from "@cordyna/contract";

/** Where the CLI looks for cerebro when told nothing else. */
export const DEFAULT_ADDRESS = "localhost:7070";

/** The environment variable naming cerebro's address. */
export const ADDRESS_ENV = "CORDYNA_ADDR";

/** How long a unary call may take before the CLI gives up. */
export const UNARY_TIMEOUT_MS = 15_000;

/**
 * Cerebro's address: the --cerebro flag, else CORDYNA_ADDR, else
 * localhost:7070. Empty values count as unset.
 */
export function resolveAddress(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const fromFlag = flag?.trim();
  if (fromFlag) return fromFlag;
  const fromEnv = env[ADDRESS_ENV]?.trim();
  if (fromEnv) return fromEnv;
  return DEFAULT_ADDRESS;
}

/** A gRPC status code as gRPC spells it: Code.FailedPrecondition → "FAILED_PRECONDITION". */
export function grpcCodeName(code: Code): string {
  const name = Code[code] ?? String(code);
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * A one-line explanation of a failed call: unreachable or refused, with the
 * gRPC code and message. Undefined for errors that are not RPC errors.
 */
export function describeRpcError(err: unknown, address: string): string | undefined {
  if (!(err instanceof ConnectError)) return undefined;
  const transport = describeTransportFailure(err, address);
  if (transport) return transport;
  const status = `${grpcCodeName(err.code)}: ${err.rawMessage}`;
  if (err.code === Code.Unauthenticated) {
    return `cerebro at ${address} does not know who you are (${status}). Pass a token with ${TOKEN_ENV} or a profile's token_file.`;
  }
  if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) {
    return (
      `cannot reach cerebro at ${address} (${status}). ` +
      `Start one with "dyna dev", or point at one with --cerebro host:port or ${ADDRESS_ENV}.`
    );
  }
  return `cerebro at ${address} refused the request: ${status}`;
}

/** Node's codes for a server certificate that failed verification. */
const UNTRUSTED_CERTIFICATE = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

/**
 * Failures of the connection rather than of the call, which the RPC
 * library reports as INTERNAL or CANCELED: a TLS mismatch either way, an
 * untrusted certificate, or an address that is not cerebro's gRPC port.
 */
function describeTransportFailure(err: ConnectError, address: string): string | undefined {
  const cause = (err.cause ?? {}) as { code?: string; message?: string };
  if (cause.code === "CERT_HAS_EXPIRED") {
    return `cannot trust cerebro at ${address}: its TLS certificate has expired. Renew cerebro's certificate.`;
  }
  if (cause.code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return (
      `cannot trust cerebro at ${address}: its TLS certificate does not name this host (${cause.message}). ` +
      "Connect by a name the certificate carries, or add this one to it."
    );
  }
  if (cause.code && UNTRUSTED_CERTIFICATE.has(cause.code)) {
    return (
      `cannot trust cerebro at ${address}: its TLS certificate failed verification (${cause.message}). ` +
      "Set CORDYNA_TLS_CA (or the profile's tls_ca) to the file of the CA that signed it."
    );
  }
  if (cause.code === "ERR_SSL_WRONG_VERSION_NUMBER") {
    return (
      `cerebro at ${address} does not speak TLS on this port, but this client does: ` +
      "unset CORDYNA_TLS_CA and CORDYNA_TLS (or the profile's tls settings), or point at a port that serves TLS."
    );
  }
  if (cause.code === "ERR_HTTP2_ERROR") {
    return (
      `${address} does not answer as cerebro's gRPC port (${cause.message}): it may be ` +
      "cerebro's HTTP/JSON port or another program. Point --cerebro or CORDYNA_ADDR at the gRPC port."
    );
  }
  if (err.code === Code.Canceled) {
    return (
      `the connection to ${address} closed before cerebro answered (${err.rawMessage}). ` +
      "If cerebro serves TLS there, set CORDYNA_TLS_CA (or CORDYNA_TLS=on)."
    );
  }
  return undefined;
}
