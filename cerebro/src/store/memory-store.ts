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
import { MemoryAccessStore } from "./memory-access-store.js";
import { MemoryEventStore } from "./memory-event-store.js";
import { MemoryLogStore } from "./memory-log-store.js";
import { MemoryNotificationStore } from "./memory-notification-store.js";
import type {
  CreatedRun,
  FinishedRunRemoval,
  RunPosition,
  Store,
  StoreChanges,
  TaskRunOfRun,
} from "./store.js";

/** The default store: everything in this process, gone when it exits. */
export class MemoryStore implements Store {
  readonly access = new MemoryAccessStore();
  readonly logs = new MemoryLogStore((runId) => this.#runs.has(runId));
  readonly events = new MemoryEventStore((runId) => this.#runs.has(runId));
  readonly notifications = new MemoryNotificationStore();
  readonly #runs = new Map<string, RunRecord>();
  readonly #taskRuns = new Map<string, Map<string, TaskRunRecord>>();
  readonly #runByKey = new Map<string, string>();
  /** Task id → the runs with a task-run of it. */
  readonly #runsOfTask = new Map<string, Set<string>>();
  readonly #lastCompletion = new Map<string, Completion>();
  readonly #declarations = new Map<string, TaskDefinition[]>();
  readonly #scheduleCursors = new Map<string, number>();
  /**
   * Finished run ids with when they finished, in the order they were stored
   * finished (the order they finished): the oldest are removed first.
   */
  readonly #finished = new Map<string, number>();

  async createRun(snapshot: RunSnapshot): Promise<CreatedRun> {
    const key = snapshot.run.idempotencyKey;
    const existingId = key ? this.#runByKey.get(key) : undefined;
    if (existingId === snapshot.run.id) return { snapshot: plainCopy(snapshot), existing: false };
    if (existingId) {
      const existing = await this.getRun(existingId);
      if (existing) return { snapshot: existing, existing: true };
    }
    if (key) this.#runByKey.set(key, snapshot.run.id);
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

  async listRuns(limit: number, after?: RunPosition): Promise<RunRecord[]> {
    const newestFirst = [...this.#runs.values()]
      .filter((run) => !after || compareNewestFirst(run, after) > 0)
      .sort(compareNewestFirst);
    return plainCopy(newestFirst.slice(0, Math.max(0, limit)));
  }

  async taskRunsOf(taskId: string, limit: number, after?: RunPosition): Promise<TaskRunOfRun[]> {
    const found: TaskRunOfRun[] = [];
    for (const runId of this.#runsOfTask.get(taskId) ?? []) {
      const run = this.#runs.get(runId);
      const taskRun = this.#taskRuns.get(runId)?.get(taskId);
      if (run && taskRun && (!after || compareNewestFirst(run, after) > 0)) {
        found.push({ run, taskRun });
      }
    }
    found.sort((a, b) => compareNewestFirst(a.run, b.run));
    return plainCopy(found.slice(0, Math.max(0, limit)));
  }

  async removeFinishedRuns(rule: FinishedRunRemoval): Promise<number> {
    let removed = 0;
    for (const [runId, finishedAt] of this.#finished) {
      if (removed >= rule.limit) break;
      const beyondCount = this.#finished.size > rule.keepNewest;
      if (!beyondCount && finishedAt >= rule.finishedBefore) break;
      this.#remove(runId);
      removed++;
    }
    return removed;
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
    for (const run of changes.runs ?? []) {
      this.#runs.set(run.id, plainCopy(run));
      if (!this.#taskRuns.has(run.id)) this.#taskRuns.set(run.id, new Map());
      if (run.state === RunState.RUNNING) this.#finished.delete(run.id);
      else if (!this.#finished.has(run.id)) {
        this.#finished.set(run.id, run.finishedAt ?? run.createdAt);
      }
    }
    for (const taskRun of changes.taskRuns ?? []) {
      // Absent when retention removed the run: a late write must not bring part of it back.
      const ofRun = this.#taskRuns.get(taskRun.runId);
      if (!ofRun) continue;
      ofRun.set(taskRun.taskId, plainCopy(taskRun));
      let runs = this.#runsOfTask.get(taskRun.taskId);
      if (!runs) {
        runs = new Set();
        this.#runsOfTask.set(taskRun.taskId, runs);
      }
      runs.add(taskRun.runId);
    }
    for (const completion of changes.completions ?? []) {
      const previous = this.#lastCompletion.get(completion.taskId);
      if (!previous || previous.completedAt <= completion.completedAt) {
        this.#lastCompletion.set(completion.taskId, { ...completion });
      }
    }
  }

  #remove(runId: string): void {
    const key = this.#runs.get(runId)?.idempotencyKey;
    if (key && this.#runByKey.get(key) === runId) this.#runByKey.delete(key);
    this.#runs.delete(runId);
    for (const taskId of this.#taskRuns.get(runId)?.keys() ?? []) {
      this.#runsOfTask.get(taskId)?.delete(runId);
    }
    this.#taskRuns.delete(runId);
    this.#finished.delete(runId);
    this.logs.removeRun(runId);
    this.events.removeRun(runId);
  }
}

/** Newest first: by createdAt, then by id, both descending (ids compared as bytes, as Redis does). */
function compareNewestFirst(a: RunPosition, b: RunPosition): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
