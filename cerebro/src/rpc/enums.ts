import {
  DeclarationIssueCode,
  ErrorCause as ProtoErrorCause,
  RunMode as ProtoRunMode,
  RunState as ProtoRunState,
  TaskState as ProtoTaskState,
  TriggerKind as ProtoTriggerKind,
} from "@cordyna/contract";
import type { ErrorCause, RunMode, RunState, TaskState, TriggerKind } from "../domain/model.js";
import type { IssueCode } from "../graph/issues.js";

// Protobuf enums stop here: the domain speaks string unions, the wire speaks numbers.

const TASK_STATES: Record<TaskState, ProtoTaskState> = {
  PENDING: ProtoTaskState.PENDING,
  INVOKED: ProtoTaskState.INVOKED,
  QUEUED: ProtoTaskState.QUEUED,
  STARTED: ProtoTaskState.STARTED,
  COMPLETED: ProtoTaskState.COMPLETED,
  ERROR: ProtoTaskState.ERROR,
  BLOCKED: ProtoTaskState.BLOCKED,
  SKIPPED: ProtoTaskState.SKIPPED,
  CANCELLED: ProtoTaskState.CANCELLED,
};

const ERROR_CAUSES: Record<ErrorCause, ProtoErrorCause> = {
  TASK_FAILED: ProtoErrorCause.TASK_FAILED,
  ACK_TIMEOUT: ProtoErrorCause.ACK_TIMEOUT,
  START_TIMEOUT: ProtoErrorCause.START_TIMEOUT,
  COMPLETE_TIMEOUT: ProtoErrorCause.COMPLETE_TIMEOUT,
  SERVER_LOST: ProtoErrorCause.SERVER_LOST,
  REJECTED: ProtoErrorCause.REJECTED,
};

const RUN_STATES: Record<RunState, ProtoRunState> = {
  RUNNING: ProtoRunState.RUNNING,
  SUCCEEDED: ProtoRunState.SUCCEEDED,
  FAILED: ProtoRunState.FAILED,
  CANCELLED: ProtoRunState.CANCELLED,
};

const TRIGGERS: Record<TriggerKind, ProtoTriggerKind> = {
  api: ProtoTriggerKind.API,
  cron: ProtoTriggerKind.CRON,
  upstream: ProtoTriggerKind.UPSTREAM,
  backfill: ProtoTriggerKind.BACKFILL,
};

const ISSUE_CODES: Record<IssueCode, DeclarationIssueCode> = {
  INVALID: DeclarationIssueCode.INVALID,
  DUPLICATE: DeclarationIssueCode.DUPLICATE,
  OWNED_ELSEWHERE: DeclarationIssueCode.OWNED_ELSEWHERE,
  CYCLE: DeclarationIssueCode.CYCLE,
  UNRESOLVED: DeclarationIssueCode.UNRESOLVED,
  VERSION: DeclarationIssueCode.VERSION,
};

function invert<K extends string, V extends number>(map: Record<K, V>): Map<V, K> {
  return new Map(Object.entries(map).map(([key, value]) => [value as V, key as K]));
}

const TASK_STATES_FROM_PROTO = invert(TASK_STATES);
const ERROR_CAUSES_FROM_PROTO = invert(ERROR_CAUSES);

export const taskStateToProto = (state: TaskState): ProtoTaskState => TASK_STATES[state];
export const errorCauseToProto = (cause: ErrorCause): ProtoErrorCause => ERROR_CAUSES[cause];
export const runStateToProto = (state: RunState): ProtoRunState => RUN_STATES[state];
export const triggerToProto = (trigger: TriggerKind): ProtoTriggerKind => TRIGGERS[trigger];
export const issueCodeToProto = (code: IssueCode): DeclarationIssueCode => ISSUE_CODES[code];

/** The domain state for a wire state; undefined for UNSPECIFIED or unknown numbers. */
export function taskStateFromProto(state: ProtoTaskState): TaskState | undefined {
  return TASK_STATES_FROM_PROTO.get(state);
}

/** The domain cause for a wire cause; undefined for UNSPECIFIED or unknown numbers. */
export function errorCauseFromProto(cause: ProtoErrorCause): ErrorCause | undefined {
  return ERROR_CAUSES_FROM_PROTO.get(cause);
}

export function runModeToProto(mode: RunMode): ProtoRunMode {
  return mode === "test" ? ProtoRunMode.TEST : ProtoRunMode.NORMAL;
}

export function runModeFromProto(mode: ProtoRunMode): RunMode {
  return mode === ProtoRunMode.TEST ? "test" : "normal";
}
