import { CordynaError, ErrorCode } from "../domain/errors.js";
import type { TaskDefinition } from "../domain/model.js";
import { type DeclarationIssue, IssueCode } from "./issues.js";
import type { TaskGraph } from "./task-graph.js";

/** The most change ids with candidates connected at once, by default. */
export const DEFAULT_MAX_CANDIDATES = 32;
/** The most tasks one candidate's declaration may hold, by default. */
export const DEFAULT_MAX_TASKS_PER_CANDIDATE = 1_000;

/** What a candidate server declared for one change, in place of its server's live declaration. */
export interface Candidate {
  readonly changeId: string;
  readonly serverName: string;
  readonly tasks: ReadonlyMap<string, TaskDefinition>;
}

interface Held {
  candidate: Candidate;
  /** Connected candidate instances of the change. */
  readonly instances: Set<string>;
}

/**
 * Declarations of candidate servers (Hello.candidate), one per change id,
 * kept beside the live graph and never merged into it: only a test run of
 * the change sees them, planned over the live graph with the candidate's
 * tasks in place of its server's. A change is kept while one of its
 * instances is connected; bounded in change ids and tasks per candidate.
 */
export class CandidateOverlays {
  readonly #graph: TaskGraph;
  readonly #maxCandidates: number;
  readonly #maxTasks: number;
  readonly #byChange = new Map<string, Held>();

  constructor(
    graph: TaskGraph,
    options: { readonly maxCandidates?: number; readonly maxTasksPerCandidate?: number } = {},
  ) {
    this.#graph = graph;
    this.#maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    this.#maxTasks = options.maxTasksPerCandidate ?? DEFAULT_MAX_TASKS_PER_CANDIDATE;
  }

  /**
   * Checks a candidate instance's declaration against the live graph and
   * keeps it as the change's (the latest declaration of a change wins);
   * the issues when it is refused, and then nothing changed.
   */
  declare(
    changeId: string,
    serverName: string,
    instanceId: string,
    tasks: readonly TaskDefinition[],
  ): { readonly errors: DeclarationIssue[]; readonly warnings: DeclarationIssue[] } {
    const refused = (message: string) => ({
      errors: [{ taskId: "", code: IssueCode.INVALID, message }],
      warnings: [],
    });
    const held = this.#byChange.get(changeId);
    if (held && held.candidate.serverName !== serverName) {
      return refused(
        `change ${changeId} is already served by candidate server ${held.candidate.serverName}: one server name per change id`,
      );
    }
    if (!held && this.#byChange.size >= this.#maxCandidates) {
      return refused(
        `${this.#byChange.size} changes already have candidates connected, the limit (CORDYNA_MAX_CANDIDATES): disconnect the candidates of finished changes`,
      );
    }
    if (tasks.length > this.#maxTasks) {
      return refused(
        `the candidate declares ${tasks.length} tasks, more than the limit of ${this.#maxTasks} per candidate (CORDYNA_MAX_TASKS_PER_CANDIDATE)`,
      );
    }
    const { errors, warnings } = this.#graph.overlay(serverName, tasks);
    if (errors.length > 0) return { errors, warnings: [] };
    const candidate: Candidate = {
      changeId,
      serverName,
      tasks: new Map(tasks.map((task) => [task.id, task])),
    };
    if (held) {
      held.candidate = candidate;
      held.instances.add(instanceId);
    } else {
      this.#byChange.set(changeId, { candidate, instances: new Set([instanceId]) });
    }
    return { errors: [], warnings };
  }

  /** A candidate instance went: the change is forgotten with its last instance. */
  release(changeId: string, instanceId: string): void {
    const held = this.#byChange.get(changeId);
    if (!held) return;
    held.instances.delete(instanceId);
    if (held.instances.size === 0) this.#byChange.delete(changeId);
  }

  get(changeId: string): Candidate | undefined {
    return this.#byChange.get(changeId)?.candidate;
  }

  /** Change ids with candidates connected, in order. */
  changeIds(): string[] {
    return [...this.#byChange.keys()].sort();
  }

  /** The change's candidate; NOT_FOUND naming the change and the connected ones when there is none. */
  require(changeId: string): Candidate {
    const candidate = this.get(changeId);
    if (candidate) return candidate;
    const connected = this.changeIds();
    throw new CordynaError(
      ErrorCode.NOT_FOUND,
      `no candidate of change ${changeId} is connected (start its server with CORDYNA_CANDIDATE=${changeId})${
        connected.length > 0 ? `; connected: ${connected.join(", ")}` : ""
      }`,
    );
  }

  /**
   * The live graph as the change makes it, for planning a candidate run:
   * NOT_FOUND when no candidate of the change is connected,
   * FAILED_PRECONDITION when the live graph changed so that the candidate's
   * declaration no longer fits.
   */
  graphFor(changeId: string): { readonly graph: TaskGraph; readonly candidate: Candidate } {
    const candidate = this.require(changeId);
    const { errors, graph } = this.#graph.overlay(candidate.serverName, [
      ...candidate.tasks.values(),
    ]);
    if (!graph) {
      throw new CordynaError(
        ErrorCode.FAILED_PRECONDITION,
        `the candidate of change ${changeId} no longer fits the live graph: ${errors
          .map((issue) => issue.message)
          .join("; ")}`,
      );
    }
    return { graph, candidate };
  }
}

/**
 * The key under which instances are picked for a server name: a candidate's
 * instances never take a normal invoke, nor a normal instance a candidate's.
 * '#' cannot appear in a server name.
 */
export function dispatchKey(serverName: string, candidate?: string): string {
  return candidate ? `${serverName}#candidate:${candidate}` : serverName;
}

/** How messages name the instances of a dispatch key. */
export function describeDispatchKey(key: string): string {
  const at = key.indexOf("#candidate:");
  if (at < 0) return `server ${key}`;
  return `candidate server ${key.slice(0, at)} of change ${key.slice(at + "#candidate:".length)}`;
}
