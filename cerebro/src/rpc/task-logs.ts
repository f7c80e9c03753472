// Attempts' logs on the wire: what task-servers send up their stream, and
// what the control API serves.

import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type FollowTaskRunLogsRequest,
  type FollowTaskRunLogsResponse,
  type GetTaskRunLogsRequest,
  type GetTaskRunLogsResponse,
  LogLevel,
  type LogLine,
  LogStream,
  type TaskLogs,
  type TaskRunLogs,
  timestampOf,
} from "@cordyna/contract";
import type {
  LogLevel as DomainLogLevel,
  LogStream as DomainLogStream,
  LogLineRecord,
} from "../domain/logs.js";
import type { AttemptLogPage, LogBook } from "../logs/log-book.js";

/** Lines a GetTaskRunLogs page holds when the request names no limit. */
const DEFAULT_PAGE_LINES = 1_000;
/** Lines a FollowTaskRunLogs message holds at most. */
const FOLLOW_PAGE_LINES = 1_000;

const LEVELS: Readonly<Record<LogLevel, DomainLogLevel>> = {
  [LogLevel.UNSPECIFIED]: "info",
  [LogLevel.TRACE]: "trace",
  [LogLevel.DEBUG]: "debug",
  [LogLevel.INFO]: "info",
  [LogLevel.WARN]: "warn",
  [LogLevel.ERROR]: "error",
  [LogLevel.FATAL]: "fatal",
};

const LEVELS_TO_PROTO = Object.fromEntries(
  Object.entries(LEVELS)
    .filter(([level]) => Number(level) !== LogLevel.UNSPECIFIED)
    .map(([level, name]) => [name, Number(level) as LogLevel]),
) as Record<DomainLogLevel, LogLevel>;

const STREAMS: Readonly<Record<LogStream, DomainLogStream>> = {
  [LogStream.UNSPECIFIED]: "logger",
  [LogStream.LOGGER]: "logger",
  [LogStream.STDOUT]: "stdout",
  [LogStream.STDERR]: "stderr",
  [LogStream.CORDYNA]: "cordyna",
};

const STREAMS_TO_PROTO: Record<DomainLogStream, LogStream> = {
  logger: LogStream.LOGGER,
  stdout: LogStream.STDOUT,
  stderr: LogStream.STDERR,
  cordyna: LogStream.CORDYNA,
};

/** The lines of a TaskLogs message as cerebro stores them; a line without a time gets `now`. */
export function logLinesFromProto(logs: TaskLogs, now: number): LogLineRecord[] {
  return logs.lines.map((line) => ({
    time: line.time ? timestampMs(line.time) : now,
    level: LEVELS[line.level] ?? "info",
    stream: STREAMS[line.stream] ?? "logger",
    text: line.text,
  }));
}

/** The bytes of text a TaskLogs message carries: what the per-stream rate counts. */
export function logTextBytes(logs: TaskLogs): number {
  let bytes = 0;
  for (const line of logs.lines) bytes += Buffer.byteLength(line.text);
  return bytes;
}

function pageToProto(page: AttemptLogPage): TaskRunLogs {
  return {
    $typeName: "cordyna.v1.TaskRunLogs",
    attemptId: page.attemptId,
    attempt: page.attempt,
    lines: page.lines.map((line) => ({
      $typeName: "cordyna.v1.TaskLogLine",
      seq: BigInt(line.seq),
      line: {
        $typeName: "cordyna.v1.LogLine",
        time: timestampOf(line.time),
        level: LEVELS_TO_PROTO[line.level],
        stream: STREAMS_TO_PROTO[line.stream],
        text: line.text,
      } satisfies LogLine,
    })),
    droppedLines: BigInt(page.dropped),
    nextAfterSeq: BigInt(page.nextAfterSeq),
    attemptEnded: page.ended,
  };
}

/** GetTaskRunLogs: one page. */
export async function getTaskRunLogs(
  logs: LogBook,
  request: GetTaskRunLogsRequest,
): Promise<GetTaskRunLogsResponse> {
  const page = await logs.read(queryOf(request), request.limit || DEFAULT_PAGE_LINES);
  return { $typeName: "cordyna.v1.GetTaskRunLogsResponse", logs: pageToProto(page) };
}

/** FollowTaskRunLogs: pages as they are stored, until the attempt's last line. */
export async function* followTaskRunLogs(
  logs: LogBook,
  request: FollowTaskRunLogsRequest,
  signal: AbortSignal,
): AsyncGenerator<FollowTaskRunLogsResponse> {
  for await (const page of logs.follow(queryOf(request), FOLLOW_PAGE_LINES, signal)) {
    yield { $typeName: "cordyna.v1.FollowTaskRunLogsResponse", logs: pageToProto(page) };
  }
}

function queryOf(request: GetTaskRunLogsRequest | FollowTaskRunLogsRequest) {
  return {
    runId: request.runId,
    taskId: request.taskId,
    attempt: request.attempt,
    afterSeq: Number(request.afterSeq),
  };
}
