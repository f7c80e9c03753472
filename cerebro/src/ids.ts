import { randomBytes } from "node:crypto";

/**
 * A new id with a readable prefix ("run", "tr", "att", "ses"): time-ordered
 * so that listings sort naturally, random so that replicas never collide.
 */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, "0")}${randomBytes(5).toString("hex")}`;
}
