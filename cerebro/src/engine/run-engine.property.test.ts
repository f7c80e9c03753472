// Property-based tests of the task-run state machine: random small graphs,
// random retry policies and deadlines (heartbeat deadlines too), and random
// sequences of reports (duplicates, late reports for old attempts, reordered
// states, reports from the wrong instance or for unknown attempts) and
// heartbeats, interleaved with clock advances, disconnects, reconnects and
// cancels. After every step the run
// must be in a state the protocol allows. A failure prints the seed and the
// shrunk sequence of steps; `fc.assert(..., { seed, path })` replays it.

import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type AttemptRecord,
  ErrorCause,
  isFinalTaskState,
  isInFlight,
  type RetryPolicy,
  type RunSnapshot,
  RunState,
  satisfiesDownstream,
  type TaskRunRecord,
  TaskState,
} from "../domain/model.js";
import { engineHarness, type RecordingInstance, task } from "../testing/engine-harness.js";
import { retryBackoffMs, shouldRetry } from "./policies.js";
import type { AttemptReport, ProgressReport, ReportOutcome } from "./run-engine.js";

const GRACE_MS = 2_000;
const SERVERS = ["srv-a", "srv-b"] as const;
const INSTANCES = ["srv-a-1", "srv-a-2", "srv-b-1", "srv-b-2"] as const;
const REPORTABLE = [TaskState.QUEUED, TaskState.STARTED, TaskState.COMPLETED, TaskState.ERROR];
type Reportable = (typeof REPORTABLE)[number];
const CAUSES = Object.values(ErrorCause);

/** How far each state is along an attempt's life; reports may only move forward. */
const STEP: Readonly<Record<TaskState, number>> = {
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

/** The state changes a task-run may go through, as its events show them. */
const ALLOWED: Readonly<Record<TaskState, readonly TaskState[]>> = {
  // PENDING again: what it waits for changed (an event says why it waits).
  PENDING: [TaskState.PENDING, TaskState.INVOKED, TaskState.BLOCKED, TaskState.CANCELLED],
  INVOKED: [
    TaskState.QUEUED,
    TaskState.STARTED,
    TaskState.COMPLETED,
    TaskState.ERROR,
    TaskState.PENDING,
    TaskState.CANCELLED,
  ],
  QUEUED: [
    TaskState.STARTED,
    TaskState.COMPLETED,
    TaskState.ERROR,
    TaskState.PENDING,
    TaskState.CANCELLED,
  ],
  STARTED: [TaskState.COMPLETED, TaskState.ERROR, TaskState.PENDING, TaskState.CANCELLED],
  COMPLETED: [],
  ERROR: [],
  BLOCKED: [],
  SKIPPED: [],
  CANCELLED: [],
};

// ---------------------------------------------------------------- generators

interface TaskSpec {
  readonly id: string;
  readonly server: (typeof SERVERS)[number];
  readonly dependsOn: readonly number[];
  readonly retry: RetryPolicy;
  readonly deadlines: { ackMs: number; startMs: number; completeMs: number; heartbeatMs?: number };
}

interface Scenario {
  readonly tasks: readonly TaskSpec[];
  readonly targets: readonly number[];
  /** Which of the second instances of each server are connected at the start. */
  readonly secondInstances: readonly [boolean, boolean];
  /** Seeds the jitter of retry backoffs, so that a failing case replays exactly. */
  readonly jitterSeed: number;
  readonly actions: readonly Action[];
}

type Action =
  | { kind: "report-latest"; task: number; state: Reportable; nonRetryable: boolean }
  | { kind: "report-any"; pick: number; state: Reportable; nonRetryable: boolean }
  | { kind: "report-wrong-instance"; pick: number; state: Reportable; other: number }
  | { kind: "report-unknown"; state: Reportable }
  | { kind: "progress"; pick: number; fraction: number; wrongInstance: boolean }
  | { kind: "repeat"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "advance-to-deadline"; pick: number; offsetMs: -1 | 0 }
  | { kind: "disconnect"; instance: number }
  | { kind: "reconnect"; instance: number; keep: readonly boolean[]; extra: boolean }
  | { kind: "blip"; instance: number; ms: number; keepAll: boolean }
  | { kind: "cancel" };

const seconds = (min: number, max: number) =>
  fc.integer({ min: min * 2, max: max * 2 }).map((half) => half * 500);

const retryArb: fc.Arbitrary<RetryPolicy> = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 4 }),
  initialBackoffMs: fc.integer({ min: 0, max: 2_000 }),
  maxBackoffMs: fc.integer({ min: 0, max: 5_000 }),
  multiplier: fc.constantFrom(0, 1, 2, 3),
  retryOn: fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.subarray(CAUSES, { maxLength: 3 }) },
  ),
});

function taskArb(index: number): fc.Arbitrary<TaskSpec> {
  const earlier = Array.from({ length: index }, (_, i) => i);
  return fc.record({
    id: fc.constant(`t.task-${index}`),
    server: fc.constantFrom(...SERVERS),
    dependsOn: fc.subarray(earlier, { maxLength: Math.min(2, index) }),
    retry: retryArb,
    deadlines: fc.record(
      {
        ackMs: seconds(1, 5),
        startMs: seconds(1, 5),
        completeMs: seconds(1, 8),
        heartbeatMs: seconds(1, 4),
      },
      { requiredKeys: ["ackMs", "startMs", "completeMs"] },
    ),
  });
}

const stateArb = fc.constantFrom(...REPORTABLE);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("report-latest" as const),
      task: fc.nat({ max: 5 }),
      state: stateArb,
      nonRetryable: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("report-any" as const),
      pick: fc.nat(),
      state: stateArb,
      nonRetryable: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("report-wrong-instance" as const),
      pick: fc.nat(),
      state: stateArb,
      other: fc.nat({ max: INSTANCES.length }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("report-unknown" as const), state: stateArb }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("repeat" as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("progress" as const),
      pick: fc.nat(),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      wrongInstance: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 1_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 12_000 }) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("advance-to-deadline" as const),
      pick: fc.nat(),
      offsetMs: fc.constantFrom(-1 as const, 0 as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("disconnect" as const),
      instance: fc.nat({ max: INSTANCES.length - 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reconnect" as const),
      instance: fc.nat({ max: INSTANCES.length - 1 }),
      keep: fc.array(fc.boolean(), { maxLength: 6 }),
      extra: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("blip" as const),
      instance: fc.nat({ max: INSTANCES.length - 1 }),
      ms: fc.integer({ min: 0, max: GRACE_MS + 1_000 }),
      keepAll: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const }) },
);

const scenarioArb = (maxActions: number): fc.Arbitrary<Scenario> =>
  fc.integer({ min: 1, max: 5 }).chain((size) =>
    fc.record({
      tasks: fc.tuple(...Array.from({ length: size }, (_, i) => taskArb(i))),
      targets: fc.subarray(
        Array.from({ length: size }, (_, i) => i),
        { minLength: 1 },
      ),
      secondInstances: fc.tuple(fc.boolean(), fc.boolean()),
      jitterSeed: fc.integer(),
      actions: fc.array(actionArb, { minLength: 1, maxLength: maxActions, size: "medium" }),
    }),
  );

// ------------------------------------------------------------------- driver

/** A small deterministic PRNG (mulberry32) standing in for Math.random. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function serverOf(instanceId: string): string {
  return instanceId.replace(/-\d+$/, "");
}

/** One engine, one run, and what the test knows about what happened to them. */
class World {
  readonly h = engineHarness({ serverLostGraceMs: GRACE_MS });
  readonly specs: ReadonlyMap<string, TaskSpec>;
  /** Every instance object ever connected, so every cancel is counted. */
  readonly #instanceObjects: RecordingInstance[] = [];
  /** When each instance went away (absent while connected). */
  readonly disconnectedAt = new Map<string, number>();
  /** Every report sent, for exact repeats. */
  readonly reports: AttemptReport[] = [];
  /** Attempts whose ERROR the task marked non-retryable, as accepted by the engine. */
  readonly nonRetryable = new Set<string>();
  /** Attempts a reconnecting instance did not name, and so lost. */
  readonly lostOnReconnect = new Set<string>();
  /**
   * From when each attempt's silence counts besides its STARTED: its last
   * accepted heartbeat or progress, or its instance's return.
   */
  readonly beatFloor = new Map<string, number>();
  runId = "";
  cancelRequested = false;
  /** The last snapshot checked, to compare the next one with. */
  previous: RunSnapshot | undefined;
  /** How many invokes were already checked. */
  #invokesChecked = 0;

  constructor(readonly scenario: Scenario) {
    this.specs = new Map(scenario.tasks.map((spec) => [spec.id, spec]));
  }

  async start(): Promise<void> {
    const { h, scenario } = this;
    for (const server of SERVERS) {
      h.graph.declare(
        server,
        scenario.tasks
          .filter((spec) => spec.server === server)
          .map((spec) =>
            task(spec.id, {
              team: `team-${server}`,
              dependsOn: spec.dependsOn.map((i) => scenario.tasks[i]?.id ?? ""),
              retry: spec.retry,
              deadlines: spec.deadlines,
            }),
          ),
      );
    }
    this.#connect("srv-a-1");
    this.#connect("srv-b-1");
    if (scenario.secondInstances[0]) this.#connect("srv-a-2");
    if (scenario.secondInstances[1]) this.#connect("srv-b-2");
    const targets = scenario.targets.map((i) => scenario.tasks[i]?.id ?? "");
    const { snapshot } = await h.engine.startRun({ targets });
    this.runId = snapshot.run.id;
    await this.settle();
    await this.check();
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await this.h.settle();
  }

  snapshot(): Promise<RunSnapshot> {
    return this.h.engine.getRun(this.runId);
  }

  get cancels(): number {
    return this.#instanceObjects.reduce((sum, instance) => sum + instance.cancels.length, 0);
  }

  #connect(instanceId: string): void {
    this.#instanceObjects.push(this.h.instances.connect(serverOf(instanceId), instanceId));
    this.disconnectedAt.delete(instanceId);
  }

  /** Applies one action, then checks every invariant. */
  async apply(action: Action): Promise<void> {
    const { h } = this;
    const log = h.instances.log;
    switch (action.kind) {
      case "report-latest": {
        const spec = this.scenario.tasks[action.task % this.scenario.tasks.length];
        const entry = log.filter((e) => e.command.taskId === spec?.id).at(-1);
        if (!entry) return;
        return this.report({
          instanceId: entry.instanceId,
          attemptId: entry.command.attemptId,
          state: action.state,
          ...errorFields(action.state, action.nonRetryable),
        });
      }
      case "report-any": {
        const entry = log[action.pick % Math.max(1, log.length)];
        if (!entry) return;
        return this.report({
          instanceId: entry.instanceId,
          attemptId: entry.command.attemptId,
          state: action.state,
          ...errorFields(action.state, action.nonRetryable),
        });
      }
      case "report-wrong-instance": {
        const entry = log[action.pick % Math.max(1, log.length)];
        if (!entry) return;
        const others = [...INSTANCES.filter((id) => id !== entry.instanceId), "intruder-1"];
        return this.report({
          instanceId: others[action.other % others.length] ?? "intruder-1",
          attemptId: entry.command.attemptId,
          state: action.state,
          ...errorFields(action.state, false),
        });
      }
      case "report-unknown":
        return this.report({
          instanceId: "srv-a-1",
          attemptId: "att_never-invoked",
          state: action.state,
          ...errorFields(action.state, false),
        });
      case "repeat": {
        const earlier = this.reports[action.pick % Math.max(1, this.reports.length)];
        if (earlier) return this.report(earlier);
        return;
      }
      case "progress": {
        const entry = log[action.pick % Math.max(1, log.length)];
        if (!entry) return;
        const instanceId = action.wrongInstance
          ? (INSTANCES.find((id) => id !== entry.instanceId) ?? "intruder-1")
          : entry.instanceId;
        return this.progress({
          instanceId,
          attemptId: entry.command.attemptId,
          fraction: action.fraction,
          message: `at ${action.fraction}`,
        });
      }
      case "advance":
        h.clock.advance(action.ms);
        break;
      case "advance-to-deadline": {
        const deadlines = (await this.snapshot()).taskRuns
          .flatMap((taskRun) => taskRun.attempts)
          .flatMap((attempt) => (attempt.deadlineAt === undefined ? [] : [attempt.deadlineAt]))
          .sort((a, b) => a - b);
        const target = deadlines[action.pick % Math.max(1, deadlines.length)];
        if (target === undefined) return;
        h.clock.advance(Math.max(0, target + action.offsetMs - h.clock.now()));
        break;
      }
      case "disconnect": {
        const instanceId = INSTANCES[action.instance] ?? "srv-a-1";
        if (!h.instances.connected.has(instanceId)) return;
        h.instances.disconnect(instanceId);
        this.disconnectedAt.set(instanceId, h.clock.now());
        h.engine.instanceDisconnected(instanceId);
        break;
      }
      case "reconnect": {
        const instanceId = INSTANCES[action.instance] ?? "srv-a-1";
        if (h.instances.connected.has(instanceId)) return;
        // It names a random subset of the attempts it was sent, perhaps with
        // one cerebro never heard of.
        const sent = [
          ...new Set(
            log.filter((e) => e.instanceId === instanceId).map((e) => e.command.attemptId),
          ),
        ];
        const running = sent.filter((_, i) => action.keep[i] ?? false);
        if (action.extra) running.push("att_forgotten-long-ago");
        await this.#reconnect(instanceId, running);
        break;
      }
      case "blip": {
        // A stream breaks and the instance comes back after `ms`, naming what
        // it still runs: all of its in-flight attempts, or only the first.
        const instanceId = INSTANCES[action.instance] ?? "srv-a-1";
        if (!h.instances.connected.has(instanceId)) return;
        const inFlight = this.#inFlightOn(await this.snapshot(), instanceId);
        await this.apply({ kind: "disconnect", instance: action.instance });
        await this.apply({ kind: "advance", ms: action.ms });
        await this.#reconnect(instanceId, action.keepAll ? inFlight : inFlight.slice(0, 1));
        break;
      }
      case "cancel": {
        const before = await this.snapshot();
        await h.engine.cancelRun(this.runId, "changed our minds");
        if (before.run.state === RunState.RUNNING) this.cancelRequested = true;
        break;
      }
    }
    await this.settle();
    await this.check();
  }

  /**
   * What a task-server's hello does: the directory gains the instance, it
   * lists the attempts it still runs, the engine names those it should drop,
   * resumes it and dispatches waiting work.
   */
  async #reconnect(instanceId: string, running: string[]): Promise<void> {
    const { h } = this;
    const before = await this.snapshot();
    const invokes = h.instances.log.length;
    const wasAway = this.disconnectedAt.has(instanceId);
    this.#connect(instanceId);
    const unwanted = h.engine.unwantedAttempts(instanceId, running);
    // An attempt it still runs had no way to heartbeat while it was away.
    if (wasAway) for (const id of running) this.beatFloor.set(id, h.clock.now());
    await h.engine.instanceResumed(instanceId, running);
    h.engine.graphChanged();
    await this.settle();
    const snapshot = await this.snapshot();
    const current = new Set(
      snapshot.run.state === RunState.RUNNING
        ? snapshot.taskRuns.flatMap((taskRun) => {
            const last = taskRun.attempts.at(-1);
            return last && isInFlight(last.state) ? [last.id] : [];
          })
        : [],
    );
    // Named unwanted exactly when it is not (any longer) a current in-flight
    // attempt; a named one that is current stays in flight.
    expect(unwanted.sort()).toEqual(running.filter((id) => !current.has(id)).sort());
    // Of its in-flight attempts it did not name, one QUEUED or STARTED is
    // lost; one still INVOKED may never have arrived and is sent again.
    const resent = h.instances.log.slice(invokes).map((e) => e.command.attemptId);
    for (const taskRun of before.taskRuns) {
      const last = taskRun.attempts.at(-1);
      if (!last || !isInFlight(last.state) || last.instanceId !== instanceId) continue;
      if (running.includes(last.id)) continue;
      const now = findAttempt(snapshot, last.id)?.attempt;
      if (last.state === TaskState.INVOKED) {
        expect(now?.state, `unnamed INVOKED ${last.id}`).toBe(TaskState.INVOKED);
        expect(resent, `invoke of ${last.id} sent again`).toContain(last.id);
      } else {
        this.lostOnReconnect.add(last.id);
        expect([now?.state, now?.errorCause], `unnamed ${last.state} ${last.id}`).toEqual([
          TaskState.ERROR,
          ErrorCause.SERVER_LOST,
        ]);
      }
    }
  }

  #inFlightOn(snapshot: RunSnapshot, instanceId: string): string[] {
    return snapshot.taskRuns.flatMap((taskRun) => {
      const last = taskRun.attempts.at(-1);
      return last && isInFlight(last.state) && last.instanceId === instanceId ? [last.id] : [];
    });
  }

  async report(report: AttemptReport): Promise<void> {
    const { h } = this;
    this.reports.push(report);
    const before = await this.snapshot();
    const events = h.events.length;
    const invokes = h.instances.log.length;
    const cancels = this.cancels;
    const outcome = await h.engine.report(report);
    await this.settle();
    const after = await this.snapshot();
    const context = () => `report ${JSON.stringify(report)} → ${JSON.stringify(outcome)}`;

    // The oracle: a report changes the run exactly when it is about the
    // current attempt of its task-run, that attempt is in flight on the
    // reporting instance, and the reported state is a step forward.
    const located = findAttempt(before, report.attemptId);
    const fresh =
      before.run.state === RunState.RUNNING &&
      located !== undefined &&
      located.taskRun.attempts.at(-1) === located.attempt &&
      isInFlight(located.attempt.state) &&
      located.attempt.instanceId === report.instanceId &&
      STEP[report.state] > STEP[located.attempt.state];
    expect(isChange(outcome), context()).toBe(fresh);
    if (!located) {
      expect(outcome, context()).toMatchObject({ accepted: false, code: "FAILED_PRECONDITION" });
    } else if (
      located.attempt.instanceId === report.instanceId &&
      located.attempt.state === report.state
    ) {
      // A repeated update is a no-op, acknowledged as such.
      expect(outcome, context()).toEqual({ accepted: true, duplicate: true });
    }

    if (!isChange(outcome)) {
      expect(after, `a refused or duplicate report changed the run: ${context()}`).toEqual(before);
      expect(h.events.length, `events after ${context()}`).toBe(events);
      expect(h.instances.log.length, `invokes after ${context()}`).toBe(invokes);
      expect(this.cancels, `cancels after ${context()}`).toBe(cancels);
    } else {
      const changed = findAttempt(after, report.attemptId);
      expect(changed?.attempt.state, context()).toBe(report.state);
      if (report.state === TaskState.ERROR && report.nonRetryable) {
        this.nonRetryable.add(report.attemptId);
      }
    }
    await this.check();
  }

  /**
   * Sends a heartbeat with progress. The oracle: it is accepted exactly when
   * it is about the current attempt of its task-run, in flight on the
   * sending instance, in a running run; it never changes a state, invokes or
   * cancels anything.
   */
  async progress(report: ProgressReport): Promise<void> {
    const { h } = this;
    const before = await this.snapshot();
    const invokes = h.instances.log.length;
    const cancels = this.cancels;
    const changes = h.events.filter((e) => e.kind !== "attempt-progress").length;
    const outcome = h.engine.progress(report);
    const context = () => `progress ${JSON.stringify(report)} → ${JSON.stringify(outcome)}`;
    const located = findAttempt(before, report.attemptId);
    const current =
      before.run.state === RunState.RUNNING &&
      located !== undefined &&
      located.taskRun.attempts.at(-1) === located.attempt &&
      isInFlight(located.attempt.state) &&
      located.attempt.instanceId === report.instanceId;
    expect(outcome.accepted, context()).toBe(current);
    if (!outcome.accepted) expect(outcome.code, context()).toBe("FAILED_PRECONDITION");
    if (current) this.beatFloor.set(report.attemptId, h.clock.now());
    await this.settle();
    const after = await this.snapshot();
    const states = (snapshot: RunSnapshot) =>
      snapshot.taskRuns.map((t) => [t.taskId, t.state, t.attempts.map((a) => a.state)]);
    expect(states(after), context()).toEqual(states(before));
    expect(h.events.filter((e) => e.kind !== "attempt-progress").length, context()).toBe(changes);
    expect(h.instances.log.length, context()).toBe(invokes);
    expect(this.cancels, context()).toBe(cancels);
    await this.check();
  }

  /** Every invariant, on the run as it stands now. */
  async check(): Promise<void> {
    const { h } = this;
    const snapshot = await this.snapshot();
    const now = h.clock.now();
    const { run, taskRuns } = snapshot;
    const byTask = new Map(taskRuns.map((taskRun) => [taskRun.taskId, taskRun]));
    const where = (taskRun: TaskRunRecord) =>
      `${taskRun.taskId} ${taskRun.state} attempts=${JSON.stringify(
        taskRun.attempts.map((a) => [a.number, a.state, a.errorCause ?? ""]),
      )}`;

    // Events: each task-run went only through allowed changes, and its last
    // event tells its current state.
    const events = h.events.filter((e) => e.kind === "task-run-changed" && e.runId === run.id);
    const byTaskRun = new Map<string, TaskState[]>();
    for (const event of events) {
      const list = byTaskRun.get(event.taskRunId ?? "") ?? [];
      list.push(event.state ?? TaskState.PENDING);
      byTaskRun.set(event.taskRunId ?? "", list);
    }
    for (const taskRun of taskRuns) {
      const seen = byTaskRun.get(taskRun.id) ?? [];
      const path = seen[0] === TaskState.SKIPPED ? seen : [TaskState.PENDING, ...seen];
      for (let i = 1; i < path.length; i++) {
        const from = path[i - 1] ?? TaskState.PENDING;
        const to = path[i] ?? TaskState.PENDING;
        expect(
          ALLOWED[from].includes(to),
          `${taskRun.taskId} went ${from} → ${to} (path ${path.join(" → ")})`,
        ).toBe(true);
      }
      expect(path.at(-1), `last event of ${where(taskRun)}`).toBe(taskRun.state);
    }

    // A final task-run never changes again; attempts only move forward.
    if (this.previous) {
      const previousByTask = new Map(this.previous.taskRuns.map((t) => [t.taskId, t]));
      for (const taskRun of taskRuns) {
        const earlier = previousByTask.get(taskRun.taskId);
        if (!earlier) continue;
        if (isFinalTaskState(earlier.state)) {
          expect(taskRun, `final task-run ${taskRun.taskId} changed`).toEqual(earlier);
        }
        for (const [i, attempt] of earlier.attempts.entries()) {
          const later = taskRun.attempts[i];
          expect(later?.id, `attempt ${i + 1} of ${taskRun.taskId} replaced`).toBe(attempt.id);
          if (!later) continue;
          expect(STEP[later.state], `attempt ${attempt.id} went back`).toBeGreaterThanOrEqual(
            STEP[attempt.state],
          );
          if (isFinalTaskState(attempt.state)) {
            expect(later, `finished attempt ${attempt.id} changed`).toEqual(attempt);
          }
        }
      }
      if (this.previous.run.state !== RunState.RUNNING) {
        expect(run, "a finished run changed").toEqual(this.previous.run);
      }
    }
    const earlierCauses = new Map(
      (this.previous?.taskRuns ?? []).flatMap((t) => t.attempts.map((a) => [a.id, a.errorCause])),
    );
    this.previous = snapshot;

    for (const taskRun of taskRuns) {
      const spec = this.specs.get(taskRun.taskId);
      if (!spec) throw new Error(`task-run for unplanned task ${taskRun.taskId}`);
      const attempts = taskRun.attempts;
      const last = attempts.at(-1);
      const completed = attempts.filter((a) => a.state === TaskState.COMPLETED);
      const inFlight = attempts.filter((a) => isInFlight(a.state));

      // Attempts: numbered 1..n, only the last may be in flight, at most one completed.
      expect(
        attempts.map((a) => a.number),
        where(taskRun),
      ).toEqual(attempts.map((_, i) => i + 1));
      expect(new Set(attempts.map((a) => a.id)).size, where(taskRun)).toBe(attempts.length);
      expect(completed.length, where(taskRun)).toBeLessThanOrEqual(1);
      expect(
        inFlight.every((a) => a === last),
        where(taskRun),
      ).toBe(true);
      expect(attempts.length, where(taskRun)).toBeLessThanOrEqual(spec.retry.maxAttempts);
      for (const attempt of attempts.slice(0, -1)) {
        // Only a failure leads to another attempt, and only one the policy retries.
        expect(attempt.state, where(taskRun)).toBe(TaskState.ERROR);
        expect(this.#retries(spec, attempt), `retried against policy: ${where(taskRun)}`).toBe(
          true,
        );
      }
      for (const [i, attempt] of attempts.entries()) {
        checkAttempt(taskRun, attempt, now);
        const heartbeatMs = spec.deadlines.heartbeatMs;
        const silentFrom = Math.max(
          attempt.startedAt ?? Number.NaN,
          this.beatFloor.get(attempt.id) ?? Number.NEGATIVE_INFINITY,
        );
        if (
          attempt.errorCause === ErrorCause.HEARTBEAT_TIMEOUT &&
          earlierCauses.get(attempt.id) !== ErrorCause.HEARTBEAT_TIMEOUT
        ) {
          // Only after a whole heartbeat deadline of silence.
          expect(
            heartbeatMs,
            `${where(taskRun)}: HEARTBEAT_TIMEOUT without a deadline`,
          ).toBeDefined();
          expect(
            (attempt.finishedAt ?? 0) - silentFrom,
            `${where(taskRun)}: attempt ${attempt.number} HEARTBEAT_TIMEOUT too early`,
          ).toBeGreaterThanOrEqual(heartbeatMs ?? 0);
        }
        // Liveness: a STARTED attempt whose instance is there went silent
        // for less than its heartbeat deadline.
        if (
          heartbeatMs !== undefined &&
          attempt.state === TaskState.STARTED &&
          !this.disconnectedAt.has(attempt.instanceId)
        ) {
          expect(
            now - silentFrom,
            `${where(taskRun)}: heartbeat deadline of attempt ${attempt.number} passed unnoticed`,
          ).toBeLessThan(heartbeatMs);
        }
        if (
          attempt.errorCause === ErrorCause.SERVER_LOST &&
          earlierCauses.get(attempt.id) !== ErrorCause.SERVER_LOST
        ) {
          // Lost only when its instance stayed away for the grace period, or
          // came back without it.
          const goneAt = this.disconnectedAt.get(attempt.instanceId);
          const awayLongEnough =
            goneAt !== undefined && (attempt.finishedAt ?? 0) >= goneAt + GRACE_MS;
          expect(
            awayLongEnough || this.lostOnReconnect.has(attempt.id),
            `${where(taskRun)}: attempt ${attempt.number} SERVER_LOST on ${attempt.instanceId}, away since ${goneAt}`,
          ).toBe(true);
        }
        const next = attempts[i + 1];
        if (next) {
          const minimum = retryBackoffMs(spec.retry, attempt.number, () => 0);
          expect(
            next.invokedAt - (attempt.finishedAt ?? Number.NaN),
            `retry of ${taskRun.taskId} came before its backoff`,
          ).toBeGreaterThanOrEqual(minimum);
        }
        expect(serverOf(attempt.instanceId), where(taskRun)).toBe(spec.server);
      }

      switch (taskRun.state) {
        case TaskState.PENDING: {
          expect(last === undefined || last.state === TaskState.ERROR, where(taskRun)).toBe(true);
          if (last) {
            expect(taskRun.notBefore, `retry time of ${where(taskRun)}`).toBeDefined();
          }
          // Not waiting on a failed upstream: that would be BLOCKED.
          for (const upstream of taskRun.upstream) {
            const state = byTask.get(upstream)?.state ?? TaskState.PENDING;
            expect(
              isFinalTaskState(state) && !satisfiesDownstream(state),
              `${where(taskRun)} waits on failed ${upstream}`,
            ).toBe(false);
          }
          // Liveness: ready, due, and a server is there, so it would have been invoked.
          // (A retry due right now waits for the clock to move: timers fire on advance.)
          const ready = taskRun.upstream.every((u) =>
            satisfiesDownstream(byTask.get(u)?.state ?? TaskState.PENDING),
          );
          const due = taskRun.notBefore === undefined || taskRun.notBefore < now;
          const serverThere = h.instances.pick(spec.server) !== undefined;
          expect(
            ready && due && serverThere && run.state === RunState.RUNNING,
            `${where(taskRun)} should have been invoked by now`,
          ).toBe(false);
          break;
        }
        case TaskState.INVOKED:
        case TaskState.QUEUED:
        case TaskState.STARTED:
          expect(last?.state, where(taskRun)).toBe(taskRun.state);
          for (const upstream of taskRun.upstream) {
            expect(
              satisfiesDownstream(byTask.get(upstream)?.state ?? TaskState.PENDING),
              `${where(taskRun)} runs before its upstream ${upstream}`,
            ).toBe(true);
          }
          break;
        case TaskState.COMPLETED:
          expect(completed.length, where(taskRun)).toBe(1);
          expect(last, where(taskRun)).toBe(completed[0]);
          break;
        case TaskState.ERROR:
          expect(last?.state, where(taskRun)).toBe(TaskState.ERROR);
          expect(taskRun.errorCause, where(taskRun)).toBe(last?.errorCause);
          expect(taskRun.errorDescription, where(taskRun)).toBeTruthy();
          if (last) {
            expect(this.#retries(spec, last), `not retried: ${where(taskRun)}`).toBe(false);
          }
          break;
        case TaskState.BLOCKED: {
          expect(attempts, `BLOCKED ${taskRun.taskId} was invoked`).toEqual([]);
          expect(
            h.instances.log.some((e) => e.command.taskRunId === taskRun.id),
            `BLOCKED ${taskRun.taskId} was sent an invoke`,
          ).toBe(false);
          const blockedBy = taskRun.blockedBy ?? [];
          expect(blockedBy.length, `BLOCKED ${taskRun.taskId} names no upstream`).toBeGreaterThan(
            0,
          );
          for (const upstream of blockedBy) {
            expect(taskRun.upstream, `BLOCKED by a task it does not wait on`).toContain(upstream);
            const state = byTask.get(upstream)?.state;
            expect(
              state === TaskState.ERROR || state === TaskState.BLOCKED,
              `${taskRun.taskId} BLOCKED by ${upstream}, which is ${state}`,
            ).toBe(true);
          }
          break;
        }
        case TaskState.CANCELLED:
          expect(this.cancelRequested, `${taskRun.taskId} CANCELLED without a cancel`).toBe(true);
          expect(inFlight, where(taskRun)).toEqual([]);
          break;
        case TaskState.SKIPPED:
          throw new Error(`nothing completed before, yet ${taskRun.taskId} was SKIPPED`);
      }

      // Liveness: an attempt on an instance gone past the grace period is over.
      if (last && isInFlight(last.state)) {
        const goneAt = this.disconnectedAt.get(last.instanceId);
        expect(
          goneAt !== undefined && now >= goneAt + GRACE_MS,
          `${where(taskRun)} still in flight on ${last.instanceId}, gone since ${goneAt}`,
        ).toBe(false);
      }
    }

    // Every invoke went to a connected instance of the right server, for a
    // task-run whose upstream was done, naming an attempt the run records.
    for (const { instanceId, command } of h.instances.log.slice(this.#invokesChecked)) {
      const taskRun = byTask.get(command.taskId);
      const attempt = taskRun?.attempts.find((a) => a.id === command.attemptId);
      expect(attempt, `invoke of unknown attempt ${command.attemptId}`).toBeDefined();
      expect(attempt?.number).toBe(command.attemptNumber);
      expect(attempt?.instanceId).toBe(instanceId);
      expect(command.deadlines).toEqual(this.specs.get(command.taskId)?.deadlines);
      for (const upstream of taskRun?.upstream ?? []) {
        expect(
          satisfiesDownstream(byTask.get(upstream)?.state ?? TaskState.PENDING),
          `${command.taskId} invoked before ${upstream} was done`,
        ).toBe(true);
      }
    }
    this.#invokesChecked = h.instances.log.length;

    // The run is finished exactly when every task-run is final, and its state says how.
    const allFinal = taskRuns.every((taskRun) => isFinalTaskState(taskRun.state));
    expect(
      run.state !== RunState.RUNNING,
      `run ${run.state} with task-runs final=${allFinal}`,
    ).toBe(allFinal);
    expect(run.finishedAt !== undefined).toBe(allFinal);
    if (allFinal) {
      const count = (state: TaskState) => taskRuns.filter((t) => t.state === state).length;
      const failed = count(TaskState.ERROR) + count(TaskState.BLOCKED) > 0;
      const expected = this.cancelRequested
        ? RunState.CANCELLED
        : failed
          ? RunState.FAILED
          : RunState.SUCCEEDED;
      expect(run.state).toBe(expected);
      expect(run.summary?.completed).toBe(count(TaskState.COMPLETED));
      expect(run.summary?.cancelled).toBe(count(TaskState.CANCELLED));
      expect(run.summary?.failed.map((f) => f.taskId)).toEqual(
        taskRuns
          .filter((t) => t.state === TaskState.ERROR)
          .map((t) => t.taskId)
          .sort(),
      );
      expect(run.summary?.blocked.map((b) => b.taskId)).toEqual(
        taskRuns
          .filter((t) => t.state === TaskState.BLOCKED)
          .map((t) => t.taskId)
          .sort(),
      );
    } else {
      expect(this.cancelRequested, "a cancelled run still has unfinished task-runs").toBe(false);
    }
  }

  #retries(spec: TaskSpec, attempt: AttemptRecord): boolean {
    return shouldRetry(
      spec.retry,
      attempt.number,
      attempt.errorCause ?? ErrorCause.TASK_FAILED,
      this.nonRetryable.has(attempt.id),
    );
  }
}

/** An attempt's own fields agree with its state, and its deadline has not passed unnoticed. */
function checkAttempt(taskRun: TaskRunRecord, attempt: AttemptRecord, now: number): void {
  const label = `${taskRun.taskId} attempt ${attempt.number} (${attempt.state} ${attempt.errorCause ?? ""})`;
  if (isInFlight(attempt.state)) {
    const expected = {
      INVOKED: [ErrorCause.ACK_TIMEOUT, attempt.invokedAt + attempt.deadlines.ackMs],
      QUEUED: [ErrorCause.START_TIMEOUT, (attempt.queuedAt ?? 0) + attempt.deadlines.startMs],
      STARTED: [
        ErrorCause.COMPLETE_TIMEOUT,
        (attempt.startedAt ?? 0) + attempt.deadlines.completeMs,
      ],
    }[attempt.state as "INVOKED" | "QUEUED" | "STARTED"];
    expect([attempt.deadlineCause, attempt.deadlineAt], `deadline of ${label}`).toEqual(expected);
    expect(attempt.deadlineAt ?? 0, `deadline of ${label} passed unnoticed`).toBeGreaterThan(now);
    expect(attempt.finishedAt, label).toBeUndefined();
    return;
  }
  expect(attempt.deadlineAt, label).toBeUndefined();
  expect(attempt.finishedAt, label).toBeDefined();
  if (attempt.state === TaskState.ERROR) {
    expect(attempt.errorCause, label).toBeDefined();
    expect(attempt.errorDescription, label).toBeTruthy();
  }
  // A timeout names the step the attempt had reached.
  if (attempt.errorCause === ErrorCause.ACK_TIMEOUT) {
    expect([attempt.queuedAt, attempt.startedAt], label).toEqual([undefined, undefined]);
  } else if (attempt.errorCause === ErrorCause.START_TIMEOUT) {
    expect(attempt.queuedAt, label).toBeDefined();
    expect(attempt.startedAt, label).toBeUndefined();
  } else if (
    attempt.errorCause === ErrorCause.COMPLETE_TIMEOUT ||
    attempt.errorCause === ErrorCause.HEARTBEAT_TIMEOUT
  ) {
    expect(attempt.startedAt, label).toBeDefined();
  }
}

function findAttempt(
  snapshot: RunSnapshot,
  attemptId: string,
): { taskRun: TaskRunRecord; attempt: AttemptRecord } | undefined {
  for (const taskRun of snapshot.taskRuns) {
    const attempt = taskRun.attempts.find((a) => a.id === attemptId);
    if (attempt) return { taskRun, attempt };
  }
  return undefined;
}

function isChange(outcome: ReportOutcome): boolean {
  return outcome.accepted && !outcome.duplicate;
}

function errorFields(
  state: Reportable,
  nonRetryable: boolean,
): Pick<AttemptReport, "errorDescription" | "nonRetryable"> {
  return state === TaskState.ERROR
    ? { errorDescription: "the task failed on purpose", nonRetryable }
    : {};
}

async function play(scenario: Scenario): Promise<World> {
  vi.spyOn(Math, "random").mockImplementation(seededRandom(scenario.jitterSeed));
  const world = new World(scenario);
  try {
    await world.start();
    for (const action of scenario.actions) await world.apply(action);
    return world;
  } finally {
    world.h.engine.close();
    vi.restoreAllMocks();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("RunEngine: properties of the task-run state machine", () => {
  it("keeps every task-run legal under arbitrary reports, deadlines, retries, disconnects and cancels", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(40), async (scenario) => {
        await play(scenario);
      }),
      { numRuns: 100 },
    );
  });

  it("finishes every run once the task-servers come back and behave", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(25), async (scenario) => {
        vi.spyOn(Math, "random").mockImplementation(seededRandom(scenario.jitterSeed));
        const world = new World(scenario);
        try {
          await world.start();
          for (const action of scenario.actions) await world.apply(action);
          // Every instance reconnects, still running whatever it was sent;
          // then each current attempt starts and completes, while time runs on.
          for (const [index, instanceId] of INSTANCES.entries()) {
            if (!world.h.instances.connected.has(instanceId)) {
              await world.apply({ kind: "reconnect", instance: index, keep: [], extra: false });
            }
          }
          for (let round = 0; round < 40; round++) {
            const snapshot = await world.snapshot();
            if (snapshot.run.state !== RunState.RUNNING) break;
            for (const taskRun of snapshot.taskRuns) {
              const last = taskRun.attempts.at(-1);
              if (!last || !isInFlight(last.state)) continue;
              for (const state of [TaskState.STARTED, TaskState.COMPLETED] as const) {
                await world.report({ instanceId: last.instanceId, attemptId: last.id, state });
              }
            }
            await world.apply({ kind: "advance", ms: 5_000 });
          }
          const finished = await world.snapshot();
          expect(
            finished.run.state,
            finished.taskRuns.map((t) => `${t.taskId}:${t.state}`).join(" "),
          ).not.toBe(RunState.RUNNING);
        } finally {
          world.h.engine.close();
          vi.restoreAllMocks();
        }
      }),
      { numRuns: 40 },
    );
  });
});
