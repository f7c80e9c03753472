// Pure functions turning cordyna.v1 messages into readable text for the terminal.

import { create, type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { type Duration, durationMs, type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type Attempt,
  type Completion,
  type Dependency,
  DependencyCondition,
  describeProgress,
  ErrorCause,
  type Event,
  EventKind,
  type GetGraphResponse,
  type Owner,
  type Run,
  RunMode,
  RunState,
  type Schedule,
  type ServerInfo,
  ServerState,
  type TaskInfo,
  type TaskRun,
  type TaskRunOutcome,
  TaskRunOutcomeSchema,
  TaskState,
  TriggerKind,
} from "@cordyna/contract";
import { renderTaskRunOutputs } from "./task-run-outputs.js";
// ---------------------------------------------------------------------------
// Colour

/** Whether rendered text may carry ANSI colour codes. */
export interface Style {
  readonly color: boolean;
}

/** A style without colour, for tests, pipes and NO_COLOR. */
export const plainStyle: Style = { color: false };

/** The colours and emphases the renderers use. */
export type Paint = "red" | "green" | "yellow" | "cyan" | "dim" | "bold";

const PAINT_CODES: Record<Paint, readonly [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/**
 * Colour is used only on a terminal, and never when NO_COLOR is set to a
 * non-empty value (https://no-color.org).
 */
export function shouldColor(
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const noColor = env.NO_COLOR;
  return isTTY && (noColor === undefined || noColor === "");
}

/** Wraps text in the ANSI codes of a paint when the style allows colour. */
export function paint(style: Style, how: Paint | undefined, text: string): string {
  if (!style.color || how === undefined || text === "") return text;
  const [on, off] = PAINT_CODES[how];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** Text without ANSI colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** The printed width of a string, ignoring colour codes. */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/** Pads text on the right to a printed width, ignoring colour codes. */
export function padVisible(text: string, width: number): string {
  const missing = width - visibleWidth(text);
  return missing > 0 ? text + " ".repeat(missing) : text;
}

// ---------------------------------------------------------------------------
// Enums, without their prefixes

function enumLabel(names: Record<number, string>, value: number): string {
  return names[value] ?? String(value);
}

/** TASK_STATE_COMPLETED → "COMPLETED". */
export function taskStateName(state: TaskState): string {
  return enumLabel(TaskState, state);
}

/** RUN_STATE_SUCCEEDED → "SUCCEEDED". */
export function runStateName(state: RunState): string {
  return enumLabel(RunState, state);
}

/** ERROR_CAUSE_ACK_TIMEOUT → "ACK_TIMEOUT"; unspecified → "". */
export function errorCauseName(cause: ErrorCause): string {
  return cause === ErrorCause.UNSPECIFIED ? "" : enumLabel(ErrorCause, cause);
}

/** SERVER_STATE_READY → "READY". */
export function serverStateName(state: ServerState): string {
  return enumLabel(ServerState, state);
}

/** EVENT_KIND_RUN_FINISHED → "RUN_FINISHED". */
export function eventKindName(kind: EventKind): string {
  return enumLabel(EventKind, kind);
}

/** TRIGGER_KIND_CRON → "CRON". */
export function triggerName(trigger: TriggerKind): string {
  return enumLabel(TriggerKind, trigger);
}

/** RUN_MODE_TEST → "TEST"; unspecified counts as NORMAL. */
export function runModeName(mode: RunMode): string {
  return mode === RunMode.UNSPECIFIED ? "NORMAL" : enumLabel(RunMode, mode);
}

/** The colour a state name is shown in (task, run and server states alike). */
export function stateColor(name: string): Paint | undefined {
  switch (name) {
    case "COMPLETED":
    case "SUCCEEDED":
    case "READY":
    case "CONNECTED":
      return "green";
    case "ERROR":
    case "FAILED":
    case "DISCONNECTED":
      return "red";
    case "BLOCKED":
    case "CANCELLED":
    case "DRAINING":
    case "RETRY":
    case "AWAY":
      return "yellow";
    case "INVOKED":
    case "QUEUED":
    case "STARTED":
    case "RUNNING":
    case "PROGRESS":
      return "cyan";
    case "SKIPPED":
    case "PENDING":
    case "WAITING":
      return "dim";
    default:
      return undefined;
  }
}

/** True when a run will change no more. */
export function isRunFinished(state: RunState): boolean {
  return state === RunState.SUCCEEDED || state === RunState.FAILED || state === RunState.CANCELLED;
}

// ---------------------------------------------------------------------------
// Time

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Milliseconds since the epoch of a timestamp, or undefined when absent. */
export function timeMs(ts: Timestamp | undefined): number | undefined {
  return ts === undefined ? undefined : timestampMs(ts);
}

/** Local wall-clock time as HH:MM:SS.mmm; "-" when absent. */
export function formatClock(ts: Timestamp | number | undefined): string {
  if (ts === undefined) return "-";
  const d = new Date(typeof ts === "number" ? ts : timestampMs(ts));
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * Local time as HH:MM:SS.mmm when it falls on the same local day as `nowMs`,
 * otherwise prefixed with the date (YYYY-MM-DD); "-" when absent.
 */
export function formatWhen(ts: Timestamp | undefined, nowMs: number): string {
  if (ts === undefined) return "-";
  const ms = timestampMs(ts);
  const d = new Date(ms);
  const now = new Date(nowMs);
  const sameDay =
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate();
  const clock = formatClock(ms);
  return sameDay
    ? clock
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}

/**
 * A duration, short and readable: "850ms", "1.2s", "42s", "2m5s", "1h",
 * "1h30m", "2d3h".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) {
    const s = ms / 1000;
    const text = s < 10 ? s.toFixed(1) : s.toFixed(0);
    return `${text.endsWith(".0") ? text.slice(0, -2) : text}s`;
  }
  const totalSeconds = Math.round(ms / 1000);
  const units: [string, number][] = [
    ["d", Math.floor(totalSeconds / 86_400)],
    ["h", Math.floor((totalSeconds % 86_400) / 3600)],
    ["m", Math.floor((totalSeconds % 3600) / 60)],
    ["s", totalSeconds % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  // Two units at most: "2d3h", "1h30m", "2m5s"; trailing zeros dropped.
  const shown = units.slice(first, first + 2).filter(([, n], i) => i === 0 || n > 0);
  return shown.map(([unit, n]) => `${n}${unit}`).join("");
}

/** A protobuf Duration as formatDuration text. */
export function formatProtoDuration(d: Duration | undefined): string {
  return d === undefined ? "-" : formatDuration(durationMs(d));
}

/** How long a run took, or has been running so far. */
export function runDurationMs(run: Run, nowMs: number): number | undefined {
  const start = timeMs(run.createdAt);
  if (start === undefined) return undefined;
  const end = timeMs(run.finishedAt) ?? (isRunFinished(run.state) ? undefined : nowMs);
  return end === undefined ? undefined : Math.max(0, end - start);
}

// ---------------------------------------------------------------------------
// Layout: tables and trees

/**
 * A table with aligned columns: a header row, then one row per entry. Columns
 * are separated by two spaces; the last column is not padded.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  style: Style = plainStyle,
): string {
  const widths = headers.map((h, i) =>
    Math.max(visibleWidth(h), ...rows.map((row) => visibleWidth(row[i] ?? ""))),
  );
  const line = (cells: readonly string[]): string =>
    headers
      .map((_, i) => {
        const cell = cells[i] ?? "";
        return i === headers.length - 1 ? cell : padVisible(cell, widths[i] ?? 0);
      })
      .join("  ")
      .trimEnd();
  return [paint(style, "bold", line(headers)), ...rows.map(line)].join("\n");
}

/** One node of a printed tree. */
export interface TreeNode {
  label: string;
  children: TreeNode[];
}

/**
 * How many levels a tree is indented at most. A chain of 10,000 tasks would
 * otherwise print 200 MB of indentation; deeper nodes stay at this level and
 * say how deep they are.
 */
export const MAX_TREE_INDENT = 32;

/**
 * An indented tree: roots at the left margin, children below their parent
 * with box-drawing connectors; nodes deeper than MAX_TREE_INDENT are drawn at
 * that level, marked with their depth.
 */
export function renderTree(roots: readonly TreeNode[]): string {
  const lines: string[] = [];
  // An explicit stack, not recursion: a tree as deep as a declared chain
  // would overflow the call stack.
  const stack = [...roots].reverse().map((node) => ({ node, depth: 0, prefix: "", indent: "" }));
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, depth, prefix, indent } = item;
    const marker = depth > MAX_TREE_INDENT ? ` (depth ${depth})` : "";
    lines.push(prefix + node.label + marker);
    for (let i = node.children.length - 1; i >= 0; i--) {
      const last = i === node.children.length - 1;
      stack.push({
        node: node.children[i] as TreeNode,
        depth: depth + 1,
        prefix: indent + (last ? "└── " : "├── "),
        indent: depth + 1 < MAX_TREE_INDENT ? indent + (last ? "    " : "│   ") : indent,
      });
    }
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// Shared pieces

/** An owner as "team <contact>", or a note that nobody declared one. */
export function formatOwner(owner: Owner | undefined): string {
  const team = owner?.team ?? "";
  const contact = owner?.contact ?? "";
  if (team === "" && contact === "") return "no owning team declared";
  if (team === "") return `contact ${contact}`;
  return contact === "" ? `team ${team}` : `team ${team} <${contact}>`;
}

/** One upstream dependency: "a.x" (run first) or "a.x (fresh 1h)". */
export function formatDependency(dep: Dependency): string {
  if (dep.condition === DependencyCondition.FRESH_WITHIN) {
    return `${dep.taskId} (fresh ${formatProtoDuration(dep.freshWithin)})`;
  }
  return dep.taskId;
}

function colored(style: Style, name: string): string {
  return paint(style, stateColor(name), name);
}

function orDash(text: string): string {
  return text === "" ? "-" : text;
}

// ---------------------------------------------------------------------------
// Events

/** Column widths of the run timeline. */
export interface TimelineWidths {
  task: number;
  server: number;
}

/** Timeline widths that fit the task-runs of a run. */
export function timelineWidths(run: Run | undefined): TimelineWidths {
  const tasks = run?.taskRuns ?? [];
  const clamp = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, n));
  return {
    task: clamp(Math.max(0, ...tasks.map((t) => t.taskId.length)), 5, 40),
    server: clamp(Math.max(0, ...tasks.map((t) => t.serverName.length)), 6, 30),
  };
}

const STATE_WIDTH = 12;
const CAUSE_WIDTH = 16;

/**
 * One timeline line for an event: time, task, state, cause, server, message.
 * Run-level events show "run" in the task column and the run state.
 */
export function renderEvent(
  event: Event,
  style: Style = plainStyle,
  widths: TimelineWidths = { task: 24, server: 16 },
): string {
  let subject: string;
  let state: string;
  switch (event.kind) {
    case EventKind.RUN_STARTED:
      subject = "run";
      state = "RUNNING";
      break;
    case EventKind.RUN_FINISHED:
      subject = "run";
      state = runStateName(event.runState);
      break;
    case EventKind.TASK_RUN_CHANGED:
      subject = event.taskId;
      // PENDING with a due time: a failed attempt waits for its retry.
      state =
        event.state === TaskState.PENDING && event.dueAt !== undefined
          ? "RETRY"
          : taskStateName(event.state);
      break;
    case EventKind.ATTEMPT_SERVER_AWAY:
      subject = event.taskId;
      state = "AWAY";
      break;
    case EventKind.ATTEMPT_SERVER_BACK:
      subject = event.taskId;
      state = "BACK";
      break;
    case EventKind.ATTEMPT_PROGRESS:
      subject = event.taskId;
      state = "PROGRESS";
      break;
    case EventKind.SERVER_CONNECTED:
      subject = event.instanceId || event.serverName;
      state = "CONNECTED";
      break;
    case EventKind.SERVER_DISCONNECTED:
      subject = event.instanceId || event.serverName;
      state = "DISCONNECTED";
      break;
    default:
      subject = event.taskId || "-";
      state = eventKindName(event.kind);
  }
  const cells = [
    paint(style, "dim", formatClock(event.time)),
    padVisible(orDash(subject), widths.task),
    padVisible(colored(style, state), STATE_WIDTH),
    padVisible(paint(style, "red", errorCauseName(event.errorCause)), CAUSE_WIDTH),
    padVisible(orDash(event.serverName), widths.server),
    // Task columns already say what the message says; only its detail is new.
    event.kind === EventKind.TASK_RUN_CHANGED ||
    event.kind === EventKind.ATTEMPT_SERVER_AWAY ||
    event.kind === EventKind.ATTEMPT_PROGRESS
      ? event.detail
      : event.message,
  ];
  return cells.join("  ").trimEnd();
}

// ---------------------------------------------------------------------------
// Runs

/** What a run's outcome says: failed and blocked task-runs and the counts. */
export interface RunOutcomes {
  failed: TaskRunOutcome[];
  blocked: TaskRunOutcome[];
  completed: number;
  skipped: number;
  cancelled: number;
}

function outcomeOf(taskRun: TaskRun): TaskRunOutcome {
  return create(TaskRunOutcomeSchema, {
    taskId: taskRun.taskId,
    serverName: taskRun.serverName,
    errorCause: taskRun.errorCause,
    errorDescription: taskRun.errorDescription,
    blockedBy: taskRun.blockedBy,
    ...(taskRun.owner === undefined ? {} : { owner: taskRun.owner }),
  });
}

/**
 * The run's summary once it is set; before that (a running run), the same
 * facts derived from its task-runs.
 */
export function runOutcomes(run: Run): RunOutcomes {
  const s = run.summary;
  if (s !== undefined) {
    return {
      failed: s.failed,
      blocked: s.blocked,
      completed: s.completed,
      skipped: s.skipped,
      cancelled: s.cancelled,
    };
  }
  const count = (state: TaskState): number => run.taskRuns.filter((t) => t.state === state).length;
  return {
    failed: run.taskRuns.filter((t) => t.state === TaskState.ERROR).map(outcomeOf),
    blocked: run.taskRuns.filter((t) => t.state === TaskState.BLOCKED).map(outcomeOf),
    completed: count(TaskState.COMPLETED),
    skipped: count(TaskState.SKIPPED),
    cancelled: count(TaskState.CANCELLED),
  };
}

/** "TASK_FAILED: SmtpRefused: relay refused": the cause, the task's error type if any, the description. */
function failureText(cause: ErrorCause, description: string, errorType = ""): string {
  const name = errorCauseName(cause) || "ERROR";
  const said = errorType === "" ? description : `${errorType}: ${description}`;
  return said === "" ? name : `${name}: ${said}`;
}

/**
 * The end-of-run summary: state and duration, counts, then every failed
 * task with its cause, description and owning team, and every blocked task
 * with what blocked it.
 */
export function renderRunSummary(run: Run, style: Style = plainStyle, nowMs = Date.now()): string {
  const state = runStateName(run.state);
  const duration = runDurationMs(run, nowMs);
  const took =
    duration === undefined
      ? ""
      : ` ${isRunFinished(run.state) ? "in" : "for"} ${formatDuration(duration)}`;
  const mode = run.mode === RunMode.TEST ? " (test mode)" : "";
  const o = runOutcomes(run);
  const lines = [
    `Run ${run.id} ${colored(style, state)}${took}${mode} — targets: ${run.targets.join(", ") || "-"}`,
    `  ${o.completed} completed, ${o.failed.length} failed, ${o.blocked.length} blocked, ${o.skipped} skipped, ${o.cancelled} cancelled`,
  ];
  if (run.traceId !== "") lines.push(`  trace: ${run.traceId}`);
  if (o.failed.length > 0) {
    lines.push(paint(style, "red", "Failed:"));
    for (const f of o.failed) {
      const errorType = run.taskRuns.find((t) => t.taskId === f.taskId)?.errorType ?? "";
      lines.push(
        `  ${paint(style, "bold", f.taskId)}  ${failureText(f.errorCause, f.errorDescription, errorType)}`,
      );
      lines.push(`    owner: ${formatOwner(f.owner)}; server: ${orDash(f.serverName)}`);
    }
  }
  if (o.blocked.length > 0) {
    lines.push(paint(style, "yellow", "Blocked:"));
    for (const b of o.blocked) {
      const by = b.blockedBy.length > 0 ? b.blockedBy.join(", ") : "an upstream task";
      lines.push(`  ${paint(style, "bold", b.taskId)}  blocked by ${by}`);
      lines.push(`    owner: ${formatOwner(b.owner)}; server: ${orDash(b.serverName)}`);
    }
  }
  return lines.join("\n");
}

/**
 * The last line of a followed run: its outcome and, for each failed or
 * blocked task-run, the team that owns it; a cancelled run's reason.
 */
export function renderOutcomeLine(run: Run, style: Style, cancelReason = ""): string {
  const state = runStateName(run.state);
  const head = `Run ${run.id} ${colored(style, state)}`;
  if (run.state === RunState.CANCELLED) return cancelReason ? `${head}: ${cancelReason}` : head;
  const o = runOutcomes(run);
  const owned = (outcomes: readonly TaskRunOutcome[]) =>
    outcomes.map((f) => `${f.taskId} (team ${f.owner?.team || "-"})`).join(", ");
  const parts = [
    o.failed.length > 0 ? `failed ${owned(o.failed)}` : "",
    o.blocked.length > 0 ? `blocked ${owned(o.blocked)}` : "",
  ].filter((part) => part !== "");
  return parts.length > 0 ? `${head}: ${parts.join("; ")}` : head;
}

/** How much of an attempt's heartbeat details a table shows; `--json` shows them whole. */
const DETAILS_SHOWN = 60;

/**
 * What a running attempt said of itself: its progress, message and details
 * (cut), and when its last heartbeat came: `42% 400 of 1,000 rows; last
 * heartbeat 3s ago`. Empty when it said nothing.
 */
export function attemptProgressText(attempt: Attempt | undefined, nowMs: number): string {
  if (attempt === undefined) return "";
  const details =
    attempt.heartbeatDetails.length > DETAILS_SHOWN
      ? `${attempt.heartbeatDetails.slice(0, DETAILS_SHOWN - 1)}…`
      : attempt.heartbeatDetails;
  const said = describeProgress({
    progress: attempt.progress,
    message: attempt.progressMessage,
    details,
  });
  const beat = timeMs(attempt.lastHeartbeatAt);
  const last =
    beat === undefined ? "" : `last heartbeat ${formatDuration(Math.max(0, nowMs - beat))} ago`;
  return [said, last].filter((part) => part !== "").join("; ");
}

/** What to say about a task-run besides its state. */
export function taskRunDetail(taskRun: TaskRun, nowMs = Date.now()): string {
  switch (taskRun.state) {
    case TaskState.STARTED:
      return (
        attemptProgressText(taskRun.attempts.at(-1), nowMs) || errorCauseName(taskRun.errorCause)
      );
    case TaskState.ERROR:
      return `${failureText(taskRun.errorCause, taskRun.errorDescription, taskRun.errorType)} (${formatOwner(taskRun.owner)})`;
    case TaskState.BLOCKED:
      return `blocked by ${taskRun.blockedBy.join(", ") || "an upstream task"}`;
    case TaskState.PENDING:
      if (taskRun.retryAt !== undefined) {
        return `${taskRun.waitingReason}: next attempt at ${formatWhen(taskRun.retryAt, nowMs)}`;
      }
      return taskRun.waitingReason === "" ? "" : `waiting for ${taskRun.waitingReason}`;
    case TaskState.CANCELLED:
      return taskRun.cancelReason;
    case TaskState.SKIPPED: {
      const reused = taskRun.reused;
      if (reused === undefined) return "fresh enough";
      return `fresh: completed ${formatWhen(reused.completedAt, nowMs)} in run ${reused.runId}`;
    }
    default:
      return errorCauseName(taskRun.errorCause);
  }
}

/** Counts as "completed/failed/blocked/skipped". */
export function formatCounts(o: RunOutcomes): string {
  return `${o.completed}/${o.failed.length}/${o.blocked.length}/${o.skipped}`;
}

/** The runs table: id, state, targets, created, duration and counts. */
export function renderRunsTable(
  runs: readonly Run[],
  style: Style = plainStyle,
  nowMs = Date.now(),
): string {
  if (runs.length === 0) return "No runs yet.";
  const rows = runs.map((run) => {
    const duration = runDurationMs(run, nowMs);
    return [
      run.id,
      colored(style, runStateName(run.state)),
      run.targets.join(", "),
      formatWhen(run.createdAt, nowMs),
      duration === undefined ? "-" : formatDuration(duration),
      formatCounts(runOutcomes(run)),
    ];
  });
  return renderTable(
    ["RUN", "STATE", "TARGETS", "CREATED", "DURATION", "COMPLETED/FAILED/BLOCKED/SKIPPED"],
    rows,
    style,
  );
}

/** One run in full: its facts, a table of its task-runs, then its summary. */
export function renderRunDetail(run: Run, style: Style = plainStyle, nowMs = Date.now()): string {
  const params = Object.entries(run.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const facts: [string, string][] = [
    ["run", run.id],
    ["state", colored(style, runStateName(run.state))],
    ["trigger", triggerName(run.trigger)],
    ["mode", runModeName(run.mode)],
    ["targets", run.targets.join(", ") || "-"],
    ["params", params || "-"],
    ["created", formatWhen(run.createdAt, nowMs)],
    ["finished", formatWhen(run.finishedAt, nowMs)],
  ];
  if (run.idempotencyKey !== "") facts.push(["idempotency key", run.idempotencyKey]);
  if (run.traceId !== "") facts.push(["trace", run.traceId]);
  const labelWidth = Math.max(...facts.map(([k]) => k.length)) + 1;
  const header = facts.map(([k, v]) => `${`${k}:`.padEnd(labelWidth)} ${v}`).join("\n");
  const rows = run.taskRuns.map((t) => [
    t.taskId,
    orDash(t.serverName),
    colored(style, taskStateName(t.state)),
    String(t.attempts.length),
    formatWhen(t.updatedAt, nowMs),
    taskRunDetail(t, nowMs),
  ]);
  const tasks =
    rows.length === 0
      ? "No task-runs."
      : renderTable(
          ["TASK", "SERVER", "STATE", "ATTEMPTS", "UPDATED", "CAUSE / DETAIL"],
          rows,
          style,
        );
  const retried = run.taskRuns.filter((t) => t.attempts.length > 1);
  const attempts = retried.flatMap((t) =>
    t.attempts.map((a) => {
      const cause = errorCauseName(a.errorCause);
      const state = `${taskStateName(a.state)}${cause === "" ? "" : `(${cause})`}`;
      const said =
        a.errorType === "" ? a.errorDescription : `${a.errorType}: ${a.errorDescription}`;
      const why = said === "" ? "" : `: ${said}`;
      return `  ${t.taskId} #${a.number}  ${colored(style, state)} on ${a.instanceId}${why}`;
    }),
  );
  const parts = [header, "", tasks];
  if (attempts.length > 0) parts.push("", "Attempts of retried task-runs:", ...attempts);
  const outputs = renderTaskRunOutputs(run, style);
  if (outputs !== "") parts.push("", outputs);
  parts.push("", renderRunSummary(run, style, nowMs));
  return parts.join("\n");
}

// ---------------------------------------------------------------------------
// Tasks, servers, graph

/** Resolution status of a task: "resolved" or "unresolved: <reason>". */
export function formatResolution(task: TaskInfo, style: Style = plainStyle): string {
  if (task.resolved) return paint(style, "green", "resolved");
  const reason = task.unresolvedReason || (task.serverName === "" ? "declared by no server" : "");
  return paint(style, "red", reason === "" ? "unresolved" : `unresolved: ${reason}`);
}

/**
 * One upstream dependency with, for a fresh-within condition, whether it
 * holds now: "a.x" (run first), "a.x (fresh 1h: fresh, done 12m ago)",
 * "a.x (fresh 1h: stale, done 3h ago)" or "a.x (fresh 1h: never completed)".
 * Fresh means the upstream completed less than the window ago, as the
 * planner decides it.
 */
export function formatDependencyStatus(
  dep: Dependency,
  lastCompletion: Completion | undefined,
  nowMs: number,
  style: Style = plainStyle,
): string {
  if (dep.condition !== DependencyCondition.FRESH_WITHIN) return dep.taskId;
  const window = formatProtoDuration(dep.freshWithin);
  const completedAt = timeMs(lastCompletion?.completedAt);
  if (completedAt === undefined) {
    return `${dep.taskId} (fresh ${window}: ${paint(style, "yellow", "never completed")})`;
  }
  const age = nowMs - completedAt;
  const windowMs = dep.freshWithin === undefined ? 0 : durationMs(dep.freshWithin);
  const status = age < windowMs ? paint(style, "green", "fresh") : paint(style, "yellow", "stale");
  const done = age < 1000 ? "just now" : `${formatDuration(age)} ago`;
  return `${dep.taskId} (fresh ${window}: ${status}, done ${done})`;
}

/**
 * A cron schedule as "0 3 * * * (Europe/Berlin)", UTC when no zone is named,
 * with ", done within 2h" when it declares expectedWithin; "-" without one.
 */
export function formatSchedule(schedule: Schedule | undefined): string {
  if (schedule === undefined || schedule.cron === "") return "-";
  const expected = schedule.expectedWithin
    ? `, done within ${formatProtoDuration(schedule.expectedWithin)}`
    : "";
  return `${schedule.cron} (${schedule.timeZone || "UTC"})${expected}`;
}

/** When a schedule fires next: "10:05:00.000 (in 4m)"; "-" when absent. */
export function formatNextFire(next: Timestamp | undefined, nowMs: number): string {
  const ms = timeMs(next);
  if (ms === undefined) return "-";
  const when = formatWhen(next, nowMs);
  return ms >= nowMs ? `${when} (in ${formatDuration(ms - nowMs)})` : `${when} (due)`;
}

/**
 * The tasks table: every task with its server, team, upstream (with whether
 * each fresh-within condition holds now), schedule, next fire time and status.
 */
export function renderTasksTable(
  tasks: readonly TaskInfo[],
  style: Style = plainStyle,
  nowMs = Date.now(),
): string {
  if (tasks.length === 0) return "No tasks declared.";
  const completions = new Map<string, Completion | undefined>(
    tasks.map((t) => [t.taskId, t.lastCompletion]),
  );
  const rows = [...tasks]
    .sort((a, b) => a.taskId.localeCompare(b.taskId))
    .map((t) => [
      t.taskId,
      orDash(t.serverName),
      orDash(t.declaration?.owner?.team ?? ""),
      (t.declaration?.dependencies ?? [])
        .map((dep) => formatDependencyStatus(dep, completions.get(dep.taskId), nowMs, style))
        .join(", ") || "-",
      formatSchedule(t.declaration?.schedule),
      formatNextFire(t.nextFireTime, nowMs),
      t.serverName === "" ? "-" : String(t.instances),
      formatResolution(t, style),
      t.lastCompletion === undefined ? "never" : formatWhen(t.lastCompletion.completedAt, nowMs),
    ]);
  return renderTable(
    [
      "TASK",
      "SERVER",
      "TEAM",
      "UPSTREAM",
      "SCHEDULE",
      "NEXT FIRE",
      "INSTANCES",
      "STATUS",
      "LAST COMPLETED",
    ],
    rows,
    style,
  );
}

/** The servers table: one row per connected instance (or one for none). */
export function renderServersTable(
  servers: readonly ServerInfo[],
  style: Style = plainStyle,
  nowMs = Date.now(),
): string {
  if (servers.length === 0) return "No task-servers known.";
  const rows: string[][] = [];
  for (const server of [...servers].sort((a, b) => a.name.localeCompare(b.name))) {
    const tasks = server.taskIds.join(", ") || "-";
    if (server.instances.length === 0) {
      rows.push([server.name, "-", paint(style, "yellow", "OFFLINE"), "-", "-", "-", tasks]);
      continue;
    }
    server.instances.forEach((inst, i) => {
      const max = inst.maxConcurrency === 0 ? "∞" : String(inst.maxConcurrency);
      rows.push([
        i === 0 ? server.name : "",
        inst.instanceId,
        colored(style, serverStateName(inst.state)),
        formatWhen(inst.connectedAt, nowMs),
        `${inst.running}/${max}`,
        orDash(inst.agent),
        i === 0 ? tasks : "",
      ]);
    });
  }
  return renderTable(
    ["SERVER", "INSTANCE", "STATE", "CONNECTED SINCE", "RUNNING/MAX", "AGENT", "TASKS"],
    rows,
    style,
  );
}

interface GraphLink {
  other: string;
  dependency: Dependency | undefined;
}

/**
 * The global graph as a tree: roots (tasks with no upstream) first, each
 * task's downstream tasks below it. Every node shows its server and team;
 * unresolved tasks are marked with their reason. A task reached a second
 * time is shown again but not expanded ("see above").
 */
export function renderGraph(graph: GetGraphResponse, style: Style = plainStyle): string {
  const tasks = new Map<string, TaskInfo>(graph.tasks.map((t) => [t.taskId, t]));
  const upstreamOf = new Map<string, GraphLink[]>();
  const downstreamOf = new Map<string, GraphLink[]>();
  const seenEdge = new Set<string>();
  const link = (up: string, down: string, dependency: Dependency | undefined): void => {
    const key = `${up}\u0000${down}`;
    if (seenEdge.has(key)) return;
    seenEdge.add(key);
    for (const id of [up, down]) {
      if (!upstreamOf.has(id)) upstreamOf.set(id, []);
      if (!downstreamOf.has(id)) downstreamOf.set(id, []);
    }
    upstreamOf.get(down)?.push({ other: up, dependency });
    downstreamOf.get(up)?.push({ other: down, dependency });
  };
  for (const e of graph.edges) link(e.upstream, e.downstream, e.dependency);
  for (const t of graph.tasks) {
    for (const dep of t.declaration?.dependencies ?? []) link(dep.taskId, t.taskId, dep);
  }
  const ids = [...new Set([...tasks.keys(), ...upstreamOf.keys()])].sort();
  if (ids.length === 0) return "No tasks declared.";

  const label = (id: string, via: Dependency | undefined): string => {
    const task = tasks.get(id);
    const parts = [paint(style, "bold", id)];
    if (via?.condition === DependencyCondition.FRESH_WITHIN) {
      parts.push(paint(style, "dim", `[fresh ${formatProtoDuration(via.freshWithin)}]`));
    }
    const server = task?.serverName ?? "";
    const team = task?.declaration?.owner?.team ?? "";
    if (server === "") {
      parts.push(paint(style, "dim", "(no server)"));
    } else {
      parts.push(paint(style, "dim", team === "" ? `(${server})` : `(${server}, team ${team})`));
    }
    if (task === undefined || !task.resolved) {
      const reason = task?.unresolvedReason || "declared by no server";
      parts.push(paint(style, "red", `UNRESOLVED: ${reason}`));
    }
    return parts.join(" ");
  };

  // Depth-first with an explicit stack, not recursion: a chain as long as a
  // declaration may hold (10,000 tasks) would overflow the call stack. Tasks
  // are expanded in the order recursion would take, so "see above" points up.
  const expanded = new Set<string>();
  const path = new Set<string>();
  const stack: { id: string; node: TreeNode; children: GraphLink[]; next: number }[] = [];
  const visit = (id: string, via: Dependency | undefined): TreeNode => {
    const node: TreeNode = { label: label(id, via), children: [] };
    const children = [...(downstreamOf.get(id) ?? [])].sort((a, b) =>
      a.other.localeCompare(b.other),
    );
    if (path.has(id)) {
      node.label += paint(style, "red", " (cycle)");
      return node;
    }
    if (expanded.has(id) && children.length > 0) {
      node.label += paint(style, "dim", " (see above)");
      return node;
    }
    expanded.add(id);
    path.add(id);
    stack.push({ id, node, children, next: 0 });
    return node;
  };
  const build = (id: string): TreeNode => {
    const root = visit(id, undefined);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as (typeof stack)[number];
      const child = frame.children[frame.next++];
      if (child === undefined) {
        stack.pop();
        path.delete(frame.id);
      } else {
        frame.node.children.push(visit(child.other, child.dependency));
      }
    }
    return root;
  };

  const roots = ids.filter((id) => (upstreamOf.get(id) ?? []).length === 0);
  const trees = roots.map(build);
  // Tasks only reachable through a cycle have no root; show them too.
  for (const id of ids) {
    if (!expanded.has(id)) trees.push(build(id));
  }
  const unresolved = ids.filter((id) => !(tasks.get(id)?.resolved ?? false)).length;
  const footer = `${ids.length} task${ids.length === 1 ? "" : "s"}, ${unresolved} unresolved`;
  return `${renderTree(trees)}\n\n${paint(style, "dim", footer)}`;
}

// ---------------------------------------------------------------------------
// JSON

/** A message as one pretty-printed JSON document (protobuf JSON mapping). */
export function renderJson<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): string {
  return JSON.stringify(toJson(schema, message), null, 2);
}
