// dyna history: a task's past task-runs, newest first, a page at a time.

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ListTaskRunsResponseSchema,
  MAX_TASK_RUNS_PAGE,
  type TaskRunOfRun,
  TaskState,
} from "@cordyna/contract";
import { expectPositionals, type OptionsConfig, parseCommandArgs, parseIntFlag } from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import {
  errorCauseName,
  formatDuration,
  formatWhen,
  paint,
  renderJson,
  renderTable,
  type Style,
  stateColor,
  taskStateName,
  timeMs,
} from "./render.js";
import { closeTaskIdsFor, didYouMean } from "./suggest.js";

/** When a task-run began (its first invoke, else its run's creation) and how long it took. */
function timing(entry: TaskRunOfRun): {
  startedAt: number | undefined;
  durationMs: number | undefined;
} {
  const attempts = entry.taskRun?.attempts ?? [];
  const startedAt = timeMs(attempts[0]?.invokedAt) ?? timeMs(entry.runCreatedAt);
  const endedAt = timeMs(attempts.at(-1)?.finishedAt);
  return {
    startedAt,
    durationMs:
      startedAt === undefined || endedAt === undefined
        ? undefined
        : Math.max(0, endedAt - startedAt),
  };
}

/** Why a task-run ended as it did: its error, what blocked it, or the cancel's reason. */
function cause(entry: TaskRunOfRun): string {
  const taskRun = entry.taskRun;
  if (taskRun === undefined) return "";
  switch (taskRun.state) {
    case TaskState.ERROR:
      return [errorCauseName(taskRun.errorCause), taskRun.errorType, taskRun.errorDescription]
        .filter((part) => part !== "")
        .join(": ");
    case TaskState.BLOCKED:
      return `blocked by ${taskRun.blockedBy.join(", ")}`;
    case TaskState.CANCELLED:
      return taskRun.cancelReason;
    default:
      return "";
  }
}

/** The history table: start, duration, outcome, attempts, cause, run. */
export function renderHistory(
  entries: readonly TaskRunOfRun[],
  style: Style,
  nowMs: number,
): string {
  const rows = entries.map((entry) => {
    const { startedAt, durationMs } = timing(entry);
    const state = taskStateName(entry.taskRun?.state ?? TaskState.UNSPECIFIED);
    return [
      startedAt === undefined ? "-" : formatWhen(timestampFromMs(startedAt), nowMs),
      durationMs === undefined ? "-" : formatDuration(durationMs),
      paint(style, stateColor(state), state),
      String(entry.taskRun?.attempts.length ?? 0),
      entry.runId,
      cause(entry),
    ];
  });
  return renderTable(["STARTED", "DURATION", "OUTCOME", "ATTEMPTS", "RUN", "CAUSE"], rows, style);
}

/** The flags of `dyna history` (the common ones come on top). */
export const HISTORY_FLAGS = {
  limit: { type: "string" },
  page: { type: "string" },
} as const satisfies OptionsConfig;

/** `dyna history <task> [--limit N] [--page TOKEN]`: the task's past task-runs, newest first. */
export async function historyCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("history", args, HISTORY_FLAGS);
  if (values.help) return printHelp(ctx.io, "history");
  expectPositionals("history", positionals, 1, 1, "task: name the task whose task-runs to list");
  const taskId = positionals[0] ?? "";
  const limit =
    values.limit === undefined
      ? 0
      : parseIntFlag("history", "limit", values.limit, 1, MAX_TASK_RUNS_PAGE);
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  const res = await client.listTaskRuns(
    { taskId, limit, pageToken: values.page ?? "" },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (values.json) {
    ctx.io.out(renderJson(ListTaskRunsResponseSchema, res));
    return EXIT_OK;
  }
  if (res.taskRuns.length === 0) {
    ctx.io.out(`No task-runs of ${taskId} are kept.`);
    // A task no longer declared keeps its history; one never declared may be a typo.
    const close = await closeTaskIdsFor(client, [taskId]).catch(() => undefined);
    const hint = didYouMean(close?.get(taskId) ?? []);
    if (hint) ctx.io.err(`dyna: cerebro knows no task ${taskId}${hint}`);
    return EXIT_OK;
  }
  ctx.io.out(renderHistory(res.taskRuns, ctx.style, ctx.now()));
  if (res.nextPageToken) {
    const again = values.limit === undefined ? "" : ` --limit ${limit}`;
    ctx.io.out(`More: dyna history ${taskId}${again} --page ${res.nextPageToken}`);
  }
  return EXIT_OK;
}
