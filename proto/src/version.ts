/**
 * The protocol version this contract implements. Bump the minor for additive
 * changes; a new major means a new proto package (cordyna.v2).
 */
export const PROTOCOL_VERSION = { major: 1, minor: 5 } as const;

/** The protocol version as peers and people write it, "major.minor". */
export const PROTOCOL_VERSION_TEXT = `${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}`;

/**
 * The first minor version whose peers take several task states
 * (TaskStateUpdates) or invokes (Invokes) in one message.
 */
export const BATCHES_MINOR = 1;

/**
 * The first minor version whose cerebro takes a declaration in parts
 * (Hello or Redeclare with tasks_continue, then DeclarationParts).
 */
export const DECLARATION_PARTS_MINOR = 2;

/**
 * The first minor version whose peers send and take an attempt's log lines
 * (TaskLogs up, LogsRefused down).
 */
export const TASK_LOGS_MINOR = 3;

/**
 * The first minor version whose cerebro takes an attempt's heartbeats and
 * progress (AttemptProgress) and enforces a task's heartbeat deadline.
 */
export const ATTEMPT_PROGRESS_MINOR = 4;

/**
 * The first minor version whose cerebro knows candidates (Hello.candidate):
 * an older one takes a candidate's Hello as its server's live declaration.
 */
export const CANDIDATES_MINOR = 5;
