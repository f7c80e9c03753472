import type { Interceptor } from "@connectrpc/connect";

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
