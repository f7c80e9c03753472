// dyna logs: what a run's attempts logged, as cerebro keeps it.

import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type ControlClient,
  EventKind,
  FollowTaskRunLogsResponseSchema,
  GetTaskRunLogsResponseSchema,
  LogLevel,
  LogStream,
  type Run,
  RunState,
  type TaskLogLine,
  type TaskRun,
  type TaskRunLogs,
} from "@cordyna/contract";
import { expectPositionals, type OptionsConfig, parseCommandArgs, parseIntFlag } from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import { formatClock, type Paint, paint, renderJson, type Style } from "./render.js";
import { explainNotFound } from "./suggest.js";

/** Lines asked for per page. */
const PAGE_LINES = 1_000;

/** Which attempts to show, and how. */
interface LogsRequest {
  readonly client: ControlClient;
  readonly runId: string;
  /** From 1; 0 means each task-run's latest. */
  readonly attempt: number;
  readonly json: boolean;
  readonly ctx: CliContext;
}

/** The flags of `dyna logs` (the common ones come on top). */
export const LOGS_FLAGS = {
  attempt: { type: "string" },
  follow: { type: "boolean", short: "f" },
} as const satisfies OptionsConfig;

/** `dyna logs <run-id> [<task>] [--attempt N] [--follow]`. */
export async function logsCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("logs", args, LOGS_FLAGS);
  if (values.help) return printHelp(ctx.io, "logs");
  expectPositionals("logs", positionals, 1, 2, "run id");
  const [runId = "", taskId] = positionals;
  const request: LogsRequest = {
    client: ctx.connect(resolveAddress(values.cerebro, ctx.io.env)),
    runId,
    attempt:
      values.attempt === undefined
        ? 0
        : parseIntFlag("logs", "attempt", values.attempt, 1, 0xffff_ffff),
    json: values.json === true,
    ctx,
  };
  try {
    return await showLogs(request, taskId, values.follow === true);
  } catch (error) {
    throw await explainNotFound(
      request.client,
      { runId, ...(taskId === undefined ? {} : { taskId }) },
      error,
    );
  }
}

async function showLogs(
  request: LogsRequest,
  taskId: string | undefined,
  follow: boolean,
): Promise<number> {
  if (taskId !== undefined) {
    return follow ? followTask(request, taskId, false) : printTask(request, taskId, false);
  }
  if (follow) return followRun(request);
  const run = await getRun(request);
  if (run === undefined) return EXIT_FAILED;
  for (const taskRun of run.taskRuns) {
    if (hasAttempt(taskRun, request.attempt)) await printTask(request, taskRun.taskId, true);
  }
  return EXIT_OK;
}

async function getRun(request: LogsRequest): Promise<Run | undefined> {
  const { run } = await request.client.getRun(
    { runId: request.runId },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (run === undefined) request.ctx.io.err(`dyna: cerebro returned no run for ${request.runId}`);
  return run;
}

function hasAttempt(taskRun: TaskRun, attempt: number): boolean {
  return attempt === 0 ? taskRun.attempts.length > 0 : taskRun.attempts.length >= attempt;
}

/** Prints an attempt's log as it stands, a page at a time. */
async function printTask(request: LogsRequest, taskId: string, named: boolean): Promise<number> {
  const { client, runId, attempt, ctx } = request;
  let afterSeq = 0n;
  for (let first = true; ; first = false) {
    const response = await client.getTaskRunLogs(
      { runId, taskId, attempt, afterSeq, limit: PAGE_LINES },
      { timeoutMs: UNARY_TIMEOUT_MS },
    );
    if (request.json) ctx.io.out(renderJson(GetTaskRunLogsResponseSchema, response));
    const logs = response.logs;
    if (logs === undefined) return EXIT_OK;
    if (!request.json) printLines(ctx, logs, named ? taskId : undefined, first);
    if (logs.lines.length === 0 || logs.nextAfterSeq === afterSeq) return EXIT_OK;
    afterSeq = logs.nextAfterSeq;
  }
}

/** Prints an attempt's log and each line as it comes, until the attempt ends. */
async function followTask(request: LogsRequest, taskId: string, named: boolean): Promise<number> {
  const { client, runId, attempt, ctx } = request;
  const abort = new AbortController();
  void ctx.waitForShutdown().then(() => abort.abort());
  let first = true;
  try {
    for await (const response of client.followTaskRunLogs(
      { runId, taskId, attempt },
      { signal: abort.signal },
    )) {
      if (request.json) ctx.io.out(renderJson(FollowTaskRunLogsResponseSchema, response));
      else if (response.logs) printLines(ctx, response.logs, named ? taskId : undefined, first);
      first = false;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  }
  return EXIT_OK;
}

/**
 * Follows every task-run's attempt of a run at once, lines prefixed by
 * their task, also those invoked later, until the run has finished and
 * each followed attempt has ended.
 */
async function followRun(request: LogsRequest): Promise<number> {
  const { client, runId, ctx } = request;
  const followed = new Set<string>();
  const following: Promise<number>[] = [];
  // Each attempt of the latest once (a retry's is followed too), or one number's.
  const follow = (taskId: string, attemptId: string): void => {
    const key = request.attempt === 0 ? attemptId : taskId;
    if (followed.has(key)) return;
    followed.add(key);
    following.push(followTask(request, taskId, true));
  };
  const abort = new AbortController();
  void ctx.waitForShutdown().then(() => abort.abort());
  // Watching before looking: an attempt invoked in between is not missed.
  const watch = client.watchEvents({ runId }, { signal: abort.signal })[Symbol.asyncIterator]();
  const firstEvent = watch.next();
  firstEvent.catch(() => {});
  const run = await getRun(request);
  if (run === undefined) {
    abort.abort();
    return EXIT_FAILED;
  }
  for (const taskRun of run.taskRuns) {
    const latest = taskRun.attempts.at(-1);
    if (latest && hasAttempt(taskRun, request.attempt)) follow(taskRun.taskId, latest.id);
  }
  try {
    for (let next = firstEvent; run.state === RunState.RUNNING; next = watch.next()) {
      const { value, done } = await next;
      if (done) break;
      const event = value.event;
      if (event?.kind === EventKind.RUN_FINISHED) break;
      if (event?.kind === EventKind.TASK_RUN_CHANGED && event.attemptId !== "") {
        follow(event.taskId, event.attemptId);
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    abort.abort();
  }
  await Promise.all(following);
  return EXIT_OK;
}

const LEVEL_NAMES: Readonly<Record<LogLevel, string>> = {
  [LogLevel.UNSPECIFIED]: "INFO",
  [LogLevel.TRACE]: "TRACE",
  [LogLevel.DEBUG]: "DEBUG",
  [LogLevel.INFO]: "INFO",
  [LogLevel.WARN]: "WARN",
  [LogLevel.ERROR]: "ERROR",
  [LogLevel.FATAL]: "FATAL",
};

const LEVEL_PAINT: Partial<Record<LogLevel, Paint>> = {
  [LogLevel.TRACE]: "dim",
  [LogLevel.DEBUG]: "dim",
  [LogLevel.WARN]: "yellow",
  [LogLevel.ERROR]: "red",
  [LogLevel.FATAL]: "red",
};

/** Prints a page; on the first page, a line saying how many earlier lines cerebro dropped. */
function printLines(
  ctx: CliContext,
  logs: TaskRunLogs,
  taskId: string | undefined,
  first: boolean,
): void {
  const prefix = taskId === undefined ? "" : `${paint(ctx.style, "cyan", taskId)} | `;
  if (first && logs.droppedLines > 0n) {
    const marker = `… ${logs.droppedLines} earlier line${logs.droppedLines === 1n ? "" : "s"} of attempt ${logs.attempt} dropped: cerebro keeps the newest of each attempt (CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT)`;
    ctx.io.out(`${prefix}${paint(ctx.style, "yellow", marker)}`);
  }
  for (const line of logs.lines) ctx.io.out(`${prefix}${formatLogLine(line, ctx.style)}`);
}

/** "12:00:01.250 INFO  stdout  the text"; the stream is named for a command's output only. */
export function formatLogLine({ line }: TaskLogLine, style: Style): string {
  if (line === undefined) return "";
  const time = formatClock(line.time === undefined ? undefined : timestampMs(line.time));
  const level = paint(style, LEVEL_PAINT[line.level], LEVEL_NAMES[line.level].padEnd(5));
  const stream =
    line.stream === LogStream.STDOUT
      ? "stdout  "
      : line.stream === LogStream.STDERR
        ? "stderr  "
        : "";
  const text = line.stream === LogStream.CORDYNA ? paint(style, "yellow", line.text) : line.text;
  return `${paint(style, "dim", time)} ${level} ${stream}${text}`;
}
