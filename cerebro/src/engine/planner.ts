import { CordynaError, ErrorCode } from "../domain/errors.js";
import type { Completion } from "../domain/model.js";
import type { TaskGraph } from "../graph/task-graph.js";

/** What a caller asks a run to cover. */
export interface PlanRequest {
  readonly targets: readonly string[];
  /** Plan only the targets (and downstream); their upstream counts as satisfied. */
  readonly withoutUpstream?: boolean;
  /** Plan everything downstream of the targets too. */
  readonly withDownstream?: boolean;
}

/** One task the run will invoke, or skip thanks to a fresh completion. */
export interface PlannedTask {
  readonly taskId: string;
  /** Planned tasks this one waits for. */
  readonly upstream: readonly string[];
  /** Set when a freshness condition is already met: the task is SKIPPED. */
  readonly reused?: Completion;
}

/**
 * Plans a run (PRODUCT.md, "Dependencies and runs"): the targets; unless told
 * otherwise, every upstream they need, where a fresh-within dependency whose
 * upstream completed recently enough reuses that completion instead of
 * running it; and, when asked, everything downstream. Upstream tasks outside
 * the plan count as satisfied.
 */
export function planRun(
  graph: TaskGraph,
  request: PlanRequest,
  lastCompletion: (taskId: string) => Completion | undefined,
  now: number,
): PlannedTask[] {
  if (request.targets.length === 0) {
    throw new CordynaError(ErrorCode.INVALID_ARGUMENT, "a run needs at least one target task");
  }
  const unknown = request.targets.filter((id) => !graph.get(id));
  if (unknown.length > 0) {
    throw new CordynaError(
      ErrorCode.NOT_FOUND,
      `no server declares ${unknown.length === 1 ? "task" : "tasks"} ${unknown.join(", ")}`,
    );
  }

  const toRun = new Set<string>();
  const reused = new Map<string, Completion>();
  // Iterative: a chain as deep as a declaration may be would overflow the stack.
  const pending = [...request.targets];
  for (let taskId = pending.pop(); taskId !== undefined; taskId = pending.pop()) {
    if (toRun.has(taskId)) continue;
    toRun.add(taskId);
    reused.delete(taskId);
    if (request.withoutUpstream) continue;
    for (const dependency of graph.get(taskId)?.definition.dependencies ?? []) {
      const completion =
        dependency.freshWithinMs === undefined ? undefined : lastCompletion(dependency.taskId);
      const fresh =
        completion !== undefined && now - completion.completedAt < (dependency.freshWithinMs ?? 0);
      if (fresh && !toRun.has(dependency.taskId)) reused.set(dependency.taskId, completion);
      else if (!fresh) pending.push(dependency.taskId);
    }
  }
  if (request.withDownstream) {
    const queue = [...request.targets];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const downstream of graph.downstreamOf(next)) {
        if (toRun.has(downstream)) continue;
        toRun.add(downstream);
        reused.delete(downstream);
        queue.push(downstream);
      }
    }
  }

  // Without upstream, every upstream counts as satisfied, so one that no
  // server declares does not stand in the way.
  const unresolved = [...toRun].flatMap((id) => {
    const reason =
      request.withoutUpstream && graph.get(id) ? undefined : graph.unresolvedReason(id);
    return reason ? [`${graph.describe(id)}: ${reason}`] : [];
  });
  if (unresolved.length > 0) {
    throw new CordynaError(
      ErrorCode.FAILED_PRECONDITION,
      `the run cannot be planned, unresolved: ${unresolved.join("; ")}`,
    );
  }

  const planned = new Set([...toRun, ...reused.keys()]);
  const tasks: PlannedTask[] = [];
  for (const taskId of [...planned].sort()) {
    const completion = reused.get(taskId);
    if (completion) {
      tasks.push({ taskId, upstream: [], reused: completion });
      continue;
    }
    const upstream = (graph.get(taskId)?.definition.dependencies ?? [])
      .map((dependency) => dependency.taskId)
      .filter((id) => planned.has(id));
    tasks.push({ taskId, upstream });
  }
  return tasks;
}
