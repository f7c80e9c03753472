/** One entry of the audit trail: a mutating call, or a refusal. */
export interface AuditRecord {
  readonly time: number;
  /** The principal's name, or "unauthenticated". */
  readonly principal: string;
  /** The team it concerns; empty for an admin of no team or an unauthenticated caller. */
  readonly team: string;
  /** The call, e.g. "ControlService/StartRun". */
  readonly action: string;
  /** What it acted on: a run id, targets, a server name, a credential id. */
  readonly target: string;
  readonly allowed: boolean;
  /** For a refusal: the status code name ("PERMISSION_DENIED") and the message the caller got. */
  readonly code?: string;
  readonly message?: string;
  readonly peer: string;
}

export interface AuditQuery {
  /** Only this team's entries. */
  readonly team?: string;
  /** Only entries at or after this time (epoch ms). */
  readonly since?: number;
  readonly limit: number;
}

/** The most entries the audit trail keeps; older ones are dropped first. */
export const MAX_AUDIT_ENTRIES = 100_000;

/** The most entries one listing reads through to find a team's, so that a listing stays bounded. */
export const MAX_AUDIT_SCAN = 20_000;
