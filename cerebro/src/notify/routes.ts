// A team's routes as people write them ("webhook:https://…", "slack:https://…",
// "email:ops@example.com"), checked before cerebro stores them.

import { isLoopback } from "../loopback.js";
import type { Route } from "./notification.js";

/** The most routes one team may have. */
export const MAX_ROUTES_PER_TEAM = 10;
/** The longest URL of a webhook or Slack route. */
export const MAX_ROUTE_URL_LENGTH = 2_048;
/** The longest address of an email route (RFC 5321's limit on a path). */
export const MAX_EMAIL_ADDRESS_LENGTH = 254;

/** A route as the store keeps it: a webhook's with the secret cerebro signs its requests with. */
export interface StoredRoute {
  readonly route: Route;
  /** Webhook routes only: the HMAC-SHA256 key, hex. */
  readonly secret?: string;
}

/** Every team's routes, as `dyna teams` shows them. */
export interface TeamRoutes {
  readonly team: string;
  readonly routes: readonly StoredRoute[];
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/** An address an `owner.contact` or an `email:` route may hold, checked loosely: one @, a dot after it, no spaces. */
export function isEmailAddress(text: string): boolean {
  return text.length <= MAX_EMAIL_ADDRESS_LENGTH && EMAIL.test(text);
}

/** Parses "kind:target", or says what is wrong with it. */
export function parseRoute(text: string): Route | { readonly problem: string } {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? "" : text.slice(0, colon);
  const target = colon < 0 ? "" : text.slice(colon + 1);
  switch (kind) {
    case "webhook":
    case "slack": {
      if (target.length > MAX_ROUTE_URL_LENGTH) {
        return { problem: `its URL is longer than ${MAX_ROUTE_URL_LENGTH} characters` };
      }
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return { problem: `"${target}" is not a URL` };
      }
      // Plain http would carry the notification, and a Slack URL's secret path, in the clear;
      // on this machine's loopback (a local receiver, a test) nothing crosses a network.
      const plainAllowed = url.protocol === "http:" && isLoopback(url.hostname);
      if (url.protocol !== "https:" && !plainAllowed) {
        return { problem: "its URL must start with https:// (http:// only to a loopback address)" };
      }
      if (url.username || url.password)
        return { problem: "its URL may not hold a user or password" };
      return { kind, url: url.href };
    }
    case "email":
      return isEmailAddress(target)
        ? { kind, address: target }
        : { problem: `"${target}" is not an email address` };
    default:
      return {
        problem: 'it must be "webhook:<https URL>", "slack:<https URL>" or "email:<address>"',
      };
  }
}

/** The route as `kind:target`, the form parseRoute reads. */
export function formatRoute(route: Route): string {
  return route.kind === "email" ? `email:${route.address}` : `${route.kind}:${route.url}`;
}

/**
 * The route as anyone who may read may see it: a Slack incoming webhook's
 * path is its secret, so only its host is shown.
 */
export function showRoute(route: Route): string {
  if (route.kind !== "slack") return formatRoute(route);
  return `slack:${new URL(route.url).origin}/…`;
}
