import type { Completion, RunRecord, RunSnapshot, TaskDefinition } from "../domain/model.js";
import { plainCopy } from "../plain-copy.js";
import type {
  CreatedRun,
  FinishedRunRemoval,
  RunPosition,
  Store,
  StoreChanges,
  TaskRunOfRun,
} from "../store/store.js";

/** A write that waits for the test to let it through to the wrapped store. */
export interface HeldWrite {
  readonly method: "createRun" | "save";
  /** What the write stores, as it was when cerebro asked for it. */
  readonly records: StoreChanges;
  /** Starts the write on the wrapped store (once, however often called); resolves once it has it. */
  release(): Promise<void>;
}

/**
 * Wraps a store so that a test can hold its run writes (createRun and save):
 * while holding, each such write waits in `pending` and starts on the wrapped
 * store only when the test releases it, so the wrapped store shows exactly
 * what was released. Reads and the other writes go straight through.
 */
export class HoldingStore implements Store {
  readonly pending: HeldWrite[] = [];
  readonly #waiters: Array<(write: HeldWrite) => void> = [];
  #holding = false;

  constructor(readonly wrapped: Store) {}

  get access(): Store["access"] {
    return this.wrapped.access;
  }

  get logs(): Store["logs"] {
    return this.wrapped.logs;
  }

  get events(): Store["events"] {
    return this.wrapped.events;
  }

  get notifications(): Store["notifications"] {
    return this.wrapped.notifications;
  }

  /** From now on, run writes wait to be released. */
  hold(): void {
    this.#holding = true;
  }

  /** Stops holding and releases every pending write; resolves once they are all done. */
  async releaseAll(): Promise<void> {
    this.#holding = false;
    await Promise.all([...this.pending].map((write) => write.release()));
  }

  /** The next held write: the oldest pending one, or else the first to come. */
  nextHeld(): Promise<HeldWrite> {
    const [oldest] = this.pending;
    if (oldest) return Promise.resolve(oldest);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  createRun(snapshot: RunSnapshot): Promise<CreatedRun> {
    // Copied now: cerebro goes on changing its records while the write waits.
    const copy = plainCopy(snapshot);
    return this.#write("createRun", { runs: [copy.run], taskRuns: copy.taskRuns }, () =>
      this.wrapped.createRun(copy),
    );
  }

  save(changes: StoreChanges): Promise<void> {
    const copy = plainCopy(changes);
    return this.#write("save", copy, () => this.wrapped.save(copy));
  }

  getRun(runId: string): Promise<RunSnapshot | undefined> {
    return this.wrapped.getRun(runId);
  }

  listRuns(limit: number, after?: RunPosition): Promise<RunRecord[]> {
    return this.wrapped.listRuns(limit, after);
  }

  taskRunsOf(taskId: string, limit: number, after?: RunPosition): Promise<TaskRunOfRun[]> {
    return this.wrapped.taskRunsOf(taskId, limit, after);
  }

  removeFinishedRuns(rule: FinishedRunRemoval): Promise<number> {
    return this.wrapped.removeFinishedRuns(rule);
  }

  activeRuns(): Promise<RunSnapshot[]> {
    return this.wrapped.activeRuns();
  }

  lastCompletions(taskIds: readonly string[]): Promise<Map<string, Completion>> {
    return this.wrapped.lastCompletions(taskIds);
  }

  saveDeclarations(serverName: string, tasks: readonly TaskDefinition[]): Promise<void> {
    return this.wrapped.saveDeclarations(serverName, tasks);
  }

  loadDeclarations(): Promise<Map<string, TaskDefinition[]>> {
    return this.wrapped.loadDeclarations();
  }

  saveScheduleCursor(taskId: string, tickMs: number): Promise<void> {
    return this.wrapped.saveScheduleCursor(taskId, tickMs);
  }

  loadScheduleCursors(): Promise<Map<string, number>> {
    return this.wrapped.loadScheduleCursors();
  }

  close(): Promise<void> {
    return this.wrapped.close();
  }

  #write<T>(
    method: HeldWrite["method"],
    records: StoreChanges,
    start: () => Promise<T>,
  ): Promise<T> {
    if (!this.#holding) return start();
    return new Promise<T>((resolve, reject) => {
      let released: Promise<void> | undefined;
      const write: HeldWrite = {
        method,
        records,
        release: () => {
          if (released) return released;
          this.pending.splice(this.pending.indexOf(write), 1);
          const done = start();
          done.then(resolve, reject);
          released = done.then(() => undefined);
          return released;
        },
      };
      this.pending.push(write);
      for (const waiter of this.#waiters.splice(0)) waiter(write);
    });
  }
}
