// Fakes for testing the CLI without a terminal or a cerebro.

import type { ControlClient } from "./client.js";
import type { CliIo, CliOverrides } from "./context.js";

/** A CliIo that records what was printed. */
export interface RecordingIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
}

/** An io that records output; not a terminal, so no colour. */
export function recordingIo(env: Record<string, string | undefined> = {}): RecordingIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    isTTY: false,
    env,
  };
}

/**
 * Overrides for runCli: recorded output, a fixed clock, and a client factory
 * that records the addresses it was asked for and returns `client`.
 */
export function fakeCli(
  client: Partial<ControlClient> = {},
  env: Record<string, string | undefined> = {},
): { io: RecordingIo; addresses: string[]; overrides: CliOverrides } {
  const io = recordingIo(env);
  const addresses: string[] = [];
  return {
    io,
    addresses,
    overrides: {
      io,
      now: () => 0,
      pollIntervalMs: 60_000,
      connect: (address) => {
        addresses.push(address);
        return client as ControlClient;
      },
      waitForShutdown: () => Promise.resolve("SIGTERM"),
    },
  };
}

/** Resolves once the signal is aborted. */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
