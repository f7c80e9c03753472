import type { TaskDeclaration } from "@cordyna/contract";
import type { TaskDefinition } from "../domain/model.js";
import type { CandidateOverlays } from "../graph/candidates.js";
import { type DeclarationIssue, IssueCode } from "../graph/issues.js";
import type { TaskGraph } from "../graph/task-graph.js";
import { type Pause, runSliced, timeSlices } from "../slices.js";
import type { Store } from "../store/store.js";
import { convertDeclarations } from "./declarations.js";

/** The most tasks one declaration (a Hello or a Redeclare) may hold by default. */
export const DEFAULT_MAX_TASKS_PER_DECLARATION = 10_000;

export interface DeclarationQueueOptions {
  readonly graph: TaskGraph;
  readonly store: Store;
  /** Where candidate servers' declarations are kept, beside the graph. */
  readonly candidates?: CandidateOverlays;
  /** The most tasks one declaration may hold. Default 10,000. */
  readonly maxTasksPerDeclaration?: number;
  /**
   * Where each declaration pauses for other calls. Default: after every 10 ms
   * of work. Tests pass their own, to hold a declaration in the middle.
   */
  readonly slices?: () => Pause;
}

/** What the caller checked or checks beside the declaration itself. */
export interface DeclarationChecks {
  /** Problems found before (a bad server name): reported with the tasks' own. */
  readonly issues?: readonly DeclarationIssue[];
  /** Throws unless the caller may declare these well-formed tasks. */
  readonly authorize?: (definitions: readonly TaskDefinition[]) => Promise<void>;
}

/** What became of a declaration. */
export type DeclarationResult =
  /** Malformed, too large, or it would break the graph: nothing was applied. */
  | { readonly kind: "refused"; readonly issues: DeclarationIssue[] }
  /** Applied to the graph and stored. */
  | {
      readonly kind: "accepted";
      readonly definitions: TaskDefinition[];
      readonly warnings: DeclarationIssue[];
    };

/**
 * Checks, applies and stores task-servers' declarations one at a time, in
 * the order they arrive, each in slices so that a declaration of tens of
 * thousands of tasks leaves room for every other call. One at a time: each
 * is checked against the graph it will change, and the store receives them
 * in the order the graph applied them.
 */
export class DeclarationQueue {
  readonly #options: DeclarationQueueOptions;
  readonly #maxTasks: number;
  #last: Promise<unknown> = Promise.resolve();

  constructor(options: DeclarationQueueOptions) {
    this.#options = options;
    this.#maxTasks = options.maxTasksPerDeclaration ?? DEFAULT_MAX_TASKS_PER_DECLARATION;
  }

  /** The refusal of a declaration of `count` tasks, when that is more than one may hold. */
  tooManyTasks(count: number): DeclarationIssue | undefined {
    if (count <= this.#maxTasks) return undefined;
    return {
      taskId: "",
      code: IssueCode.INVALID,
      message: `the declaration holds ${count} tasks, more than the limit of ${this.#maxTasks} (CORDYNA_MAX_TASKS_PER_DECLARATION): split the tasks among several server names`,
    };
  }

  /**
   * Declares `tasks` as the whole of `serverName`'s tasks, once the
   * declarations before it are done.
   */
  declare(
    serverName: string,
    tasks: readonly TaskDeclaration[],
    checks: DeclarationChecks = {},
  ): Promise<DeclarationResult> {
    const turn = this.#last.then(() => this.#declare(serverName, tasks, checks));
    this.#last = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Declares `tasks` as the candidate of change `changeId`, for the
   * instance `instanceId` of `serverName`, once the declarations before it
   * are done: checked as a declaration of the server would be, but kept
   * beside the graph, not applied to it nor stored.
   */
  declareCandidate(
    candidate: {
      readonly changeId: string;
      readonly serverName: string;
      readonly instanceId: string;
    },
    tasks: readonly TaskDeclaration[],
    checks: DeclarationChecks = {},
  ): Promise<DeclarationResult> {
    const turn = this.#last.then(() =>
      this.#declare(candidate.serverName, tasks, checks, (definitions) => {
        const candidates = this.#options.candidates;
        if (!candidates) {
          return {
            errors: [
              { taskId: "", code: IssueCode.INVALID, message: "this cerebro takes no candidates" },
            ],
            warnings: [],
          };
        }
        return candidates.declare(
          candidate.changeId,
          candidate.serverName,
          candidate.instanceId,
          definitions,
        );
      }),
    );
    this.#last = turn.catch(() => undefined);
    return turn;
  }

  async #declare(
    serverName: string,
    tasks: readonly TaskDeclaration[],
    { issues: earlierIssues = [], authorize }: DeclarationChecks,
    keepCandidate?: (definitions: TaskDefinition[]) => {
      errors: DeclarationIssue[];
      warnings: DeclarationIssue[];
    },
  ): Promise<DeclarationResult> {
    const tooMany = this.tooManyTasks(tasks.length);
    if (tooMany) return { kind: "refused", issues: [...earlierIssues, tooMany] };
    const pause = (this.#options.slices ?? timeSlices)();
    const { definitions, issues } = await runSliced(convertDeclarations(tasks), pause);
    if (earlierIssues.length > 0 || issues.length > 0) {
      return { kind: "refused", issues: [...earlierIssues, ...issues] };
    }
    await authorize?.(definitions);
    if (keepCandidate) {
      const { errors, warnings } = keepCandidate(definitions);
      if (errors.length > 0) return { kind: "refused", issues: errors };
      return { kind: "accepted", definitions, warnings };
    }
    const { graph, store } = this.#options;
    const outcome = await graph.declareInSlices(serverName, definitions, pause);
    if (outcome.errors.length > 0) return { kind: "refused", issues: outcome.errors };
    await store.saveDeclarations(serverName, definitions);
    return { kind: "accepted", definitions, warnings: outcome.warnings };
  }
}
