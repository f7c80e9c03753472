import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * True when the process was started with one of these module URLs as its
 * entry point (links resolved), rather than the module being imported, e.g.
 * by a test.
 */
export function startedAs(...moduleUrls: readonly (string | URL)[]): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  const real = realpathOrSelf(entry);
  return moduleUrls.some((url) => realpathOrSelf(fileURLToPath(url)) === real);
}
