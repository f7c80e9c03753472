// From a task's command and one attempt to what is spawned: the program,
// its arguments, working directory and environment.

import { NonRetryableError } from "../errors.js";
import type { TaskContext } from "../types.js";
import { type CommandSpec, PARAM_ENV_PREFIX, RESERVED_ENV, UPSTREAM_ENV_PREFIX } from "./spec.js";

/** What an invocation needs to know about the attempt. */
export type AttemptInfo = Pick<
  TaskContext,
  | "taskId"
  | "runId"
  | "taskRunId"
  | "attemptId"
  | "attemptNumber"
  | "mode"
  | "params"
  | "logicalTime"
  | "upstream"
>;

/** What to spawn for one attempt. */
export interface Invocation {
  /** The program: argv[0], or /bin/sh for a shell command. */
  readonly file: string;
  /** Its arguments (without the program). */
  readonly args: readonly string[];
  /** Absolute working directory. */
  readonly cwd: string;
  /** The whole environment of the process. */
  readonly env: Readonly<Record<string, string>>;
  /** Upstream outputs not in the environment, and why: a name taken, or outputs left out. */
  readonly warnings: readonly string[];
}

/** The shell that runs `shell:` commands. */
export const SHELL = "/bin/sh";

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/**
 * The environment variable carrying a param: `CORDYNA_PARAM_` and the name
 * upper-cased, with every character but A-Z and 0-9 replaced by "_"
 * ("day" → CORDYNA_PARAM_DAY, "report-date" → CORDYNA_PARAM_REPORT_DATE).
 */
export function paramEnvName(name: string): string {
  return `${PARAM_ENV_PREFIX}${envWord(name)}`;
}

/**
 * The environment variable carrying an upstream task's output:
 * `CORDYNA_UPSTREAM_`, the task id, "_" and the output's key, both written as
 * {@link paramEnvName} writes a name ("a.fetch-rates", "rows" →
 * CORDYNA_UPSTREAM_A_FETCH_RATES_ROWS).
 */
export function upstreamEnvName(taskId: string, key: string): string {
  return `${UPSTREAM_ENV_PREFIX}${envWord(taskId)}_${envWord(key)}`;
}

function envWord(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** Quotes a value as one word for /bin/sh. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Replaces every `{{name}}` in `text` with the param's value (passed through
 * `quote` when given). Names of missing params are added to `missing`.
 */
export function substitute(
  text: string,
  params: Readonly<Record<string, string>>,
  missing: Set<string>,
  quote: (value: string) => string = (value) => value,
): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    return quote(value);
  });
}

/**
 * Builds what to spawn for one attempt: placeholders substituted in the
 * command (quoted as one word in a shell script) and in the task's `env`
 * values; the environment is `baseEnv`, then the task's `env`, then the
 * attempt's ids, its params and its upstream tasks' outputs as CORDYNA_*
 * variables. Of two outputs whose names come out the same, the first (in
 * the order of the task's upstream, then by key) is kept and the other named
 * in `warnings`.
 *
 * @throws NonRetryableError naming every param a placeholder needs but the run did not pass.
 */
export function buildInvocation(
  spec: CommandSpec,
  attempt: AttemptInfo,
  baseEnv: Readonly<Record<string, string | undefined>> = process.env,
): Invocation {
  const missing = new Set<string>();
  const params = attempt.params;
  let file: string;
  let args: string[];
  if (spec.exec.kind === "argv") {
    const [program, ...rest] = spec.exec.argv.map((arg) => substitute(arg, params, missing));
    file = program ?? "";
    args = rest;
  } else {
    file = SHELL;
    // The task id becomes $0, so that the shell's own messages name the task.
    args = ["-c", substitute(spec.exec.script, params, missing, shellQuote), spec.taskId];
  }
  const taskEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) {
    taskEnv[name] = substitute(value, params, missing);
  }
  if (missing.size > 0) {
    const names = [...missing].map((name) => JSON.stringify(name)).join(", ");
    const flags = [...missing].map((name) => `--param ${name}=…`).join(" ");
    throw new NonRetryableError(
      `missing param${missing.size > 1 ? "s" : ""} ${names} used by the command of ${spec.taskId}; start the run with ${flags}`,
    );
  }

  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(baseEnv)) {
    if (value === undefined) continue;
    // Values meant for another attempt (e.g. when dyna serve itself runs as a task) never leak in.
    if (
      name.startsWith(PARAM_ENV_PREFIX) ||
      name.startsWith(UPSTREAM_ENV_PREFIX) ||
      (RESERVED_ENV as readonly string[]).includes(name)
    ) {
      continue;
    }
    env[name] = value;
  }
  Object.assign(env, taskEnv);
  env.CORDYNA_TASK_ID = attempt.taskId;
  env.CORDYNA_RUN_ID = attempt.runId;
  env.CORDYNA_TASK_RUN_ID = attempt.taskRunId;
  env.CORDYNA_ATTEMPT_ID = attempt.attemptId;
  env.CORDYNA_ATTEMPT_NUMBER = String(attempt.attemptNumber);
  env.CORDYNA_MODE = attempt.mode;
  if (attempt.logicalTime !== undefined) {
    env.CORDYNA_LOGICAL_TIME = attempt.logicalTime.toISOString();
  }
  for (const name of Object.keys(params).sort()) {
    env[paramEnvName(name)] = params[name] ?? "";
  }
  const warnings = addUpstreamOutputs(env, attempt.upstream);
  return { file, args, cwd: spec.cwd, env, warnings };
}

/** Sets each upstream output's variable; returns what it had to leave out. */
function addUpstreamOutputs(
  env: Record<string, string>,
  upstream: AttemptInfo["upstream"],
): string[] {
  const warnings: string[] = [];
  const setBy = new Map<string, string>();
  for (const [taskId, result] of Object.entries(upstream)) {
    if (result.omitted) {
      warnings.push(
        `the outputs of ${taskId} did not fit in the invoke and are not in the environment`,
      );
      continue;
    }
    for (const key of Object.keys(result.outputs).sort()) {
      const name = upstreamEnvName(taskId, key);
      const taken = setBy.get(name);
      if (taken !== undefined) {
        warnings.push(
          `${name} holds ${taken}; output ${key} of ${taskId} is not in the environment`,
        );
        continue;
      }
      setBy.set(name, `output ${key} of ${taskId}`);
      env[name] = result.outputs[key] ?? "";
    }
  }
  return warnings;
}
