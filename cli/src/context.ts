// What a dyna command works with: output, environment, clock and the client factory.

import { createClient, type Transport } from "@connectrpc/connect";
import {
  type AccessClient,
  AccessService,
  type ClientCredentials,
  type ControlClient,
  ControlService,
  cerebroTransport,
  clientTlsFromEnv,
  tokenFromEnv,
} from "@cordyna/contract";
import type { Profile } from "./profiles.js";
import { type Style, shouldColor } from "./render.js";

/** Exit code: the command did what was asked (for `run`: the run SUCCEEDED). */
export const EXIT_OK = 0;
/** Exit code: the run failed or was cancelled, or the command itself failed. */
export const EXIT_FAILED = 1;
/** Exit code: dyna was called wrongly. */
export const EXIT_USAGE = 2;
/** Exit code: cerebro was unreachable or refused the request. */
export const EXIT_UNREACHABLE = 3;

/** A failure the command has explained in full: dyna prints the message and exits with the code. */
export class ExplainedError extends Error {
  override name = "ExplainedError";
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Where a command writes. Each call is one or more whole lines. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal. */
  readonly isTTY: boolean;
  /** The terminal's width in columns, when stdout is one. */
  readonly columns?: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of stdin, for a command given "-" as a file; absent where there is none. */
  readStdin?(): Promise<string>;
}

/** Everything a command needs from the outside world. */
export interface CliContext {
  /** The environment in io has the profile's settings merged in. */
  readonly io: CliIo;
  readonly style: Style;
  /** The profile in use, if any. */
  readonly profile?: Profile;
  /** A transport to an address, with the credentials of the environment (and profile). */
  transport(address: string): Transport;
  /** A ControlService client for an address. */
  connect(address: string): ControlClient;
  /** An AccessService client for an address. */
  connectAccess(address: string): AccessClient;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves when the process is asked to stop (SIGINT or SIGTERM). */
  waitForShutdown(): Promise<string>;
}

/** The parts of a context a caller may replace (tests do). */
export type CliOverrides = Partial<Omit<CliContext, "style" | "profile">>;

/** Output to the process's stdout and stderr. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    isTTY: process.stdout.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

/**
 * Resolves on the first SIGINT or SIGTERM; a second one exits at once, for
 * when a clean stop hangs.
 */
export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      const force = (): never => process.exit(130);
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** A context on the real process, with any parts replaced. */
export function createContext(overrides: CliOverrides = {}, profile?: Profile): CliContext {
  const io = overrides.io ?? processIo();
  const transport =
    overrides.transport ??
    ((address: string) => cerebroTransport(address, credentialsFromEnv(io.env)));
  return {
    io,
    style: { color: shouldColor(io.isTTY, io.env) },
    ...(profile === undefined ? {} : { profile }),
    transport,
    connect: overrides.connect ?? ((address) => createClient(ControlService, transport(address))),
    connectAccess:
      overrides.connectAccess ?? ((address) => createClient(AccessService, transport(address))),
    now: overrides.now ?? Date.now,
    waitForShutdown: overrides.waitForShutdown ?? waitForSignal,
  };
}

/** TLS and the bearer token from CORDYNA_TLS_* and CORDYNA_TOKEN. */
export function credentialsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): ClientCredentials {
  const tls = clientTlsFromEnv(env);
  const token = tokenFromEnv(env);
  return { ...(tls ? { tls } : {}), ...(token ? { token } : {}) };
}
