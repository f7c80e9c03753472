// Where cerebro is, and a ControlService client to talk to it.

import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ControlService } from "@cordyna/contract";

/** Where the CLI looks for cerebro when told nothing else. */
export const DEFAULT_ADDRESS = "localhost:7070";

/** The environment variable naming cerebro's address. */
export const ADDRESS_ENV = "CORDYNA_ADDR";

/** How long a unary call may take before the CLI gives up. */
export const UNARY_TIMEOUT_MS = 15_000;

/** A connect-es client of cerebro's ControlService. */
export type ControlClient = Client<typeof ControlService>;

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

/** The base URL for an address: "host:port" → "http://host:port"; URLs pass through. */
export function baseUrlFor(address: string): string {
  return /^https?:\/\//.test(address) ? address : `http://${address}`;
}

/** A ControlService client over the gRPC protocol, which is what cerebro serves. */
export function createControlClient(address: string): ControlClient {
  return createClient(ControlService, createGrpcTransport({ baseUrl: baseUrlFor(address) }));
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
  const status = `${grpcCodeName(err.code)}: ${err.rawMessage}`;
  if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) {
    return (
      `cannot reach cerebro at ${address} (${status}). ` +
      `Start one with "dyna dev", or point at one with --cerebro host:port or ${ADDRESS_ENV}.`
    );
  }
  return `cerebro at ${address} refused the request: ${status}`;
}
