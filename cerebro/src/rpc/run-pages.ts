// ListRuns' pages: their size, and their tokens, which hold the position of
// a page's last run (opaque to callers) so that the next page starts right
// after it.

import { CordynaError, ErrorCode } from "../domain/errors.js";
import type { RunPosition } from "../store/store.js";

/** Runs on a ListRuns page unless the request asks for another number. */
export const DEFAULT_RUNS_PAGE = 50;

const VERSION = "1";

/** The token of the page that follows `last`. */
export function runPageToken(last: RunPosition): string {
  return Buffer.from(`${VERSION}:${last.createdAt}:${last.id}`).toString("base64url");
}

/** Where a page token says to continue; undefined for the empty token (the first page). */
export function parseRunPageToken(token: string, method = "ListRuns"): RunPosition | undefined {
  if (token === "") return undefined;
  const [version, createdAt, ...id] = Buffer.from(token, "base64url").toString().split(":");
  const position = { createdAt: Number(createdAt), id: id.join(":") };
  if (version !== VERSION || !Number.isSafeInteger(position.createdAt) || position.id === "") {
    throw new CordynaError(
      ErrorCode.INVALID_ARGUMENT,
      `page_token is not one that ${method} returned: pass next_page_token unchanged, or nothing for the first page`,
    );
  }
  return position;
}
