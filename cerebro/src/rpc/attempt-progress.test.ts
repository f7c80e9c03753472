// Heartbeats and progress of attempts over real gRPC: what a task-server
// sends up its stream shows in GetRun and WatchEvents, a silent attempt
// under a heartbeat deadline ends in ERROR(HEARTBEAT_TIMEOUT) in real time,
// and progress that is not the sender's to give is refused.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  createControlClient,
  ErrorCause,
  type Event,
  EventKind,
  type Run,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import type { Cerebro } from "../cerebro.js";
import { loopbackCerebros } from "../testing/loopback-cerebros.js";
import { RawSession } from "../testing/raw-session.js";

const { start: cerebroWith, onCleanup } = loopbackCerebros();
const owner = { team: "team-p", contact: "p@example.com" };

function raw(cerebro: Cerebro): RawSession {
  const session = new RawSession(cerebro.address);
  onCleanup(() => session.cancel());
  return session;
}

/** A raw task-server of p.job (with a heartbeat deadline, if given) whose attempt is STARTED. */
async function startedAttempt(cerebro: Cerebro, heartbeat?: { seconds?: bigint; nanos?: number }) {
  const session = raw(cerebro);
  session.hello("progress-server", [{ id: "p.job", owner, deadlines: { heartbeat } }], {
    instanceId: "p-1",
    minor: 4,
  });
  await session.next("welcome");
  const control = createControlClient(cerebro.address);
  const { run } = await control.startRun({ targets: ["p.job"] });
  const invoke = await session.next("invoke");
  session.send({
    case: "taskState",
    value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.STARTED },
  });
  await session.next("ack");
  const runNow = async (): Promise<Run> => (await control.getRun({ runId: run?.id ?? "" })).run!;
  return { session, control, runId: run?.id ?? "", invoke, runNow };
}

/** Waits for `check` to hold of the run, polling GetRun. */
async function until(runNow: () => Promise<Run>, check: (run: Run) => boolean): Promise<Run> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const run = await runNow();
    if (check(run)) return run;
    if (Date.now() > deadline) throw new Error(`run still ${JSON.stringify(run.taskRuns[0])}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("heartbeats and progress over the task-server stream", () => {
  it("show on the attempt in GetRun and as ATTEMPT_PROGRESS events of the run's watch", async () => {
    const cerebro = await cerebroWith();
    const { session, control, runId, invoke, runNow } = await startedAttempt(cerebro);
    const attemptId = invoke.attemptId;
    const watched = (async () => {
      const events: Event[] = [];
      for await (const { event } of control.watchEvents({ runId })) if (event) events.push(event);
      return events;
    })();
    const before = Date.now();
    session.send({
      case: "attemptProgress",
      value: { attemptId, fraction: 0.25, message: "250 of 1,000 rows", details: '{"at":250}' },
    });
    const run = await until(runNow, (r) => r.taskRuns[0]?.attempts[0]?.progress === 0.25);
    const attempt = run.taskRuns[0]!.attempts[0]!;
    expect(attempt).toMatchObject({
      progress: 0.25,
      progressMessage: "250 of 1,000 rows",
      heartbeatDetails: '{"at":250}',
    });
    expect(timestampMs(attempt.lastHeartbeatAt!)).toBeGreaterThanOrEqual(before - 1_000);
    session.send({
      case: "taskState",
      value: { seq: 2n, attemptId, state: TaskState.COMPLETED },
    });
    const events = await watched;
    const progress = events.filter((event) => event.kind === EventKind.ATTEMPT_PROGRESS);
    expect(progress).toEqual([
      expect.objectContaining({
        taskId: "p.job",
        attemptId,
        attemptNumber: 1,
        state: TaskState.STARTED,
        progress: 0.25,
        instanceId: "p-1",
        teams: ["team-p"],
        detail: '25% 250 of 1,000 rows; details {"at":250}',
      }),
    ]);
    // In the run's order: after STARTED, before COMPLETED.
    const kinds = events.map((event) =>
      event.kind === EventKind.TASK_RUN_CHANGED ? TaskState[event.state] : EventKind[event.kind],
    );
    expect(kinds.slice(kinds.indexOf("STARTED"))).toEqual([
      "STARTED",
      "ATTEMPT_PROGRESS",
      "COMPLETED",
      "RUN_FINISHED",
    ]);
  });

  it("end a silent attempt in ERROR(HEARTBEAT_TIMEOUT) once its heartbeat deadline passes, in real time, and cancel it", async () => {
    // No recovery window: a fresh cerebro holds no deadline for it.
    const cerebro = await cerebroWith({ recoveryWindowMs: 0 });
    const { session, invoke, runNow } = await startedAttempt(cerebro, { nanos: 300_000_000 });
    expect(invoke.deadlines?.heartbeat).toMatchObject({ seconds: 0n, nanos: 300_000_000 });
    // Heartbeats keep it alive past its deadline...
    const startedAt = Date.now();
    let lastSentAt = startedAt;
    while (Date.now() - startedAt < 900) {
      session.send({ case: "attemptProgress", value: { attemptId: invoke.attemptId } });
      lastSentAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await runNow()).taskRuns[0]?.state).toBe(TaskState.STARTED);
    // ...and silence ends it, a deadline after the last one (timers may round a millisecond).
    const cancel = await session.next("cancel");
    expect(cancel).toMatchObject({ attemptId: invoke.attemptId, reason: "HEARTBEAT_TIMEOUT" });
    expect(Date.now() - lastSentAt).toBeGreaterThanOrEqual(295);
    const run = await until(runNow, (r) => r.state !== RunState.RUNNING);
    expect(run.taskRuns[0]).toMatchObject({
      state: TaskState.ERROR,
      errorCause: ErrorCause.HEARTBEAT_TIMEOUT,
      errorDescription: expect.stringMatching(
        /^no heartbeat or progress within the heartbeat deadline of 300ms \(the last \d+ms ago\)$/,
      ),
    });
  });

  it("refuses progress for another instance's attempt with a Refusal of seq 0, publishing it once", async () => {
    const cerebro = await cerebroWith();
    const { control, invoke } = await startedAttempt(cerebro);
    const other = raw(cerebro);
    other.hello("progress-server", [{ id: "p.job", owner }], { instanceId: "p-2", minor: 4 });
    await other.next("welcome");
    for (let i = 0; i < 3; i++) {
      other.send({ case: "attemptProgress", value: { attemptId: invoke.attemptId, fraction: 1 } });
    }
    other.send({ case: "attemptProgress", value: { attemptId: "att_nobody", fraction: 1 } });
    await other.next("refusal");
    const deadline = Date.now() + 5_000;
    while (other.received.filter((m) => m.message.case === "refusal").length < 4) {
      if (Date.now() > deadline) throw new Error("fewer than 4 refusals");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const answers = other.received.flatMap((m) =>
      m.message.case === "refusal" ? [m.message.value] : [],
    );
    expect(answers[0]).toMatchObject({
      seq: 0n,
      attemptId: invoke.attemptId,
      code: "FAILED_PRECONDITION",
      message: `attempt ${invoke.attemptId} was invoked on instance p-1, not p-2`,
    });
    expect(answers[3]).toMatchObject({
      seq: 0n,
      attemptId: "att_nobody",
      code: "FAILED_PRECONDITION",
      message: "attempt att_nobody is not current: unknown, or its run has finished",
    });
    await cerebro.eventLog.settled();
    const refusals: Event[] = [];
    const done = new AbortController();
    for await (const { event, caughtUp } of control.watchEvents(
      { kinds: [EventKind.REPORT_REFUSED], last: 1_000 },
      { signal: done.signal },
    )) {
      if (caughtUp) break;
      if (event) refusals.push(event);
    }
    done.abort();
    expect(refusals.map((event) => event.attemptId)).toEqual([invoke.attemptId, "att_nobody"]);
    expect(refusals[0]?.message).toBe(
      `progress of ${invoke.attemptId} refused (FAILED_PRECONDITION): attempt ${invoke.attemptId} was invoked on instance p-1, not p-2`,
    );
  });

  it("ends the stream with INVALID_ARGUMENT for progress past the contract's limits, naming the field", async () => {
    const cerebro = await cerebroWith();
    const { session, invoke } = await startedAttempt(cerebro);
    session.send({
      case: "attemptProgress",
      value: { attemptId: invoke.attemptId, fraction: 1.5 },
    });
    const ended = await session.closed();
    expect(ended !== "ended" && ended.code).toBe(status.INVALID_ARGUMENT);
    expect(session.describeStatus()).toContain("fraction");

    const again = await startedAttempt(await cerebroWith());
    again.session.send({
      case: "attemptProgress",
      value: { attemptId: again.invoke.attemptId, message: "x".repeat(1_025) },
    });
    await again.session.closed();
    expect(again.session.describeStatus()).toContain("message");
  });
});
