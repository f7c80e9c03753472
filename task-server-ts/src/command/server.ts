// A TaskServer whose tasks are the commands of a command task-server file.

import type { Logger } from "pino";
import { TaskServer } from "../task-server.js";
import { type RunCommandOptions, runCommand } from "./run.js";
import type { CommandFile } from "./spec.js";

/** What may be set on a command task-server besides what its file says. */
export interface CommandServerOverrides extends RunCommandOptions {
  /** Cerebro's address, "host:port". Default: `CORDYNA_ADDR` or "localhost:7070". */
  readonly cerebro?: string;
  /** Unique per process. Default: `${name}-${hostname}-${pid}-${random}`. */
  readonly instanceId?: string;
  /** Logger to use. */
  readonly logger?: Logger;
  /** Install SIGTERM/SIGINT handlers (drain, then exit 0) on start. Default true. */
  readonly handleSignals?: boolean;
}

/**
 * Builds the task-server a command task-server file describes: one task per
 * entry, each running its command per attempt. Call `start()` on it.
 */
export function createCommandServer(
  file: CommandFile,
  overrides: CommandServerOverrides = {},
): TaskServer {
  const { baseEnv, ...serverOverrides } = overrides;
  const server = new TaskServer({ ...file.server, ...serverOverrides });
  const runOptions: RunCommandOptions = baseEnv === undefined ? {} : { baseEnv };
  for (const task of file.tasks) {
    server.task(task.options, (ctx) => runCommand(task.command, ctx, runOptions));
  }
  return server;
}
