import {
  type AuditQuery,
  type AuditRecord,
  MAX_AUDIT_ENTRIES,
  MAX_AUDIT_SCAN,
} from "../access/audit.js";
import type { Credential } from "../access/credentials.js";
import { plainCopy } from "../plain-copy.js";
import type { AccessStore } from "./access-store.js";

/** Credentials and the audit trail in this process. */
export class MemoryAccessStore implements AccessStore {
  readonly #credentials = new Map<string, Credential>();
  readonly #capacity: number;
  /** A ring: the newest entry is at #next - 1. */
  readonly #audit: AuditRecord[] = [];
  #next = 0;

  constructor(auditCapacity = MAX_AUDIT_ENTRIES) {
    this.#capacity = auditCapacity;
  }

  async saveCredential(credential: Credential): Promise<void> {
    this.#credentials.set(credential.id, plainCopy(credential));
  }

  async getCredential(id: string): Promise<Credential | undefined> {
    const credential = this.#credentials.get(id);
    return credential && plainCopy(credential);
  }

  async loadCredentials(): Promise<Credential[]> {
    return plainCopy([...this.#credentials.values()]);
  }

  async appendAudit(entry: AuditRecord): Promise<void> {
    this.#audit[this.#next] = plainCopy(entry);
    this.#next = (this.#next + 1) % this.#capacity;
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const found: AuditRecord[] = [];
    const count = Math.min(this.#audit.length, MAX_AUDIT_SCAN);
    for (let back = 1; back <= count && found.length < query.limit; back++) {
      const entry = this.#audit[(this.#next - back + this.#capacity) % this.#capacity]!;
      if (query.since !== undefined && entry.time < query.since) break;
      if (query.team !== undefined && entry.team !== query.team) continue;
      found.push(entry);
    }
    return plainCopy(found);
  }
}
