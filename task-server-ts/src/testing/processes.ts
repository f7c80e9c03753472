import { readFileSync } from "node:fs";

/**
 * Whether a process runs, for tests that check a kill reached it; a zombie
 * (exited, not reaped by its parent) counts as gone.
 */
export function isProcessAlive(pid: number): boolean {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
