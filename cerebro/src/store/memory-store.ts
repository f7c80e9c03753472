import {
  type Completion,
  type RunRecord,
  type RunSnapshot,
  RunState,
  type TaskDefinition,
  type TaskRunRecord,
} from "../domain/model.js";
import { plainCopy } from "../plain-copy.js";
import { mapSliced, runSliced, timeSlices } from "../slices.js";
import type { CreatedRun, Store, StoreChanges } from "./store.js";

/** The default store: everything in this process, gone when it exits. */
export class MemoryStore implements Store {
  readonly #runs = new Map<string, RunRecord>();
  readonly #taskRuns = new Map<string, Map<string, TaskRunRecord>>();
  readonly #runByKey = new Map<string, string>();
  readonly #lastCompletion = new Map<string, Completion>();
  readonly #declarations = new Map<string, TaskDefinition[]>();
  readonly #scheduleCursors = new Map<string, number>();

  async createRun(snapshot: RunSnapshot): Promise<CreatedRun> {
    const key = snapshot.run.idempotencyKey;
    const existingId = key ? this.#runByKey.get(key) : undefined;
    if (existingId === snapshot.run.id) return { snapshot: plainCopy(snapshot), existing: false };
    if (existingId) {
      const existing = await this.getRun(existingId);
      if (existing) return { snapshot: existing, existing: true };
    }
    if (key) this.#runByKey.set(key, snapshot.run.id);
    this.#taskRuns.set(snapshot.run.id, new Map());
    this.#write({ runs: [snapshot.run], taskRuns: snapshot.taskRuns });
    return { snapshot: plainCopy(snapshot), existing: false };
  }

  async save(changes: StoreChanges): Promise<void> {
    this.#write(changes);
  }

  async getRun(runId: string): Promise<RunSnapshot | undefined> {
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    const taskRuns = [...(this.#taskRuns.get(runId)?.values() ?? [])];
    return plainCopy({ run, taskRuns });
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    const newestFirst = [...this.#runs.values()].sort(
      (a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id),
    );
    return plainCopy(newestFirst.slice(0, limit));
  }

  async activeRuns(): Promise<RunSnapshot[]> {
    const active: RunSnapshot[] = [];
    for (const run of this.#runs.values()) {
      if (run.state !== RunState.RUNNING) continue;
      const snapshot = await this.getRun(run.id);
      if (snapshot) active.push(snapshot);
    }
    return active;
  }

  async lastCompletions(taskIds: readonly string[]): Promise<Map<string, Completion>> {
    const found = new Map<string, Completion>();
    for (const taskId of taskIds) {
      const completion = this.#lastCompletion.get(taskId);
      if (completion) found.set(taskId, { ...completion });
    }
    return found;
  }

  async saveDeclarations(serverName: string, tasks: readonly TaskDefinition[]): Promise<void> {
    if (tasks.length === 0) this.#declarations.delete(serverName);
    // Copied in slices: a declaration may hold tens of thousands of tasks.
    else
      this.#declarations.set(
        serverName,
        await runSliced(mapSliced(tasks, plainCopy), timeSlices()),
      );
  }

  async loadDeclarations(): Promise<Map<string, TaskDefinition[]>> {
    return structuredClone(this.#declarations);
  }

  async saveScheduleCursor(taskId: string, tickMs: number): Promise<void> {
    this.#scheduleCursors.set(taskId, tickMs);
  }

  async loadScheduleCursors(): Promise<Map<string, number>> {
    return new Map(this.#scheduleCursors);
  }

  async close(): Promise<void> {}

  #write(changes: StoreChanges): void {
    for (const run of changes.runs ?? []) this.#runs.set(run.id, plainCopy(run));
    for (const taskRun of changes.taskRuns ?? []) {
      let ofRun = this.#taskRuns.get(taskRun.runId);
      if (!ofRun) {
        ofRun = new Map();
        this.#taskRuns.set(taskRun.runId, ofRun);
      }
      ofRun.set(taskRun.taskId, plainCopy(taskRun));
    }
    for (const completion of changes.completions ?? []) {
      const previous = this.#lastCompletion.get(completion.taskId);
      if (!previous || previous.completedAt <= completion.completedAt) {
        this.#lastCompletion.set(completion.taskId, { ...completion });
      }
    }
  }
}
