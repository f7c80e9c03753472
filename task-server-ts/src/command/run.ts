// Runs one attempt of a command task: spawns the command in its own process
// group, logs its output line by line, and on abort ends the whole group.

import { type ChildProcess, spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { LogStream } from "@cordyna/contract";
import { OUTPUT_STREAM } from "../attempt-logger.js";
import { COMMAND_END, type CommandEnd } from "../command-end.js";
import { NonRetryableError } from "../errors.js";
import { settlesWithin } from "../settles-within.js";
import type { TaskContext, TaskOutputs } from "../types.js";
import { buildInvocation, type Invocation } from "./invocation.js";
import { OutputLog, tailOf } from "./output.js";
import { groupAlive, signalGroup, waitForGroupExit } from "./process-group.js";
import type { CommandSpec } from "./spec.js";

/** Lines and characters of stderr that make the description of a failure. */
export const FAILURE_TAIL = { lines: 20, chars: 4_096 } as const;
/** Lines and characters of stdout kept as the `stdout_tail` output. */
export const STDOUT_TAIL = { lines: 20, chars: 4_096 } as const;
/**
 * Lines and characters of stdout and stderr together kept as the attempt's
 * output tail: at most 8 KiB in UTF-8, as a UTF-16 unit takes at most 3 bytes.
 */
export const OUTPUT_TAIL = { lines: 40, chars: 2_730 } as const;
/** How long output is still read after the command exited, for what is left in the pipes. */
const STDIO_CLOSE_MS = 1_000;
/** How long to wait for the group to vanish after SIGKILL. */
const AFTER_KILL_MS = 1_000;

/** The command ended with a non-zero exit code or was killed by a signal. */
export class CommandFailedError extends Error {
  /** The exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended it, if any. */
  readonly signal: NodeJS.Signals | null;
  readonly [COMMAND_END]: CommandEnd;

  constructor(
    message: string,
    exitCode: number | null,
    signal: NodeJS.Signals | null,
    outputTail = "",
  ) {
    super(message);
    this.name = "CommandFailedError";
    this.exitCode = exitCode;
    this.signal = signal;
    this[COMMAND_END] = { exitCode: exitCode ?? undefined, outputTail };
  }
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** The environment the command's own is built on. Default: this process's. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

type Ended =
  | { readonly error: NodeJS.ErrnoException }
  | { readonly code: number | null; readonly signal: NodeJS.Signals | null };

/**
 * Runs one attempt of `spec` as a task handler: resolves with the outputs
 * `exit_code`, `duration_ms` and `stdout_tail` when the command exits 0;
 * rejects with a {@link CommandFailedError} whose message is the end of
 * stderr (or "exited with code N") otherwise. A missing param, working
 * directory or executable is a NonRetryableError. stdout and stderr go to
 * `ctx.logger` line by line. When `ctx.signal` aborts (cancel, deadline,
 * shutdown), the command's whole process group gets SIGTERM, and SIGKILL
 * after the task's grace.
 */
export async function runCommand(
  spec: CommandSpec,
  ctx: TaskContext,
  options: RunCommandOptions = {},
): Promise<TaskOutputs> {
  const invocation = buildInvocation(spec, ctx, options.baseEnv);
  await checkDirectory(invocation.cwd);
  ctx.signal.throwIfAborted();
  const { logger } = ctx;
  for (const warning of invocation.warnings) logger.warn(warning);
  const outputLine = (stream: "stdout" | "stderr", marked: LogStream) => (line: string) =>
    logger.info({ stream, [OUTPUT_STREAM]: marked }, line);
  const stdout = new OutputLog(spec.keepBytes, outputLine("stdout", LogStream.STDOUT));
  const stderr = new OutputLog(spec.keepBytes, outputLine("stderr", LogStream.STDERR));
  // Both streams in the order they came, for the attempt's output tail.
  const output = new OutputLog(spec.keepBytes, () => {});
  const startedAt = Date.now();

  let child: ChildProcess;
  try {
    child = spawn(invocation.file, [...invocation.args], {
      cwd: invocation.cwd,
      env: { ...invocation.env },
      // The command leads its own process group, so that the whole group
      // (everything it starts) can be signalled at once.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    throw new NonRetryableError(`cannot start ${invocation.file}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const ended = new Promise<Ended>((resolve) => {
    child.on("error", (error: NodeJS.ErrnoException) => resolve({ error }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout.write(chunk);
    output.write(chunk);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr.write(chunk);
    output.write(chunk);
  });

  const pid = child.pid;
  let abortedAt: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    if (pid === undefined || abortedAt !== undefined) return;
    abortedAt = Date.now();
    logger.info(
      { pgid: pid, killGraceMs: spec.killGraceMs, reason: messageOf(ctx.signal.reason) },
      "attempt aborted: SIGTERM to the command's process group",
    );
    signalGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => {
      if (signalGroup(pid, "SIGKILL")) {
        logger.warn({ pgid: pid }, "process group still running after the grace: SIGKILL");
      }
    }, spec.killGraceMs);
  };
  if (pid !== undefined) {
    logger.info(
      { pid, program: invocation.file, args: invocation.args, cwd: invocation.cwd },
      "command started",
    );
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    if (ctx.signal.aborted) onAbort();
  }

  try {
    const end = await ended;
    if ("error" in end) throw startError(end.error, invocation);
    if (!(await settlesWithin(closed, STDIO_CLOSE_MS))) {
      // Something the command left running still holds its stdout or stderr.
      logger.warn(
        { pgid: pid },
        "the command exited but a process it started keeps its output open; no longer reading it",
      );
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    stdout.end();
    stderr.end();
    const durationMs = Date.now() - startedAt;
    const outputTail = tailOf(
      output.text(),
      OUTPUT_TAIL.lines,
      OUTPUT_TAIL.chars,
      output.totalBytes > spec.keepBytes,
    );

    if (ctx.signal.aborted && pid !== undefined) {
      onAbort();
      await finishGroup(pid, (abortedAt ?? Date.now()) + spec.killGraceMs, () => {
        clearTimeout(killTimer);
        logger.warn({ pgid: pid }, "process group still running after the grace: SIGKILL");
      });
      throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("attempt aborted");
    }

    const { code, signal } = end;
    if (pid !== undefined && (await groupAlive(pid))) {
      logger.warn({ pgid: pid }, "the command exited and left processes running in its group");
    }
    if (code === 0) {
      logger.info({ exitCode: 0, durationMs }, "command exited with code 0");
      const outputs: TaskOutputs & { [COMMAND_END]?: CommandEnd } = {
        exit_code: "0",
        duration_ms: String(durationMs),
        stdout_tail: tailOf(
          stdout.text(),
          STDOUT_TAIL.lines,
          STDOUT_TAIL.chars,
          stdout.totalBytes > spec.keepBytes,
        ),
      };
      // Not an output: how the command ended, for the attempt's record.
      Object.defineProperty(outputs, COMMAND_END, { value: { exitCode: 0, outputTail } });
      return outputs;
    }
    const status = code === null ? `killed by signal ${signal}` : `exited with code ${code}`;
    logger.warn({ exitCode: code, signal, durationMs }, `command ${status}`);
    const tail = tailOf(
      stderr.text(),
      FAILURE_TAIL.lines,
      FAILURE_TAIL.chars,
      stderr.totalBytes > spec.keepBytes,
    );
    throw new CommandFailedError(tail || status, code, signal, outputTail);
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    clearTimeout(killTimer);
  }
}

/** After an abort: waits for the group until `deadline`, then SIGKILLs what is left. */
async function finishGroup(pgid: number, deadline: number, onKill: () => void): Promise<void> {
  if (await waitForGroupExit(pgid, Math.max(0, deadline - Date.now()))) return;
  onKill();
  signalGroup(pgid, "SIGKILL");
  await waitForGroupExit(pgid, AFTER_KILL_MS);
}

async function checkDirectory(cwd: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(cwd)).isDirectory();
  } catch (error) {
    throw new NonRetryableError(`working directory ${cwd} does not exist`, { cause: error });
  }
  if (!isDirectory) throw new NonRetryableError(`working directory ${cwd} is not a directory`);
}

function startError(error: NodeJS.ErrnoException, invocation: Invocation): Error {
  const program = invocation.file;
  const where = isAbsolute(program)
    ? ""
    : program.includes("/")
      ? ` (relative to ${invocation.cwd})`
      : " on the PATH";
  if (error.code === "ENOENT") {
    return new NonRetryableError(`executable ${JSON.stringify(program)} not found${where}`, {
      cause: error,
    });
  }
  if (error.code === "EACCES") {
    return new NonRetryableError(
      `executable ${JSON.stringify(program)} may not be run (permission denied; is it executable?)`,
      { cause: error },
    );
  }
  return new Error(`could not start ${JSON.stringify(program)}: ${error.message}`, {
    cause: error,
  });
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
