import { parseToken } from "@cordyna/contract";
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../clock.js";
import { CordynaError } from "../domain/errors.js";
import type { PeerCertificate } from "../rpc/call-context.js";
import type { AccessStore } from "../store/access-store.js";
import type { AuditQuery, AuditRecord } from "./audit.js";
import {
  type Credential,
  credentialProblem,
  newCredentialId,
  newToken,
  principalOf,
  sameSecret,
  secretMatches,
} from "./credentials.js";
import { type Action, decide, describeAction } from "./policy.js";
import { ANONYMOUS_ADMIN, BOOTSTRAP_ADMIN, type Principal, type Role } from "./principal.js";

/** How cerebro authenticates callers. */
export type AuthMode =
  /** Every call needs a credential. */
  | {
      readonly required: true /** CORDYNA_ADMIN_TOKEN: the admin who creates the first credentials. */;
      readonly adminToken?: string;
    }
  /** Every caller is an admin: dyna dev on loopback, or (`insecure`) --insecure-no-auth anywhere. */
  | { readonly required: false; readonly insecure?: boolean };

/** The most credentials cerebro keeps, revoked ones included. */
export const MAX_CREDENTIALS = 10_000;

/**
 * The most refusals written to the audit trail per second. A flood of
 * refused calls (a scanner, a misconfigured client) would otherwise push
 * every other entry out of it; the rest are counted in one entry instead.
 */
export const MAX_AUDITED_REFUSALS_PER_SECOND = 100;

/** The most audit entries on their way to the store before calls wait for them. */
export const MAX_UNWRITTEN_AUDIT = 1_000;

/** What a call is, for its audit entry. */
export interface CallRecord {
  /** e.g. "ControlService/StartRun". */
  readonly action: string;
  readonly target: string;
  readonly peer: string;
}

/** What a new credential is for. */
export interface CredentialRequest {
  readonly team: string;
  readonly role: Role;
  readonly serverNames: readonly string[];
  readonly description: string;
  readonly expiresInMs?: number;
  readonly certificateCommonName?: string;
}

type RevocationListener = (reason: string) => void;

/**
 * Authentication, authorization and the audit trail: which principal a call
 * comes from, whether it may do what it asks, and the record of both.
 * Credentials are held in memory (loaded at start, written through), so that
 * checking one costs no store round trip.
 */
export class AccessControl {
  readonly #mode: AuthMode;
  readonly #store: AccessStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #credentials = new Map<string, Credential>();
  readonly #listeners = new Map<string, Set<RevocationListener>>();
  /** Audit entries on their way to the store. */
  readonly #unwritten = new Set<Promise<void>>();
  /** Refusals audited in the current second, and those left out. */
  #refusals = { since: Number.NEGATIVE_INFINITY, audited: 0, leftOut: 0 };

  private constructor(mode: AuthMode, store: AccessStore, clock: Clock, logger: Logger) {
    this.#mode = mode;
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
  }

  static async open(options: {
    mode: AuthMode;
    store: AccessStore;
    clock: Clock;
    logger: Logger;
  }): Promise<AccessControl> {
    const access = new AccessControl(options.mode, options.store, options.clock, options.logger);
    for (const credential of await options.store.loadCredentials()) {
      access.#credentials.set(credential.id, credential);
    }
    return access;
  }

  /** Whether calls need credentials. */
  get required(): boolean {
    return this.#mode.required;
  }

  /** Whether any credential or CORDYNA_ADMIN_TOKEN lets an admin in. */
  get hasAdmin(): boolean {
    if (!this.#mode.required || this.#mode.adminToken) return true;
    const now = this.#clock.now();
    return [...this.#credentials.values()].some(
      (credential) => credential.role === "admin" && !credentialProblem(credential, now),
    );
  }

  /**
   * The principal of a call, from its `authorization` header or its verified
   * client certificate. Throws UNAUTHENTICATED saying what was wrong.
   */
  authenticate(authorization: string | null, certificate: PeerCertificate | undefined): Principal {
    if (!this.#mode.required) return ANONYMOUS_ADMIN;
    if (authorization !== null) return this.#bearer(authorization);
    if (certificate?.verified) return this.#certificate(certificate.commonName);
    throw unauthenticated(
      "no credential: send `authorization: Bearer <token>` (CORDYNA_TOKEN) or a client certificate that a credential names",
    );
  }

  #bearer(authorization: string): Principal {
    const match = /^bearer +(\S+)$/i.exec(authorization.trim());
    if (!match) {
      throw unauthenticated("the authorization header must be `Bearer <token>`");
    }
    const token = match[1]!;
    const adminToken = this.#mode.required ? this.#mode.adminToken : undefined;
    if (adminToken && sameSecret(token, adminToken)) return BOOTSTRAP_ADMIN;
    const parsed = parseToken(token);
    if (!parsed) {
      throw unauthenticated("the bearer token is not a Cordyna token (cdy_<id>_<secret>)");
    }
    const credential = this.#credentials.get(parsed.id);
    if (!credential || !secretMatches(credential, parsed.secret)) {
      throw unauthenticated(`token ${parsed.id} is unknown or its secret does not match`);
    }
    return this.#valid(credential);
  }

  #certificate(commonName: string): Principal {
    const now = this.#clock.now();
    const matching = [...this.#credentials.values()].filter(
      (credential) => credential.certificateCommonName === commonName,
    );
    const valid = matching.find((credential) => !credentialProblem(credential, now));
    if (valid) return principalOf(valid);
    if (matching[0]) return this.#valid(matching[0]);
    throw unauthenticated(
      `client certificate CN=${commonName} is named by no credential: an admin maps it with ` +
        `dyna auth token create --certificate-cn ${commonName} --team <team> --role <role>`,
    );
  }

  #valid(credential: Credential): Principal {
    const problem = credentialProblem(credential, this.#clock.now());
    if (problem) throw unauthenticated(problem);
    return principalOf(credential);
  }

  /**
   * Refuses with PERMISSION_DENIED (and an audit entry) unless the principal
   * may take the action.
   */
  async require(principal: Principal, action: Action, call: CallRecord): Promise<void> {
    const decision = decide(principal, action);
    if (decision.allowed) return;
    const message = `${principal.name} may not ${describeAction(action)}: it lacks ${decision.lacks}`;
    await this.audit(principal, call, { code: "PERMISSION_DENIED", message });
    throw new CordynaError("PERMISSION_DENIED", message);
  }

  /** Writes an audit entry: an allowed call, or (with `refusal`) a refused one. */
  async audit(
    principal: Principal | undefined,
    call: CallRecord,
    refusal?: { code: string; message: string },
  ): Promise<void> {
    const now = this.#clock.now();
    if (refusal) {
      if (now - this.#refusals.since >= 1_000) {
        const { leftOut } = this.#refusals;
        this.#refusals = { since: now, audited: 0, leftOut: 0 };
        if (leftOut > 0) await this.#write(leftOutEntry(now, leftOut));
      }
      if (++this.#refusals.audited > MAX_AUDITED_REFUSALS_PER_SECOND) {
        this.#refusals.leftOut++;
        this.#logger.warn({ peer: call.peer }, `refused: ${refusal.message}`);
        return;
      }
    }
    const entry: AuditRecord = {
      time: now,
      principal: principal?.name ?? "unauthenticated",
      team: principal?.team ?? "",
      action: call.action,
      target: call.target,
      allowed: refusal === undefined,
      ...(refusal ?? {}),
      peer: call.peer,
    };
    if (refusal) this.#logger.warn({ audit: entry }, `refused: ${refusal.message}`);
    await this.#write(entry);
  }

  /**
   * Stores the entry without holding up the call it records, as audit logs
   * usually do: waiting for the store before every run started cost a fifth
   * of W3's throughput on Redis. Past MAX_UNWRITTEN_AUDIT entries on their
   * way, calls do wait, so a slow store cannot grow memory; stop() waits
   * for every one.
   */
  async #write(entry: AuditRecord): Promise<void> {
    const written = this.#store.appendAudit(entry).catch((error: unknown) => {
      this.#logger.error({ err: error, audit: entry }, "could not write an audit entry");
    });
    this.#unwritten.add(written);
    void written.finally(() => this.#unwritten.delete(written));
    if (this.#unwritten.size > MAX_UNWRITTEN_AUDIT) await written;
  }

  /** Resolves once every audit entry is written (or failed, and logged). */
  async flush(): Promise<void> {
    await Promise.all([...this.#unwritten]);
  }

  /** The audit trail as a principal may see it: an admin any team's, others their own. */
  listAudit(principal: Principal, query: AuditQuery): Promise<AuditRecord[]> {
    const team = principal.role === "admin" ? query.team : principal.team;
    return this.#store.listAudit({ ...query, ...(team === undefined ? {} : { team }) });
  }

  /** Creates a credential; the token (absent for a certificate credential) is returned once. */
  async createCredential(
    creator: Principal,
    request: CredentialRequest,
  ): Promise<{ token?: string; credential: Credential }> {
    if (request.role !== "admin" && !request.team) {
      throw new CordynaError("INVALID_ARGUMENT", `a ${request.role} credential needs a team`);
    }
    if (request.role === "server" && request.serverNames.length === 0) {
      throw new CordynaError(
        "INVALID_ARGUMENT",
        "a server credential needs the server names it may serve (--server NAME)",
      );
    }
    if (request.role !== "server" && request.serverNames.length > 0) {
      throw new CordynaError("INVALID_ARGUMENT", "only a server credential names server names");
    }
    if (request.expiresInMs !== undefined && request.expiresInMs <= 0) {
      throw new CordynaError("INVALID_ARGUMENT", "expires_in must be positive");
    }
    if (this.#credentials.size >= MAX_CREDENTIALS) {
      throw new CordynaError(
        "RESOURCE_EXHAUSTED",
        `cerebro keeps at most ${MAX_CREDENTIALS} credentials, revoked ones included`,
      );
    }
    const now = this.#clock.now();
    const id = newCredentialId();
    const issued = request.certificateCommonName ? undefined : newToken(id);
    const credential: Credential = {
      id,
      team: request.team,
      role: request.role,
      serverNames: [...request.serverNames],
      description: request.description,
      createdBy: creator.name,
      createdAt: now,
      ...(request.expiresInMs === undefined ? {} : { expiresAt: now + request.expiresInMs }),
      ...(issued ? { secretHash: issued.secretHash } : {}),
      ...(request.certificateCommonName
        ? { certificateCommonName: request.certificateCommonName }
        : {}),
    };
    await this.#store.saveCredential(credential);
    this.#credentials.set(id, credential);
    return { ...(issued ? { token: issued.token } : {}), credential };
  }

  /** Revokes a credential at once: its calls are refused and its open streams ended. */
  async revoke(revoker: Principal, id: string): Promise<Credential> {
    const credential = this.#credentials.get(id);
    if (!credential) throw new CordynaError("NOT_FOUND", `no credential has id ${id}`);
    if (credential.revokedAt !== undefined) return credential;
    const revoked: Credential = { ...credential, revokedAt: this.#clock.now() };
    await this.#store.saveCredential(revoked);
    this.#credentials.set(id, revoked);
    this.#notify(id, `credential ${id} was revoked by ${revoker.name}`);
    return revoked;
  }

  /** Every credential, newest first. */
  credentials(): Credential[] {
    return [...this.#credentials.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * Calls `listener` once if the principal's credential is revoked or
   * expires, for a stream to end itself. Returns the function that stops it.
   */
  onRevoked(principal: Principal, listener: RevocationListener): () => void {
    const id = principal.credentialId;
    if (id === undefined) return () => {};
    const listeners = this.#listeners.get(id) ?? new Set<RevocationListener>();
    this.#listeners.set(id, listeners);
    let once: RevocationListener = (reason) => {
      stop();
      listener(reason);
    };
    listeners.add(once);
    let expiry: TimerHandle | undefined;
    if (principal.expiresAt !== undefined) {
      const at = principal.expiresAt;
      expiry = this.#clock.at(at, () =>
        once(`credential ${id} expired at ${new Date(at).toISOString()}`),
      );
    }
    const stop = (): void => {
      expiry?.cancel();
      listeners.delete(once);
      if (listeners.size === 0) this.#listeners.delete(id);
      once = () => {};
    };
    return stop;
  }

  #notify(id: string, reason: string): void {
    for (const listener of [...(this.#listeners.get(id) ?? [])]) listener(reason);
  }
}

function leftOutEntry(time: number, count: number): AuditRecord {
  return {
    time,
    principal: "cerebro",
    team: "",
    action: "audit",
    target: "",
    allowed: false,
    code: "RESOURCE_EXHAUSTED",
    message: `${count} more refusals in the second before were not recorded: at most ${MAX_AUDITED_REFUSALS_PER_SECOND} a second are (cerebro's log has each)`,
    peer: "",
  };
}

function unauthenticated(message: string): CordynaError {
  return new CordynaError("UNAUTHENTICATED", message);
}
