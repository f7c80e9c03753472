import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandEndOf } from "../command-end.js";
import { AttemptAbortedError, NonRetryableError } from "../errors.js";
import { isProcessAlive } from "../testing/processes.js";
import type { TaskContext } from "../types.js";
import { CommandFailedError, runCommand } from "./run.js";
import type { CommandExec, CommandSpec } from "./spec.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cordyna-run-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface LogLine {
  readonly msg: string;
  readonly stream?: string;
  readonly level: number;
}

function context(params: Record<string, string> = {}) {
  const lines: LogLine[] = [];
  const controller = new AbortController();
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  const ctx: TaskContext = {
    taskId: "t.cmd",
    runId: "run-1",
    taskRunId: "tr-1",
    attemptId: "at-1",
    attemptNumber: 1,
    mode: "normal",
    upstream: {},
    params,
    traceContext: {},
    logicalTime: undefined,
    signal: controller.signal,
    logger,
    heartbeat: () => {},
    progress: () => {},
  };
  const output = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.msg);
  return { ctx, controller, lines, output };
}

function spec(exec: CommandExec, overrides: Partial<CommandSpec> = {}): CommandSpec {
  return {
    taskId: "t.cmd",
    exec,
    cwd: dir,
    env: {},
    keepBytes: 65_536,
    killGraceMs: 5_000,
    ...overrides,
  };
}

const sh = (script: string) => spec({ kind: "shell", script });

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until `file` holds a pid, and returns it. */
async function pidIn(file: string): Promise<number> {
  await waitFor(
    `a pid in ${file}`,
    () => existsSync(file) && /\d+\n/.test(readFileSync(file, "utf8")),
  );
  return Number((await readFile(file, "utf8")).trim());
}

describe("runCommand", () => {
  it("completes on exit 0 with the exit code, duration and end of stdout; logs every line", async () => {
    const { ctx, output } = context({ day: "2026-06-01" });
    const outputs = await runCommand(
      spec(
        {
          kind: "argv",
          argv: [
            process.execPath,
            "-e",
            "console.log('day', process.argv[1], process.env.CORDYNA_PARAM_DAY, process.env.CORDYNA_ATTEMPT_ID);" +
              "console.error('warming up'); console.log(process.cwd(), process.env.MODE)",
            "{{day}}",
          ],
        },
        { env: { MODE: "fast" } },
      ),
      ctx,
    );
    expect(outputs).toEqual({
      exit_code: "0",
      duration_ms: expect.stringMatching(/^\d+$/),
      stdout_tail: `day 2026-06-01 2026-06-01 at-1\n${dir} fast`,
    });
    expect(output("stdout")).toEqual(["day 2026-06-01 2026-06-01 at-1", `${dir} fast`]);
    expect(output("stderr")).toEqual(["warming up"]);
    expect(commandEndOf(outputs)?.exitCode).toBe(0);
  });

  it("fails with the end of stderr as the message, retryable", async () => {
    const { ctx } = context();
    const run = runCommand(
      sh('echo some output; for i in $(seq 1 30); do echo "problem $i" >&2; done; exit 3'),
      ctx,
    );
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    const lines = Array.from({ length: 20 }, (_, i) => `problem ${i + 11}`);
    expect((error as CommandFailedError).message).toBe(`…\n${lines.join("\n")}`);
    expect((error as CommandFailedError).exitCode).toBe(3);
    // The attempt's record gets the exit code and the end of both streams, in order.
    expect(commandEndOf(error)).toEqual({
      exitCode: 3,
      outputTail: `some output\n${Array.from({ length: 30 }, (_, i) => `problem ${i + 1}`).join("\n")}`,
    });
  });

  it("says which code or signal ended it when stderr is empty", async () => {
    await expect(runCommand(sh("echo only stdout; exit 4"), context().ctx)).rejects.toThrow(
      /^exited with code 4$/,
    );
    await expect(runCommand(sh("kill -9 $$"), context().ctx)).rejects.toThrow(
      /^killed by signal SIGKILL$/,
    );
  });

  it("fails for good when the executable is missing, naming it", async () => {
    const missing = runCommand(
      spec({ kind: "argv", argv: ["no-such-program-cordyna"] }),
      context().ctx,
    );
    await expect(missing).rejects.toBeInstanceOf(NonRetryableError);
    await expect(missing).rejects.toThrow(
      'executable "no-such-program-cordyna" not found on the PATH',
    );
    await expect(
      runCommand(spec({ kind: "argv", argv: ["./bin/missing", "x"] }), context().ctx),
    ).rejects.toThrow(`executable "./bin/missing" not found (relative to ${dir})`);
  });

  it("fails for good when the working directory or a param is missing", async () => {
    const cwd = join(dir, "nope");
    await expect(
      runCommand(spec({ kind: "shell", script: "true" }, { cwd }), context().ctx),
    ).rejects.toThrow(new NonRetryableError(`working directory ${cwd} does not exist`));
    const noParam = runCommand(spec({ kind: "argv", argv: ["echo", "{{day}}"] }), context().ctx);
    await expect(noParam).rejects.toBeInstanceOf(NonRetryableError);
    await expect(noParam).rejects.toThrow('missing param "day"');
  });

  it("runs nothing when the attempt is aborted before it starts", async () => {
    const marker = join(dir, "never-created");
    const { ctx, controller } = context();
    controller.abort(new AttemptAbortedError("cancelled"));
    await expect(runCommand(sh(`touch ${marker}`), ctx)).rejects.toThrow("cancelled");
    expect(existsSync(marker)).toBe(false);
  });

  it("on abort, ends the whole process group: the command and what it started", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const { ctx, controller, lines } = context();
    const run = runCommand(sh(`sleep 30 & echo $! > ${pidFile}; echo started; wait`), ctx);
    const grandchild = await pidIn(pidFile);
    expect(isProcessAlive(grandchild)).toBe(true);
    const abortedAt = Date.now();
    controller.abort(new AttemptAbortedError("cancelled by cerebro"));
    await expect(run).rejects.toThrow("cancelled by cerebro");
    // SIGTERM was enough: no wait for the grace.
    expect(Date.now() - abortedAt).toBeLessThan(4_000);
    expect(isProcessAlive(grandchild)).toBe(false);
    expect(lines.map((l) => l.msg)).toContain(
      "attempt aborted: SIGTERM to the command's process group",
    );
  });

  it("SIGKILLs the group when it outlives the grace after SIGTERM", async () => {
    const pidFile = join(dir, "stubborn.pid");
    const { ctx, controller, lines } = context();
    const run = runCommand(
      spec(
        { kind: "shell", script: `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait` },
        { killGraceMs: 300 },
      ),
      ctx,
    );
    const grandchild = await pidIn(pidFile);
    const abortedAt = Date.now();
    controller.abort(new AttemptAbortedError("deadline"));
    await expect(run).rejects.toThrow("deadline");
    expect(Date.now() - abortedAt).toBeGreaterThanOrEqual(290);
    expect(isProcessAlive(grandchild)).toBe(false);
    expect(lines.map((l) => l.msg)).toContain(
      "process group still running after the grace: SIGKILL",
    );
  });

  it("does not wait for a background process that keeps the output open", async () => {
    const { ctx } = context();
    const outputs = await runCommand(sh("sleep 30 & echo $!; echo done"), ctx);
    const leftover = Number(outputs.stdout_tail?.split("\n")[0]);
    try {
      expect(outputs.stdout_tail?.split("\n")[1]).toBe("done");
    } finally {
      process.kill(leftover, "SIGKILL");
    }
  });
});
