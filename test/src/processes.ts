import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { createClient } from "@connectrpc/connect";
import {
  type ClientTls,
  type ControlService,
  createControlClient,
  type Run,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { freePort } from "../../cerebro/src/testing/index.js";

export { freePort };

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type ControlClient = ReturnType<typeof createClient<typeof ControlService>>;

/** A child process with its captured output, for readable failures. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Resolves with the child's exit code once it has exited. */
export function exitCode(child: Child): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null) resolve(child.process.exitCode);
    else child.process.once("exit", (code) => resolve(code));
  });
}

/** Starts a TypeScript entry point of this repository as a child process. */
export function spawnTs(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Child {
  return spawnProgram(name, [process.execPath, "--import", "tsx", file, ...args], env);
}

/** Starts any program (its path, then its arguments), from the repository root unless told. */
export function spawnProgram(
  name: string,
  command: readonly string[],
  env: Record<string, string> = {},
  cwd: string = ROOT,
): Child {
  const [program, ...args] = command;
  if (!program) throw new Error(`no program to start for ${name}`);
  const child = spawn(program, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
  });
  return {
    name,
    process: child,
    output: () => chunks.join(""),
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

/**
 * Runs a command to its end, from the repository root unless told, and
 * resolves with its stdout; rejects with all it wrote when it fails.
 */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`${[command, ...args].join(" ")} ended with ${code ?? signal}:\n${output}`),
        );
    });
  });
}

/**
 * Starts cerebro as a child process and waits until it answers: `dyna dev` on
 * a free port by default, or another entry point (e.g. the service's
 * cerebro/src/main.ts, configured by `env`) on a given port. With `tls`, the
 * control client speaks TLS, for a cerebro given CORDYNA_TLS_CERT and _KEY.
 */
export async function startCerebroProcess(
  env: Record<string, string> = {},
  options: { entry?: string; port?: number; tls?: ClientTls; token?: string } = {},
): Promise<{ child: Child; address: string; control: ControlClient }> {
  const port = options.port ?? (await freePort());
  const args = options.entry
    ? []
    : ["dev", "--port", String(port), "--http-port", "0", "--host", "127.0.0.1"];
  const child = spawnTs("cerebro", options.entry ?? "cli/src/bin.ts", args, env);
  const address = `127.0.0.1:${port}`;
  const control = createControlClient(address, {
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.token ? { token: options.token } : {}),
  });
  await waitUntil(`cerebro answering on ${address}`, async () => {
    if (child.process.exitCode !== null) throw new Error(`cerebro exited:\n${child.output()}`);
    await control.listServers({}, { timeoutMs: 1_000 });
    return true;
  });
  return { child, address, control };
}

/**
 * Starts cerebro as the service runs in production (cerebro/src/main.ts) on
 * loopback at `port`, on the given store, with its HTTP gateway off.
 */
export function startCerebroService(
  port: number,
  store: string,
  env: Record<string, string> = {},
): Promise<{ child: Child; address: string; control: ControlClient }> {
  return startCerebroProcess(
    {
      CORDYNA_PORT: String(port),
      CORDYNA_HTTP_PORT: "off",
      CORDYNA_HOST: "127.0.0.1",
      CORDYNA_STORE: store,
      // Authentication has tests of its own; these are about other things.
      CORDYNA_AUTH: "off",
      LOG_LEVEL: "warn",
      ...env,
    },
    { entry: "cerebro/src/main.ts", port },
  );
}

/**
 * Waits until the run has finished and returns it; on a timeout, says where
 * each of its task-runs still stood.
 */
export async function finishedRun(
  control: ControlClient,
  runId: string,
  timeoutMs?: number,
): Promise<Run> {
  let run: Run | undefined;
  try {
    await waitUntil(
      `run ${runId} to finish`,
      async () => {
        run = (await control.getRun({ runId })).run;
        return run !== undefined && run.state !== RunState.RUNNING;
      },
      timeoutMs,
    );
  } catch (error) {
    const standing = (run?.taskRuns ?? [])
      .map(
        (taskRun) =>
          `${taskRun.taskId} ${TaskState[taskRun.state]} (${taskRun.attempts.length} attempts)`,
      )
      .join(", ");
    throw new Error(
      `${String(error instanceof Error ? error.message : error)}; its task-runs: ${standing || "none read"}`,
    );
  }
  if (!run) throw new Error(`no run ${runId}`);
  return run;
}

/** Waits until every named server has a connected instance. */
export async function waitForServers(
  control: ControlClient,
  names: readonly string[],
): Promise<void> {
  await waitUntil(`servers ${names.join(", ")} connected`, async () => {
    const { servers } = await control.listServers({});
    return names.every((name) => servers.some((s) => s.name === name && s.instances.length > 0));
  });
}

/**
 * Polls `check` until it returns true; a check that throws counts as "not
 * yet" until the deadline, then its last error is reported.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
