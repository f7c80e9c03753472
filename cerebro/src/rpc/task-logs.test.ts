// Task logs over real gRPC: what a task-server sends up its stream is kept
// per attempt and read back with GetTaskRunLogs and FollowTaskRunLogs; a
// peer that sends too much, or for attempts not its own, is refused.
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type AccessClient,
  createAccessClient,
  createControlClient,
  LogLevel,
  LogStream,
  Role,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import type { Cerebro } from "../cerebro.js";
import { ManualClock } from "../clock.js";
import { loopbackCerebros } from "../testing/loopback-cerebros.js";
import { RawSession } from "../testing/raw-session.js";

const ADMIN_TOKEN = "a".repeat(40);
const { start: cerebroWith, onCleanup } = loopbackCerebros();

function raw(cerebro: Cerebro, token?: string): RawSession {
  const session = new RawSession(cerebro.address, token);
  onCleanup(() => session.cancel());
  return session;
}

const TASK = { id: "l.job", owner: { team: "team-l", contact: "l@example.com" } };

/** A connected raw task-server of l.job, and a run of it whose invoke it got. */
async function invokedAttempt(cerebro: Cerebro, instanceId = "l-1", token?: string) {
  const session = raw(cerebro, token);
  session.hello("log-server", [TASK], { instanceId, minor: 3 });
  await session.next("welcome");
  const control = createControlClient(cerebro.address, token ? { token: ADMIN_TOKEN } : {});
  const { run } = await control.startRun({ targets: ["l.job"] });
  const invoke = await session.next("invoke");
  return { session, control, runId: run?.id ?? "", invoke };
}

function line(text: string, stream = LogStream.LOGGER, level = LogLevel.INFO) {
  return { text, stream, level, time: { seconds: 1_700_000_000n, nanos: 0 } };
}

describe("task logs over the task-server stream", () => {
  it("keeps an attempt's lines in order, serves them a page at a time, and a follower to their end", async () => {
    const cerebro = await cerebroWith();
    const { session, control, runId, invoke } = await invokedAttempt(cerebro);
    const attemptId = invoke.attemptId;
    const follow = (async () => {
      const pages = [];
      for await (const response of control.followTaskRunLogs({ runId, taskId: "l.job" })) {
        pages.push(response.logs);
      }
      return pages;
    })();
    session.send({ case: "taskState", value: { seq: 1n, attemptId, state: TaskState.STARTED } });
    session.send({
      case: "taskLogs",
      value: {
        attemptId,
        lines: [line("loading 3 files"), line("to stdout", LogStream.STDOUT)],
      },
    });
    session.send({
      case: "taskLogs",
      value: {
        attemptId,
        lines: [line("disk almost full", LogStream.STDERR, LogLevel.WARN)],
        droppedLines: 2n,
      },
    });
    session.send({
      case: "taskState",
      value: { seq: 2n, attemptId, state: TaskState.COMPLETED, outputs: { rows: "3" } },
    });

    const pages = await follow;
    expect(pages.at(-1)?.attemptEnded).toBe(true);
    const followed = pages.flatMap((page) => page?.lines ?? []);
    const expected = [
      [1n, LogStream.LOGGER, "loading 3 files"],
      [2n, LogStream.STDOUT, "to stdout"],
      [3n, LogStream.CORDYNA, expect.stringMatching(/^… 2 lines dropped by the task-server/)],
      [4n, LogStream.STDERR, "disk almost full"],
    ];
    expect(followed.map((l) => [l.seq, l.line?.stream, l.line?.text])).toEqual(expected);

    const first = await control.getTaskRunLogs({ runId, taskId: "l.job", limit: 2 });
    expect(first.logs?.lines.map((l) => l.seq)).toEqual([1n, 2n]);
    expect(first.logs).toMatchObject({ attempt: 1, attemptId, attemptEnded: false });
    const rest = await control.getTaskRunLogs({
      runId,
      taskId: "l.job",
      afterSeq: first.logs?.nextAfterSeq ?? 0n,
    });
    expect(rest.logs?.lines.map((l) => l.seq)).toEqual([3n, 4n]);
    expect(rest.logs?.attemptEnded).toBe(true);
    expect(rest.logs?.lines[1]?.line).toMatchObject({ level: LogLevel.WARN });

    const { run } = await control.getRun({ runId });
    expect(run?.state).toBe(RunState.SUCCEEDED);
    expect(run?.taskRuns[0]?.outputs).toEqual({ rows: "3" });
  });

  it("keeps the newest lines of an attempt within the bound, counting those it dropped", async () => {
    const cerebro = await cerebroWith({ maxLogBytesPerAttempt: 2_000 });
    const { session, control, runId, invoke } = await invokedAttempt(cerebro);
    const lines = Array.from({ length: 100 }, (_, i) => line(`line ${i} ${"x".repeat(40)}`));
    session.send({ case: "taskLogs", value: { attemptId: invoke.attemptId, lines } });
    session.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.COMPLETED },
    });
    await session.next("ack");
    const { logs } = await control.getTaskRunLogs({ runId, taskId: "l.job" });
    const kept = logs?.lines ?? [];
    expect(kept.at(-1)?.line?.text).toMatch(/^line 99 /);
    expect(Number(logs?.droppedLines)).toBe(100 - kept.length);
    expect(kept[0]?.seq).toBe((logs?.droppedLines ?? 0n) + 1n);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.length).toBeLessThan(100);
  });

  it("ends the stream of a peer whose line is over 16 KiB, naming the field and the limit", async () => {
    const cerebro = await cerebroWith();
    const { session, invoke } = await invokedAttempt(cerebro);
    session.send({
      case: "taskLogs",
      value: { attemptId: invoke.attemptId, lines: [line("y".repeat(16_385))] },
    });
    await session.closed();
    expect(session.describeStatus()).toMatch(
      /^3 task_logs\.lines\[0\]\.text: must be at most 16384 bytes/,
    );
  });

  it("refuses lines past the rate of a stream, naming the limit, and takes them again a second later", async () => {
    const clock = new ManualClock(Date.now());
    const cerebro = await cerebroWith({ clock, maxLogBytesPerSecond: 1_000 });
    const { session, control, runId, invoke } = await invokedAttempt(cerebro);
    const attemptId = invoke.attemptId;
    session.send({ case: "taskLogs", value: { attemptId, lines: [line("a".repeat(800))] } });
    session.send({ case: "taskLogs", value: { attemptId, lines: [line("b".repeat(800))] } });
    const refused = await session.next("logsRefused");
    expect(refused).toMatchObject({ attemptId, lines: 1n, code: "RESOURCE_EXHAUSTED" });
    expect(refused.message).toBe(
      "800 bytes of log lines would pass the limit of 1000 bytes a second per task-server stream (CORDYNA_MAX_LOG_BYTES_PER_SECOND)",
    );
    clock.advance(1_000);
    session.send({ case: "taskLogs", value: { attemptId, lines: [line("c".repeat(800))] } });
    session.send({ case: "taskState", value: { seq: 1n, attemptId, state: TaskState.COMPLETED } });
    await session.next("ack");
    const { logs } = await control.getTaskRunLogs({ runId, taskId: "l.job" });
    expect(logs?.lines.map((l) => l.line?.text[0])).toEqual(["a", "c"]);
  });

  it("refuses lines for an attempt of another instance, and for one whose run has finished", async () => {
    const cerebro = await cerebroWith();
    const { session, control, runId, invoke } = await invokedAttempt(cerebro);
    const other = raw(cerebro);
    other.hello("log-server", [TASK], { instanceId: "l-2", minor: 3 });
    await other.next("welcome");
    other.send({
      case: "taskLogs",
      value: { attemptId: invoke.attemptId, lines: [line("not mine")] },
    });
    expect(await other.next("logsRefused")).toMatchObject({
      code: "PERMISSION_DENIED",
      message: `attempt ${invoke.attemptId} was invoked on instance l-1, not l-2: an instance sends lines of its own attempts only`,
    });

    session.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.COMPLETED },
    });
    await session.next("ack");
    session.send({
      case: "taskLogs",
      value: { attemptId: invoke.attemptId, lines: [line("late")] },
    });
    expect(await session.next("logsRefused")).toMatchObject({ code: "FAILED_PRECONDITION" });
    const { logs } = await control.getTaskRunLogs({ runId, taskId: "l.job" });
    expect(logs?.lines).toEqual([]);
  });

  it("names what is missing, and refuses a page of more than 5,000 lines", async () => {
    const cerebro = await cerebroWith();
    const { control, runId } = await invokedAttempt(cerebro);
    const failure = (call: Promise<unknown>) =>
      call.then(
        () => undefined,
        (error: unknown) => ConnectError.from(error),
      );
    const noTask = await failure(control.getTaskRunLogs({ runId, taskId: "l.other" }));
    expect([noTask?.code, noTask?.rawMessage]).toEqual([
      Code.NotFound,
      `run ${runId} has no task-run of task l.other`,
    ]);
    const noAttempt = await failure(control.getTaskRunLogs({ runId, taskId: "l.job", attempt: 2 }));
    expect(noAttempt?.rawMessage).toBe(
      `the task-run of l.job in run ${runId} has no attempt 2: it has 1 attempt`,
    );
    const tooMany = await failure(control.getTaskRunLogs({ runId, taskId: "l.job", limit: 5_001 }));
    expect(tooMany?.code).toBe(Code.InvalidArgument);
    expect(tooMany?.rawMessage).toContain("limit: must be less than or equal to 5000");
  });

  it("lets a viewer read and follow logs, and ends its follow when its token is revoked", async () => {
    const cerebro = await cerebroWith({ auth: { required: true, adminToken: ADMIN_TOKEN } });
    const admin: AccessClient = createAccessClient(cerebro.address, { token: ADMIN_TOKEN });
    const server = await admin.createToken({
      team: "team-l",
      role: Role.SERVER,
      serverNames: ["log-server"],
    });
    const viewer = await admin.createToken({ team: "team-x", role: Role.VIEWER, serverNames: [] });
    const { runId, session, invoke } = await invokedAttempt(cerebro, "l-1", server.token);
    const asViewer = createControlClient(cerebro.address, { token: viewer.token });
    const { logs } = await asViewer.getTaskRunLogs({ runId, taskId: "l.job" });
    expect(logs?.attempt).toBe(1);

    let followed!: () => void;
    const following = new Promise<void>((resolve) => {
      followed = resolve;
    });
    const follow = (async () => {
      // The attempt runs on: nothing ends this follow but the revocation.
      for await (const _ of asViewer.followTaskRunLogs({ runId, taskId: "l.job" })) followed();
    })().then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
    session.send({ case: "taskLogs", value: { attemptId: invoke.attemptId, lines: [line("x")] } });
    await following;
    await admin.revokeToken({ tokenId: viewer.info?.id ?? "" });
    const ended = await follow;
    expect(ended?.code).toBe(Code.Unauthenticated);
  });
});
