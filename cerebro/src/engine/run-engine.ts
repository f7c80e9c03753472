import { describeProgress, durationText } from "@cordyna/contract";
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../clock.js";
import { CordynaError, ErrorCode } from "../domain/errors.js";
import {
  type AttemptRecord,
  type Completion,
  type Deadlines,
  ErrorCause,
  isFinalTaskState,
  isInFlight,
  type RunMode,
  type RunRecord,
  type RunSnapshot,
  RunState,
  type TaskRunRecord,
  TaskState,
  type TriggerKind,
} from "../domain/model.js";
import type { EventBus } from "../events.js";
import { type CandidateOverlays, dispatchKey } from "../graph/candidates.js";
import type { DeclaredTask, TaskGraph } from "../graph/task-graph.js";
import { newId } from "../ids.js";
import { plainCopy } from "../plain-copy.js";
import type { Store } from "../store/store.js";
import { ActiveRun } from "./active-run.js";
import type { InstanceDirectory, InvokeCommand } from "./dispatch.js";
import type { EngineObserver } from "./engine-observer.js";
import { planRun } from "./planner.js";
import { resolveDeadlines, retryBackoffMs, shouldRetry } from "./policies.js";
import {
  assertRunParams,
  checkRunData,
  DEFAULT_MAX_RUN_DATA_BYTES,
  upstreamOutputs,
} from "./run-data.js";
import { RunSpans } from "./run-spans.js";
import { summarize } from "./summary.js";

/** What a caller asks to run. */
export interface StartRunInput {
  readonly targets: readonly string[];
  readonly withoutUpstream?: boolean;
  readonly withDownstream?: boolean;
  readonly params?: Readonly<Record<string, string>>;
  readonly mode?: RunMode;
  readonly idempotencyKey?: string;
  readonly trigger?: TriggerKind;
  /** When the run is meant to happen; also given to tasks as the param "logical_time". */
  readonly logicalTime?: number;
  /** The caller's W3C trace context ("traceparent", "tracestate"): the run joins its trace. */
  readonly callerTraceContext?: Readonly<Record<string, string>>;
  /** A change id whose candidate serves its server's task-runs (mode "test" only). */
  readonly candidate?: string;
}

/** A task-server's report on one attempt. */
export interface AttemptReport {
  readonly instanceId: string;
  readonly attemptId: string;
  readonly state: TaskState;
  readonly errorDescription?: string;
  readonly nonRetryable?: boolean;
  /** With ERROR: the kind of error, in the task's terms. */
  readonly errorType?: string;
  /** With ERROR: facts about the error. */
  readonly errorDetails?: Readonly<Record<string, string>>;
  readonly outputs?: Readonly<Record<string, string>>;
  /** A command task's exit code, with COMPLETED or ERROR. */
  readonly exitCode?: number;
  /** A command task's last output, with COMPLETED or ERROR. */
  readonly outputTail?: string;
}

/** Keeps what a command task's final report says about how its command ended. */
function recordCommandEnd(attempt: AttemptRecord, report: AttemptReport): void {
  if (report.exitCode !== undefined) attempt.exitCode = report.exitCode;
  if (report.outputTail) attempt.outputTail = report.outputTail;
}

/** Keeps (or, without them, removes) the type and details of an error on an attempt or task-run. */
function setErrorFacts(
  record: { errorType?: string; errorDetails?: Record<string, string> },
  facts: { type?: string; details?: Readonly<Record<string, string>> },
): void {
  if (facts.type) record.errorType = facts.type;
  else delete record.errorType;
  if (facts.details) record.errorDetails = { ...facts.details };
  else delete record.errorDetails;
}

/** "SmtpRefused: relay refused", as events say an error; the description alone without a type. */
function typedDescription(taskRun: TaskRunRecord): string {
  const description = taskRun.errorDescription ?? "";
  return taskRun.errorType ? `${taskRun.errorType}: ${description}` : description;
}

/**
 * A task-server's heartbeat or progress of one attempt (AttemptProgress).
 * Each field given replaces the attempt's; one absent or empty keeps it.
 */
export interface ProgressReport {
  readonly instanceId: string;
  readonly attemptId: string;
  /** How far it got, from 0 to 1. */
  readonly fraction?: number;
  /** What it is doing. */
  readonly message?: string;
  /** Free-form details, e.g. a checkpoint. */
  readonly details?: string;
}

/** Heartbeats and progress of one attempt that arrived since the last one applied, merged. */
interface PendingProgress {
  /** When the latest of them arrived. */
  at: number;
  fraction?: number;
  message?: string;
  details?: string;
}

/** How often an attempt's progress is applied: when last, and what waits for the next turn. */
interface ProgressPace {
  appliedAt: number;
  pending: PendingProgress | undefined;
  timer: TimerHandle | undefined;
}

/** The least time between two progress reports of one attempt that are stored and published. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 1_000;

/** Whether a report changed anything; a refused one says why. */
export type ReportOutcome =
  | { readonly accepted: true; readonly duplicate: boolean }
  | { readonly accepted: false; readonly code: ErrorCode; readonly message: string };

export interface RunEngineOptions {
  readonly graph: TaskGraph;
  /** Candidates' declarations, for candidate runs; without it none can start. */
  readonly candidates?: CandidateOverlays;
  readonly store: Store;
  readonly instances: InstanceDirectory;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly defaultDeadlines: Deadlines;
  /** How long a disconnected instance keeps its attempts before they end in SERVER_LOST. */
  readonly serverLostGraceMs: number;
  /**
   * After restore(): how long restored attempts wait for their instances to
   * reconnect before they end in SERVER_LOST, and before which no deadline
   * fires, so that updates kept by task-servers while cerebro was down arrive
   * first.
   */
  readonly recoveryWindowMs: number;
  /** The most bytes of a run's params, and of a task-run's outputs. */
  readonly maxRunDataBytes?: number;
  /** What NOT_FOUND says of a run id the store does not have, e.g. that retention may have removed it. */
  readonly describeMissingRun?: (runId: string) => string;
  /** The runs' OpenTelemetry spans. Default: through the global tracer provider. */
  readonly spans?: RunSpans;
  /** Hears of timings and retried failures (metrics). */
  readonly observer?: EngineObserver;
  /**
   * The least time between two heartbeats or progress reports of one
   * attempt that are stored and published; those in between are merged into
   * the next. Default DEFAULT_PROGRESS_INTERVAL_MS.
   */
  readonly progressIntervalMs?: number;
}

interface AttemptLocation {
  readonly active: ActiveRun;
  readonly taskId: string;
}

/** How many finished attempts are remembered for recognising repeated reports. */
const FINISHED_ATTEMPTS_KEPT = 10_000;

const REPORTABLE: ReadonlySet<TaskState> = new Set([
  TaskState.QUEUED,
  TaskState.STARTED,
  TaskState.COMPLETED,
  TaskState.ERROR,
]);

const STEP_ORDER: Readonly<Record<TaskState, number>> = {
  PENDING: 0,
  INVOKED: 1,
  QUEUED: 2,
  STARTED: 3,
  COMPLETED: 4,
  ERROR: 4,
  CANCELLED: 4,
  BLOCKED: 4,
  SKIPPED: 4,
};

/**
 * Drives runs: plans them, invokes each task-run on a connected instance of
 * its server as soon as its upstream is done, enforces the three deadlines,
 * retries, blocks what depends on a final failure, and finishes runs with a
 * summary. Every change is stored before it is acknowledged to anyone.
 */
export class RunEngine {
  readonly #options: RunEngineOptions;
  readonly #active = new Map<string, ActiveRun>();
  readonly #attempts = new Map<string, AttemptLocation>();
  readonly #timers = new Map<string, TimerHandle>();
  /** Instances that are away, with when their attempts are lost unless they come back. */
  readonly #lostTimers = new Map<
    string,
    { readonly at: number; readonly why: string; readonly timer: TimerHandle }
  >();
  readonly #inFlightPerTask = new Map<string, number>();
  /** Final states of attempts of recently finished runs, so a repeated report is still a no-op. */
  readonly #finishedAttempts = new Map<string, TaskState>();
  #dirtyRuns = new Set<RunRecord>();
  #dirtyTaskRuns = new Set<TaskRunRecord>();
  #completions: Completion[] = [];
  /** Invocations wait until the attempt they start is stored. */
  #unsentInvokes: Array<() => void> = [];
  /**
   * Attempts whose deadline changed since the last flush; their timers are
   * armed at the flush, so that a deadline set and ended in one batch (a
   * short task's STARTED and COMPLETED together) never costs a timer.
   */
  #deadlinesToArm = new Set<AttemptRecord>();
  /**
   * Runs with ready task-runs that wait for an instance of a server (none
   * connected, all busy or draining), by server name, oldest first: a freed
   * slot goes to them instead of to every active run.
   */
  readonly #waitingForServer = new Map<string, Set<ActiveRun>>();
  /** Task-runs a failure blocks, waiting to be blocked (see #blockQueued). */
  readonly #toBlock: { active: ActiveRun; taskRun: TaskRunRecord }[] = [];
  #blocking = false;
  /** Until when deadlines are held after a restore (0: never restored). */
  #recoveryEndsAt = 0;
  readonly #spans: RunSpans;
  /** Attempts that sent heartbeats or progress, while they run: the pace of storing them. */
  readonly #progress = new Map<string, ProgressPace>();
  /**
   * STARTED attempts with a heartbeat deadline: from when their silence
   * counts (STARTED, their last heartbeat or progress, a restore, their
   * instance's return).
   */
  readonly #heartbeatFrom = new Map<string, number>();
  readonly #heartbeatTimers = new Map<string, TimerHandle>();
  /**
   * Stores what heartbeats and progress changed, at most once per progress
   * interval, unless another write takes it along first.
   */
  #progressSave: TimerHandle | undefined;
  /** Told each finished run once the store holds it finished. */
  readonly #finishedRunStored = new Set<(runId: string) => void>();

  constructor(options: RunEngineOptions) {
    this.#options = options;
    this.#spans = options.spans ?? new RunSpans();
  }

  /**
   * Calls `listener` with the id of each run that finished, once the store
   * holds it finished (a run-finished event comes before that); returns the
   * function that stops it.
   */
  onFinishedRunStored(listener: (runId: string) => void): () => void {
    this.#finishedRunStored.add(listener);
    return () => this.#finishedRunStored.delete(listener);
  }

  #missingRun(runId: string): CordynaError {
    const describe = this.#options.describeMissingRun ?? ((id: string) => `no run with id ${id}`);
    return new CordynaError(ErrorCode.NOT_FOUND, describe(runId));
  }

  get #maxRunDataBytes(): number {
    return this.#options.maxRunDataBytes ?? DEFAULT_MAX_RUN_DATA_BYTES;
  }

  /**
   * Resumes the runs a previous cerebro left RUNNING. Their instances get the
   * recovery window to reconnect; deadlines, including those that passed
   * while cerebro was down, fire no earlier than the window's end.
   */
  async restore(): Promise<number> {
    const { store, instances, clock, recoveryWindowMs } = this.#options;
    const snapshots = await store.activeRuns();
    // With nothing to resume, no instance needs time to come back, and the
    // deadlines of new runs must not wait for it.
    if (snapshots.length > 0) this.#recoveryEndsAt = clock.now() + recoveryWindowMs;
    const absent = new Set<string>();
    for (const snapshot of snapshots) {
      const active = new ActiveRun(snapshot);
      this.#active.set(snapshot.run.id, active);
      this.#spans.runRestored(snapshot, clock.now());
      for (const taskRun of active.taskRuns.values()) {
        for (const attempt of taskRun.attempts) {
          this.#attempts.set(attempt.id, { active, taskId: taskRun.taskId });
        }
        const attempt = taskRun.attempts.at(-1);
        if (!attempt || !isInFlight(taskRun.state)) continue;
        this.#countInFlight(taskRun.taskId, 1);
        if (!instances.get(attempt.instanceId)) absent.add(attempt.instanceId);
        // Heartbeats sent while cerebro was down are lost: silence counts from now.
        if (attempt.state === TaskState.STARTED && attempt.deadlines.heartbeatMs !== undefined) {
          this.#heartbeatFrom.set(attempt.id, clock.now());
        }
        this.#deadlinesToArm.add(attempt);
      }
      for (const taskRun of active.taskRuns.values()) {
        if (taskRun.state === TaskState.PENDING && taskRun.notBefore !== undefined) {
          this.#armRetry(active, taskRun);
        }
      }
      this.#advance(active);
    }
    for (const instanceId of absent) {
      this.#loseInstanceAt(
        instanceId,
        this.#recoveryEndsAt,
        `did not reconnect within the recovery window of ${recoveryWindowMs} ms after cerebro restarted`,
      );
    }
    await this.#flush();
    return snapshots.length;
  }

  /** Plans and starts a run; a known idempotency key returns the earlier run. */
  async startRun(input: StartRunInput): Promise<{ snapshot: RunSnapshot; existing: boolean }> {
    const { store, clock } = this.#options;
    assertRunParams(input.params ?? {}, this.#maxRunDataBytes);
    const mode = input.mode ?? "normal";
    const { graph, candidate } = this.#planningGraph(input.candidate, mode);
    const now = clock.now();
    // A test run reuses no completion: every task it plans runs in test mode,
    // against test resources, so none reads what a normal run produced.
    const completions =
      mode === "normal" ? await store.lastCompletions([...graph.freshUpstreams()]) : new Map();
    const plan = planRun(graph, input, (taskId) => completions.get(taskId), now);

    const run: RunRecord = {
      id: newId("run", now),
      state: RunState.RUNNING,
      trigger: input.trigger ?? "api",
      targets: [...input.targets],
      params: { ...input.params },
      mode,
      createdAt: now,
    };
    if (candidate)
      run.candidate = { changeId: candidate.changeId, serverName: candidate.serverName };
    if (input.logicalTime !== undefined) {
      run.logicalTime = input.logicalTime;
      run.params.logical_time ??= new Date(input.logicalTime).toISOString();
    }
    if (input.idempotencyKey) run.idempotencyKey = input.idempotencyKey;
    const taskRuns = plan.map((planned): TaskRunRecord => {
      const declared = graph.get(planned.taskId);
      if (!declared)
        throw new CordynaError(ErrorCode.INTERNAL, `planned unknown ${planned.taskId}`);
      const taskRun: TaskRunRecord = {
        id: newId("tr", now),
        runId: run.id,
        taskId: planned.taskId,
        serverName: declared.serverName,
        owner: declared.definition.owner,
        state: planned.reused ? TaskState.SKIPPED : TaskState.PENDING,
        upstream: [...planned.upstream],
        attempts: [],
        updatedAt: now,
      };
      if (planned.reused) {
        const { outputs, ...reused } = planned.reused;
        taskRun.reused = reused;
        // Passed on to its downstream in this run as if it had just completed.
        if (outputs && Object.keys(outputs).length > 0) taskRun.outputs = { ...outputs };
      }
      return taskRun;
    });

    this.#spans.runStarted({ run, taskRuns }, input.callerTraceContext);
    let created: Awaited<ReturnType<Store["createRun"]>>;
    try {
      created = await store.createRun({ run, taskRuns });
    } catch (error) {
      this.#spans.runDiscarded(run.id);
      throw error;
    }
    if (created.existing) {
      this.#spans.runDiscarded(run.id);
      return created;
    }
    const active = new ActiveRun({ run, taskRuns });
    this.#active.set(run.id, active);
    this.#publishRun(active, "run-started", `run ${run.id} started: ${run.targets.join(", ")}`);
    for (const taskRun of taskRuns) {
      if (taskRun.state === TaskState.SKIPPED) this.#publishTaskRun(taskRun);
    }
    this.#options.logger.info(
      { runId: run.id, targets: run.targets, taskRuns: taskRuns.length },
      "run started",
    );
    this.#advance(active);
    await this.#flush();
    return { snapshot: this.#snapshot(active), existing: false };
  }

  /** The graph a run is planned over: the live one, or as a candidate's change makes it. */
  #planningGraph(
    changeId: string | undefined,
    mode: RunMode,
  ): { graph: TaskGraph; candidate?: { changeId: string; serverName: string } } {
    if (!changeId) return { graph: this.#options.graph };
    if (mode !== "test") {
      throw new CordynaError(
        ErrorCode.INVALID_ARGUMENT,
        `a candidate run must be a test run (mode RUN_MODE_TEST): change ${changeId} was asked for in mode ${mode}`,
      );
    }
    const candidates = this.#options.candidates;
    if (!candidates) {
      throw new CordynaError(ErrorCode.FAILED_PRECONDITION, "this cerebro runs no candidates");
    }
    const { graph, candidate } = candidates.graphFor(changeId);
    return { graph, candidate };
  }

  /**
   * The declaration a task-run of the run follows: in a candidate run, the
   * candidate's for its server's tasks (undefined once the candidate is
   * gone), the live graph's for the rest.
   */
  #declared(run: RunRecord, taskRun: TaskRunRecord): DeclaredTask | undefined {
    const candidate = run.candidate;
    if (!candidate || taskRun.serverName !== candidate.serverName) {
      return this.#options.graph.get(taskRun.taskId);
    }
    const held = this.#options.candidates?.get(candidate.changeId);
    const definition = held?.serverName === candidate.serverName && held.tasks.get(taskRun.taskId);
    return definition ? { definition, serverName: candidate.serverName } : undefined;
  }

  /** The instances that may take the task-run: its server's, or its candidate's. */
  #dispatchKey(run: RunRecord, taskRun: TaskRunRecord): string {
    const candidate = run.candidate;
    return candidate && taskRun.serverName === candidate.serverName
      ? dispatchKey(taskRun.serverName, candidate.changeId)
      : taskRun.serverName;
  }

  /** Cancels every unfinished task-run of a run; running attempts are told to stop. */
  async cancelRun(runId: string, reason: string): Promise<RunSnapshot> {
    const active = this.#active.get(runId);
    if (!active) {
      const stored = await this.#options.store.getRun(runId);
      if (!stored) throw this.#missingRun(runId);
      return stored;
    }
    const why = reason || "cancelled by request";
    active.run.state = RunState.CANCELLED;
    active.cancelReason = why;
    for (const taskRun of active.taskRuns.values()) {
      if (isFinalTaskState(taskRun.state)) continue;
      const attempt = taskRun.attempts.at(-1);
      if (attempt && isInFlight(attempt.state)) {
        this.#options.instances.get(attempt.instanceId)?.cancel(attempt.id, why);
        this.#endAttempt(taskRun, attempt, TaskState.CANCELLED);
      }
      taskRun.cancelReason = why;
      this.#finishTaskRun(active, taskRun, TaskState.CANCELLED, { description: why });
    }
    this.#finishRunIfDone(active);
    await this.#flush();
    return this.#snapshot(active);
  }

  /** The run as it stands: from memory while active, else from the store. */
  async getRun(runId: string): Promise<RunSnapshot> {
    const active = this.#active.get(runId);
    if (active) return this.#snapshot(active);
    const stored = await this.#options.store.getRun(runId);
    if (!stored) throw this.#missingRun(runId);
    return stored;
  }

  /** Applies a task-server's report; duplicates and late reports never change a task-run. */
  async report(report: AttemptReport): Promise<ReportOutcome> {
    const [outcome] = await this.reportAll([report]);
    return outcome!;
  }

  /**
   * Applies reports in order and stores what they changed in one write, so a
   * burst of updates costs one store round trip; one outcome per report.
   */
  async reportAll(reports: readonly AttemptReport[]): Promise<ReportOutcome[]> {
    const outcomes = reports.map((report) => this.#applyReport(report));
    await this.#flush();
    return outcomes;
  }

  /** A server instance can take work: invoke whatever waits for its server. */
  instanceAvailable(serverName: string): void {
    const waiting = this.#waitingForServer.get(serverName);
    if (!waiting) return;
    // Those still waiting afterwards are added again, in the same order.
    this.#waitingForServer.delete(serverName);
    for (const active of waiting) this.#dispatchReady(active, serverName);
    void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
  }

  /**
   * Of the attempts an instance says it runs, those cerebro no longer wants
   * (unknown, finished, superseded, or invoked on another instance): the
   * instance should abort them.
   */
  unwantedAttempts(instanceId: string, runningAttemptIds: readonly string[]): string[] {
    return runningAttemptIds.filter((id) => {
      const location = this.#attempts.get(id);
      const attempt = location?.active.taskRuns.get(location.taskId)?.attempts.at(-1);
      return (
        !attempt ||
        attempt.id !== id ||
        attempt.instanceId !== instanceId ||
        !isInFlight(attempt.state)
      );
    });
  }

  /**
   * An instance (re)connected and runs these attempts. Its other in-flight
   * attempts are handled by what they had reached: one still INVOKED may
   * never have arrived (a broken stream, or a cerebro that died between
   * storing and sending), so the same invoke is sent again, which a
   * task-server ignores when it already has it; one QUEUED or STARTED was
   * known to the instance and is now lost.
   */
  async instanceResumed(instanceId: string, runningAttemptIds: readonly string[]): Promise<void> {
    const wasAway = this.#lostTimers.has(instanceId);
    this.#lostTimers.get(instanceId)?.timer.cancel();
    this.#lostTimers.delete(instanceId);
    const stillRunning = new Set(runningAttemptIds);
    if (wasAway) {
      for (const { taskRun, attempt } of this.#inFlightOn(instanceId)) {
        if (!stillRunning.has(attempt.id)) continue;
        // No heartbeat could arrive while it was away: silence counts from its return.
        if (this.#heartbeatFrom.has(attempt.id)) {
          this.#heartbeatFrom.set(attempt.id, this.#options.clock.now());
        }
        this.#publishAttempt("attempt-server-back", taskRun, attempt, {
          message: `${taskRun.taskId} attempt ${attempt.number}: server instance ${instanceId} is back and still runs it`,
        });
      }
    }
    const instance = this.#options.instances.get(instanceId);
    for (const [attemptId, location] of [...this.#attempts]) {
      const taskRun = location.active.taskRuns.get(location.taskId);
      const attempt = taskRun?.attempts.at(-1);
      if (!taskRun || !attempt || attempt.id !== attemptId) continue;
      if (attempt.instanceId !== instanceId || !isInFlight(attempt.state)) continue;
      if (stillRunning.has(attemptId)) continue;
      if (attempt.state === TaskState.INVOKED && instance) {
        const command = this.#invokeCommand(location.active, taskRun, attempt);
        this.#unsentInvokes.push(() => instance.invoke(command));
        // The instance could not acknowledge an invoke it never had: its
        // acknowledgement deadline counts from this invoke.
        attempt.invokedAt = this.#options.clock.now();
        this.#setDeadline(
          attempt,
          attempt.invokedAt + attempt.deadlines.ackMs,
          ErrorCause.ACK_TIMEOUT,
        );
        this.#dirtyTaskRuns.add(taskRun);
        continue;
      }
      this.#failAttempt(location.active, taskRun, attempt, ErrorCause.SERVER_LOST, {
        description: `server instance ${instanceId} reconnected without attempt ${attemptId}`,
      });
    }
    await this.#flush();
  }

  /** An instance's stream ended: its attempts are lost unless it is back within the grace period. */
  instanceDisconnected(instanceId: string): void {
    const { clock, serverLostGraceMs } = this.#options;
    this.#loseInstanceAt(
      instanceId,
      clock.now() + serverLostGraceMs,
      `disconnected and did not come back within ${serverLostGraceMs} ms`,
    );
  }

  /** At `at`, unless the instance resumed first, its in-flight attempts end in SERVER_LOST. */
  #loseInstanceAt(instanceId: string, at: number, why: string): void {
    this.#lostTimers.get(instanceId)?.timer.cancel();
    for (const { taskRun, attempt } of this.#inFlightOn(instanceId)) {
      this.#publishAttempt("attempt-server-away", taskRun, attempt, {
        message: `${taskRun.taskId} attempt ${attempt.number}: server instance ${instanceId} is away`,
        detail: `kept until ${new Date(at).toISOString()}, then SERVER_LOST unless instance ${instanceId} is back`,
        dueAt: at,
      });
    }
    const timer = this.#options.clock.at(at, () => {
      this.#loseInstance(instanceId, why);
      void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
    });
    this.#lostTimers.set(instanceId, { at, why, timer });
  }

  #loseInstance(instanceId: string, why: string): void {
    this.#lostTimers.get(instanceId)?.timer.cancel();
    this.#lostTimers.delete(instanceId);
    for (const { active, taskRun, attempt } of this.#inFlightOn(instanceId)) {
      this.#failAttempt(active, taskRun, attempt, ErrorCause.SERVER_LOST, {
        description: `server instance ${instanceId} ${why}`,
      });
    }
  }

  /** The current, unfinished attempts invoked on an instance. */
  #inFlightOn(
    instanceId: string,
  ): { active: ActiveRun; taskRun: TaskRunRecord; attempt: AttemptRecord }[] {
    const found = [];
    for (const [attemptId, location] of this.#attempts) {
      const taskRun = location.active.taskRuns.get(location.taskId);
      const attempt = taskRun?.attempts.at(-1);
      if (!taskRun || !attempt || attempt.id !== attemptId) continue;
      if (attempt.instanceId !== instanceId || !isInFlight(attempt.state)) continue;
      found.push({ active: location.active, taskRun, attempt });
    }
    return found;
  }

  /** Declarations changed: nothing to re-plan, but a new server may take waiting work. */
  graphChanged(): void {
    for (const active of this.#active.values()) this.#dispatchReady(active);
    void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
  }

  /**
   * An attempt of a run still being driven: its run, the instance it was
   * invoked on and its state; undefined once its run has finished.
   */
  liveAttempt(
    attemptId: string,
  ):
    | { readonly runId: string; readonly instanceId: string; readonly state: TaskState }
    | undefined {
    const location = this.#attempts.get(attemptId);
    const attempt = location?.active.taskRuns
      .get(location.taskId)
      ?.attempts.find((candidate) => candidate.id === attemptId);
    if (!location || !attempt) return undefined;
    return { runId: location.active.run.id, instanceId: attempt.instanceId, state: attempt.state };
  }

  /** Whether the run is still being driven (not finished). */
  isActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  /** Active runs the scheduler started for a task's cron ticks. */
  activeCronRuns(taskId: string): string[] {
    return [...this.#active.values()]
      .filter(
        ({ run }) =>
          run.trigger === "cron" && run.targets.length === 1 && run.targets[0] === taskId,
      )
      .map(({ run }) => run.id);
  }

  /** Whether an active run has a task-run of the task. */
  /** The mode of a run still being driven; undefined once it has finished. */
  activeRunMode(runId: string): RunMode | undefined {
    return this.#active.get(runId)?.run.mode;
  }

  runIncludes(runId: string, taskId: string): boolean {
    return this.#active.get(runId)?.taskRuns.has(taskId) ?? false;
  }

  /** The task-runs of every run still being driven, for metrics to count; never to change. */
  *activeTaskRuns(): Generator<Readonly<TaskRunRecord>> {
    for (const active of this.#active.values()) yield* active.taskRuns.values();
  }

  /** How many runs are still being driven. */
  get activeRunCount(): number {
    return this.#active.size;
  }

  /** How many task-runs are in flight per task (for the control API). */
  inFlight(taskId: string): number {
    return this.#inFlightPerTask.get(taskId) ?? 0;
  }

  /** Stops every timer; the engine is not used afterwards. */
  close(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    for (const { timer } of this.#lostTimers.values()) timer.cancel();
    for (const timer of this.#heartbeatTimers.values()) timer.cancel();
    for (const pace of this.#progress.values()) pace.timer?.cancel();
    this.#progressSave?.cancel();
    this.#timers.clear();
    this.#lostTimers.clear();
    this.#heartbeatTimers.clear();
    this.#progress.clear();
  }

  /**
   * Takes a heartbeat or progress of a running attempt (AttemptProgress). It
   * re-arms the attempt's heartbeat deadline at once; it is stored and
   * published at most once per progress interval per attempt, those in
   * between merged into the next, the latest value of each field winning.
   * Nothing waits for the store: an attempt's heartbeats and progress are
   * written with the next write, or within one interval. Refused, as a
   * report would be, for an attempt that is not current or was invoked on
   * another instance.
   */
  progress(report: ProgressReport): ReportOutcome {
    const found = this.#reportedAttempt(report);
    if ("accepted" in found) return found;
    const { taskRun, attempt } = found;
    if (!isInFlight(attempt.state) || taskRun.attempts.at(-1) !== attempt) {
      return notCurrent(taskRun, attempt);
    }
    const now = this.#options.clock.now();
    if (this.#heartbeatFrom.has(attempt.id)) this.#heartbeatFrom.set(attempt.id, now);
    let pace = this.#progress.get(attempt.id);
    if (!pace) {
      pace = { appliedAt: Number.NEGATIVE_INFINITY, pending: undefined, timer: undefined };
      this.#progress.set(attempt.id, pace);
    }
    const pending = mergeProgress(pace.pending, report, now);
    const interval = this.#progressIntervalMs;
    if (pace.timer === undefined && now - pace.appliedAt >= interval) {
      pace.pending = undefined;
      pace.appliedAt = now;
      this.#applyProgress(taskRun, attempt, pending, true);
    } else {
      pace.pending = pending;
      const waiting = pace;
      waiting.timer ??= this.#options.clock.at(waiting.appliedAt + interval, () => {
        waiting.timer = undefined;
        const due = waiting.pending;
        waiting.pending = undefined;
        if (!due || !isInFlight(attempt.state)) return;
        waiting.appliedAt = this.#options.clock.now();
        this.#applyProgress(taskRun, attempt, due, true);
      });
    }
    return { accepted: true, duplicate: false };
  }

  get #progressIntervalMs(): number {
    return this.#options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  }

  /**
   * Puts heartbeats and progress on the attempt, to be stored soon, and
   * publishes an event when they change what it shows (`publish`).
   */
  #applyProgress(
    taskRun: TaskRunRecord,
    attempt: AttemptRecord,
    progress: PendingProgress,
    publish: boolean,
  ): void {
    attempt.lastHeartbeatAt = progress.at;
    let changed = false;
    if (progress.fraction !== undefined && progress.fraction !== attempt.progress) {
      attempt.progress = progress.fraction;
      changed = true;
    }
    if (progress.message && progress.message !== attempt.progressMessage) {
      attempt.progressMessage = progress.message;
      changed = true;
    }
    if (progress.details && progress.details !== attempt.heartbeatDetails) {
      attempt.heartbeatDetails = progress.details;
      changed = true;
    }
    this.#dirtyTaskRuns.add(taskRun);
    if (!publish) return;
    this.#progressSave ??= this.#options.clock.at(
      this.#options.clock.now() + this.#progressIntervalMs,
      () => {
        this.#progressSave = undefined;
        void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
      },
    );
    if (changed) this.#publishProgress(taskRun, attempt);
  }

  /** The attempt a task-server reports on, or the refusal when it is unknown or not that instance's. */
  #reportedAttempt(report: {
    readonly attemptId: string;
    readonly instanceId: string;
  }): { active: ActiveRun; taskRun: TaskRunRecord; attempt: AttemptRecord } | ReportOutcome {
    const location = this.#attempts.get(report.attemptId);
    const taskRun = location?.active.taskRuns.get(location.taskId);
    const attempt = taskRun?.attempts.find((candidate) => candidate.id === report.attemptId);
    if (!location || !taskRun || !attempt) {
      return refuse(
        ErrorCode.FAILED_PRECONDITION,
        `attempt ${report.attemptId} is not current: unknown, or its run has finished`,
      );
    }
    if (attempt.instanceId !== report.instanceId) {
      return refuse(
        ErrorCode.FAILED_PRECONDITION,
        `attempt ${attempt.id} was invoked on instance ${attempt.instanceId}, not ${report.instanceId}`,
      );
    }
    return { active: location.active, taskRun, attempt };
  }

  #applyReport(report: AttemptReport): ReportOutcome {
    if (!REPORTABLE.has(report.state)) {
      return refuse(
        ErrorCode.INVALID_ARGUMENT,
        `state ${report.state} cannot be reported; only QUEUED, STARTED, COMPLETED and ERROR can`,
      );
    }
    if (this.#finishedAttempts.get(report.attemptId) === report.state) {
      return { accepted: true, duplicate: true };
    }
    const found = this.#reportedAttempt(report);
    if ("accepted" in found) return found;
    const { active, taskRun, attempt } = found;
    if (attempt.state === report.state) return { accepted: true, duplicate: true };
    if (!isInFlight(attempt.state) || taskRun.attempts.at(-1) !== attempt) {
      return notCurrent(taskRun, attempt);
    }
    if (STEP_ORDER[report.state] <= STEP_ORDER[attempt.state]) {
      // A late QUEUED after STARTED: the newer state already says more.
      return { accepted: true, duplicate: true };
    }

    const now = this.#options.clock.now();
    switch (report.state) {
      case TaskState.QUEUED:
        this.#options.observer?.acknowledged(taskRun, now - attempt.invokedAt);
        attempt.state = TaskState.QUEUED;
        attempt.queuedAt = now;
        this.#setTaskRunState(taskRun, TaskState.QUEUED);
        this.#setDeadline(attempt, now + attempt.deadlines.startMs, ErrorCause.START_TIMEOUT);
        break;
      case TaskState.STARTED:
        if (attempt.queuedAt === undefined) {
          this.#options.observer?.acknowledged(taskRun, now - attempt.invokedAt);
        }
        attempt.state = TaskState.STARTED;
        attempt.startedAt = now;
        if (attempt.deadlines.heartbeatMs !== undefined) this.#heartbeatFrom.set(attempt.id, now);
        this.#setTaskRunState(taskRun, TaskState.STARTED);
        this.#setDeadline(attempt, now + attempt.deadlines.completeMs, ErrorCause.COMPLETE_TIMEOUT);
        break;
      case TaskState.COMPLETED: {
        const tooLarge = checkRunData("outputs", report.outputs ?? {}, this.#maxRunDataBytes);
        if (tooLarge) {
          // Kept, they would grow every store write and every GetRun: the
          // task's own fault, and running it again would not shrink them.
          this.#failAttempt(active, taskRun, attempt, ErrorCause.TASK_FAILED, {
            description: `the task completed, but its ${tooLarge}`,
            nonRetryable: true,
          });
          break;
        }
        this.#endAttempt(taskRun, attempt, TaskState.COMPLETED);
        recordCommandEnd(attempt, report);
        if (report.outputs && Object.keys(report.outputs).length > 0) {
          taskRun.outputs = { ...report.outputs };
        }
        // Only a normal run's completion stands for the task's real output:
        // a test run's (a candidate's too) never satisfies a fresh-within.
        if (active.run.mode === "normal") {
          this.#completions.push({
            taskId: taskRun.taskId,
            runId: taskRun.runId,
            taskRunId: taskRun.id,
            completedAt: now,
            ...(taskRun.outputs ? { outputs: taskRun.outputs } : {}),
          });
        }
        this.#finishTaskRun(active, taskRun, TaskState.COMPLETED, {});
        break;
      }
      case TaskState.ERROR:
        recordCommandEnd(attempt, report);
        this.#failAttempt(active, taskRun, attempt, ErrorCause.TASK_FAILED, {
          description: report.errorDescription || "the task reported ERROR without a description",
          nonRetryable: report.nonRetryable ?? false,
          ...(report.errorType ? { type: report.errorType } : {}),
          ...(report.errorDetails && Object.keys(report.errorDetails).length > 0
            ? { details: report.errorDetails }
            : {}),
        });
        break;
      default:
        break;
    }
    return { accepted: true, duplicate: false };
  }

  #advance(active: ActiveRun): void {
    for (const taskRun of active.taskRuns.values()) {
      if (taskRun.state !== TaskState.PENDING) continue;
      const failed = active.failedUpstreamOf(taskRun);
      if (failed.length > 0) this.#block(active, taskRun, failed);
    }
    this.#dispatchReady(active);
    this.#finishRunIfDone(active);
  }

  #dispatchReady(active: ActiveRun, onlyServer?: string): void {
    if (active.run.state !== RunState.RUNNING) return;
    const now = this.#options.clock.now();
    // Once a server has no instance to take work, the rest of its ready
    // task-runs wait for the same reason: a fan-out of thousands must not ask
    // the instance directory about each of them on every freed slot.
    const unavailable = new Map<string, string>();
    // Deleting from a Set while iterating it is safe, and invoking never adds.
    for (const taskId of active.ready) {
      const taskRun = active.taskRuns.get(taskId);
      if (!taskRun || taskRun.state !== TaskState.PENDING) {
        active.ready.delete(taskId);
        continue;
      }
      const key = this.#dispatchKey(active.run, taskRun);
      if (onlyServer !== undefined && key !== onlyServer) continue;
      if (taskRun.notBefore !== undefined && taskRun.notBefore > now) continue;
      const reason = unavailable.get(key);
      if (reason !== undefined) this.#setWaiting(taskRun, reason);
      else this.#invoke(active, taskRun, unavailable);
    }
    for (const serverName of unavailable.keys()) {
      let runs = this.#waitingForServer.get(serverName);
      if (!runs) {
        runs = new Set();
        this.#waitingForServer.set(serverName, runs);
      }
      runs.add(active);
    }
  }

  /** Invokes the task-run, or records why it waits; servers found unavailable go in `unavailable`. */
  #invoke(active: ActiveRun, taskRun: TaskRunRecord, unavailable: Map<string, string>): void {
    const { instances, clock, defaultDeadlines } = this.#options;
    const declared = this.#declared(active.run, taskRun);
    const key = this.#dispatchKey(active.run, taskRun);
    if (!declared) {
      this.#setWaiting(
        taskRun,
        key === taskRun.serverName
          ? `task ${taskRun.taskId} is no longer declared by any server`
          : `no candidate of change ${active.run.candidate?.changeId} declares ${taskRun.taskId} now`,
      );
      return;
    }
    const limit = declared.definition.concurrencyLimit;
    if (limit > 0 && this.inFlight(taskRun.taskId) >= limit) {
      this.#setWaiting(taskRun, `concurrency limit of ${limit} for ${taskRun.taskId} reached`);
      return;
    }
    const instance = instances.pick(key);
    if (!instance) {
      const reason = instances.unavailableReason(key);
      unavailable.set(key, reason);
      this.#setWaiting(taskRun, reason);
      return;
    }
    const now = clock.now();
    const deadlines = resolveDeadlines(defaultDeadlines, declared.definition.deadlines);
    const attempt: AttemptRecord = {
      id: newId("att", now),
      number: taskRun.attempts.length + 1,
      state: TaskState.INVOKED,
      instanceId: instance.instanceId,
      deadlines,
      invokedAt: now,
    };
    instance.reserve(attempt.id);
    if (attempt.number === 1) {
      this.#options.observer?.invoked(taskRun, now - active.readySince(taskRun));
    }
    taskRun.attempts.push(attempt);
    delete taskRun.waitingReason;
    delete taskRun.notBefore;
    active.ready.delete(taskRun.taskId);
    this.#attempts.set(attempt.id, { active, taskId: taskRun.taskId });
    this.#countInFlight(taskRun.taskId, 1);
    this.#setTaskRunState(taskRun, TaskState.INVOKED);
    this.#setDeadline(attempt, now + deadlines.ackMs, ErrorCause.ACK_TIMEOUT);
    this.#spans.attemptInvoked(active.run, taskRun, attempt, now);
    this.#options.logger.debug(
      {
        runId: taskRun.runId,
        taskId: taskRun.taskId,
        attemptId: attempt.id,
        serverName: instance.serverName,
        instanceId: instance.instanceId,
      },
      "invoke",
    );
    const command = this.#invokeCommand(active, taskRun, attempt);
    this.#unsentInvokes.push(() => instance.invoke(command));
  }

  #invokeCommand(active: ActiveRun, taskRun: TaskRunRecord, attempt: AttemptRecord): InvokeCommand {
    return {
      runId: taskRun.runId,
      taskRunId: taskRun.id,
      attemptId: attempt.id,
      attemptNumber: attempt.number,
      taskId: taskRun.taskId,
      params: active.run.params,
      deadlines: attempt.deadlines,
      mode: active.run.mode,
      logicalTime: active.run.logicalTime ?? active.run.createdAt,
      upstream: upstreamOutputs(
        taskRun.upstream.map((taskId) => ({
          taskId,
          outputs: active.taskRuns.get(taskId)?.outputs ?? {},
        })),
        this.#maxRunDataBytes,
      ),
      traceContext: this.#spans.traceContextOf(active.run, attempt),
    };
  }

  #failAttempt(
    active: ActiveRun,
    taskRun: TaskRunRecord,
    attempt: AttemptRecord,
    cause: ErrorCause,
    detail: {
      description: string;
      nonRetryable?: boolean;
      type?: string;
      details?: Readonly<Record<string, string>>;
    },
  ): void {
    attempt.errorCause = cause;
    attempt.errorDescription = detail.description;
    setErrorFacts(attempt, detail);
    setErrorFacts(taskRun, detail);
    this.#endAttempt(taskRun, attempt, TaskState.ERROR);
    const policy = this.#declared(active.run, taskRun)?.definition.retry;
    const retry =
      policy !== undefined &&
      active.run.state === RunState.RUNNING &&
      shouldRetry(policy, attempt.number, cause, detail.nonRetryable ?? false);
    this.#options.observer?.attemptFailed(taskRun, cause, retry);
    this.#options.logger.warn(
      {
        runId: taskRun.runId,
        taskId: taskRun.taskId,
        attemptId: attempt.id,
        instanceId: attempt.instanceId,
        cause,
        ...(detail.type ? { errorType: detail.type } : {}),
        retry,
      },
      `attempt failed: ${detail.description}`,
    );
    if (retry && policy) {
      const backoff = retryBackoffMs(policy, attempt.number);
      taskRun.notBefore = this.#options.clock.now() + backoff;
      taskRun.errorCause = cause;
      taskRun.errorDescription = detail.description;
      // Set before the state, so that the event of the retry says all of it.
      taskRun.waitingReason = `retry ${attempt.number + 1} of ${policy.maxAttempts} in ${backoff} ms after ${cause}`;
      this.#setTaskRunState(taskRun, TaskState.PENDING);
      active.ready.add(taskRun.taskId);
      this.#armRetry(active, taskRun);
      return;
    }
    this.#finishTaskRun(active, taskRun, TaskState.ERROR, {
      cause,
      description: detail.description,
    });
  }

  #armRetry(active: ActiveRun, taskRun: TaskRunRecord): void {
    const at = taskRun.notBefore ?? this.#options.clock.now();
    this.#timers.get(taskRun.id)?.cancel();
    this.#timers.set(
      taskRun.id,
      this.#options.clock.at(at, () => {
        this.#timers.delete(taskRun.id);
        this.#dispatchReady(active, this.#dispatchKey(active.run, taskRun));
        void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
      }),
    );
  }

  #endAttempt(taskRun: TaskRunRecord, attempt: AttemptRecord, state: TaskState): void {
    if (this.#progress.size > 0) this.#endProgress(taskRun, attempt);
    if (attempt.deadlines.heartbeatMs !== undefined) {
      this.#heartbeatFrom.delete(attempt.id);
      this.#heartbeatTimers.get(attempt.id)?.cancel();
      this.#heartbeatTimers.delete(attempt.id);
    }
    attempt.state = state;
    attempt.finishedAt = this.#options.clock.now();
    delete attempt.deadlineAt;
    delete attempt.deadlineCause;
    this.#deadlinesToArm.delete(attempt);
    this.#timers.get(attempt.id)?.cancel();
    this.#timers.delete(attempt.id);
    this.#countInFlight(taskRun.taskId, -1);
    this.#dirtyTaskRuns.add(taskRun);
    this.#spans.attemptEnded(taskRun, attempt, attempt.finishedAt);
  }

  /** An attempt ends: progress still waiting for its turn goes on it, without an event of its own. */
  #endProgress(taskRun: TaskRunRecord, attempt: AttemptRecord): void {
    const pace = this.#progress.get(attempt.id);
    if (!pace) return;
    this.#progress.delete(attempt.id);
    pace.timer?.cancel();
    if (pace.pending) this.#applyProgress(taskRun, attempt, pace.pending, false);
  }

  #finishTaskRun(
    active: ActiveRun,
    taskRun: TaskRunRecord,
    state: TaskState,
    detail: { cause?: ErrorCause; description?: string },
  ): void {
    delete taskRun.waitingReason;
    delete taskRun.notBefore;
    if (state === TaskState.ERROR) {
      if (detail.cause) taskRun.errorCause = detail.cause;
      if (detail.description) taskRun.errorDescription = detail.description;
    } else if (state !== TaskState.CANCELLED) {
      delete taskRun.errorCause;
      delete taskRun.errorDescription;
      setErrorFacts(taskRun, {});
    }
    this.#timers.get(taskRun.id)?.cancel();
    this.#timers.delete(taskRun.id);
    this.#setTaskRunState(taskRun, state);
    const nowReady = active.markFinal(taskRun);
    if (state === TaskState.ERROR || state === TaskState.BLOCKED) {
      for (const downstream of active.downstreamOf(taskRun.taskId)) {
        const waiting = active.taskRuns.get(downstream);
        if (waiting?.state === TaskState.PENDING) this.#toBlock.push({ active, taskRun: waiting });
      }
      this.#blockQueued();
    }
    if (nowReady.length > 0) this.#dispatchReady(active);
    // A freed slot may let a waiting task-run of the same task go ahead.
    if (this.#options.graph.get(taskRun.taskId)?.definition.concurrencyLimit) {
      for (const other of this.#active.values()) if (other !== active) this.#dispatchReady(other);
    }
    this.#finishRunIfDone(active);
  }

  #block(active: ActiveRun, taskRun: TaskRunRecord, failedUpstream: string[]): void {
    taskRun.blockedBy = failedUpstream;
    this.#finishTaskRun(active, taskRun, TaskState.BLOCKED, {});
  }

  /**
   * Blocks the task-runs queued by a failure, and theirs in turn, in a loop:
   * blocking them by recursion would overflow the stack on a long chain.
   */
  #blockQueued(): void {
    if (this.#blocking) return;
    this.#blocking = true;
    try {
      for (let next = this.#toBlock.pop(); next !== undefined; next = this.#toBlock.pop()) {
        if (next.taskRun.state !== TaskState.PENDING) continue;
        this.#block(next.active, next.taskRun, next.active.failedUpstreamOf(next.taskRun));
      }
    } finally {
      this.#blocking = false;
    }
  }

  #finishRunIfDone(active: ActiveRun): void {
    if (!active.finished || active.run.finishedAt !== undefined) return;
    const { run } = active;
    const summary = summarize(active.taskRuns.values());
    if (run.state !== RunState.CANCELLED) {
      run.state =
        summary.failed.length > 0 || summary.blocked.length > 0
          ? RunState.FAILED
          : RunState.SUCCEEDED;
    }
    run.summary = summary;
    run.finishedAt = this.#options.clock.now();
    this.#spans.runFinished(run, run.finishedAt);
    this.#dirtyRuns.add(run);
    this.#active.delete(run.id);
    for (const runs of this.#waitingForServer.values()) runs.delete(active);
    for (const taskRun of active.taskRuns.values()) {
      for (const attempt of taskRun.attempts) {
        this.#attempts.delete(attempt.id);
        this.#finishedAttempts.set(attempt.id, attempt.state);
      }
    }
    for (const oldest of this.#finishedAttempts.keys()) {
      if (this.#finishedAttempts.size <= FINISHED_ATTEMPTS_KEPT) break;
      this.#finishedAttempts.delete(oldest);
    }
    const failures = summary.failed.map((f) => `${f.taskId} (team ${f.owner.team})`).join(", ");
    this.#options.logger.info(
      {
        runId: run.id,
        state: run.state,
        failed: summary.failed.length,
        blocked: summary.blocked.length,
      },
      "run finished",
    );
    const cancelled = active.cancelReason === undefined ? "" : ` (${active.cancelReason})`;
    this.#publishRun(
      active,
      "run-finished",
      `run ${run.id} ${run.state}${cancelled}${failures ? `; failed: ${failures}` : ""}`,
    );
  }

  #setDeadline(attempt: AttemptRecord, at: number, cause: ErrorCause): void {
    attempt.deadlineAt = at;
    attempt.deadlineCause = cause;
    this.#deadlinesToArm.add(attempt);
  }

  #armDeadline(attempt: AttemptRecord): void {
    if (attempt.state === TaskState.STARTED && attempt.deadlines.heartbeatMs !== undefined) {
      this.#armHeartbeat(attempt);
    }
    const { deadlineAt, deadlineCause } = attempt;
    if (deadlineAt === undefined || deadlineCause === undefined) return;
    this.#timers.get(attempt.id)?.cancel();
    this.#timers.set(
      attempt.id,
      this.#options.clock.at(Math.max(deadlineAt, this.#recoveryEndsAt), () => {
        this.#timers.delete(attempt.id);
        const location = this.#attempts.get(attempt.id);
        const taskRun = location?.active.taskRuns.get(location.taskId);
        if (!location || !taskRun || attempt.deadlineCause !== deadlineCause) return;
        // An instance lost by now loses its attempts to SERVER_LOST, the true
        // cause, whichever of the two timers due at once runs first.
        const loss = this.#lostTimers.get(attempt.instanceId);
        if (loss && loss.at <= this.#options.clock.now()) {
          this.#loseInstance(attempt.instanceId, loss.why);
          void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
          return;
        }
        this.#options.instances.get(attempt.instanceId)?.cancel(attempt.id, deadlineCause);
        this.#failAttempt(location.active, taskRun, attempt, deadlineCause, {
          description: describeTimeout(deadlineCause, attempt.deadlines),
        });
        void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
      }),
    );
  }

  /**
   * Arms the heartbeat deadline of a STARTED attempt. Its timer is not moved
   * by every heartbeat: when it fires it looks at the last one, and arms
   * itself again when that came in time.
   */
  #armHeartbeat(attempt: AttemptRecord, at?: number): void {
    const from = this.#heartbeatFrom.get(attempt.id);
    const heartbeatMs = attempt.deadlines.heartbeatMs;
    if (from === undefined || heartbeatMs === undefined) return;
    this.#heartbeatTimers.get(attempt.id)?.cancel();
    this.#heartbeatTimers.set(
      attempt.id,
      this.#options.clock.at(at ?? Math.max(from + heartbeatMs, this.#recoveryEndsAt), () =>
        this.#heartbeatDue(attempt),
      ),
    );
  }

  #heartbeatDue(attempt: AttemptRecord): void {
    this.#heartbeatTimers.delete(attempt.id);
    const location = this.#attempts.get(attempt.id);
    const taskRun = location?.active.taskRuns.get(location.taskId);
    const from = this.#heartbeatFrom.get(attempt.id);
    const heartbeatMs = attempt.deadlines.heartbeatMs;
    if (!location || !taskRun || from === undefined || heartbeatMs === undefined) return;
    if (attempt.state !== TaskState.STARTED) return;
    const { clock } = this.#options;
    const now = clock.now();
    const loss = this.#lostTimers.get(attempt.instanceId);
    if (loss) {
      if (loss.at <= now) {
        // SERVER_LOST is the true cause, whichever timer due at once runs first.
        this.#loseInstance(attempt.instanceId, loss.why);
        void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
      } else {
        // No heartbeat can come while the instance is away: wait for its return.
        this.#armHeartbeat(attempt, loss.at);
      }
      return;
    }
    if (Math.max(from + heartbeatMs, this.#recoveryEndsAt) > now) {
      this.#armHeartbeat(attempt);
      return;
    }
    const last = attempt.lastHeartbeatAt;
    const since =
      last === undefined
        ? `none since STARTED ${formatAgo(now - (attempt.startedAt ?? now))} ago`
        : `the last ${formatAgo(now - last)} ago`;
    this.#options.instances
      .get(attempt.instanceId)
      ?.cancel(attempt.id, ErrorCause.HEARTBEAT_TIMEOUT);
    this.#failAttempt(location.active, taskRun, attempt, ErrorCause.HEARTBEAT_TIMEOUT, {
      description: `no heartbeat or progress within the heartbeat deadline of ${durationText(heartbeatMs)} (${since})`,
    });
    void this.#flush().catch((error: unknown) => this.#logFlushFailure(error));
  }

  #setTaskRunState(taskRun: TaskRunRecord, state: TaskState): void {
    taskRun.state = state;
    taskRun.updatedAt = this.#options.clock.now();
    this.#dirtyTaskRuns.add(taskRun);
    this.#spans.taskRunChanged(taskRun, taskRun.updatedAt);
    this.#publishTaskRun(taskRun);
  }

  #setWaiting(taskRun: TaskRunRecord, reason: string): void {
    if (taskRun.waitingReason === reason) return;
    taskRun.waitingReason = reason;
    this.#dirtyTaskRuns.add(taskRun);
    this.#publishTaskRun(taskRun);
  }

  #countInFlight(taskId: string, delta: number): void {
    this.#inFlightPerTask.set(taskId, (this.#inFlightPerTask.get(taskId) ?? 0) + delta);
  }

  #publishTaskRun(taskRun: TaskRunRecord): void {
    const attempt = taskRun.attempts.at(-1);
    const retrying = taskRun.state === TaskState.PENDING && taskRun.notBefore !== undefined;
    let detail = "";
    if (taskRun.state === TaskState.ERROR) detail = typedDescription(taskRun);
    else if (taskRun.state === TaskState.BLOCKED)
      detail = `by ${(taskRun.blockedBy ?? []).join(", ")}`;
    else if (taskRun.state === TaskState.SKIPPED && taskRun.reused) {
      detail = `reused completion of run ${taskRun.reused.runId}`;
    } else if (taskRun.state === TaskState.CANCELLED) detail = taskRun.cancelReason ?? "";
    else if (retrying) detail = `${taskRun.waitingReason}: ${typedDescription(taskRun)}`;
    else if (taskRun.state === TaskState.PENDING) detail = taskRun.waitingReason ?? "";
    const state =
      taskRun.state === TaskState.ERROR ? `ERROR(${taskRun.errorCause})` : taskRun.state;
    const separator = taskRun.state === TaskState.BLOCKED ? " " : ": ";
    const message = `${taskRun.taskId} ${state}${detail ? `${separator}${detail}` : ""}`;
    this.#options.events.publish({
      kind: "task-run-changed",
      time: taskRun.updatedAt,
      message,
      detail,
      runId: taskRun.runId,
      taskRunId: taskRun.id,
      taskId: taskRun.taskId,
      state: taskRun.state,
      serverName: taskRun.serverName,
      teams: [taskRun.owner.team],
      ...(attempt
        ? { attemptId: attempt.id, instanceId: attempt.instanceId, attemptNumber: attempt.number }
        : {}),
      ...((taskRun.state === TaskState.ERROR || retrying) && taskRun.errorCause
        ? { errorCause: taskRun.errorCause }
        : {}),
      ...(retrying ? { dueAt: taskRun.notBefore } : {}),
    });
  }

  #publishAttempt(
    kind: "attempt-server-away" | "attempt-server-back" | "attempt-progress",
    taskRun: TaskRunRecord,
    attempt: AttemptRecord,
    what: { message: string; detail?: string; dueAt?: number; progress?: number },
  ): void {
    this.#options.events.publish({
      kind,
      time: this.#options.clock.now(),
      runId: taskRun.runId,
      taskRunId: taskRun.id,
      taskId: taskRun.taskId,
      attemptId: attempt.id,
      attemptNumber: attempt.number,
      state: taskRun.state,
      serverName: taskRun.serverName,
      instanceId: attempt.instanceId,
      teams: [taskRun.owner.team],
      ...what,
    });
  }

  #publishProgress(taskRun: TaskRunRecord, attempt: AttemptRecord): void {
    const detail = describeProgress({
      progress: attempt.progress,
      message: attempt.progressMessage,
      details: attempt.heartbeatDetails,
    });
    this.#publishAttempt("attempt-progress", taskRun, attempt, {
      message: `${taskRun.taskId} attempt ${attempt.number}: ${detail}`,
      detail,
      ...(attempt.progress === undefined ? {} : { progress: attempt.progress }),
    });
  }

  #publishRun(active: ActiveRun, kind: "run-started" | "run-finished", message: string): void {
    const { run, cancelReason } = active;
    this.#options.events.publish({
      kind,
      time: this.#options.clock.now(),
      message,
      runId: run.id,
      runState: run.state,
      teams: active.teams(),
      ...(kind === "run-finished" && cancelReason !== undefined ? { detail: cancelReason } : {}),
    });
  }

  #snapshot(active: ActiveRun): RunSnapshot {
    return plainCopy({ run: active.run, taskRuns: [...active.taskRuns.values()] });
  }

  async #flush(): Promise<void> {
    for (const attempt of this.#deadlinesToArm) this.#armDeadline(attempt);
    this.#deadlinesToArm.clear();
    if (
      this.#dirtyRuns.size === 0 &&
      this.#dirtyTaskRuns.size === 0 &&
      this.#completions.length === 0 &&
      this.#unsentInvokes.length === 0
    ) {
      return;
    }
    const runs = [...this.#dirtyRuns];
    const taskRuns = [...this.#dirtyTaskRuns];
    const completions = this.#completions;
    const invokes = this.#unsentInvokes;
    this.#dirtyRuns = new Set();
    this.#dirtyTaskRuns = new Set();
    this.#completions = [];
    this.#unsentInvokes = [];
    await this.#options.store.save({ runs, taskRuns, completions });
    for (const send of invokes) send();
    for (const run of runs) {
      if (run.finishedAt === undefined) continue;
      for (const listener of this.#finishedRunStored) {
        try {
          listener(run.id);
        } catch (error) {
          this.#options.logger.error(
            { err: error, runId: run.id },
            "a finished run's listener failed",
          );
        }
      }
    }
  }

  #logFlushFailure(error: unknown): void {
    this.#options.logger.error({ err: error }, "storing run state failed");
  }
}

function refuse(code: ErrorCode, message: string): ReportOutcome {
  return { accepted: false, code, message };
}

function notCurrent(taskRun: TaskRunRecord, attempt: AttemptRecord): ReportOutcome {
  return refuse(
    ErrorCode.FAILED_PRECONDITION,
    `attempt ${attempt.id} of ${taskRun.taskId} is no longer current (it ended ${describeEnd(attempt)})`,
  );
}

function describeEnd(attempt: AttemptRecord): string {
  return attempt.errorCause ? `${attempt.state} ${attempt.errorCause}` : attempt.state;
}

function describeTimeout(cause: ErrorCause, deadlines: Deadlines): string {
  switch (cause) {
    case ErrorCause.ACK_TIMEOUT:
      return `no QUEUED or STARTED within ${durationText(deadlines.ackMs)} of the invoke`;
    case ErrorCause.START_TIMEOUT:
      return `not STARTED within ${durationText(deadlines.startMs)} of QUEUED`;
    case ErrorCause.COMPLETE_TIMEOUT:
      return `not COMPLETED within ${durationText(deadlines.completeMs)} of STARTED`;
    default:
      return cause;
  }
}

/** Merges one more heartbeat or progress into those waiting: the latest value of each field wins. */
function mergeProgress(
  pending: PendingProgress | undefined,
  report: ProgressReport,
  at: number,
): PendingProgress {
  const merged: PendingProgress = pending ?? { at };
  merged.at = at;
  if (report.fraction !== undefined) merged.fraction = report.fraction;
  if (report.message) merged.message = report.message;
  if (report.details) merged.details = report.details;
  return merged;
}

/** A time ago, to the second from one second on: "42s", "2m", "850ms". */
function formatAgo(ms: number): string {
  return durationText(ms < 1_000 ? Math.max(0, Math.round(ms)) : Math.round(ms / 1_000) * 1_000);
}
