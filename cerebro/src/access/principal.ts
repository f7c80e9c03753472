/** What a principal may do; see policy.ts for the whole table. */
export type Role = "server" | "viewer" | "operator" | "admin";

export const ROLES: readonly Role[] = ["server", "viewer", "operator", "admin"];

/**
 * Who cerebro took a caller for, from the credential it presented: never
 * from what the caller says about itself.
 */
export interface Principal {
  /** How refusals and the audit trail name it, e.g. "token 3f9c… (team-a operator)". */
  readonly name: string;
  /** The team it acts for; empty for an admin of no team. */
  readonly team: string;
  readonly role: Role;
  /** For a server principal: the server names it may say hello as. */
  readonly serverNames: readonly string[];
  /** The credential it came from, when it can be revoked. */
  readonly credentialId?: string;
  /** When the credential stops being valid (epoch ms), if ever. */
  readonly expiresAt?: number;
  /** False when cerebro runs without authentication and took the caller for an admin. */
  readonly authenticated: boolean;
}

/** Everyone, when cerebro runs without authentication (dyna dev on loopback, --insecure-no-auth). */
export const ANONYMOUS_ADMIN: Principal = {
  name: "anonymous (authentication is off)",
  team: "",
  role: "admin",
  serverNames: [],
  authenticated: false,
};

/** The admin of CORDYNA_ADMIN_TOKEN, who creates the first credentials. */
export const BOOTSTRAP_ADMIN: Principal = {
  name: "bootstrap admin (CORDYNA_ADMIN_TOKEN)",
  team: "",
  role: "admin",
  serverNames: [],
  authenticated: true,
};
