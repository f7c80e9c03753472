// The YAML file of a command task-server: parsed and checked into the
// server's options and one declaration per task, whose work is a command.

import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { type DurationInput, parseDuration } from "@cordyna/contract";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { isValidTaskId, toTaskDeclaration } from "../declaration.js";
import { TaskOptionsError } from "../errors.js";
import type {
  DeadlineOptions,
  DependencyOption,
  OwnerOptions,
  RetryCause,
  RetryOptions,
  ScheduleOptions,
  TaskOptions,
  TriggerOptions,
} from "../types.js";

/** How much of each output stream an attempt keeps in memory, unless the task says otherwise. */
export const DEFAULT_KEEP_BYTES = 65_536;
/** The most a task may ask to keep per stream. */
export const MAX_KEEP_BYTES = 64 * 1024 * 1024;
/** How long a cancelled command gets between SIGTERM and SIGKILL, unless the task says otherwise. */
export const DEFAULT_KILL_GRACE_MS = 5_000;

/** What a task runs: an argument vector (no shell) or a script for `/bin/sh -c`. */
export type CommandExec =
  | { readonly kind: "argv"; readonly argv: readonly [string, ...string[]] }
  | { readonly kind: "shell"; readonly script: string };

/** How one task's command is run. */
export interface CommandSpec {
  /** The task this command belongs to. */
  readonly taskId: string;
  /** The command; `{{param}}` placeholders are substituted per attempt. */
  readonly exec: CommandExec;
  /** Absolute working directory. */
  readonly cwd: string;
  /** Extra environment variables; values may hold `{{param}}` placeholders. */
  readonly env: Readonly<Record<string, string>>;
  /** Bytes of stdout and of stderr kept in memory per attempt. */
  readonly keepBytes: number;
  /** Milliseconds between SIGTERM and SIGKILL when the attempt is aborted. */
  readonly killGraceMs: number;
}

/** One task of the file: its declaration and its command. */
export interface CommandTaskDeclaration {
  /** The declaration, as given to `server.task(options, handler)`. */
  readonly options: TaskOptions;
  /** What an attempt runs. */
  readonly command: CommandSpec;
}

/** The `server:` block of the file. */
export interface CommandServerOptions {
  readonly name: string;
  readonly team: string;
  readonly contact: string;
  readonly concurrency?: number;
  readonly drainTimeoutMs?: number;
}

/** A checked command task-server file. */
export interface CommandFile {
  /** The file as named by the caller. */
  readonly file: string;
  readonly server: CommandServerOptions;
  readonly tasks: readonly CommandTaskDeclaration[];
}

/** One problem found in a command task-server file. */
export interface CommandFileIssue {
  /** The file as named by the caller. */
  readonly file: string;
  /** 1-based line of the offending entry, when known. */
  readonly line: number | undefined;
  /** The task concerned (its id, or `tasks[i]` when it has no valid id); undefined for the rest. */
  readonly task: string | undefined;
  /** The offending field, e.g. "deadlines.complete" within a task, "server.concurrency" outside. */
  readonly field: string;
  /** What is wrong with it. */
  readonly problem: string;
  /** The whole issue on one line: `file:line: task t: field: problem`. */
  readonly message: string;
}

/** A command task-server file that cannot be used; lists every problem found. */
export class CommandFileError extends Error {
  readonly issues: readonly CommandFileIssue[];

  constructor(issues: readonly CommandFileIssue[]) {
    super(issues.map((issue) => issue.message).join("\n"));
    this.name = "CommandFileError";
    this.issues = issues;
  }
}

/** Options of {@link parseCommandFile}. */
export interface ParseCommandFileOptions {
  /** The directory relative `cwd` values are resolved from. Default: the file's directory. */
  readonly baseDir?: string;
}

/**
 * Reads and checks a command task-server file.
 *
 * @throws CommandFileError naming the file, and every task and field that is wrong.
 */
export async function loadCommandFile(file: string): Promise<CommandFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const problem = `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
    throw new CommandFileError([
      {
        file,
        line: undefined,
        task: undefined,
        field: "",
        problem,
        message: `${file}: ${problem}`,
      },
    ]);
  }
  return parseCommandFile(text, file);
}

/**
 * Checks the text of a command task-server file. `file` names it in errors,
 * and (unless `baseDir` is given) relative `cwd` values are resolved from its
 * directory.
 *
 * @throws CommandFileError naming the file, and every task and field that is wrong.
 */
export function parseCommandFile(
  text: string,
  file: string,
  options: ParseCommandFileOptions = {},
): CommandFile {
  const baseDir = options.baseDir ?? dirname(resolve(file));
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new CommandFileError(
      doc.errors.map((error) => {
        const line = error.linePos?.[0]?.line;
        const first = (error.message.split("\n")[0] ?? error.code).replace(
          / at line \d+, column \d+:$/,
          "",
        );
        const problem = `invalid YAML: ${first}`;
        return {
          file,
          line,
          task: undefined,
          field: "",
          problem,
          message: `${file}${line === undefined ? "" : `:${line}`}: ${problem}`,
        };
      }),
    );
  }
  const checker = new Checker(file, (path) => lineOf(doc.contents, path, lineCounter));
  const result = checkFile(doc.toJS({ maxAliasCount: 100 }) as unknown, checker, baseDir);
  if (checker.issues.length > 0 || result === undefined) {
    // In the order of the file; issues without a line (the whole file) first.
    const issues = [...checker.issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new CommandFileError(issues);
  }
  return { file, ...result };
}

// ---------------------------------------------------------------------------
// Checking

type Path = readonly (string | number)[];

/** Who an issue is about: the file, the server block, or one task (rooted at `tasks[i]`). */
type Subject = { readonly task: string; readonly root: Path } | undefined;

class Checker {
  readonly issues: CommandFileIssue[] = [];
  readonly #file: string;
  readonly #lineOf: (path: Path) => number | undefined;

  constructor(file: string, lineOf: (path: Path) => number | undefined) {
    this.#file = file;
    this.#lineOf = lineOf;
  }

  add(subject: Subject, path: Path, problem: string): void {
    const line = this.#lineOf(path);
    const field = formatPath(subject === undefined ? path : path.slice(subject.root.length));
    const where = `${this.#file}${line === undefined ? "" : `:${line}`}`;
    const who =
      subject === undefined
        ? ""
        : subject.task.startsWith("tasks[")
          ? `${subject.task}: `
          : `task ${subject.task}: `;
    this.issues.push({
      file: this.#file,
      line,
      task: subject?.task,
      field,
      problem,
      message: `${where}: ${who}${field ? `${field}: ` : ""}${problem}`,
    });
  }
}

/** `["deadlines", "ack"]` → "deadlines.ack"; `["command", 2]` → "command[2]". */
function formatPath(path: Path): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}

/** "dependsOn[1].task" → ["dependsOn", 1, "task"]. */
function parseField(field: string): Path {
  const path: (string | number)[] = [];
  for (const match of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) path.push(Number(match[2]));
    else if (match[1] !== undefined) path.push(match[1]);
  }
  return path;
}

/** The line of the deepest node along `path` (a map entry's key line), if any. */
function lineOf(root: unknown, path: Path, counter: LineCounter): number | undefined {
  let node: unknown = root;
  let offset: number | undefined = rangeStart(root);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: unknown } | null)?.range;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : undefined;
}

const TOP_KEYS = ["server", "tasks"] as const;
const SERVER_KEYS = ["name", "team", "contact", "concurrency", "drainTimeout"] as const;
const TASK_KEYS = [
  "id",
  "description",
  "owner",
  "dependsOn",
  "deadlines",
  "retry",
  "concurrencyLimit",
  "tags",
  "schedule",
  "trigger",
  "command",
  "shell",
  "cwd",
  "env",
  "log",
  "killGrace",
] as const;
const RETRY_CAUSES: readonly RetryCause[] = [
  "task_failed",
  "ack_timeout",
  "start_timeout",
  "complete_timeout",
  "server_lost",
  "rejected",
];
const UINT32_MAX = 0xffff_ffff;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Environment variables Cordyna sets for every attempt; a task may not set them itself. */
export const RESERVED_ENV = [
  "CORDYNA_RUN_ID",
  "CORDYNA_TASK_RUN_ID",
  "CORDYNA_ATTEMPT_ID",
  "CORDYNA_ATTEMPT_NUMBER",
  "CORDYNA_TASK_ID",
  "CORDYNA_LOGICAL_TIME",
  "CORDYNA_MODE",
] as const;
/** Prefix of the environment variables that carry params. */
export const PARAM_ENV_PREFIX = "CORDYNA_PARAM_";
/** Prefix of the environment variables that carry upstream tasks' outputs. */
export const UPSTREAM_ENV_PREFIX = "CORDYNA_UPSTREAM_";
/** `{{ name }}`: any text between double braces is a placeholder. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
/** What a param name in a placeholder may contain. */
export const PARAM_NAME = /^[A-Za-z0-9_.-]+$/;

type Record_ = Record<string, unknown>;

function isRecord(value: unknown): value is Record_ {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** A small view over one mapping of the file, reporting into the checker. */
class Scope {
  constructor(
    readonly checker: Checker,
    readonly subject: Subject,
    readonly path: Path,
    readonly value: Record_,
  ) {}

  fail(key: string | number | Path, problem: string): void {
    const rest = Array.isArray(key) ? key : [key];
    this.checker.add(this.subject, [...this.path, ...rest], problem);
  }

  /** Reports keys outside `allowed`, suggesting the nearest allowed one. */
  onlyKeys(allowed: readonly string[]): void {
    for (const key of Object.keys(this.value)) {
      if (allowed.includes(key)) continue;
      const near = nearest(key, allowed);
      this.fail(
        key,
        `unknown key${near ? ` (did you mean ${near}?)` : ""}; expected one of ${allowed.join(", ")}`,
      );
    }
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  child(key: string, allowed: readonly string[], required = false): Scope | undefined {
    const value = this.value[key];
    if (value === undefined || value === null) {
      if (required) this.fail(key, "is required");
      return undefined;
    }
    if (!isRecord(value)) {
      this.fail(key, `must be a mapping of ${allowed.join(", ")}, not ${describe(value)}`);
      return undefined;
    }
    const scope = new Scope(this.checker, this.subject, [...this.path, key], value);
    scope.onlyKeys(allowed);
    return scope;
  }

  string(key: string, opts: { required?: boolean; nonEmpty?: boolean } = {}): string | undefined {
    const value = this.value[key];
    if (value === undefined || value === null) {
      if (opts.required) this.fail(key, "is required");
      return undefined;
    }
    if (typeof value !== "string") {
      this.fail(key, `must be a string, not ${describe(value)}`);
      return undefined;
    }
    if (opts.nonEmpty && value.trim() === "") {
      this.fail(key, "must not be empty");
      return undefined;
    }
    return value;
  }

  integer(key: string, min: number, max: number, required = false): number | undefined {
    const value = this.value[key];
    if (value === undefined || value === null) {
      if (required) this.fail(key, "is required");
      return undefined;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(key, `must be a whole number from ${min} to ${max}, not ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  number(key: string, min: number): number | undefined {
    const value = this.value[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
      this.fail(key, `must be a number of at least ${min}, not ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** A duration with a unit ("30s", "10m"); bare numbers are refused as ambiguous. */
  duration(key: string, opts: { required?: boolean; allowZero?: boolean } = {}) {
    const value = this.value[key];
    if (value === undefined || value === null) {
      if (opts.required) this.fail(key, "is required");
      return undefined;
    }
    if (typeof value !== "string") {
      this.fail(
        key,
        `must be a duration with a unit, e.g. "30s", "10m", "1h", not ${describe(value)}`,
      );
      return undefined;
    }
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      this.fail(
        key,
        `invalid duration ${JSON.stringify(value)}: expected e.g. "500ms", "30s", "10m", "2h", "1d"`,
      );
      return undefined;
    }
    if (ms === 0 && !opts.allowZero) {
      this.fail(key, "must be longer than zero");
      return undefined;
    }
    return { input: value as DurationInput, ms };
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], required = false): T | undefined {
    const value = this.value[key];
    if (value === undefined || value === null) {
      if (required) this.fail(key, "is required");
      return undefined;
    }
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      this.fail(key, `must be one of ${allowed.join(", ")}, not ${describe(value)}`);
      return undefined;
    }
    return value as T;
  }

  list(key: string): unknown[] | undefined {
    const value = this.value[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.fail(key, `must be a list, not ${describe(value)}`);
      return undefined;
    }
    return value;
  }
}

/** The allowed key closest to `key` (edit distance at most 2), if any. */
function nearest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Scalars allowed where a string is expected in argv and env: numbers and booleans are written as text. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

/** Reports malformed `{{ … }}` placeholders in `text`. */
function checkPlaceholders(scope: Scope, key: Path, text: string): void {
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? "").trim();
    if (!PARAM_NAME.test(name)) {
      scope.fail(
        key,
        `placeholder ${match[0]} must name a param: {{name}} with letters, digits, '.', '_' or '-'`,
      );
    }
  }
}

function checkFile(
  data: unknown,
  checker: Checker,
  baseDir: string,
): Omit<CommandFile, "file"> | undefined {
  if (data === null || data === undefined) {
    checker.add(undefined, [], "the file is empty: expected a server: block and a tasks: list");
    return undefined;
  }
  if (!isRecord(data)) {
    checker.add(undefined, [], `expected a mapping with server: and tasks:, not ${describe(data)}`);
    return undefined;
  }
  const top = new Scope(checker, undefined, [], data);
  top.onlyKeys(TOP_KEYS);
  const server = checkServer(top);
  const tasksValue = data.tasks;
  const tasks: CommandTaskDeclaration[] = [];
  if (tasksValue === undefined || tasksValue === null) {
    top.fail("tasks", "is required: a list of tasks");
  } else if (!Array.isArray(tasksValue)) {
    top.fail("tasks", `must be a list of tasks, not ${describe(tasksValue)}`);
  } else if (tasksValue.length === 0) {
    top.fail("tasks", "must list at least one task");
  } else {
    const defaultOwner: OwnerOptions = {
      team: server?.team ?? "unknown-team",
      contact: server?.contact ?? "",
    };
    const seen = new Map<string, number>();
    tasksValue.forEach((entry, index) => {
      const task = checkTask(checker, entry, index, baseDir, defaultOwner);
      if (task === undefined) return;
      const first = seen.get(task.options.id);
      if (first !== undefined) {
        checker.add(
          { task: task.options.id, root: ["tasks", index] },
          ["tasks", index, "id"],
          `is declared twice in this file (first as tasks[${first}])`,
        );
        return;
      }
      seen.set(task.options.id, index);
      tasks.push(task);
    });
  }
  if (server === undefined || checker.issues.length > 0) return undefined;
  return { server, tasks };
}

function checkServer(top: Scope): CommandServerOptions | undefined {
  const scope = top.child("server", SERVER_KEYS, true);
  if (scope === undefined) return undefined;
  const before = scope.checker.issues.length;
  const name = scope.string("name", { required: true, nonEmpty: true });
  const team = scope.string("team", { required: true, nonEmpty: true });
  const contact = scope.string("contact", { required: true });
  const concurrency = scope.integer("concurrency", 0, UINT32_MAX);
  const drainTimeout = scope.duration("drainTimeout", { allowZero: true });
  if (name === undefined || team === undefined || contact === undefined) return undefined;
  if (scope.checker.issues.length > before) return undefined;
  return {
    name,
    team,
    contact,
    ...(concurrency !== undefined && { concurrency }),
    ...(drainTimeout !== undefined && { drainTimeoutMs: drainTimeout.ms }),
  };
}

function checkTask(
  checker: Checker,
  entry: unknown,
  index: number,
  baseDir: string,
  defaultOwner: OwnerOptions,
): CommandTaskDeclaration | undefined {
  const root: Path = ["tasks", index];
  const rawId = isRecord(entry) ? entry.id : undefined;
  const label = isValidTaskId(rawId) ? rawId : `tasks[${index}]`;
  const subject: Subject = { task: label, root };
  if (!isRecord(entry)) {
    checker.add(
      subject,
      root,
      `each task must be a mapping with id and command, not ${describe(entry)}`,
    );
    return undefined;
  }
  const before = checker.issues.length;
  const scope = new Scope(checker, subject, root, entry);
  scope.onlyKeys(TASK_KEYS);

  const id = scope.string("id", { required: true, nonEmpty: true });
  if (id !== undefined && !isValidTaskId(id)) {
    scope.fail(
      "id",
      `${JSON.stringify(id)} must be 1-128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  const description = scope.string("description");
  const owner = checkOwner(scope);
  const dependsOn = checkDependsOn(scope);
  const deadlines = checkDeadlines(scope);
  const retry = checkRetry(scope);
  const concurrencyLimit = scope.integer("concurrencyLimit", 0, UINT32_MAX);
  const tags = checkTags(scope);
  const schedule = checkSchedule(scope);
  const trigger = checkTrigger(scope);
  const exec = checkExec(scope);
  const cwdText = scope.string("cwd", { nonEmpty: true });
  const env = checkEnv(scope);
  const log = scope.child("log", ["keepBytes"]);
  const keepBytes = log?.integer("keepBytes", 0, MAX_KEEP_BYTES);
  const killGrace = scope.duration("killGrace", { allowZero: true });

  if (checker.issues.length > before || id === undefined || exec === undefined) return undefined;
  const options: TaskOptions = {
    id,
    ...(description !== undefined && { description }),
    ...(owner !== undefined && { owner }),
    ...(dependsOn !== undefined && { dependsOn }),
    ...(deadlines !== undefined && { deadlines }),
    ...(retry !== undefined && { retry }),
    ...(concurrencyLimit !== undefined && { concurrencyLimit }),
    ...(tags !== undefined && { tags }),
    ...(schedule !== undefined && { schedule }),
    ...(trigger !== undefined && { trigger }),
  };
  // What the file's shape cannot tell (a task depending on itself, a bad time
  // zone, …) is checked exactly as the SDK checks `server.task(...)`.
  try {
    toTaskDeclaration(options, defaultOwner);
  } catch (error) {
    if (!(error instanceof TaskOptionsError)) throw error;
    const marker = `${error.field}: `;
    const problem = error.message.slice(error.message.indexOf(marker) + marker.length);
    scope.fail(parseField(error.field), problem);
    return undefined;
  }
  const cwd =
    cwdText === undefined ? baseDir : isAbsolute(cwdText) ? cwdText : resolve(baseDir, cwdText);
  return {
    options,
    command: {
      taskId: id,
      exec,
      cwd,
      env: env ?? {},
      keepBytes: keepBytes ?? DEFAULT_KEEP_BYTES,
      killGraceMs: killGrace?.ms ?? DEFAULT_KILL_GRACE_MS,
    },
  };
}

function checkOwner(scope: Scope): OwnerOptions | undefined {
  const owner = scope.child("owner", ["team", "contact"]);
  if (owner === undefined) return undefined;
  const team = owner.string("team", { required: true, nonEmpty: true });
  const contact = owner.string("contact", { required: true });
  return team === undefined || contact === undefined ? undefined : { team, contact };
}

function checkDependsOn(scope: Scope): DependencyOption[] | undefined {
  const list = scope.list("dependsOn");
  if (list === undefined) return undefined;
  const result: DependencyOption[] = [];
  list.forEach((entry, index) => {
    const path = ["dependsOn", index];
    if (typeof entry === "string") {
      if (isValidTaskId(entry)) result.push(entry);
      else scope.fail(path, `${JSON.stringify(entry)} is not a valid task id`);
      return;
    }
    if (!isRecord(entry)) {
      scope.fail(path, `must be a task id or {task, freshWithin}, not ${describe(entry)}`);
      return;
    }
    const dep = new Scope(scope.checker, scope.subject, [...scope.path, ...path], entry);
    dep.onlyKeys(["task", "freshWithin"]);
    const task = dep.string("task", { required: true, nonEmpty: true });
    if (task !== undefined && !isValidTaskId(task)) {
      dep.fail("task", `${JSON.stringify(task)} is not a valid task id`);
    }
    const freshWithin = dep.duration("freshWithin");
    if (task === undefined || !isValidTaskId(task)) return;
    result.push(freshWithin === undefined ? { task } : { task, freshWithin: freshWithin.input });
  });
  return result;
}

function checkDeadlines(scope: Scope): DeadlineOptions | undefined {
  const deadlines = scope.child("deadlines", ["ack", "start", "complete"]);
  if (deadlines === undefined) return undefined;
  const ack = deadlines.duration("ack");
  const start = deadlines.duration("start");
  const complete = deadlines.duration("complete");
  return {
    ...(ack !== undefined && { ack: ack.input }),
    ...(start !== undefined && { start: start.input }),
    ...(complete !== undefined && { complete: complete.input }),
  };
}

function checkRetry(scope: Scope): RetryOptions | undefined {
  const retry = scope.child("retry", [
    "maxAttempts",
    "initialBackoff",
    "maxBackoff",
    "multiplier",
    "retryOn",
  ]);
  if (retry === undefined) return undefined;
  const maxAttempts = retry.integer("maxAttempts", 0, UINT32_MAX, true);
  const initialBackoff = retry.duration("initialBackoff");
  const maxBackoff = retry.duration("maxBackoff");
  const multiplier = retry.number("multiplier", 1);
  const retryOnList = retry.list("retryOn");
  const retryOn: RetryCause[] = [];
  retryOnList?.forEach((cause, index) => {
    if (typeof cause === "string" && (RETRY_CAUSES as readonly string[]).includes(cause)) {
      retryOn.push(cause as RetryCause);
    } else {
      retry.fail(
        ["retryOn", index],
        `must be one of ${RETRY_CAUSES.join(", ")}, not ${describe(cause)}`,
      );
    }
  });
  if (maxAttempts === undefined) return undefined;
  return {
    maxAttempts,
    ...(initialBackoff !== undefined && { initialBackoff: initialBackoff.input }),
    ...(maxBackoff !== undefined && { maxBackoff: maxBackoff.input }),
    ...(multiplier !== undefined && { multiplier }),
    ...(retryOnList !== undefined && { retryOn }),
  };
}

function checkTags(scope: Scope): string[] | undefined {
  const list = scope.list("tags");
  if (list === undefined) return undefined;
  const tags: string[] = [];
  list.forEach((tag, index) => {
    if (typeof tag === "string" && tag.trim() !== "") tags.push(tag);
    else scope.fail(["tags", index], `must be a non-empty string, not ${describe(tag)}`);
  });
  return tags;
}

/** The longest schedule.expectedWithin cerebro accepts. */
const MAX_EXPECTED_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;

function checkSchedule(scope: Scope): ScheduleOptions | undefined {
  const schedule = scope.child("schedule", [
    "cron",
    "timeZone",
    "catchUp",
    "catchUpMax",
    "overlap",
    "expectedWithin",
  ]);
  if (schedule === undefined) return undefined;
  const cron = schedule.string("cron", { required: true, nonEmpty: true });
  const timeZone = schedule.string("timeZone", { nonEmpty: true });
  const catchUp = schedule.oneOf("catchUp", ["skip", "latest", "all"] as const);
  const catchUpMax = schedule.integer("catchUpMax", 0, UINT32_MAX);
  const overlap = schedule.oneOf("overlap", [
    "skip",
    "queue-one",
    "allow",
    "cancel-previous",
  ] as const);
  const expectedWithin = schedule.duration("expectedWithin");
  if (expectedWithin !== undefined && expectedWithin.ms > MAX_EXPECTED_WITHIN_MS) {
    schedule.fail("expectedWithin", `must be at most 7d, not ${expectedWithin.input}`);
  }
  if (cron === undefined) return undefined;
  return {
    cron,
    ...(expectedWithin !== undefined && { expectedWithin: expectedWithin.input }),
    ...(timeZone !== undefined && { timeZone }),
    ...(catchUp !== undefined && { catchUp }),
    ...(catchUpMax !== undefined && { catchUpMax }),
    ...(overlap !== undefined && { overlap }),
  };
}

function checkTrigger(scope: Scope): TriggerOptions | undefined {
  const trigger = scope.child("trigger", ["mode", "debounce"]);
  if (trigger === undefined) return undefined;
  const mode = trigger.oneOf("mode", ["all", "any"] as const, true);
  const debounce = trigger.duration("debounce");
  if (mode === undefined) return undefined;
  return { mode, ...(debounce !== undefined && { debounce: debounce.input }) };
}

function checkExec(scope: Scope): CommandExec | undefined {
  const hasCommand = scope.has("command");
  const hasShell = scope.has("shell");
  if (hasCommand && hasShell) {
    scope.fail("shell", "give either command (an argument list, no shell) or shell, not both");
    return undefined;
  }
  if (!hasCommand && !hasShell) {
    scope.fail(
      "command",
      'is required: an argument list such as ["python3", "job.py"], or shell: "a script for /bin/sh -c"',
    );
    return undefined;
  }
  if (hasShell) {
    const script = scope.string("shell", { nonEmpty: true });
    if (script === undefined) return undefined;
    checkPlaceholders(scope, ["shell"], script);
    return { kind: "shell", script };
  }
  const value = scope.value.command;
  if (!Array.isArray(value)) {
    scope.fail(
      "command",
      `must be a list of arguments such as ["python3", "job.py"] (for a shell command line use shell:), not ${describe(value)}`,
    );
    return undefined;
  }
  if (value.length === 0) {
    scope.fail("command", "must name at least the program to run");
    return undefined;
  }
  const argv: string[] = [];
  value.forEach((item, index) => {
    const text = scalarText(item);
    if (text === undefined) {
      scope.fail(["command", index], `must be a string, not ${describe(item)}`);
      return;
    }
    if (index === 0 && text.trim() === "") {
      scope.fail(["command", 0], "the program to run must not be empty");
      return;
    }
    checkPlaceholders(scope, ["command", index], text);
    argv.push(text);
  });
  const [program, ...args] = argv;
  if (argv.length !== value.length || program === undefined) return undefined;
  return { kind: "argv", argv: [program, ...args] };
}

function checkEnv(scope: Scope): Record<string, string> | undefined {
  const value = scope.value.env;
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    scope.fail("env", `must be a mapping of variable names to values, not ${describe(value)}`);
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value)) {
    const path = ["env", name];
    if (!ENV_NAME.test(name)) {
      scope.fail(
        path,
        "is not a valid variable name: letters, digits and '_', not starting with a digit",
      );
      continue;
    }
    if (
      (RESERVED_ENV as readonly string[]).includes(name) ||
      name.startsWith(PARAM_ENV_PREFIX) ||
      name.startsWith(UPSTREAM_ENV_PREFIX)
    ) {
      scope.fail(path, "is set by Cordyna for every attempt; choose another name");
      continue;
    }
    const text = scalarText(raw);
    if (text === undefined) {
      scope.fail(path, `must be a string, number or boolean, not ${describe(raw)}`);
      continue;
    }
    checkPlaceholders(scope, path, text);
    env[name] = text;
  }
  return env;
}
