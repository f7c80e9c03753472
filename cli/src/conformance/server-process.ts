// The task-server under test, as a child process of the kit.

import { type ChildProcess, spawn } from "node:child_process";
import type { Conditions } from "./kit-server.js";

/** How much of the process's output is kept, for failure reports. */
const OUTPUT_KEPT = 8_000;

/** How the process ended. */
export interface ProcessExit {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** The implementation under test, started with CORDYNA_ADDR pointing at the kit. */
export class ServerProcess {
  /** Set once it exited. */
  exit: ProcessExit | undefined;
  /** Set when it could not be started at all. */
  spawnError: Error | undefined;
  readonly #child: ChildProcess;
  readonly #conditions: Conditions;
  #output = "";

  constructor(
    command: readonly string[],
    /** `env` is its whole environment: nothing else is inherited. */
    options: { env: Readonly<Record<string, string | undefined>>; cwd: string | undefined },
    conditions: Conditions,
  ) {
    const [file, ...args] = command;
    if (file === undefined) throw new Error("no command to start the task-server");
    this.#conditions = conditions;
    this.#child = spawn(file, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    this.#child.stdout?.on("data", keep);
    this.#child.stderr?.on("data", keep);
    this.#child.on("error", (error) => {
      this.spawnError ??= error;
      conditions.notify();
    });
    this.#child.on("exit", (code, signal) => {
      this.exit = { code, signal, at: Date.now() };
      conditions.notify();
    });
  }

  /** True once it exited or could not start. */
  get gone(): boolean {
    return this.exit !== undefined || this.spawnError !== undefined;
  }

  /** The last part of what it wrote to stdout and stderr. */
  output(): string {
    return this.#output;
  }

  /** Sends a signal; false when the process is gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.gone) return false;
    return this.#child.kill(signal);
  }

  /** Says how it ended, e.g. "exited with code 1" or "was killed by SIGKILL". */
  describeExit(): string {
    if (this.spawnError) return `could not be started: ${this.spawnError.message}`;
    const exit = this.exit;
    if (!exit) return "is still running";
    return exit.code === null
      ? `was killed by ${exit.signal ?? "a signal"}`
      : `exited with code ${exit.code}`;
  }

  /** Makes sure it is gone: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.gone) return;
    this.signal("SIGTERM");
    const exited = await this.#conditions.until(() => (this.gone ? true : undefined), graceMs);
    if (exited) return;
    this.signal("SIGKILL");
    await this.#conditions.until(() => (this.gone ? true : undefined), graceMs);
  }
}
