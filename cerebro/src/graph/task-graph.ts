import type { TaskDefinition } from "../domain/model.js";
import { type DeclarationIssue, IssueCode } from "./issues.js";

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

/**
 * The one global graph of every server's tasks. Task ids are global; each
 * belongs to exactly one server name. A server's declaration replaces its
 * previous one as a whole, or is refused as a whole.
 */
export class TaskGraph {
  readonly #byServer = new Map<string, Map<string, TaskDefinition>>();
  readonly #tasks = new Map<string, DeclaredTask>();
  #downstream = new Map<string, string[]>();
  #freshUpstreams = new Set<string>();
  #unresolved = new Map<string, string>();

  /** Replaces the tasks of `serverName` with `tasks`, unless that breaks the graph. */
  declare(serverName: string, tasks: readonly TaskDefinition[]): DeclarationOutcome {
    const errors = [...this.#duplicates(tasks), ...this.#ownedElsewhere(serverName, tasks)];
    if (errors.length === 0) errors.push(...this.#cycles(serverName, tasks));
    if (errors.length > 0) return { errors, warnings: [] };

    for (const previous of this.#byServer.get(serverName)?.keys() ?? []) {
      this.#tasks.delete(previous);
    }
    const declared = new Map<string, TaskDefinition>();
    for (const definition of tasks) {
      declared.set(definition.id, definition);
      this.#tasks.set(definition.id, { definition, serverName });
    }
    if (declared.size > 0) this.#byServer.set(serverName, declared);
    else this.#byServer.delete(serverName);
    this.#reindex();

    const warnings = tasks.flatMap((task) => {
      const reason = this.#unresolved.get(task.id);
      return reason ? [{ taskId: task.id, code: IssueCode.UNRESOLVED, message: reason }] : [];
    });
    return { errors: [], warnings };
  }

  /** The declared task, or undefined when nobody declares it. */
  get(taskId: string): DeclaredTask | undefined {
    return this.#tasks.get(taskId);
  }

  /** Every declared task, in id order. */
  all(): DeclaredTask[] {
    return [...this.#tasks.values()].sort((a, b) => a.definition.id.localeCompare(b.definition.id));
  }

  /** Task ids referenced as upstream that no server declares. */
  undeclaredUpstreams(): string[] {
    const missing = new Set<string>();
    for (const { definition } of this.#tasks.values()) {
      for (const dependency of definition.dependencies) {
        if (!this.#tasks.has(dependency.taskId)) missing.add(dependency.taskId);
      }
    }
    return [...missing].sort();
  }

  /** Upstream task ids some dependency judges by freshness: whose completions planning needs. */
  freshUpstreams(): ReadonlySet<string> {
    return this.#freshUpstreams;
  }

  /** Task ids that declare `taskId` as upstream. */
  downstreamOf(taskId: string): readonly string[] {
    return this.#downstream.get(taskId) ?? [];
  }

  /** Why the task can never be invoked as the graph stands, or undefined when it can. */
  unresolvedReason(taskId: string): string | undefined {
    if (!this.#tasks.has(taskId)) return `${taskId} is declared by no server`;
    return this.#unresolved.get(taskId);
  }

  /** The task ids declared by `serverName`. */
  tasksOf(serverName: string): string[] {
    return [...(this.#byServer.get(serverName)?.keys() ?? [])].sort();
  }

  /** "task (team)" for messages that must name who to talk to. */
  describe(taskId: string): string {
    const task = this.#tasks.get(taskId);
    return task ? `${taskId} (team ${task.definition.owner.team}, ${task.serverName})` : taskId;
  }

  #duplicates(tasks: readonly TaskDefinition[]): DeclarationIssue[] {
    const seen = new Set<string>();
    const issues: DeclarationIssue[] = [];
    for (const task of tasks) {
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

  #ownedElsewhere(serverName: string, tasks: readonly TaskDefinition[]): DeclarationIssue[] {
    return tasks.flatMap((task) => {
      const existing = this.#tasks.get(task.id);
      if (!existing || existing.serverName === serverName) return [];
      return [
        {
          taskId: task.id,
          code: IssueCode.OWNED_ELSEWHERE,
          message:
            `task ${task.id} (team ${task.owner.team}) is already owned by server ` +
            `${existing.serverName} (team ${existing.definition.owner.team}); ` +
            "that server must stop declaring it first",
        },
      ];
    });
  }

  /** Cycles the declaration would close; each is reported once, on its first new task. */
  #cycles(serverName: string, tasks: readonly TaskDefinition[]): DeclarationIssue[] {
    const proposed = new Map<string, TaskDefinition>();
    for (const { definition, serverName: owner } of this.#tasks.values()) {
      if (owner !== serverName) proposed.set(definition.id, definition);
    }
    for (const task of tasks) proposed.set(task.id, task);
    const team = (id: string): string => proposed.get(id)?.owner.team ?? "?";

    const issues: DeclarationIssue[] = [];
    const done = new Set<string>();
    const path: string[] = [];
    const onPath = new Set<string>();
    const visit = (id: string): void => {
      if (done.has(id)) return;
      if (onPath.has(id)) {
        const cycle = [...path.slice(path.indexOf(id)), id];
        const named = cycle.map((member) => `${member} (team ${team(member)})`).join(" → ");
        const culprit = cycle.find((member) => tasks.some((task) => task.id === member)) ?? id;
        issues.push({
          taskId: culprit,
          code: IssueCode.CYCLE,
          message: `declaring ${culprit} would close the dependency cycle ${named}`,
        });
        return;
      }
      const definition = proposed.get(id);
      if (!definition) return;
      path.push(id);
      onPath.add(id);
      for (const dependency of definition.dependencies) visit(dependency.taskId);
      path.pop();
      onPath.delete(id);
      done.add(id);
    };
    for (const task of tasks) visit(task.id);
    return issues;
  }

  #reindex(): void {
    const downstream = new Map<string, string[]>();
    const freshUpstreams = new Set<string>();
    for (const { definition } of this.#tasks.values()) {
      for (const dependency of definition.dependencies) {
        if (dependency.freshWithinMs !== undefined) freshUpstreams.add(dependency.taskId);
        const list = downstream.get(dependency.taskId) ?? [];
        list.push(definition.id);
        downstream.set(dependency.taskId, list);
      }
    }
    for (const list of downstream.values()) list.sort();
    this.#downstream = downstream;
    this.#freshUpstreams = freshUpstreams;

    // Each task is judged once (resolved tasks are remembered too), so a
    // layered graph costs its edges, not its paths. A reason names the nearest
    // unresolved upstream and the root cause, never the whole chain between.
    const unresolved = new Map<string, string>();
    const rootCause = new Map<string, string>();
    const judged = new Set<string>();
    const judge = (id: string): void => {
      if (judged.has(id)) return;
      judged.add(id);
      const task = this.#tasks.get(id);
      if (!task) return;
      for (const dependency of task.definition.dependencies) {
        const upstream = dependency.taskId;
        if (!this.#tasks.has(upstream)) {
          const missing = `upstream ${upstream} is declared by no server`;
          unresolved.set(id, missing);
          rootCause.set(id, missing);
          return;
        }
        judge(upstream);
        const root = rootCause.get(upstream);
        if (root) {
          unresolved.set(id, `upstream ${upstream} is unresolved: ${root}`);
          rootCause.set(id, root);
          return;
        }
      }
    };
    for (const id of this.#tasks.keys()) judge(id);
    this.#unresolved = unresolved;
  }
}
