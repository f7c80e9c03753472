import type { AuditQuery, AuditRecord } from "../access/audit.js";
import type { Credential } from "../access/credentials.js";

/** Where cerebro keeps credentials (hashes only) and the audit trail. */
export interface AccessStore {
  /** Stores a credential, replacing the one with its id (as a revocation does). */
  saveCredential(credential: Credential): Promise<void>;
  getCredential(id: string): Promise<Credential | undefined>;
  /** Every credential, revoked and expired ones too. */
  loadCredentials(): Promise<Credential[]>;
  /** Appends to the audit trail, dropping the oldest entries past MAX_AUDIT_ENTRIES. */
  appendAudit(entry: AuditRecord): Promise<void>;
  /** The newest entries first, filtered as asked, reading at most MAX_AUDIT_SCAN entries. */
  listAudit(query: AuditQuery): Promise<AuditRecord[]>;
}
