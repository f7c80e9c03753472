// The standard Cordyna task-server SDK: declare tasks, run them when cerebro
// invokes them, report their state. Tasks that run shell commands are in
// @cordyna/task-server/command.

export type { DurationInput } from "@cordyna/contract";
export {
  AttemptAbortedError,
  type DeclarationIssue,
  DeclarationRejectedError,
  NonRetryableError,
  TaskError,
  type TaskErrorOptions,
  TaskOptionsError,
} from "./errors.js";
export {
  PRINT_DECLARATIONS_ENV,
  PRINT_DECLARATIONS_FLAG,
  type PrintedDeclarations,
} from "./print-declarations.js";
export { AGENT, TaskServer } from "./task-server.js";
export { INVALID_OUTPUTS, INVALID_PARAMS } from "./task-values.js";
export type {
  AttemptCompletedInfo,
  AttemptFailedInfo,
  AttemptInfo,
  DeadlineOptions,
  DependencyOption,
  DisconnectedInfo,
  OwnerOptions,
  ReconnectedInfo,
  RetryCause,
  RetryOptions,
  RunMode,
  ScheduleOptions,
  TaskContext,
  TaskHandler,
  TaskOptions,
  TaskOutputs,
  TaskParams,
  TaskServerHooks,
  TaskServerOptions,
  TriggerOptions,
  UpstreamResult,
} from "./types.js";
