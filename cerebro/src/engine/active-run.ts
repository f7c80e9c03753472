import type { RunRecord, RunSnapshot, TaskRunRecord } from "../domain/model.js";
import { isFinalTaskState, satisfiesDownstream, TaskState } from "../domain/model.js";

/**
 * A run the engine is driving, with the indexes that keep readiness
 * incremental: each task-run knows how many of its upstream task-runs have
 * not yet finished well, so a completion touches only its direct downstream.
 */
export class ActiveRun {
  readonly run: RunRecord;
  readonly taskRuns = new Map<string, TaskRunRecord>();
  readonly #downstream = new Map<string, string[]>();
  readonly #waitingOn = new Map<string, number>();
  /** PENDING task ids whose upstream is done: they wait only for a server or a slot. */
  readonly ready = new Set<string>();
  #unfinished = 0;

  constructor(snapshot: RunSnapshot) {
    this.run = snapshot.run;
    for (const taskRun of snapshot.taskRuns) this.taskRuns.set(taskRun.taskId, taskRun);
    for (const taskRun of snapshot.taskRuns) {
      if (!isFinalTaskState(taskRun.state)) this.#unfinished++;
      let waiting = 0;
      for (const upstream of taskRun.upstream) {
        const list = this.#downstream.get(upstream) ?? [];
        list.push(taskRun.taskId);
        this.#downstream.set(upstream, list);
        const upstreamRun = this.taskRuns.get(upstream);
        if (!upstreamRun || !satisfiesDownstream(upstreamRun.state)) waiting++;
      }
      this.#waitingOn.set(taskRun.taskId, waiting);
      if (taskRun.state === TaskState.PENDING && waiting === 0) this.ready.add(taskRun.taskId);
    }
  }

  get finished(): boolean {
    return this.#unfinished === 0;
  }

  /** Task ids that wait on `taskId` within this run. */
  downstreamOf(taskId: string): readonly string[] {
    return this.#downstream.get(taskId) ?? [];
  }

  /** When the task-run's last upstream in this run finished, or the run was created if it has none. */
  readySince(taskRun: TaskRunRecord): number {
    let since = this.run.createdAt;
    for (const id of taskRun.upstream) {
      const upstream = this.taskRuns.get(id);
      if (upstream && upstream.updatedAt > since) since = upstream.updatedAt;
    }
    return since;
  }

  /** Upstream task-runs of `taskId` that ended without satisfying it. */
  failedUpstreamOf(taskRun: TaskRunRecord): string[] {
    return taskRun.upstream.filter((id) => {
      const upstream = this.taskRuns.get(id);
      return (
        upstream !== undefined &&
        isFinalTaskState(upstream.state) &&
        !satisfiesDownstream(upstream.state)
      );
    });
  }

  /**
   * Records that `taskRun` reached a final state. Returns the downstream task
   * ids that became ready by it.
   */
  markFinal(taskRun: TaskRunRecord): string[] {
    this.#unfinished--;
    this.ready.delete(taskRun.taskId);
    if (!satisfiesDownstream(taskRun.state)) return [];
    const nowReady: string[] = [];
    for (const downstream of this.downstreamOf(taskRun.taskId)) {
      const waiting = (this.#waitingOn.get(downstream) ?? 1) - 1;
      this.#waitingOn.set(downstream, waiting);
      if (waiting === 0 && this.taskRuns.get(downstream)?.state === TaskState.PENDING) {
        this.ready.add(downstream);
        nowReady.push(downstream);
      }
    }
    return nowReady;
  }
}
