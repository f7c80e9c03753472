import type { Interceptor } from "@connectrpc/connect";

/**
 * A token is "cdy_<id>_<secret>": a 16-hex-digit id, public, that names the
 * credential, and a 256-bit secret (base64url) that proves it.
 */
const TOKEN_PATTERN = /^cdy_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** The token of a credential id and secret. */
export function formatToken(id: string, secret: string): string {
  return `cdy_${id}_${secret}`;
}

/** The id and secret of a well-formed token; undefined for anything else. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** The variable every Cordyna client reads its bearer token from. */
export const TOKEN_ENV = "CORDYNA_TOKEN";

/** The bearer token in the environment, if one is set. */
export function tokenFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return env[TOKEN_ENV]?.trim() || undefined;
}

/** Sends `authorization: Bearer <token>` with every call. */
export function bearerToken(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}
