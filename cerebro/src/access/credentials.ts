// Credentials: bearer tokens, whose secrets cerebro keeps only as hashes,
// and client-certificate names. Each maps to one principal.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { formatToken } from "@cordyna/contract";
import type { Principal, Role } from "./principal.js";

/** A credential as the store keeps it: never the token's secret itself. */
export interface Credential {
  /** Public and unique: shown by `dyna auth token list`, used to revoke it. */
  readonly id: string;
  readonly team: string;
  readonly role: Role;
  readonly serverNames: readonly string[];
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt?: number;
  readonly revokedAt?: number;
  /** SHA-256 of a bearer token's secret (hex); absent for a certificate credential. */
  readonly secretHash?: string;
  /** For a certificate credential: the subject common name it accepts. */
  readonly certificateCommonName?: string;
}

/** A new credential id. */
export function newCredentialId(): string {
  return randomBytes(8).toString("hex");
}

/**
 * A new bearer token for a credential id, and the hash to store for it. The
 * token's id finds the credential without a scan; its secret is random, so
 * one round of SHA-256 is as good as a slow hash and costs microseconds.
 */
export function newToken(id: string): { token: string; secretHash: string } {
  const secret = randomBytes(32).toString("base64url");
  return { token: formatToken(id, secret), secretHash: hashSecret(secret) };
}

/** Whether the secret is the one whose hash the credential keeps. */
export function secretMatches(credential: Credential, secret: string): boolean {
  if (!credential.secretHash) return false;
  const expected = Buffer.from(credential.secretHash, "hex");
  const actual = Buffer.from(hashSecret(secret), "hex");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Why the credential does not hold now, if it does not. */
export function credentialProblem(credential: Credential, now: number): string | undefined {
  if (credential.revokedAt !== undefined) {
    return `credential ${credential.id} was revoked at ${new Date(credential.revokedAt).toISOString()}`;
  }
  if (credential.expiresAt !== undefined && credential.expiresAt <= now) {
    return `credential ${credential.id} expired at ${new Date(credential.expiresAt).toISOString()}`;
  }
  return undefined;
}

/** The principal a credential stands for. */
export function principalOf(credential: Credential): Principal {
  const kind = credential.certificateCommonName
    ? `certificate CN=${credential.certificateCommonName}`
    : "token";
  const team = credential.team ? `${credential.team} ` : "";
  return {
    name: `${kind} ${credential.id} (${team}${credential.role})`,
    team: credential.team,
    role: credential.role,
    serverNames: credential.serverNames,
    credentialId: credential.id,
    ...(credential.expiresAt === undefined ? {} : { expiresAt: credential.expiresAt }),
    authenticated: true,
  };
}
