// dyna check: a server's new declarations against the live graph, before
// they land: what they would break, for whom, and what else they change.

import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type ControlClient, type TaskDeclaration, TaskDeclarationSchema } from "@cordyna/contract";
import {
  expectPositionals,
  type OptionsConfig,
  parseChangeId,
  parseCommandArgs,
  UsageError,
} from "./args.js";
import {
  BREAK_KINDS,
  type Break,
  type BreakKind,
  type Candidate,
  type Change,
  compareDeclarations,
} from "./check-compare.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK, EXIT_USAGE, ExplainedError } from "./context.js";
import { printHelp } from "./help.js";
import { paint, type Style } from "./render.js";
import { closeMatches, didYouMean } from "./suggest.js";

/** The flags of `dyna check` (the common ones come on top). */
export const CHECK_FLAGS = {
  declarations: { type: "string" },
  tasks: { type: "string" },
  candidate: { type: "string" },
  allow: { type: "string", multiple: true },
  format: { type: "string" },
} as const satisfies OptionsConfig;

/** The output formats of `dyna check --format`. */
export const CHECK_FORMATS = ["text", "json", "github"] as const;
type CheckFormat = (typeof CHECK_FORMATS)[number];

/** One `--allow`: a task id, with or without the kind of break it accepts. */
interface Allowance {
  readonly text: string;
  readonly kind: BreakKind | undefined;
  readonly taskId: string;
}

/** A break with whether an `--allow` accepted it. */
interface Verdict extends Break {
  readonly allowed: boolean;
}

/** `task` or `kind:task`; a kind dyna does not know is a usage error. */
function parseAllowance(text: string): Allowance {
  const colon = text.indexOf(":");
  if (colon < 0) return { text, kind: undefined, taskId: text };
  const kind = text.slice(0, colon);
  const taskId = text.slice(colon + 1);
  if (!(BREAK_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(
      `bad --allow '${text}': ${kind} is no kind of break (${BREAK_KINDS.join(", ")})${didYouMean(closeMatches(kind, BREAK_KINDS))}`,
      "check",
    );
  }
  if (taskId === "")
    throw new UsageError(`bad --allow '${text}': name the task after the kind`, "check");
  return { text, kind: kind as BreakKind, taskId };
}

function allows(allowance: Allowance, found: Break): boolean {
  return allowance.taskId === found.taskId && (allowance.kind ?? found.kind) === found.kind;
}

/** Where the declarations came from: a file (or "-" for stdin) of either kind, or a running candidate. */
type Source =
  | { readonly kind: "declarations" | "tasks"; readonly file: string }
  | { readonly kind: "candidate"; readonly changeId: string };

function sourceOf(values: { declarations?: string; tasks?: string; candidate?: string }): Source {
  const { declarations, tasks, candidate } = values;
  const given = [
    declarations === undefined ? [] : ["--declarations"],
    tasks === undefined ? [] : ["--tasks"],
    candidate === undefined ? [] : ["--candidate"],
  ].flat();
  if (given.length > 1) {
    throw new UsageError(
      `give one of --declarations, --tasks or --candidate, not ${given.join(" and ")}`,
      "check",
    );
  }
  if (declarations !== undefined && declarations !== "") {
    return { kind: "declarations", file: declarations };
  }
  if (tasks !== undefined && tasks !== "") return { kind: "tasks", file: tasks };
  if (candidate !== undefined)
    return { kind: "candidate", changeId: parseChangeId("check", candidate) };
  throw new UsageError(
    "missing the declarations to check: --declarations <file.json> (what --print-declarations printed; - for stdin), --tasks <tasks.yaml> or --candidate <change-id> (a running candidate server's)",
    "check",
  );
}

/** The file a source names, for messages and annotations; none for stdin or a candidate. */
function fileOf(source: Source): string | undefined {
  return source.kind === "candidate" || source.file === "-" ? undefined : source.file;
}

/** A file that cannot be checked: named, with what is wrong; exit code 2. */
function badInput(file: string, problem: string): ExplainedError {
  return new ExplainedError(`${file}: ${problem}`, EXIT_USAGE);
}

async function readText(file: string, ctx: CliContext): Promise<string> {
  if (file === "-") {
    if (ctx.io.readStdin === undefined) throw badInput("stdin", "cannot be read here");
    return ctx.io.readStdin();
  }
  const { readFile } = await import("node:fs/promises");
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw badInput(
      file,
      `cannot read it: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The candidate of a document that `--print-declarations` printed. */
export function parsePrintedDeclarations(text: string, file: string): Candidate {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw badInput(file, `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { serverName, team, contact, tasks } = (document ?? {}) as Record<string, unknown>;
  if (typeof serverName !== "string" || serverName === "") {
    throw badInput(file, "expected a serverName: what a task-server's --print-declarations prints");
  }
  if (!Array.isArray(tasks)) throw badInput(file, "expected tasks: a list of task declarations");
  const declarations = tasks.map((task, index): TaskDeclaration => {
    try {
      return fromJson(TaskDeclarationSchema, task as JsonValue);
    } catch (error) {
      throw badInput(
        file,
        `tasks[${index}] is not a TaskDeclaration: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
  return candidateOf(
    serverName,
    declarations,
    typeof team === "string" ? team : undefined,
    typeof contact === "string" ? contact : undefined,
  );
}

/** A server's declarations; without a team or contact of its own, its first task's owner's. */
function candidateOf(
  serverName: string,
  tasks: readonly TaskDeclaration[],
  team?: string,
  contact?: string,
): Candidate {
  const firstOwner = tasks[0]?.owner;
  return {
    serverName,
    team: team ?? firstOwner?.team ?? "",
    contact: contact ?? firstOwner?.contact ?? "",
    tasks,
  };
}

/**
 * What the running candidate of a change declared, as cerebro keeps it
 * (GetCandidate). A Hello names no team of its server, so the first task's
 * owner stands for it, as for a printed document without one.
 */
async function runningCandidate(
  client: Pick<ControlClient, "getCandidate">,
  changeId: string,
): Promise<Candidate> {
  const { serverName, tasks } = await client.getCandidate(
    { changeId },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  return candidateOf(serverName, tasks);
}

/** The declarations a source names, read from its file or from cerebro. */
async function candidateFrom(
  source: Source,
  client: ControlClient,
  ctx: CliContext,
): Promise<Candidate> {
  switch (source.kind) {
    case "candidate":
      return runningCandidate(client, source.changeId);
    case "tasks":
      return commandFileCandidate(source.file);
    case "declarations":
      return parsePrintedDeclarations(
        await readText(source.file, ctx),
        source.file === "-" ? "stdin" : source.file,
      );
  }
}

/** The candidate a `dyna serve` file declares, built by the SDK as `dyna serve` would. */
async function commandFileCandidate(file: string): Promise<Candidate> {
  // Loaded on demand so the other commands never load the SDK.
  const { CommandFileError, createCommandServer, loadCommandFile } = await import(
    "@cordyna/task-server/command"
  );
  try {
    const server = createCommandServer(await loadCommandFile(file), { handleSignals: false });
    const printed = server.declarationsJson();
    return parsePrintedDeclarations(JSON.stringify(printed), file);
  } catch (error) {
    if (!(error instanceof CommandFileError)) throw error;
    const count = error.issues.length;
    throw new ExplainedError(
      [
        `${file} has ${count} problem${count === 1 ? "" : "s"}:`,
        ...error.issues.map((issue) => `  ${issue.message}`),
      ].join("\n"),
      EXIT_USAGE,
    );
  }
}

/**
 * `dyna check --declarations <file.json|-> | --tasks <tasks.yaml> | --candidate <change-id>
 * [--allow <task|kind:task>]... [--format text|json|github]`.
 */
export async function checkCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("check", args, CHECK_FLAGS);
  if (values.help) return printHelp(ctx.io, "check");
  expectPositionals("check", positionals, 0, 0, "");
  const format = formatOf(values.format, values.json === true);
  const allowances = (values.allow ?? []).map(parseAllowance);
  const source = sourceOf(values);

  const address = resolveAddress(values.cerebro, ctx.io.env);
  const client = ctx.connect(address);
  const candidate = await candidateFrom(source, client, ctx);
  const { tasks } = await client.listTasks({}, { timeoutMs: UNARY_TIMEOUT_MS });
  const live = tasks.flatMap((task) =>
    task.declaration === undefined || task.serverName === ""
      ? []
      : [{ serverName: task.serverName, declaration: task.declaration }],
  );
  const { breaks, changes } = compareDeclarations(live, candidate, ctx.now());
  const verdicts = breaks.map(
    (found): Verdict => ({ ...found, allowed: allowances.some((a) => allows(a, found)) }),
  );
  const unused = allowances.filter((a) => !breaks.some((found) => allows(a, found)));
  const report: Report = { candidate, address, verdicts, changes, unused, source };

  switch (format) {
    case "json":
      ctx.io.out(renderCheckJson(report));
      break;
    case "github":
      ctx.io.out(renderCheckGithub(report));
      break;
    case "text":
      ctx.io.out(renderCheckText(report, ctx.style));
      for (const a of unused)
        ctx.io.err(`dyna check: --allow ${a.text} matched no breaking change`);
      break;
  }
  return verdicts.some((v) => !v.allowed) ? EXIT_FAILED : EXIT_OK;
}

function formatOf(format: string | undefined, json: boolean): CheckFormat {
  if (format === undefined) return json ? "json" : "text";
  if (!(CHECK_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `bad --format '${format}': expected text, json or github${didYouMean(closeMatches(format, CHECK_FORMATS))}`,
      "check",
    );
  }
  if (json && format !== "json") {
    throw new UsageError(`--json and --format ${format} contradict each other`, "check");
  }
  return format as CheckFormat;
}

/** Everything a rendering of the outcome needs. */
interface Report {
  readonly candidate: Candidate;
  readonly address: string;
  readonly source: Source;
  readonly verdicts: readonly Verdict[];
  readonly changes: readonly Change[];
  readonly unused: readonly Allowance[];
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "b.sales (task-server-b, contact b@example.com)". */
function affectedLabel(found: Break): string {
  const { taskId, serverName, contact } = found.affected;
  const details = [serverName, contact === "" ? "" : `contact ${contact}`].filter(Boolean);
  return details.length === 0 ? taskId : `${taskId} (${details.join(", ")})`;
}

/** Verdicts grouped by the team they hit, teams in name order. */
function byTeam(verdicts: readonly Verdict[]): [string, Verdict[]][] {
  const teams = new Map<string, Verdict[]>();
  for (const verdict of verdicts) {
    const team = verdict.affected.team || "(no team)";
    teams.set(team, [...(teams.get(team) ?? []), verdict]);
  }
  return [...teams].sort(([a], [b]) => a.localeCompare(b));
}

/** For people: the breaks grouped by the team hit, then what was allowed, then the other changes. */
export function renderCheckText(report: Report, style: Style): string {
  const { candidate, verdicts, changes } = report;
  const breaking = verdicts.filter((v) => !v.allowed);
  const allowed = verdicts.filter((v) => v.allowed);
  const teams = new Set(breaking.map((v) => v.affected.team));
  const whose =
    report.source.kind === "candidate"
      ? `The candidate of change ${report.source.changeId}, server`
      : "Server";
  const lines = [
    `${whose} ${candidate.serverName} (team ${candidate.team}): its ${plural(candidate.tasks.length, "task")} against the graph of cerebro at ${report.address}.`,
  ];
  if (breaking.length === 0) {
    lines.push(paint(style, "green", "No breaking change."));
  } else {
    lines.push(
      paint(
        style,
        "red",
        `${plural(breaking.length, "breaking change")} for ${plural(teams.size, "team")}:`,
      ),
    );
    for (const [team, found] of byTeam(breaking)) {
      lines.push("", paint(style, "bold", `team ${team}`));
      for (const v of found) {
        lines.push(`  ${paint(style, "red", v.kind)} ${v.taskId} → ${affectedLabel(v)}`);
        lines.push(`    ${v.message}`);
      }
    }
  }
  if (allowed.length > 0) {
    lines.push("", paint(style, "yellow", `Allowed by --allow (${allowed.length}):`));
    for (const v of allowed) {
      lines.push(`  ${v.kind} ${v.taskId} → ${affectedLabel(v)}, team ${v.affected.team}`);
    }
  }
  if (changes.length > 0) {
    lines.push("", `Not breaking (${changes.length}):`);
    for (const change of changes) {
      lines.push(`  ${change.kind} ${change.taskId}: ${change.message}`);
    }
  }
  return lines.join("\n");
}

function verdictJson(v: Verdict): Record<string, unknown> {
  return {
    kind: v.kind,
    task: v.taskId,
    affected: {
      task: v.affected.taskId,
      server: v.affected.serverName,
      team: v.affected.team,
      contact: v.affected.contact,
    },
    message: v.message,
  };
}

/** For scripts: one document. */
export function renderCheckJson(report: Report): string {
  const { candidate, verdicts, changes, unused } = report;
  return JSON.stringify({
    server: candidate.serverName,
    team: candidate.team,
    cerebro: report.address,
    ok: verdicts.every((v) => v.allowed),
    breaking: verdicts.filter((v) => !v.allowed).map(verdictJson),
    allowed: verdicts.filter((v) => v.allowed).map(verdictJson),
    changes: changes.map((c) => ({ kind: c.kind, task: c.taskId, message: c.message })),
    unusedAllows: unused.map((a) => a.text),
  });
}

/** The data of a GitHub Actions workflow command: %, CR and LF escaped. */
function githubData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** A property value of a workflow command: also ':' and ',' escaped. */
function githubProperty(text: string): string {
  return githubData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

function githubCommand(
  command: "error" | "warning" | "notice",
  title: string,
  message: string,
  file: string | undefined,
): string {
  const properties = [
    ...(file === undefined ? [] : [`file=${githubProperty(file)}`]),
    `title=${githubProperty(title)}`,
  ];
  return `::${command} ${properties.join(",")}::${githubData(message)}`;
}

/**
 * For GitHub Actions: an error annotation per break not allowed, a warning
 * per allowed one or unused --allow, a notice per other change, then the
 * summary as a plain log line.
 */
export function renderCheckGithub(report: Report): string {
  const { verdicts, changes, unused, source } = report;
  const file = fileOf(source);
  const describe = (v: Verdict): string =>
    `team ${v.affected.team}: ${affectedLabel(v)}: ${v.message}`;
  const lines = [
    ...verdicts
      .filter((v) => !v.allowed)
      .map((v) => githubCommand("error", `dyna check: ${v.kind} ${v.taskId}`, describe(v), file)),
    ...verdicts
      .filter((v) => v.allowed)
      .map((v) =>
        githubCommand("warning", `dyna check: ${v.kind} ${v.taskId} (allowed)`, describe(v), file),
      ),
    ...unused.map((a) =>
      githubCommand(
        "warning",
        "dyna check: unused --allow",
        `--allow ${a.text} matched no breaking change`,
        file,
      ),
    ),
    ...changes.map((c) =>
      githubCommand("notice", `dyna check: ${c.kind} ${c.taskId}`, c.message, file),
    ),
  ];
  const breaking = verdicts.filter((v) => !v.allowed).length;
  lines.push(
    breaking === 0
      ? `dyna check: no breaking change (${verdicts.length} allowed, ${plural(changes.length, "other change")})`
      : `dyna check: ${plural(breaking, "breaking change")}`,
  );
  return lines.join("\n");
}
