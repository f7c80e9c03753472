import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import {
  type AuditQuery,
  type AuditRecord,
  MAX_AUDIT_ENTRIES,
  MAX_AUDIT_SCAN,
} from "../access/audit.js";
import type { Credential } from "../access/credentials.js";
import type { AccessStore } from "./access-store.js";
import type { RedisKeys } from "./redis-keys.js";

/** How many audit entries one read takes while looking for a team's. */
const AUDIT_PAGE = 500;

/**
 * Credentials as a hash of JSON by id; the audit trail as a sorted set
 * scored by time, each member an entry's JSON behind a unique tag (two
 * identical entries in one millisecond are still two).
 */
export class RedisAccessStore implements AccessStore {
  readonly #keys: RedisKeys;
  readonly #redis: <T>(command: (client: Redis) => Promise<T>) => Promise<T>;
  readonly #auditCapacity: number;
  /** Audit entries waiting for the end of this turn, and the write that takes them. */
  #unwritten: { scoresAndMembers: (string | number)[]; written: Promise<void> } | undefined;

  /** `redis` runs a command on the store's connection. */
  constructor(
    keys: RedisKeys,
    redis: <T>(command: (client: Redis) => Promise<T>) => Promise<T>,
    auditCapacity = MAX_AUDIT_ENTRIES,
  ) {
    this.#keys = keys;
    this.#redis = redis;
    this.#auditCapacity = auditCapacity;
  }

  async saveCredential(credential: Credential): Promise<void> {
    await this.#redis((client) =>
      client.hset(this.#keys.credentials(), credential.id, JSON.stringify(credential)),
    );
  }

  async getCredential(id: string): Promise<Credential | undefined> {
    const json = await this.#redis((client) => client.hget(this.#keys.credentials(), id));
    return json === null ? undefined : (JSON.parse(json) as Credential);
  }

  async loadCredentials(): Promise<Credential[]> {
    const all = await this.#redis((client) => client.hvals(this.#keys.credentials()));
    return all.map((json) => JSON.parse(json) as Credential);
  }

  /**
   * Entries appended in one turn of the event loop go to Redis together, in
   * one ZADD and one trim: a run started is one entry, and at hundreds of
   * runs a second a write each would cost Redis a fifth of its throughput.
   */
  appendAudit(entry: AuditRecord): Promise<void> {
    const member = `${randomBytes(6).toString("hex")} ${JSON.stringify(entry)}`;
    if (!this.#unwritten) {
      const batch: (string | number)[] = [];
      this.#unwritten = { scoresAndMembers: batch, written: this.#writeSoon(batch) };
    }
    this.#unwritten.scoresAndMembers.push(entry.time, member);
    return this.#unwritten.written;
  }

  async #writeSoon(scoresAndMembers: (string | number)[]): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#unwritten = undefined;
    const key = this.#keys.audit();
    await this.#redis((client) =>
      client
        .multi()
        .zadd(key, ...scoresAndMembers)
        .zremrangebyrank(key, 0, -(this.#auditCapacity + 1))
        .exec(),
    );
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const found: AuditRecord[] = [];
    const since = query.since === undefined ? "-inf" : String(query.since);
    for (let offset = 0; offset < MAX_AUDIT_SCAN && found.length < query.limit; ) {
      const page = await this.#redis((client) =>
        client.zrevrangebyscore(this.#keys.audit(), "+inf", since, "LIMIT", offset, AUDIT_PAGE),
      );
      for (const member of page) {
        const entry = JSON.parse(member.slice(member.indexOf(" ") + 1)) as AuditRecord;
        if (query.team !== undefined && entry.team !== query.team) continue;
        if (found.push(entry) === query.limit) break;
      }
      if (page.length < AUDIT_PAGE) break;
      offset += page.length;
    }
    return found;
  }
}
