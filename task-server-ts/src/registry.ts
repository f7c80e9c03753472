import { ErrorCause, type TaskDeclaration } from "@cordyna/contract";
import { toTaskDeclaration } from "./declaration.js";
import { TaskOptionsError } from "./errors.js";
import type { RunnableTask } from "./runner.js";
import type { OwnerOptions, TaskHandler, TaskOptions } from "./types.js";

/** One registered task: its declaration, its handler and its schemas. */
export interface RegisteredTask extends RunnableTask {
  /** The declaration sent to cerebro. */
  readonly declaration: TaskDeclaration;
}

/** The tasks a server declares, by id, in registration order. */
export class TaskRegistry {
  readonly #tasks = new Map<string, RegisteredTask>();
  readonly #defaultOwner: OwnerOptions;
  #version = 0;

  /** @param defaultOwner applies to tasks that do not name their own owner. */
  constructor(defaultOwner: OwnerOptions) {
    this.#defaultOwner = defaultOwner;
  }

  /**
   * Validates and adds a task.
   *
   * @throws TaskOptionsError for invalid options or an id already registered.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each task has its own params and outputs
  add(options: TaskOptions<any, any>, handler: TaskHandler<any, any>): RegisteredTask {
    const declaration = toTaskDeclaration(options, this.#defaultOwner);
    if (typeof handler !== "function") {
      throw new TaskOptionsError(declaration.id, "handler", "must be a function");
    }
    for (const field of ["params", "outputs"] as const) {
      const schema: unknown = options[field];
      if (schema !== undefined && !isStandardSchema(schema)) {
        throw new TaskOptionsError(
          declaration.id,
          field,
          "must be a Standard Schema (zod, valibot, ArkType, …): an object with a '~standard' property",
        );
      }
    }
    if (this.#tasks.has(declaration.id)) {
      throw new TaskOptionsError(declaration.id, "id", "a task with this id is already declared");
    }
    const retryOn = declaration.retry?.retryOn ?? [];
    const task: RegisteredTask = {
      declaration,
      handler,
      params: options.params,
      outputs: options.outputs,
      maxAttempts: Math.max(1, declaration.retry?.maxAttempts ?? 1),
      retriesFailures: retryOn.length === 0 || retryOn.includes(ErrorCause.TASK_FAILED),
    };
    this.#tasks.set(declaration.id, task);
    this.#version++;
    return task;
  }

  /** Removes a task (e.g. after cerebro refused its redeclaration); true if it was there. */
  remove(id: string): boolean {
    const removed = this.#tasks.delete(id);
    if (removed) this.#version++;
    return removed;
  }

  /** The task with this id, if registered. */
  get(id: string): RegisteredTask | undefined {
    return this.#tasks.get(id);
  }

  /** True when a task with this id is registered. */
  has(id: string): boolean {
    return this.#tasks.has(id);
  }

  /** Every declaration, in registration order. */
  declarations(): TaskDeclaration[] {
    return [...this.#tasks.values()].map((task) => task.declaration);
  }

  /** Increases whenever the set of tasks changes. */
  get version(): number {
    return this.#version;
  }

  /** Number of registered tasks. */
  get size(): number {
    return this.#tasks.size;
  }
}

/** True for a value that implements the Standard Schema interface (version 1). */
function isStandardSchema(value: unknown): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const standard = (value as { "~standard"?: { version?: unknown; validate?: unknown } })[
    "~standard"
  ];
  return standard?.version === 1 && typeof standard.validate === "function";
}
