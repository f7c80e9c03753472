// What a followed run looks like right now, built from the run StartRun
// returned and the events of its watch, and the live view of it that `dyna
// run` redraws in place on a terminal.

import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  describeProgress,
  type Event,
  EventKind,
  type Run,
  RunState,
  TaskState,
} from "@cordyna/contract";
import {
  errorCauseName,
  formatDuration,
  padVisible,
  paint,
  runStateName,
  type Style,
  stateColor,
  stripAnsi,
  taskStateName,
  visibleWidth,
} from "./render.js";

/** One task-run as the live view shows it. */
export interface TaskProgress {
  readonly taskId: string;
  readonly team: string;
  readonly upstream: readonly string[];
  state: TaskState;
  /** When it entered its state (ms), once an event said so. */
  since: number | undefined;
  attempt: number;
  /** Why it waits, as cerebro said. */
  waitingReason: string;
  /** A failed attempt that will be tried again: cause and description, and when. */
  retry: { readonly attempt: number; readonly failure: string; readonly dueAt: number } | undefined;
  /** Its instance is away: which, and when the attempt is lost unless it is back. */
  away: { readonly instanceId: string; readonly dueAt: number } | undefined;
  /** With ERROR: cause and description; with CANCELLED: the reason. */
  outcome: string;
  /** What its running attempt last said of how far it got. */
  progress: string;
}

/** A followed run: its task-runs and how it ended, kept up to date from its events. */
export class RunProgress {
  readonly runId: string;
  readonly startedAt: number;
  state: RunState;
  cancelReason = "";
  readonly #tasks = new Map<string, TaskProgress>();

  constructor(run: Run) {
    this.runId = run.id;
    this.state = run.state;
    this.startedAt = run.createdAt ? timestampMs(run.createdAt) : 0;
    for (const taskRun of run.taskRuns) {
      const attempt = taskRun.attempts.at(-1);
      this.#tasks.set(taskRun.taskId, {
        taskId: taskRun.taskId,
        team: taskRun.owner?.team ?? "",
        upstream: taskRun.upstream,
        state: taskRun.state,
        since: undefined,
        attempt: taskRun.attempts.length,
        waitingReason: taskRun.waitingReason,
        retry: undefined,
        away: undefined,
        outcome: "",
        progress:
          attempt === undefined
            ? ""
            : describeProgress({
                progress: attempt.progress,
                message: attempt.progressMessage,
                details: attempt.heartbeatDetails,
              }),
      });
    }
  }

  /** The task-runs in plan order. */
  get tasks(): readonly TaskProgress[] {
    return [...this.#tasks.values()];
  }

  apply(event: Event): void {
    if (event.kind === EventKind.RUN_FINISHED) {
      this.state = event.runState;
      this.cancelReason = event.runState === RunState.CANCELLED ? event.detail : "";
      return;
    }
    const task = this.#tasks.get(event.taskId);
    if (task === undefined) return;
    const at = event.time ? timestampMs(event.time) : undefined;
    if (event.attemptNumber > 0) task.attempt = event.attemptNumber;
    switch (event.kind) {
      case EventKind.ATTEMPT_SERVER_AWAY:
        task.away = {
          instanceId: event.instanceId,
          dueAt: event.dueAt ? timestampMs(event.dueAt) : 0,
        };
        return;
      case EventKind.ATTEMPT_SERVER_BACK:
        task.away = undefined;
        return;
      case EventKind.ATTEMPT_PROGRESS:
        task.progress = event.detail;
        return;
      case EventKind.TASK_RUN_CHANGED:
        break;
      default:
        return;
    }
    if (task.state !== event.state) {
      task.since = at;
      task.progress = "";
    }
    task.state = event.state;
    task.away = undefined;
    task.retry = undefined;
    task.waitingReason = "";
    task.outcome = "";
    if (event.state === TaskState.PENDING && event.dueAt !== undefined) {
      task.retry = {
        attempt: event.attemptNumber,
        failure: failureOf(event),
        dueAt: timestampMs(event.dueAt),
      };
    } else if (event.state === TaskState.PENDING) {
      task.waitingReason = event.detail;
    } else if (event.state === TaskState.ERROR) {
      task.outcome = failureOf(event);
    } else if (event.state === TaskState.CANCELLED || event.state === TaskState.BLOCKED) {
      task.outcome = event.detail;
    }
  }

  /** Why a PENDING task-run waits: what cerebro said, or else its unfinished upstream. */
  waitingFor(task: TaskProgress): string {
    if (task.waitingReason !== "") return task.waitingReason;
    const unfinished = task.upstream.filter((taskId) => {
      const upstream = this.#tasks.get(taskId);
      return upstream !== undefined && !DONE.has(upstream.state);
    });
    return unfinished.length > 0 ? `upstream ${unfinished.join(", ")}` : "";
  }
}

/** The error's cause, then its description: "TASK_FAILED: disk full". */
function failureOf(event: Event): string {
  const cause = errorCauseName(event.errorCause);
  const description =
    event.state === TaskState.PENDING ? event.detail.replace(/^[^:]*: /, "") : event.detail;
  return [cause, description].filter((part) => part !== "").join(": ");
}

const DONE: ReadonlySet<TaskState> = new Set([TaskState.COMPLETED, TaskState.SKIPPED]);

/** The order of the view: what moves first, then what waits, then what ended. */
function rank(task: TaskProgress): number {
  if (task.away) return 0;
  switch (task.state) {
    case TaskState.STARTED:
    case TaskState.QUEUED:
    case TaskState.INVOKED:
      return 1;
    case TaskState.PENDING:
      return task.retry ? 2 : 3;
    case TaskState.ERROR:
      return 4;
    default:
      return 5;
  }
}

/** What the live view may take of the terminal. */
export interface ViewSize {
  /** Columns: no line is longer, so that none wraps and the redraw stays in place. */
  readonly width: number;
  /** The most task lines; the rest are counted on one line. */
  readonly maxTaskLines: number;
}

/**
 * The live view of a run at `nowMs`: a header with the counts, then one line
 * per task-run — running with elapsed time and what it last said of its
 * progress, retrying with attempt, cause and
 * time to the next try, away with time left in the grace period, waiting and
 * why, failed with owning team and cause, finished.
 */
export function renderProgress(
  progress: RunProgress,
  nowMs: number,
  size: ViewSize,
  style: Style,
): string[] {
  const tasks = [...progress.tasks].sort((a, b) => rank(a) - rank(b));
  const count = (test: (task: TaskProgress) => boolean): number => tasks.filter(test).length;
  const running = count((task) => rank(task) <= 1);
  const waiting = count((task) => task.state === TaskState.PENDING);
  const done = count((task) => DONE.has(task.state));
  const failed = count((task) => task.state === TaskState.ERROR);
  const other = tasks.length - running - waiting - done - failed;
  const elapsed = formatDuration(Math.max(0, nowMs - progress.startedAt));
  const header =
    `${progress.runId}  ${paint(style, stateColor(runStateName(progress.state)), runStateName(progress.state))}  ${elapsed}  ` +
    `${running} running, ${waiting} waiting, ${done} done, ${failed} failed` +
    (other > 0 ? `, ${other} blocked or cancelled` : "");
  const idWidth = Math.min(40, Math.max(5, ...tasks.map((task) => task.taskId.length)));
  const shown = tasks.slice(0, Math.max(1, size.maxTaskLines));
  const lines = [header];
  for (const task of shown) {
    const [label, text] = describe(progress, task, nowMs);
    lines.push(
      `  ${padVisible(task.taskId, idWidth)}  ${padVisible(paint(style, stateColor(label), label), 9)}  ${text}`,
    );
  }
  if (tasks.length > shown.length) lines.push(`  … ${tasks.length - shown.length} more`);
  return lines.map((line) => fit(line.trimEnd(), size.width));
}

/** A task-run's label and what the view says about it. */
function describe(progress: RunProgress, task: TaskProgress, nowMs: number): [string, string] {
  const elapsed = task.since === undefined ? "" : formatDuration(Math.max(0, nowMs - task.since));
  if (task.away) {
    const left = formatDuration(Math.max(0, task.away.dueAt - nowMs));
    return [
      "AWAY",
      `attempt ${task.attempt}: instance ${task.away.instanceId} disconnected; SERVER_LOST in ${left} unless it is back`,
    ];
  }
  if (task.retry) {
    const left = formatDuration(Math.max(0, task.retry.dueAt - nowMs));
    return [
      "RETRY",
      `attempt ${task.retry.attempt} failed (${task.retry.failure}); attempt ${task.retry.attempt + 1} in ${left}`,
    ];
  }
  const state = taskStateName(task.state);
  switch (task.state) {
    case TaskState.PENDING:
      return ["WAITING", progress.waitingFor(task)];
    case TaskState.INVOKED:
    case TaskState.QUEUED:
    case TaskState.STARTED: {
      const shown = [elapsed, task.attempt > 1 ? `attempt ${task.attempt}` : ""].join("  ");
      return [state, task.progress === "" ? shown : `${shown.trimEnd()}  ${task.progress}`];
    }
    case TaskState.ERROR:
      // The team first: a long description is what gets cut.
      return [state, `team ${task.team}: ${task.outcome}`];
    default:
      return [state, task.outcome];
  }
}

/** Cuts a line to `width` visible columns. */
function fit(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  // Colour codes make the cut awkward; a cut line goes without them.
  const plain = stripAnsi(line);
  return `${plain.slice(0, Math.max(0, width - 1))}…`;
}
