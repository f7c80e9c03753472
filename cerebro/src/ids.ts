import { randomBytes } from "node:crypto";

/** Random bytes drawn from the system at once and handed out five at a time. */
const POOL_SIZE = 5 * 1_024;
let pool = randomBytes(POOL_SIZE);
let taken = 0;

/**
 * A new id with a readable prefix ("run", "tr", "att", "ses"): time-ordered
 * so that listings sort naturally, random so that replicas never collide.
 * The random part comes from a pool, as asking the system for five bytes per
 * id showed up in profiles of the hot path.
 */
export function newId(prefix: string, now = Date.now()): string {
  if (taken + 5 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    taken = 0;
  }
  const random = pool.toString("hex", taken, taken + 5);
  taken += 5;
  return `${prefix}_${now.toString(36).padStart(9, "0")}${random}`;
}
