import { CordynaError, ErrorCode } from "../domain/errors.js";
import type { LogLineRecord, StoredLogLine } from "../domain/logs.js";
import { isInFlight, type TaskRunRecord } from "../domain/model.js";
import type { RunEngine } from "../engine/run-engine.js";
import type { EventBus } from "../events.js";
import { encodeLogLine, logLineBytes } from "../store/log-store.js";
import type { Store } from "../store/store.js";

export interface LogBookOptions {
  readonly store: Store;
  readonly engine: RunEngine;
  readonly events: EventBus;
  /** The most bytes of log kept per attempt; older lines are dropped first. */
  readonly maxBytesPerAttempt: number;
}

/** Lines an instance sent that were not kept, and why. */
export interface LogsRefusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Which attempt's log to read, and from where. */
export interface LogQuery {
  readonly runId: string;
  readonly taskId: string;
  /** From 1; 0 means the latest attempt. */
  readonly attempt: number;
  readonly afterSeq: number;
}

/** Lines of one attempt's log, as a reader gets them. */
export interface AttemptLogPage {
  readonly attemptId: string;
  readonly attempt: number;
  readonly lines: StoredLogLine[];
  readonly dropped: number;
  /** Where the next page starts: the last line's seq, or where the query started. */
  readonly nextAfterSeq: number;
  /** The attempt has ended and this page holds its last line. */
  readonly ended: boolean;
}

/**
 * The most bytes of lines one page carries, whatever its count, so that a
 * page always fits one message (4 MiB) however long its lines are.
 */
const MAX_PAGE_BYTES = 1024 * 1024;

/**
 * The attempts' logs: takes what task-servers send for their own running
 * attempts, keeps each attempt's newest lines up to the bound, and serves
 * them a page at a time or as they come.
 */
export class LogBook {
  readonly #options: LogBookOptions;
  /** Readers following an attempt, woken when lines for it are stored. */
  readonly #followers = new Map<string, Set<() => void>>();

  constructor(options: LogBookOptions) {
    this.#options = options;
  }

  /**
   * Stores lines an instance logged for one of its attempts, after a line
   * saying how many the instance itself dropped before them. Refuses lines
   * for an attempt another instance runs, or whose run has finished.
   */
  async receive(
    instanceId: string,
    attemptId: string,
    lines: readonly LogLineRecord[],
    droppedBySender: number,
  ): Promise<LogsRefusal | undefined> {
    const attempt = this.#options.engine.liveAttempt(attemptId);
    if (!attempt) {
      return {
        code: ErrorCode.FAILED_PRECONDITION,
        message: `attempt ${attemptId} belongs to no running run: its lines are not kept`,
      };
    }
    if (attempt.instanceId !== instanceId) {
      return {
        code: ErrorCode.PERMISSION_DENIED,
        message: `attempt ${attemptId} was invoked on instance ${attempt.instanceId}, not ${instanceId}: an instance sends lines of its own attempts only`,
      };
    }
    const kept =
      droppedBySender > 0 ? [droppedMarker(droppedBySender, lines[0]?.time), ...lines] : lines;
    if (kept.length === 0) return undefined;
    await this.#options.store.logs.append(
      attempt.runId,
      attemptId,
      kept,
      this.#options.maxBytesPerAttempt,
    );
    for (const wake of this.#followers.get(attemptId) ?? []) wake();
    return undefined;
  }

  /**
   * One page of an attempt's log. NOT_FOUND names what is missing: the run,
   * its task-run of the task, or the attempt.
   */
  async read(query: LogQuery, limit: number): Promise<AttemptLogPage> {
    const snapshot = await this.#options.engine.getRun(query.runId);
    const taskRun = snapshot.taskRuns.find((candidate) => candidate.taskId === query.taskId);
    if (!taskRun) {
      throw new CordynaError(
        ErrorCode.NOT_FOUND,
        `run ${query.runId} has no task-run of task ${query.taskId}`,
      );
    }
    const attempt = attemptOf(taskRun, query.attempt);
    // Whether it ended is known before reading: lines come before an attempt's end.
    const ended = !isInFlight(attempt.state);
    return this.#page(query.runId, attempt, query.afterSeq, limit, ended);
  }

  /**
   * The attempt's lines after `query.afterSeq`, page by page as they are
   * stored, until the attempt has ended and its last line is given. Pages
   * are read only as fast as the caller takes them; stops when `signal`
   * aborts.
   */
  async *follow(
    query: LogQuery,
    limit: number,
    signal: AbortSignal,
  ): AsyncGenerator<AttemptLogPage> {
    const first = await this.read(query, limit);
    const { attemptId, attempt: number } = first;
    let wake: (() => void) | undefined;
    let stored = false;
    const notify = (): void => {
      stored = true;
      wake?.();
    };
    const followers = this.#followers.get(attemptId) ?? new Set();
    this.#followers.set(attemptId, followers);
    followers.add(notify);
    // Its task-run's changes say when the attempt ends; lines stored say the rest.
    const unsubscribe = this.#options.events.subscribe((event) => {
      if (event.runId !== query.runId) return;
      if (event.taskId === query.taskId || event.kind === "run-finished") notify();
    });
    signal.addEventListener("abort", notify);
    try {
      let page = first;
      for (;;) {
        if (page.lines.length > 0 || page.ended) yield page;
        if (page.ended || signal.aborted) return;
        if (page.lines.length === 0 && !stored) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
        if (signal.aborted) return;
        stored = false;
        const live = this.#options.engine.liveAttempt(attemptId);
        const ended = live === undefined || !isInFlight(live.state);
        page = await this.#page(
          query.runId,
          { id: attemptId, number },
          page.nextAfterSeq,
          limit,
          ended,
        );
      }
    } finally {
      signal.removeEventListener("abort", notify);
      unsubscribe();
      followers.delete(notify);
      if (followers.size === 0) this.#followers.delete(attemptId);
    }
  }

  async #page(
    runId: string,
    attempt: { readonly id: string; readonly number: number },
    afterSeq: number,
    limit: number,
    endedBeforeReading: boolean,
  ): Promise<AttemptLogPage> {
    const stored = await this.#options.store.logs.read(runId, attempt.id, afterSeq, limit);
    const lines = withinPageBytes(stored.lines);
    const last = lines.at(-1)?.seq ?? Math.max(afterSeq, stored.dropped);
    return {
      attemptId: attempt.id,
      attempt: attempt.number,
      lines,
      dropped: stored.dropped,
      nextAfterSeq: last,
      ended: endedBeforeReading && last >= stored.lastSeq,
    };
  }
}

function attemptOf(taskRun: TaskRunRecord, number: number) {
  const attempt = number === 0 ? taskRun.attempts.at(-1) : taskRun.attempts[number - 1];
  if (attempt) return attempt;
  const has =
    taskRun.attempts.length === 0
      ? "it was never invoked"
      : `it has ${taskRun.attempts.length} attempt${taskRun.attempts.length === 1 ? "" : "s"}`;
  throw new CordynaError(
    ErrorCode.NOT_FOUND,
    number === 0
      ? `the task-run of ${taskRun.taskId} in run ${taskRun.runId} has no attempt: ${has}`
      : `the task-run of ${taskRun.taskId} in run ${taskRun.runId} has no attempt ${number}: ${has}`,
  );
}

/** The first lines of a page up to its byte bound, at least one. */
function withinPageBytes(lines: StoredLogLine[]): StoredLogLine[] {
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += logLineBytes(encodeLogLine(lines[i]!));
    if (bytes > MAX_PAGE_BYTES && i > 0) return lines.slice(0, i);
  }
  return lines;
}

/** The line stored in place of lines the task-server dropped. */
function droppedMarker(count: number, time: number | undefined): LogLineRecord {
  return {
    time: time ?? Date.now(),
    level: "warn",
    stream: "cordyna",
    text: `… ${count} line${count === 1 ? "" : "s"} dropped by the task-server: more than it may keep for an attempt, or than cerebro takes a second`,
  };
}
