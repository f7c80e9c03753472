import type { TaskDefinition } from "../domain/model.js";
import { type Pause, pausePoints, runSliced, runWhole, type SlicedWork } from "../slices.js";
import { type DeclarationIssue, IssueCode } from "./issues.js";

/**
 * The most tasks one chain of dependencies may hold by default: planning
 * and every graph walk are iterative, but a chain longer than this is
 * almost certainly a mistake, and is refused at declaration.
 */
export const DEFAULT_MAX_CHAIN_LENGTH = 10_000;

/** A declared task with the server that owns it. */
export interface DeclaredTask {
  readonly definition: TaskDefinition;
  readonly serverName: string;
}

/** The outcome of a declaration: errors mean nothing was applied. */
export interface DeclarationOutcome {
  readonly errors: DeclarationIssue[];
  readonly warnings: DeclarationIssue[];
}

/** Everything the graph knows, replaced as a whole when a declaration is applied. */
interface GraphState {
  readonly byServer: ReadonlyMap<string, ReadonlyMap<string, TaskDefinition>>;
  readonly tasks: ReadonlyMap<string, DeclaredTask>;
  readonly downstream: ReadonlyMap<string, readonly string[]>;
  readonly freshUpstreams: ReadonlySet<string>;
  readonly unresolved: ReadonlyMap<string, string>;
}

/** A declaration checked against the graph of `basedOn`, and the graph it makes. */
interface PreparedDeclaration extends DeclarationOutcome {
  readonly basedOn: GraphState;
  readonly next?: GraphState;
}

const EMPTY: GraphState = {
  byServer: new Map(),
  tasks: new Map(),
  downstream: new Map(),
  freshUpstreams: new Set(),
  unresolved: new Map(),
};

/**
 * The one global graph of every server's tasks. Task ids are global; each
 * belongs to exactly one server name. A server's declaration replaces its
 * previous one as a whole, or is refused as a whole: readers see the graph
 * before it or after it, never in between.
 */
export class TaskGraph {
  #state = EMPTY;
  readonly #maxChainLength: number;

  /** @param options.maxChainLength the most tasks one chain of dependencies may hold (default 10,000). */
  constructor(options: { readonly maxChainLength?: number } = {}) {
    this.#maxChainLength = options.maxChainLength ?? DEFAULT_MAX_CHAIN_LENGTH;
  }

  /** Replaces the tasks of `serverName` with `tasks`, unless that breaks the graph. */
  declare(serverName: string, tasks: readonly TaskDefinition[]): DeclarationOutcome {
    return this.#apply(runWhole(this.#prepare(serverName, tasks)));
  }

  /**
   * As declare, checking and indexing in slices with a pause between them,
   * so that a large declaration leaves room for other work; the graph
   * switches to the new declaration at once at the end. One declaration at
   * a time: another one applied meanwhile is a mistake of the caller.
   */
  async declareInSlices(
    serverName: string,
    tasks: readonly TaskDefinition[],
    pause: Pause,
  ): Promise<DeclarationOutcome> {
    return this.#apply(await runSliced(this.#prepare(serverName, tasks), pause));
  }

  /**
   * The graph as it would be with `tasks` as the whole of `serverName`'s
   * declaration, as a graph of its own: this one stays as it is. A candidate
   * run plans over it. Errors mean there is none.
   */
  overlay(
    serverName: string,
    tasks: readonly TaskDefinition[],
  ): DeclarationOutcome & { readonly graph?: TaskGraph } {
    const { errors, warnings, next } = runWhole(this.#prepare(serverName, tasks));
    if (errors.length > 0 || !next) return { errors, warnings: [] };
    const graph = new TaskGraph({ maxChainLength: this.#maxChainLength });
    graph.#state = next;
    return { errors: [], warnings, graph };
  }

  #apply({ errors, warnings, basedOn, next }: PreparedDeclaration): DeclarationOutcome {
    if (errors.length > 0 || !next) return { errors, warnings: [] };
    if (basedOn !== this.#state) {
      throw new Error("the graph changed while a declaration was prepared: declare one at a time");
    }
    this.#state = next;
    return { errors: [], warnings };
  }

  *#prepare(serverName: string, tasks: readonly TaskDefinition[]): SlicedWork<PreparedDeclaration> {
    const basedOn = this.#state;
    const errors = [
      ...(yield* this.#duplicates(tasks)),
      ...(yield* this.#ownedElsewhere(serverName, tasks)),
    ];
    if (errors.length > 0) return { errors, warnings: [], basedOn };
    const proposed = yield* this.#proposed(serverName, tasks);
    errors.push(...(yield* this.#cycles(proposed, tasks)));
    if (errors.length === 0) errors.push(...(yield* this.#tooDeep(proposed, tasks)));
    if (errors.length > 0) return { errors, warnings: [], basedOn };

    const byServer = new Map(basedOn.byServer);
    const declared = new Map(tasks.map((definition) => [definition.id, definition]));
    if (declared.size > 0) byServer.set(serverName, declared);
    else byServer.delete(serverName);
    const next = yield* indexed(byServer, proposed);
    const warnings = tasks.flatMap((task) => {
      const reason = next.unresolved.get(task.id);
      return reason ? [{ taskId: task.id, code: IssueCode.UNRESOLVED, message: reason }] : [];
    });
    return { errors: [], warnings, basedOn, next };
  }

  /** The declared task, or undefined when nobody declares it. */
  get(taskId: string): DeclaredTask | undefined {
    return this.#state.tasks.get(taskId);
  }

  /** Every declared task, in id order. */
  all(): DeclaredTask[] {
    return [...this.#state.tasks.values()].sort((a, b) =>
      a.definition.id.localeCompare(b.definition.id),
    );
  }

  /** Task ids referenced as upstream that no server declares. */
  undeclaredUpstreams(): string[] {
    const missing = new Set<string>();
    const { tasks } = this.#state;
    for (const { definition } of tasks.values()) {
      for (const dependency of definition.dependencies) {
        if (!tasks.has(dependency.taskId)) missing.add(dependency.taskId);
      }
    }
    return [...missing].sort();
  }

  /** Upstream task ids some dependency judges by freshness: whose completions planning needs. */
  freshUpstreams(): ReadonlySet<string> {
    return this.#state.freshUpstreams;
  }

  /** Task ids that declare `taskId` as upstream. */
  downstreamOf(taskId: string): readonly string[] {
    return this.#state.downstream.get(taskId) ?? [];
  }

  /** Why the task can never be invoked as the graph stands, or undefined when it can. */
  unresolvedReason(taskId: string): string | undefined {
    if (!this.#state.tasks.has(taskId)) return `${taskId} is declared by no server`;
    return this.#state.unresolved.get(taskId);
  }

  /** The task ids declared by `serverName`. */
  tasksOf(serverName: string): string[] {
    return [...(this.#state.byServer.get(serverName)?.keys() ?? [])].sort();
  }

  /** "task (team)" for messages that must name who to talk to. */
  describe(taskId: string): string {
    const task = this.#state.tasks.get(taskId);
    return task ? `${taskId} (team ${task.definition.owner.team}, ${task.serverName})` : taskId;
  }

  *#duplicates(tasks: readonly TaskDefinition[]): SlicedWork<DeclarationIssue[]> {
    const seen = new Set<string>();
    const issues: DeclarationIssue[] = [];
    const pausePoint = pausePoints();
    for (const task of tasks) {
      if (pausePoint()) yield;
      if (seen.has(task.id)) {
        issues.push({
          taskId: task.id,
          code: IssueCode.DUPLICATE,
          message: `task ${task.id} is declared more than once`,
        });
      }
      seen.add(task.id);
    }
    return issues;
  }

  *#ownedElsewhere(
    serverName: string,
    tasks: readonly TaskDefinition[],
  ): SlicedWork<DeclarationIssue[]> {
    const issues: DeclarationIssue[] = [];
    const pausePoint = pausePoints();
    for (const task of tasks) {
      if (pausePoint()) yield;
      const existing = this.#state.tasks.get(task.id);
      if (!existing || existing.serverName === serverName) continue;
      issues.push({
        taskId: task.id,
        code: IssueCode.OWNED_ELSEWHERE,
        message:
          `task ${task.id} (team ${task.owner.team}) is already owned by server ` +
          `${existing.serverName} (team ${existing.definition.owner.team}); ` +
          "that server must stop declaring it first",
      });
    }
    return issues;
  }

  /** Every declared task as it would be with this declaration. */
  *#proposed(
    serverName: string,
    tasks: readonly TaskDefinition[],
  ): SlicedWork<Map<string, DeclaredTask>> {
    const proposed = new Map<string, DeclaredTask>();
    const pausePoint = pausePoints();
    for (const declaredTask of this.#state.tasks.values()) {
      if (pausePoint()) yield;
      if (declaredTask.serverName !== serverName)
        proposed.set(declaredTask.definition.id, declaredTask);
    }
    for (const definition of tasks) {
      if (pausePoint()) yield;
      proposed.set(definition.id, { definition, serverName });
    }
    return proposed;
  }

  /**
   * The longest chain of dependencies through a declared task, when it is
   * longer than the limit: refused, naming the chain's ends. Assumes no cycle.
   */
  *#tooDeep(
    proposed: ReadonlyMap<string, DeclaredTask>,
    tasks: readonly TaskDefinition[],
  ): SlicedWork<DeclarationIssue[]> {
    // depth: the most tasks on a chain from this one down to a task with no
    // declared upstream; next: the upstream that chain goes through.
    const depth = new Map<string, number>();
    const next = new Map<string, string>();
    const pausePoint = pausePoints();
    for (const task of tasks) {
      const stack = [task.id];
      while (stack.length > 0) {
        if (pausePoint()) yield;
        const id = stack[stack.length - 1] as string;
        if (depth.has(id)) {
          stack.pop();
          continue;
        }
        const upstream = (proposed.get(id)?.definition.dependencies ?? [])
          .map((dependency) => dependency.taskId)
          .filter((upstreamId) => proposed.has(upstreamId));
        const missing = upstream.filter((upstreamId) => !depth.has(upstreamId));
        if (missing.length > 0) {
          stack.push(...missing);
          continue;
        }
        stack.pop();
        let deepest: string | undefined;
        for (const upstreamId of upstream) {
          if (deepest === undefined || (depth.get(upstreamId) ?? 0) > (depth.get(deepest) ?? 0)) {
            deepest = upstreamId;
          }
        }
        depth.set(id, 1 + (deepest === undefined ? 0 : (depth.get(deepest) ?? 0)));
        if (deepest !== undefined) next.set(id, deepest);
      }
    }
    const deepestTask = tasks.reduce<TaskDefinition | undefined>(
      (found, task) =>
        found === undefined || (depth.get(task.id) ?? 0) > (depth.get(found.id) ?? 0)
          ? task
          : found,
      undefined,
    );
    const longest = deepestTask ? (depth.get(deepestTask.id) ?? 0) : 0;
    if (!deepestTask || longest <= this.#maxChainLength) return [];
    const chain: string[] = [];
    for (let id: string | undefined = deepestTask.id; id !== undefined; id = next.get(id)) {
      chain.push(id);
    }
    const named =
      chain.length <= 6
        ? chain.join(" → ")
        : `${chain.slice(0, 3).join(" → ")} → … → ${chain.slice(-3).join(" → ")}`;
    return [
      {
        taskId: deepestTask.id,
        code: IssueCode.INVALID,
        message: `declaring ${deepestTask.id} would make a chain of ${longest} dependent tasks, more than the limit of ${this.#maxChainLength} (CORDYNA_MAX_CHAIN_LENGTH): ${named}`,
      },
    ];
  }

  /** Cycles the declaration would close; each is reported once, on its first new task. */
  *#cycles(
    proposed: ReadonlyMap<string, DeclaredTask>,
    tasks: readonly TaskDefinition[],
  ): SlicedWork<DeclarationIssue[]> {
    const team = (id: string): string => proposed.get(id)?.definition.owner.team ?? "?";
    const declaredHere = new Set(tasks.map((task) => task.id));

    const issues: DeclarationIssue[] = [];
    const done = new Set<string>();
    const path: string[] = [];
    const onPath = new Set<string>();
    // Depth-first with an explicit stack: a chain as long as a declaration
    // may hold would overflow the call stack.
    const stack: { id: string; next: number }[] = [];
    const enter = (id: string): void => {
      if (done.has(id)) return;
      if (onPath.has(id)) {
        const cycle = [...path.slice(path.indexOf(id)), id];
        const named = cycle.map((member) => `${member} (team ${team(member)})`).join(" → ");
        const culprit = cycle.find((member) => declaredHere.has(member)) ?? id;
        issues.push({
          taskId: culprit,
          code: IssueCode.CYCLE,
          message: `declaring ${culprit} would close the dependency cycle ${named}`,
        });
        return;
      }
      if (!proposed.has(id)) return;
      path.push(id);
      onPath.add(id);
      stack.push({ id, next: 0 });
    };
    const pausePoint = pausePoints();
    for (const task of tasks) {
      enter(task.id);
      while (stack.length > 0) {
        if (pausePoint()) yield;
        const frame = stack[stack.length - 1] as { id: string; next: number };
        const dependencies = proposed.get(frame.id)?.definition.dependencies ?? [];
        const dependency = dependencies[frame.next++];
        if (dependency) {
          enter(dependency.taskId);
          continue;
        }
        stack.pop();
        path.pop();
        onPath.delete(frame.id);
        done.add(frame.id);
      }
    }
    return issues;
  }
}

/** The graph's state for these declarations: what is downstream of what, and what is unresolved. */
function* indexed(
  byServer: ReadonlyMap<string, ReadonlyMap<string, TaskDefinition>>,
  tasks: ReadonlyMap<string, DeclaredTask>,
): SlicedWork<GraphState> {
  const pausePoint = pausePoints();
  const downstream = new Map<string, string[]>();
  const freshUpstreams = new Set<string>();
  for (const { definition } of tasks.values()) {
    if (pausePoint()) yield;
    for (const dependency of definition.dependencies) {
      if (dependency.freshWithinMs !== undefined) freshUpstreams.add(dependency.taskId);
      const list = downstream.get(dependency.taskId) ?? [];
      list.push(definition.id);
      downstream.set(dependency.taskId, list);
    }
  }
  for (const list of downstream.values()) {
    if (pausePoint()) yield;
    list.sort();
  }

  // Each task is judged once (resolved tasks are remembered too), so a
  // layered graph costs its edges, not its paths. A reason names the nearest
  // unresolved upstream and the root cause, never the whole chain between.
  const unresolved = new Map<string, string>();
  const rootCause = new Map<string, string>();
  const judged = new Set<string>();
  // A task is judged after its upstream, with an explicit stack rather than
  // recursion, so that a chain of any declared depth fits.
  for (const start of tasks.keys()) {
    if (judged.has(start)) continue;
    judged.add(start);
    const stack = [{ id: start, next: 0 }];
    while (stack.length > 0) {
      if (pausePoint()) yield;
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const dependencies = tasks.get(frame.id)?.definition.dependencies ?? [];
      const dependency = dependencies[frame.next++];
      if (dependency) {
        const upstream = dependency.taskId;
        if (tasks.has(upstream) && !judged.has(upstream)) {
          judged.add(upstream);
          stack.push({ id: upstream, next: 0 });
        }
        continue;
      }
      stack.pop();
      for (const { taskId: upstream } of dependencies) {
        if (!tasks.has(upstream)) {
          const missing = `upstream ${upstream} is declared by no server`;
          unresolved.set(frame.id, missing);
          rootCause.set(frame.id, missing);
          break;
        }
        const root = rootCause.get(upstream);
        if (root) {
          unresolved.set(frame.id, `upstream ${upstream} is unresolved: ${root}`);
          rootCause.set(frame.id, root);
          break;
        }
      }
    }
  }
  return { byServer, tasks, downstream, freshUpstreams, unresolved };
}
