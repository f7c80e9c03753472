// A team's routes as the store keeps them and people write them
// ("webhook:https://…", "slack:https://…", "email:ops@example.com").

import type { Route } from "./notification.js";

/** The longest address an email route takes (RFC 5321's limit on a path). */
const MAX_EMAIL_ADDRESS_LENGTH = 254;

/** The most routes one team has: every notification goes to each. */
export const MAX_TEAM_ROUTES = 10;

/** A route as the store keeps it: a webhook's with the secret cerebro signs its requests with. */
export interface StoredRoute {
  readonly route: Route;
  /** Webhook routes only: the HMAC-SHA256 key, hex. */
  readonly secret?: string;
}

/** One team's routes. */
export interface TeamRoutes {
  readonly team: string;
  readonly routes: readonly StoredRoute[];
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/** An address an `owner.contact` or an `email:` route may hold, checked loosely: one @, a dot after it, no spaces. */
export function isEmailAddress(text: string): boolean {
  return text.length <= MAX_EMAIL_ADDRESS_LENGTH && EMAIL.test(text);
}

/** The route as `kind:target`. */
export function formatRoute(route: Route): string {
  return route.kind === "email" ? `email:${route.address}` : `${route.kind}:${route.url}`;
}
