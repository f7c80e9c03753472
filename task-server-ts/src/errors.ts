import type { DeclarationIssueCode, Rejection } from "@cordyna/contract";

/**
 * Throw this from a task handler when retrying cannot help (bad params, a
 * missing input that will not appear): the attempt is reported as ERROR with
 * `non_retryable` set, so cerebro does not try again.
 */
export class NonRetryableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NonRetryableError";
  }
}

/** One problem cerebro found with one declared task (or with the whole declaration). */
export interface DeclarationIssue {
  /** The task concerned; empty when the issue concerns the whole declaration. */
  readonly taskId: string;
  /** What kind of problem it is. */
  readonly code: DeclarationIssueCode;
  /** Human-readable, naming the tasks and teams involved. */
  readonly message: string;
}

/**
 * Cerebro refused the server's declarations (bad task, cycle, task owned by
 * another server, incompatible protocol). `start()` rejects with it and the
 * server does not reconnect.
 */
export class DeclarationRejectedError extends Error {
  /** Every issue cerebro listed. */
  readonly issues: readonly DeclarationIssue[];

  /**
   * @param message what was refused (the Rejection's message); each issue
   *   it does not already say is appended, once
   */
  constructor(message: string, issues: readonly DeclarationIssue[]) {
    const details = issues
      .filter((issue) => !message.includes(issue.message))
      .map((issue) =>
        issue.taskId && !issue.message.includes(issue.taskId)
          ? `${issue.taskId}: ${issue.message}`
          : issue.message,
      )
      .join("; ");
    super(details ? `${message}: ${details}` : message);
    this.name = "DeclarationRejectedError";
    this.issues = issues;
  }

  /** Builds the error from a Rejection message received from cerebro. */
  static fromRejection(rejection: Rejection): DeclarationRejectedError {
    return new DeclarationRejectedError(
      rejection.message || "cerebro rejected the task declarations",
      rejection.errors.map((issue) => ({
        taskId: issue.taskId,
        code: issue.code,
        message: issue.message,
      })),
    );
  }
}

/**
 * Invalid options given to `server.task(...)` or to the TaskServer
 * constructor; names the task (when there is one) and the offending field.
 */
export class TaskOptionsError extends Error {
  /** The task id as given (may itself be the invalid part); undefined for server options. */
  readonly taskId: string | undefined;
  /** The offending field, e.g. "deadlines.ack" or "dependsOn[1].freshWithin". */
  readonly field: string;

  constructor(taskId: string | undefined, field: string, problem: string) {
    const subject = taskId === undefined ? "task-server options" : `task ${JSON.stringify(taskId)}`;
    super(`${subject}: ${field}: ${problem}`);
    this.name = "TaskOptionsError";
    this.taskId = taskId;
    this.field = field;
  }
}

/**
 * The reason an attempt's AbortSignal is aborted with: cancelled by cerebro,
 * no longer wanted after a reconnect, or the task-server shutting down.
 */
export class AttemptAbortedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "AbortError";
  }
}
