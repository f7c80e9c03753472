import {
  DeclarationIssueCode,
  CatchUpPolicy as ProtoCatchUpPolicy,
  ErrorCause as ProtoErrorCause,
  OverlapPolicy as ProtoOverlapPolicy,
  RunMode as ProtoRunMode,
  RunState as ProtoRunState,
  TaskState as ProtoTaskState,
  TriggerKind as ProtoTriggerKind,
  TriggerMode as ProtoTriggerMode,
} from "@cordyna/contract";
import {
  type CatchUpPolicy,
  DEFAULT_CATCH_UP,
  DEFAULT_OVERLAP,
  type ErrorCause,
  type OverlapPolicy,
  type RunMode,
  type RunState,
  type TaskState,
  type TriggerKind,
  type UpstreamTrigger,
} from "../domain/model.js";
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
  HEARTBEAT_TIMEOUT: ProtoErrorCause.HEARTBEAT_TIMEOUT,
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

const CATCH_UPS: Record<CatchUpPolicy, ProtoCatchUpPolicy> = {
  skip: ProtoCatchUpPolicy.SKIP,
  latest: ProtoCatchUpPolicy.LATEST,
  all: ProtoCatchUpPolicy.ALL,
};

const OVERLAPS: Record<OverlapPolicy, ProtoOverlapPolicy> = {
  skip: ProtoOverlapPolicy.SKIP,
  queue_one: ProtoOverlapPolicy.QUEUE_ONE,
  allow: ProtoOverlapPolicy.ALLOW,
  cancel_previous: ProtoOverlapPolicy.CANCEL_PREVIOUS,
};

const TRIGGER_MODES: Record<UpstreamTrigger["mode"], ProtoTriggerMode> = {
  all: ProtoTriggerMode.ALL,
  any: ProtoTriggerMode.ANY,
};

function invert<K extends string, V extends number>(map: Record<K, V>): Map<V, K> {
  return new Map(Object.entries(map).map(([key, value]) => [value as V, key as K]));
}

const TASK_STATES_FROM_PROTO = invert(TASK_STATES);
const ERROR_CAUSES_FROM_PROTO = invert(ERROR_CAUSES);
const CATCH_UPS_FROM_PROTO = invert(CATCH_UPS);
const OVERLAPS_FROM_PROTO = invert(OVERLAPS);
const TRIGGER_MODES_FROM_PROTO = invert(TRIGGER_MODES);

export const taskStateToProto = (state: TaskState): ProtoTaskState => TASK_STATES[state];
export const errorCauseToProto = (cause: ErrorCause): ProtoErrorCause => ERROR_CAUSES[cause];
export const runStateToProto = (state: RunState): ProtoRunState => RUN_STATES[state];
export const triggerToProto = (trigger: TriggerKind): ProtoTriggerKind => TRIGGERS[trigger];
export const issueCodeToProto = (code: IssueCode): DeclarationIssueCode => ISSUE_CODES[code];
export const catchUpToProto = (policy: CatchUpPolicy): ProtoCatchUpPolicy => CATCH_UPS[policy];
export const overlapToProto = (policy: OverlapPolicy): ProtoOverlapPolicy => OVERLAPS[policy];
export const triggerModeToProto = (mode: UpstreamTrigger["mode"]): ProtoTriggerMode =>
  TRIGGER_MODES[mode];

// Numbers the enum does not define never get here: the proto's
// enum.defined_only refuses them at the edge.

/** The domain catch-up policy; UNSPECIFIED is the default. */
export function catchUpFromProto(policy: ProtoCatchUpPolicy): CatchUpPolicy {
  return CATCH_UPS_FROM_PROTO.get(policy) ?? DEFAULT_CATCH_UP;
}

/** The domain overlap policy; UNSPECIFIED is the default. */
export function overlapFromProto(policy: ProtoOverlapPolicy): OverlapPolicy {
  return OVERLAPS_FROM_PROTO.get(policy) ?? DEFAULT_OVERLAP;
}

/** The domain trigger mode; undefined for UNSPECIFIED (no trigger). */
export function triggerModeFromProto(mode: ProtoTriggerMode): UpstreamTrigger["mode"] | undefined {
  return TRIGGER_MODES_FROM_PROTO.get(mode);
}

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
