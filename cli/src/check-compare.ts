// dyna check's verdict: a server's candidate declarations against the live
// graph. Cerebro's own graph (TaskGraph) decides what it would refuse and
// what could not run; this module only names who is hit, and why.

import { CronSchedule } from "@cordyna/cerebro/cron";
import {
  definitionsFromDeclarations,
  IssueCode,
  type Schedule,
  type TaskDefinition,
  TaskGraph,
} from "@cordyna/cerebro/graph";
import {
  describeViolations,
  durationText,
  type TaskDeclaration,
  TaskDeclarationSchema,
  violationsOf,
} from "@cordyna/contract";

/** The kinds of breaking change, as `--allow kind:task` names them. */
export const BREAK_KINDS = [
  "removed",
  "cycle",
  "ownership",
  "undeclared",
  "freshness",
  "invalid",
] as const;
export type BreakKind = (typeof BREAK_KINDS)[number];

/** A task and who answers for it. */
export interface TaskRef {
  readonly taskId: string;
  readonly serverName: string;
  readonly team: string;
  readonly contact: string;
}

/** One breaking change, as it hits one task. */
export interface Break {
  readonly kind: BreakKind;
  /** The task of the candidate the change is about: what `--allow` names. */
  readonly taskId: string;
  /** The task it hits, with its owner: downstream, on a cycle, or owning the id. */
  readonly affected: TaskRef;
  /** What happens to the affected task, in a sentence. */
  readonly message: string;
}

/** A change that breaks nothing. */
export interface Change {
  readonly kind: "added" | "removed" | "changed";
  readonly taskId: string;
  readonly message: string;
}

/** A server's declarations as it would send them. */
export interface Candidate {
  readonly serverName: string;
  readonly team: string;
  readonly contact: string;
  readonly tasks: readonly TaskDeclaration[];
}

/** A task of the live graph, as ListTasks tells it. */
export interface LiveTask {
  readonly serverName: string;
  readonly declaration: TaskDeclaration;
}

export interface Comparison {
  readonly breaks: Break[];
  readonly changes: Change[];
}

/** How far ahead a schedule's ticks are looked at: long enough for both daylight-saving changes. */
export const FRESHNESS_HORIZON_MS = 366 * 24 * 3600_000;
/** The most steps of at least freshWithin each that are taken within the horizon. */
export const FRESHNESS_MAX_STEPS = 5_000;

/**
 * Whether a schedule keeps a `freshWithin` condition met on its own: no two
 * consecutive ticks of its cron, in its time zone, are further apart than
 * `freshWithinMs`, over the horizon from `from` (or the first
 * FRESHNESS_MAX_STEPS × freshWithin of it, when that is shorter). How long
 * a run takes is not known, so it is not counted. No schedule keeps nothing
 * fresh.
 */
export function keepsFresh(
  schedule: Schedule | undefined,
  freshWithinMs: number,
  from: number,
): boolean {
  if (schedule === undefined) return false;
  const cron = CronSchedule.compile(schedule.cron, schedule.timeZone);
  // Steps from tick to tick at least freshWithin apart, two look-ups each:
  // the ticks up to `tick + freshWithin` are closer than that to each
  // other, so only the gap to the first tick after it can be longer.
  let tick = cron.next(from);
  for (let step = 0; tick !== undefined && step < FRESHNESS_MAX_STEPS; step++) {
    if (tick > from + FRESHNESS_HORIZON_MS) return true;
    const after = cron.next(tick + freshWithinMs);
    if (after === undefined) return false;
    // That gap is longer exactly when no tick falls in [after - freshWithin, after).
    if (cron.next(after - freshWithinMs - 1) === after) return false;
    tick = after;
  }
  return tick !== undefined;
}

function describeSchedule(schedule: Schedule | undefined): string {
  return schedule === undefined ? "no schedule" : `cron "${schedule.cron}" (${schedule.timeZone})`;
}

/** The declared tasks of every server but `except`, as definitions, by server. */
function definitionsByServer(
  live: readonly LiveTask[],
  except?: string,
): Map<string, TaskDefinition[]> {
  const declarations = new Map<string, TaskDeclaration[]>();
  for (const task of live) {
    if (task.serverName === "" || task.serverName === except) continue;
    const list = declarations.get(task.serverName) ?? [];
    list.push(task.declaration);
    declarations.set(task.serverName, list);
  }
  return new Map(
    [...declarations].map(([server, list]) => [
      server,
      definitionsFromDeclarations(list).definitions,
    ]),
  );
}

function graphOf(byServer: ReadonlyMap<string, readonly TaskDefinition[]>): TaskGraph {
  const graph = new TaskGraph();
  for (const [server, definitions] of byServer) graph.declare(server, definitions);
  return graph;
}

function refOf(graph: TaskGraph, taskId: string): TaskRef {
  const task = graph.get(taskId);
  return {
    taskId,
    serverName: task?.serverName ?? "",
    team: task?.definition.owner.team ?? "",
    contact: task?.definition.owner.contact ?? "",
  };
}

/**
 * A path of dependencies from `from` back to itself in the graph made of
 * `definitions`: the members of a cycle cerebro found through it.
 */
function cycleThrough(from: string, definitions: ReadonlyMap<string, TaskDefinition>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    for (const { taskId: upstream } of definitions.get(id)?.dependencies ?? []) {
      if (upstream === from) {
        const members = [id];
        for (let at = id; at !== from; at = cameFrom.get(at) as string) {
          members.push(cameFrom.get(at) as string);
        }
        return members.reverse();
      }
      if (cameFrom.has(upstream) || !definitions.has(upstream)) continue;
      cameFrom.set(upstream, id);
      queue.push(upstream);
    }
  }
  return [from];
}

/**
 * The candidate declared in place of its server's live declarations, with
 * what cerebro would refuse taken out until it accepts the rest: the
 * refusals as breaks, and the graph as it would stand.
 */
function declareCandidate(
  others: ReadonlyMap<string, readonly TaskDefinition[]>,
  candidate: Candidate,
  definitions: readonly TaskDefinition[],
  before: TaskGraph,
): { after: TaskGraph | undefined; breaks: Break[] } {
  const breaks: Break[] = [];
  const own = (taskId: string): TaskRef => ({
    taskId,
    serverName: candidate.serverName,
    team: definitions.find((d) => d.id === taskId)?.owner.team ?? candidate.team,
    contact: definitions.find((d) => d.id === taskId)?.owner.contact ?? candidate.contact,
  });
  let declared = [...definitions];
  for (let round = 0; round <= definitions.length + 1; round++) {
    const after = graphOf(others);
    const { errors } = after.declare(candidate.serverName, declared);
    if (errors.length === 0) return { after, breaks };
    const proposed = new Map<string, TaskDefinition>();
    for (const task of after.all()) proposed.set(task.definition.id, task.definition);
    for (const definition of declared) proposed.set(definition.id, definition);
    const refused = new Set<string>();
    const unchained = new Set<string>();
    for (const error of errors) {
      switch (error.code) {
        case IssueCode.OWNED_ELSEWHERE:
          breaks.push({
            kind: "ownership",
            taskId: error.taskId,
            affected: refOf(after, error.taskId),
            message: `cerebro would refuse the whole declaration: ${error.message}`,
          });
          refused.add(error.taskId);
          break;
        case IssueCode.CYCLE: {
          const members = cycleThrough(error.taskId, proposed);
          const elsewhere = members.filter((id) => after.get(id) !== undefined);
          for (const member of elsewhere.length > 0 ? elsewhere : [error.taskId]) {
            breaks.push({
              kind: "cycle",
              taskId: error.taskId,
              affected: elsewhere.length > 0 ? refOf(after, member) : own(member),
              message: `cerebro would refuse the whole declaration: ${error.message}`,
            });
          }
          unchained.add(error.taskId);
          break;
        }
        case IssueCode.DUPLICATE:
          breaks.push({
            kind: "invalid",
            taskId: error.taskId,
            affected: own(error.taskId),
            message: `cerebro would refuse the whole declaration: ${error.message}`,
          });
          refused.add(error.taskId);
          break;
        default:
          // Another refusal (a chain longer than cerebro allows): nothing
          // more can be said of the graph after it.
          breaks.push({
            kind: "invalid",
            taskId: error.taskId,
            affected: own(error.taskId),
            message: `cerebro would refuse the whole declaration: ${error.message}`,
          });
          return { after: undefined, breaks };
      }
    }
    // Refused ids are left out; a task that closes a cycle keeps only the
    // dependencies it has live, so that the rest can be judged.
    const seen = new Set<string>();
    declared = declared.flatMap((definition) => {
      if (seen.has(definition.id)) return [];
      seen.add(definition.id);
      if (refused.has(definition.id) && after.get(definition.id) !== undefined) return [];
      if (!unchained.has(definition.id)) return [definition];
      const live = new Set(
        before.get(definition.id)?.definition.dependencies.map((d) => d.taskId) ?? [],
      );
      return [
        { ...definition, dependencies: definition.dependencies.filter((d) => live.has(d.taskId)) },
      ];
    });
  }
  return { after: undefined, breaks };
}

/**
 * The undeclared tasks at the root of why `taskId` cannot run, each with
 * the declared task that depends on it directly.
 */
function missingRoots(graph: TaskGraph, taskId: string): { dependent: string; missing: string }[] {
  const roots: { dependent: string; missing: string }[] = [];
  const seen = new Set([taskId]);
  const queue = [taskId];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    for (const { taskId: upstream } of graph.get(id)?.definition.dependencies ?? []) {
      if (graph.get(upstream) === undefined) roots.push({ dependent: id, missing: upstream });
      else if (!seen.has(upstream)) {
        seen.add(upstream);
        queue.push(upstream);
      }
    }
  }
  return roots;
}

/**
 * The fields in which two task definitions differ. Definitions, not
 * declarations: cerebro lists a task with its defaults filled in, which
 * the server's own declaration leaves out.
 */
function changedFields(before: TaskDefinition, after: TaskDefinition): string[] {
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((field) => JSON.stringify(a[field]) !== JSON.stringify(b[field]))
    .sort();
}

/**
 * What replacing the candidate server's live declarations with the
 * candidate's would break, per task hit, and what else it changes. `now`
 * is where schedules are looked at from.
 */
export function compareDeclarations(
  live: readonly LiveTask[],
  candidate: Candidate,
  now: number,
): Comparison {
  const server = candidate.serverName;
  const before = graphOf(definitionsByServer(live));
  const others = definitionsByServer(live, server);
  const breaks: Break[] = [];
  const changes: Change[] = [];
  const own = (taskId: string, team = candidate.team, contact = candidate.contact): TaskRef => ({
    taskId,
    serverName: server,
    team,
    contact,
  });

  // What cerebro checks field by field before it looks at the graph.
  const valid: TaskDeclaration[] = [];
  for (const [index, declaration] of candidate.tasks.entries()) {
    const violations = violationsOf(TaskDeclarationSchema, declaration);
    if (violations.length === 0) {
      valid.push(declaration);
      continue;
    }
    const taskId = declaration.id || `#${index + 1}`;
    breaks.push({
      kind: "invalid",
      taskId,
      affected: own(taskId, declaration.owner?.team || candidate.team),
      message: `cerebro would refuse the whole declaration: task ${taskId}: ${describeViolations(violations)}`,
    });
  }
  const { definitions, issues } = definitionsFromDeclarations(valid);
  for (const issue of issues) {
    const declaration = valid.find((d) => d.id === issue.taskId);
    breaks.push({
      kind: "invalid",
      taskId: issue.taskId,
      affected: own(issue.taskId, declaration?.owner?.team || candidate.team),
      message: `cerebro would refuse the whole declaration: ${issue.message}`,
    });
  }

  const declaredIds = new Set(candidate.tasks.map((task) => task.id));
  const liveIds = before.tasksOf(server);
  const removed = new Set(liveIds.filter((id) => !declaredIds.has(id)));
  const refusal = declareCandidate(others, candidate, definitions, before);
  breaks.push(...refusal.breaks);
  const after = refusal.after;

  if (after !== undefined) {
    // Tasks that could run before and could not now, blamed on their root:
    // a task the candidate no longer declares, or a new dependency of one
    // of its tasks on a task nobody declares.
    for (const { definition } of after.all()) {
      const taskId = definition.id;
      const wasBroken =
        before.get(taskId) !== undefined && before.unresolvedReason(taskId) !== undefined;
      if (wasBroken || after.unresolvedReason(taskId) === undefined) continue;
      const affected = refOf(after, taskId);
      const blamed = new Set<string>();
      for (const { dependent, missing } of missingRoots(after, taskId)) {
        if (removed.has(missing)) {
          if (blamed.has(`removed:${missing}`)) continue;
          blamed.add(`removed:${missing}`);
          breaks.push({
            kind: "removed",
            taskId: missing,
            affected,
            message:
              dependent === taskId
                ? `${taskId} depends on ${missing}, which ${server} no longer declares: runs of ${taskId} would be refused`
                : `${taskId} depends on ${missing} through ${dependent}, and ${server} no longer declares it: runs of ${taskId} would be refused`,
          });
        } else if (after.get(dependent)?.serverName === server) {
          const liveDependencies = before.get(dependent)?.definition.dependencies ?? [];
          if (liveDependencies.some((d) => d.taskId === missing)) continue;
          if (blamed.has(`undeclared:${dependent}`)) continue;
          blamed.add(`undeclared:${dependent}`);
          breaks.push({
            kind: "undeclared",
            taskId: dependent,
            affected,
            message:
              dependent === taskId
                ? `${taskId} now depends on ${missing}, which no server declares: runs of it would be refused`
                : `${taskId} depends on ${dependent}, which now depends on ${missing}, which no server declares: runs of ${taskId} would be refused`,
          });
        }
      }
    }

    // Schedules that no longer keep a downstream fresh-within condition met.
    const keptFresh = new Map<string, boolean>();
    const keeps = (schedule: Schedule | undefined, freshWithinMs: number): boolean => {
      const key = JSON.stringify([schedule?.cron, schedule?.timeZone, freshWithinMs]);
      const known = keptFresh.get(key);
      if (known !== undefined) return known;
      const kept = keepsFresh(schedule, freshWithinMs, now);
      keptFresh.set(key, kept);
      return kept;
    };
    for (const definition of definitions) {
      const liveTask = before.get(definition.id);
      if (liveTask?.serverName !== server) continue;
      for (const downstreamId of after.downstreamOf(definition.id)) {
        const dependency = after
          .get(downstreamId)
          ?.definition.dependencies.find((d) => d.taskId === definition.id);
        const freshWithinMs = dependency?.freshWithinMs;
        const liveSchedule = liveTask.definition.schedule;
        const sameSchedule =
          liveSchedule?.cron === definition.schedule?.cron &&
          liveSchedule?.timeZone === definition.schedule?.timeZone;
        if (freshWithinMs === undefined || sameSchedule) continue;
        if (keeps(definition.schedule, freshWithinMs)) continue;
        if (!keeps(liveTask.definition.schedule, freshWithinMs)) continue;
        breaks.push({
          kind: "freshness",
          taskId: definition.id,
          affected: refOf(after, downstreamId),
          message:
            `${downstreamId} needs ${definition.id} fresh within ${durationText(freshWithinMs)}: ` +
            `${describeSchedule(liveTask.definition.schedule)} kept it so, ` +
            `${describeSchedule(definition.schedule)} leaves longer gaps, and runs of ${downstreamId} would run ${definition.id} first`,
        });
      }
    }
  }

  const broken = new Set(breaks.map((b) => b.taskId));
  for (const id of removed) {
    if (!broken.has(id)) {
      changes.push({
        kind: "removed",
        taskId: id,
        message: "no longer declared; nothing depends on it",
      });
    }
  }
  for (const declaration of candidate.tasks) {
    const taskId = declaration.id;
    if (broken.has(taskId)) continue;
    const liveTask = before.get(taskId);
    if (liveTask?.serverName !== server) {
      const reason = after?.unresolvedReason(taskId);
      changes.push({
        kind: "added",
        taskId,
        message: reason === undefined ? "new task" : `new task, which cannot run yet: ${reason}`,
      });
      continue;
    }
    const definition = definitions.find((d) => d.id === taskId);
    if (definition === undefined) continue;
    const fields = changedFields(liveTask.definition, definition);
    if (fields.length > 0) {
      changes.push({ kind: "changed", taskId, message: `changed: ${fields.join(", ")}` });
    }
  }
  return { breaks, changes };
}
