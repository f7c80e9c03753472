// "Did you mean": the known names closest to a mistyped one.

import { Code, ConnectError } from "@connectrpc/connect";
import type { ControlClient } from "@cordyna/contract";
import { UNARY_TIMEOUT_MS } from "./client.js";
import { EXIT_UNREACHABLE, ExplainedError } from "./context.js";

/** The most names one suggestion offers. */
const MAX_SUGGESTIONS = 3;

/**
 * Edit distance with adjacent transpositions (optimal string alignment):
 * how many characters to insert, delete, replace or swap with their
 * neighbour to turn `a` into `b`. "reprot" → "report" is 1.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rows: two back (for transpositions), the previous and this one.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (before[j - 2] as number) + 1);
      }
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] as number;
}

/**
 * The known names close to `word`, closest first, at most three: those
 * within an edit distance of a quarter of the word's length (at least 1),
 * ignoring case; else, for a word of 4 or more characters, those it begins
 * (a run id copied in part). Nothing when no name is close.
 */
export function closeMatches(word: string, known: Iterable<string>): string[] {
  const typed = word.toLowerCase();
  const bound = Math.max(1, Math.floor(typed.length / 4));
  const near: { name: string; distance: number }[] = [];
  const extending: string[] = [];
  for (const name of new Set(known)) {
    if (name === word) continue;
    const candidate = name.toLowerCase();
    const distance = editDistance(typed, candidate);
    // A distance as long as the name itself replaces all of it: no resemblance.
    if (distance <= bound && distance < candidate.length) near.push({ name, distance });
    else if (typed.length >= 4 && candidate.startsWith(typed)) extending.push(name);
  }
  if (near.length > 0) {
    near.sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name));
    return near.slice(0, MAX_SUGGESTIONS).map((match) => match.name);
  }
  return extending.sort().slice(0, MAX_SUGGESTIONS);
}

/** "; did you mean a?", "; did you mean a or b?", "; did you mean a, b or c?"; "" for none. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return "";
  const last = suggestions[suggestions.length - 1];
  const listed =
    suggestions.length === 1 ? last : `${suggestions.slice(0, -1).join(", ")} or ${last}`;
  return `; did you mean ${listed}?`;
}

/** How many of the most recent runs a mistyped run id is compared with. */
const RECENT_RUNS = 500;

/**
 * The error to report for a call that cerebro refused with NOT_FOUND: when
 * the run (or the run's task) is unknown and known ones are close to it,
 * one naming them; otherwise the refusal as it came.
 */
export async function explainNotFound(
  client: Pick<ControlClient, "getRun" | "listRuns">,
  wanted: { runId: string; taskId?: string },
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof ConnectError) || error.code !== Code.NotFound) return error;
  try {
    const { runId, taskId } = wanted;
    const run = await client.getRun({ runId }, { timeoutMs: UNARY_TIMEOUT_MS }).then(
      (res) => res.run,
      (missing: unknown) => {
        if (missing instanceof ConnectError && missing.code === Code.NotFound) return undefined;
        throw missing;
      },
    );
    if (run === undefined) {
      const { runs } = await client.listRuns(
        { limit: RECENT_RUNS },
        { timeoutMs: UNARY_TIMEOUT_MS },
      );
      const hint = didYouMean(
        closeMatches(
          runId,
          runs.map((r) => r.id),
        ),
      );
      return hint ? new ExplainedError(`unknown run ${runId}${hint}`, EXIT_UNREACHABLE) : error;
    }
    if (taskId === undefined) return error;
    const taskIds = run.taskRuns.map((taskRun) => taskRun.taskId);
    if (taskIds.includes(taskId)) return error;
    const hint = didYouMean(closeMatches(taskId, taskIds));
    return hint
      ? new ExplainedError(`run ${runId} has no task ${taskId}${hint}`, EXIT_UNREACHABLE)
      : error;
  } catch {
    return error;
  }
}

/**
 * The error to report for a StartRun that cerebro refused with NOT_FOUND:
 * one line per unknown target, naming the known tasks close to it, when any
 * is; otherwise the refusal as it came.
 */
export async function explainUnknownTasks(
  client: Pick<ControlClient, "listTasks">,
  targets: readonly string[],
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof ConnectError) || error.code !== Code.NotFound) return error;
  try {
    const known = await closeTaskIdsFor(client, targets);
    if (![...known.values()].some((close) => close.length > 0)) return error;
    const lines = [...known].map(([taskId, close]) => `unknown task ${taskId}${didYouMean(close)}`);
    return new ExplainedError(lines.join("\n"), EXIT_UNREACHABLE);
  } catch {
    return error;
  }
}

/** For each of the ids cerebro does not know, the known task ids close to it. */
export async function closeTaskIdsFor(
  client: Pick<ControlClient, "listTasks">,
  taskIds: readonly string[],
): Promise<Map<string, string[]>> {
  const { tasks } = await client.listTasks({}, { timeoutMs: UNARY_TIMEOUT_MS });
  const known = tasks.map((task) => task.taskId);
  const unknown = new Map<string, string[]>();
  for (const taskId of taskIds) {
    if (!known.includes(taskId)) unknown.set(taskId, closeMatches(taskId, known));
  }
  return unknown;
}
