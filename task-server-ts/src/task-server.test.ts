import {
  type ConnectRequest,
  DeclarationIssueCode,
  DependencyCondition,
  PROTOCOL_VERSION,
  RunMode,
  TaskState,
  type TaskStateUpdate,
} from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TASKS_PER_PART } from "./declaration-parts.js";
import { durationToMs } from "./durations.js";
import {
  AGENT,
  DeclarationRejectedError,
  NonRetryableError,
  type TaskContext,
  TaskServer,
  type TaskServerOptions,
} from "./index.js";
import { FakeCerebro, type FakeSession } from "./testing/fake-cerebro.js";
import { type Deferred, deferred, Inbox } from "./testing/inbox.js";

const silent = pino({ level: "silent" });

let cerebro: FakeCerebro;
const servers: TaskServer[] = [];

beforeEach(async () => {
  cerebro = await FakeCerebro.start();
});

afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
  cerebro.close();
});

/** A task-server with a controllable task "a.held", plus "a.fail", "a.final" and "a.echo". */
function makeServer(options: Partial<TaskServerOptions> = {}) {
  const server = new TaskServer({
    name: "task-server-a",
    team: "team-a",
    contact: "a@example.com",
    cerebro: cerebro.address,
    instanceId: "instance-1",
    logger: silent,
    handleSignals: false,
    reconnectBackoff: { initialMs: 5, maxMs: 20 },
    ...options,
  });
  servers.push(server);
  const contexts = new Inbox<TaskContext>();
  const gates = new Map<string, Deferred<Record<string, string> | undefined>>();
  const gate = (attemptId: string) => {
    let entry = gates.get(attemptId);
    if (!entry) {
      entry = deferred<Record<string, string> | undefined>();
      gates.set(attemptId, entry);
    }
    return entry;
  };
  const handlerCalls: string[] = [];
  server.task(
    {
      id: "a.held",
      description: "Waits for the test",
      dependsOn: ["x.y", { task: "z.w", freshWithin: "1h" }],
      deadlines: { ack: "10s" },
      retry: { maxAttempts: 3, initialBackoff: "1s", maxBackoff: "1m", multiplier: 2 },
      tags: ["t"],
    },
    async (ctx) => {
      handlerCalls.push(ctx.attemptId);
      contexts.push(ctx);
      return gate(ctx.attemptId).promise;
    },
  );
  server.task({ id: "a.fail", description: "", owner: { team: "team-z", contact: "z" } }, () => {
    throw new Error("database unreachable");
  });
  server.task({ id: "a.final", description: "" }, async () => {
    throw new NonRetryableError("params are wrong");
  });
  server.task({ id: "a.echo", description: "" }, async (ctx) => ({ ...ctx.params }));
  return { server, contexts, gate, handlerCalls };
}

/** Starts the server, checks the Hello, answers with a Welcome. */
async function connect(server: TaskServer, welcome: Parameters<FakeSession["welcome"]>[0] = {}) {
  const started = server.start();
  const session = await cerebro.nextSession();
  const hello = await session.next("hello");
  session.welcome(welcome);
  await started;
  return { session, hello };
}

let invokeCounter = 0;
function invokeOn(session: FakeSession, taskId: string, attemptId: string, params = {}) {
  invokeCounter++;
  session.invoke({
    runId: "run-1",
    taskRunId: `tr-${invokeCounter}`,
    attemptId,
    attemptNumber: 1,
    taskId,
    params,
    mode: RunMode.NORMAL,
  });
}

function nextState(session: FakeSession, attemptId: string, state: TaskState) {
  return session.next(
    "taskState",
    (update) => update.attemptId === attemptId && update.state === state,
  );
}

function taskStates(session: FakeSession): TaskStateUpdate[] {
  return session.requests.all
    .filter((r: ConnectRequest) => r.message.case === "taskState")
    .map((r) => r.message.value as TaskStateUpdate);
}

describe("TaskServer against a fake cerebro", () => {
  it("sends a declaration of more than one part's worth of tasks in parts, in order, the last marked, and redeclares the same way", async () => {
    const server = new TaskServer({
      name: "task-server-big",
      team: "team-big",
      contact: "",
      cerebro: cerebro.address,
      logger: silent,
      handleSignals: false,
    });
    servers.push(server);
    const half = TASKS_PER_PART / 2;
    const ids = Array.from({ length: TASKS_PER_PART * 2 + half }, (_, i) => `big.t${i}`);
    for (const id of ids) server.task({ id }, async () => {});
    const started = server.start();
    const session = await cerebro.nextSession();
    const hello = await session.next("hello");
    const first = await session.next("declarationPart");
    const second = await session.next("declarationPart");
    expect([hello.tasks.length, hello.tasksContinue]).toEqual([TASKS_PER_PART, true]);
    expect([first.tasks.length, first.last]).toEqual([TASKS_PER_PART, false]);
    expect([second.tasks.length, second.last]).toEqual([half, true]);
    expect([...hello.tasks, ...first.tasks, ...second.tasks].map((t) => t.id)).toEqual(ids);
    session.welcome();
    await started;

    server.task({ id: "big.extra" }, async () => {});
    const redeclare = await session.next("redeclare");
    expect([redeclare.tasks.length, redeclare.tasksContinue]).toEqual([TASKS_PER_PART, true]);
    const parts = [await session.next("declarationPart"), await session.next("declarationPart")];
    expect(parts.map((part) => [part.tasks.length, part.last])).toEqual([
      [TASKS_PER_PART, false],
      [half + 1, true],
    ]);
  });

  it("sends a declaration of up to one part's worth of tasks in the Hello alone", async () => {
    const { hello } = await connect(makeServer().server);
    expect(hello.tasksContinue).toBe(false);
  });

  it("declares itself and its tasks in the Hello and resolves start() at the Welcome", async () => {
    const { server } = makeServer({ concurrency: 3 });
    const { hello } = await connect(server);
    expect(hello.serverName).toBe("task-server-a");
    expect(hello.instanceId).toBe("instance-1");
    expect(hello.protocolVersion).toMatchObject(PROTOCOL_VERSION);
    expect(hello.maxConcurrency).toBe(3);
    expect(hello.agent).toBe(AGENT);
    expect(hello.runningAttemptIds).toEqual([]);
    expect(hello.tasks.map((t) => t.id)).toEqual(["a.held", "a.fail", "a.final", "a.echo"]);
    const held = hello.tasks[0];
    expect(held?.owner).toMatchObject({ team: "team-a", contact: "a@example.com" });
    expect(hello.tasks[1]?.owner).toMatchObject({ team: "team-z", contact: "z" });
    expect(held?.dependencies.map((d) => [d.taskId, d.condition])).toEqual([
      ["x.y", DependencyCondition.RUN_FIRST],
      ["z.w", DependencyCondition.FRESH_WITHIN],
    ]);
    expect(durationToMs(held?.dependencies[1]?.freshWithin)).toBe(3_600_000);
    expect(durationToMs(held?.deadlines?.ack)).toBe(10_000);
    expect(held?.retry?.maxAttempts).toBe(3);
  });

  it("reports STARTED then COMPLETED with outputs, numbering updates from 1", async () => {
    const { server, contexts, gate } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.held", "att-1", { day: "monday" });
    const started = await nextState(session, "att-1", TaskState.STARTED);
    expect(started.seq).toBe(1n);
    expect(started.time).toBeDefined();
    const ctx = await contexts.next();
    expect(ctx).toMatchObject({
      runId: "run-1",
      attemptId: "att-1",
      taskId: "a.held",
      mode: "normal",
      params: { day: "monday" },
    });
    gate("att-1").resolve({ rows: "42" });
    const completed = await nextState(session, "att-1", TaskState.COMPLETED);
    expect(completed.seq).toBe(2n);
    expect(completed.outputs).toEqual({ rows: "42" });
  });

  it("reports ERROR from a thrown error, non-retryable only for NonRetryableError", async () => {
    const { server } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.fail", "f-1");
    invokeOn(session, "a.final", "f-2");
    const failed = await nextState(session, "f-1", TaskState.ERROR);
    expect(failed.errorDescription).toBe("database unreachable");
    expect(failed.nonRetryable).toBe(false);
    const final = await nextState(session, "f-2", TaskState.ERROR);
    expect(final.errorDescription).toBe("params are wrong");
    expect(final.nonRetryable).toBe(true);
  });

  it("reports an unknown task as a non-retryable ERROR", async () => {
    const { server } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.missing", "u-1");
    const error = await nextState(session, "u-1", TaskState.ERROR);
    expect(error.nonRetryable).toBe(true);
    expect(error.errorDescription).toContain("unknown task");
  });

  it("reports QUEUED beyond the concurrency limit and STARTED when the attempt starts", async () => {
    const { server, gate } = makeServer({ concurrency: 1 });
    const { session } = await connect(server);
    invokeOn(session, "a.held", "q-1");
    await nextState(session, "q-1", TaskState.STARTED);
    invokeOn(session, "a.held", "q-2");
    await nextState(session, "q-2", TaskState.QUEUED);
    gate("q-1").resolve(undefined);
    await nextState(session, "q-2", TaskState.STARTED);
    expect(taskStates(session).map((u) => [u.attemptId, TaskState[u.state], u.seq])).toEqual([
      ["q-1", "STARTED", 1n],
      ["q-2", "QUEUED", 2n],
      ["q-1", "COMPLETED", 3n],
      ["q-2", "STARTED", 4n],
    ]);
  });

  it("aborts the handler's signal on Cancel and reports nothing for that attempt", async () => {
    const { server, contexts } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.held", "c-1");
    const ctx = await contexts.next();
    const aborted = new Promise<unknown>((resolve) =>
      ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason)),
    );
    session.send({ case: "cancel", value: { attemptId: "c-1", reason: "run cancelled" } });
    const reason = await aborted;
    expect((reason as Error).message).toBe("run cancelled");
    // The cancelled handler returned normally; the next update on the stream
    // must be the next attempt's, not a COMPLETED for c-1.
    invokeOn(session, "a.echo", "c-2");
    await nextState(session, "c-2", TaskState.COMPLETED);
    expect(taskStates(session).map((u) => `${u.attemptId}:${TaskState[u.state]}`)).toEqual([
      "c-1:STARTED",
      "c-2:STARTED",
      "c-2:COMPLETED",
    ]);
  });

  it("runs a duplicated Invoke once", async () => {
    const { server, gate, handlerCalls } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.held", "d-1");
    invokeOn(session, "a.held", "d-1");
    await nextState(session, "d-1", TaskState.STARTED);
    gate("d-1").resolve(undefined);
    await nextState(session, "d-1", TaskState.COMPLETED);
    invokeOn(session, "a.held", "d-1");
    invokeOn(session, "a.echo", "d-2");
    await nextState(session, "d-2", TaskState.COMPLETED);
    expect(handlerCalls).toEqual(["d-1"]);
    expect(taskStates(session).filter((u) => u.attemptId === "d-1")).toHaveLength(2);
  });

  it("answers Ping with Pong and sends heartbeats listing running attempts", async () => {
    const { server } = makeServer();
    const { session } = await connect(server, { heartbeatInterval: { nanos: 20_000_000 } });
    session.send({ case: "ping", value: { nonce: 77n } });
    expect((await session.next("pong")).nonce).toBe(77n);
    invokeOn(session, "a.held", "h-1");
    await nextState(session, "h-1", TaskState.STARTED);
    const heartbeat = await session.next("heartbeat", (h) => h.runningAttemptIds.includes("h-1"));
    expect(heartbeat.runningAttemptIds).toEqual(["h-1"]);
  });

  it("redeclares every task when a task is added after start", async () => {
    const { server } = makeServer();
    const { session } = await connect(server);
    server.task({ id: "a.late", description: "added later" }, async () => undefined);
    const redeclare = await session.next("redeclare");
    expect(redeclare.tasks.map((t) => t.id)).toEqual([
      "a.held",
      "a.fail",
      "a.final",
      "a.echo",
      "a.late",
    ]);
  });

  it("drops a task added after start when cerebro refuses its Redeclare", async () => {
    const { server } = makeServer();
    const { session } = await connect(server);
    server.task({ id: "a.cyclic", description: "", dependsOn: ["a.held"] }, async () => {});
    await session.next("redeclare");
    session.send({
      case: "rejection",
      value: {
        message: "redeclaration rejected",
        errors: [{ taskId: "a.cyclic", code: DeclarationIssueCode.CYCLE, message: "cycle" }],
      },
    });
    // The stream stays open and the previous declarations stay in force.
    session.send({ case: "ping", value: { nonce: 1n } });
    await session.next("pong");
    session.kill();
    const second = await cerebro.nextSession();
    const hello = await second.next("hello");
    expect(hello.tasks.map((t) => t.id)).toEqual(["a.held", "a.fail", "a.final", "a.echo"]);
  });

  it("installs SIGTERM and SIGINT handlers on start unless told not to, and removes them on stop", async () => {
    const before = [process.listenerCount("SIGTERM"), process.listenerCount("SIGINT")];
    const { server } = makeServer({ handleSignals: true });
    await connect(server);
    expect([process.listenerCount("SIGTERM"), process.listenerCount("SIGINT")]).toEqual([
      (before[0] ?? 0) + 1,
      (before[1] ?? 0) + 1,
    ]);
    server.stop();
    expect([process.listenerCount("SIGTERM"), process.listenerCount("SIGINT")]).toEqual(before);
  });

  it("throws at task() for invalid options, naming the task and the field", () => {
    const { server } = makeServer();
    expect(() => server.task({ id: "a.held", description: "" }, async () => undefined)).toThrow(
      /task "a\.held": id: .*already declared/,
    );
    expect(() =>
      server.task({ id: "a.x", description: "", deadlines: { ack: "10 parsecs" } }, async () => {}),
    ).toThrow(/task "a\.x": deadlines\.ack/);
  });

  it("rejects start() with DeclarationRejectedError on a Rejection and does not reconnect", async () => {
    const { server } = makeServer({ reconnectBackoff: { initialMs: 1, maxMs: 1 } });
    const started = server.start();
    const session = await cerebro.nextSession();
    await session.next("hello");
    session.send({
      case: "rejection",
      value: {
        message: "declaration rejected",
        errors: [
          {
            taskId: "a.held",
            code: DeclarationIssueCode.OWNED_ELSEWHERE,
            message: "a.held belongs to task-server-b (team-b)",
          },
        ],
      },
    });
    session.kill(3, "invalid declarations");
    const error = await started.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeclarationRejectedError);
    expect((error as Error).message).toBe(
      "declaration rejected: a.held belongs to task-server-b (team-b)",
    );
    expect((error as DeclarationRejectedError).issues).toEqual([
      {
        taskId: "a.held",
        code: DeclarationIssueCode.OWNED_ELSEWHERE,
        message: "a.held belongs to task-server-b (team-b)",
      },
    ]);
    await session.ended;
    // Another server completes a whole session (many round trips, far longer
    // than the 1 ms backoff); the rejected one must not have come back meanwhile.
    const other = new TaskServer({
      name: "task-server-b",
      team: "team-b",
      contact: "b",
      cerebro: cerebro.address,
      logger: silent,
      handleSignals: false,
    });
    servers.push(other);
    other.task({ id: "b.echo", description: "" }, async () => ({ ok: "1" }));
    const otherStarted = other.start();
    const otherSession = await cerebro.nextSession();
    expect((await otherSession.next("hello")).serverName).toBe("task-server-b");
    otherSession.welcome();
    await otherStarted;
    invokeOn(otherSession, "b.echo", "b-1");
    await nextState(otherSession, "b-1", TaskState.COMPLETED);
    expect(cerebro.sessions.all).toHaveLength(2);
  });

  it("reconnects after the stream dies, re-sends Hello and resends unacknowledged updates", async () => {
    const { server, contexts, gate } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.held", "r-1");
    invokeOn(session, "a.held", "r-2");
    invokeOn(session, "a.held", "r-3");
    await nextState(session, "r-3", TaskState.STARTED);
    session.send({ case: "ack", value: { throughSeq: 1n } }); // r-1 STARTED is stored
    gate("r-2").resolve({ done: "yes" });
    const completed = await nextState(session, "r-2", TaskState.COMPLETED);
    expect(completed.seq).toBe(4n);
    const running = contexts.all.filter((ctx) => ctx.attemptId !== "r-2");

    session.kill();
    const second = await cerebro.nextSession();
    const hello = await second.next("hello");
    expect(hello.instanceId).toBe("instance-1");
    expect(hello.tasks).toHaveLength(4);
    // r-2 has finished, but its COMPLETED is unacknowledged: cerebro must not count it lost.
    expect([...hello.runningAttemptIds].sort()).toEqual(["r-1", "r-2", "r-3"]);
    for (const ctx of running) expect(ctx.signal.aborted).toBe(false);

    // Nothing is resent before the Welcome.
    expect(second.requests.all.map((r) => r.message.case)).toEqual(["hello"]);
    second.welcome({ unknownAttemptIds: ["r-3"] });
    const resent = [
      await second.next("taskState"),
      await second.next("taskState"),
      await second.next("taskState"),
    ];
    expect(resent.map((u) => [u.attemptId, TaskState[u.state], u.seq])).toEqual([
      ["r-2", "STARTED", 1n],
      ["r-3", "STARTED", 2n],
      ["r-2", "COMPLETED", 3n],
    ]);
    expect(resent[2]?.outputs).toEqual({ done: "yes" });

    // r-3 was unknown to cerebro after the reconnect: aborted. r-1 runs on.
    const r3 = running.find((ctx) => ctx.attemptId === "r-3");
    const r1 = running.find((ctx) => ctx.attemptId === "r-1");
    expect(r3?.signal.aborted).toBe(true);
    expect(r1?.signal.aborted).toBe(false);

    gate("r-1").resolve(undefined);
    const r1Completed = await nextState(second, "r-1", TaskState.COMPLETED);
    expect(r1Completed.seq).toBe(4n);
  });

  it("drain sends Drain, refuses new work, waits for running handlers and closes", async () => {
    const { server, gate } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.held", "dr-1");
    await nextState(session, "dr-1", TaskState.STARTED);
    session.send({ case: "ack", value: { throughSeq: 1n } });
    let drained = false;
    const draining = server.drain().then(() => {
      drained = true;
    });
    await session.next("drain");
    invokeOn(session, "a.echo", "dr-2");
    const refused = await nextState(session, "dr-2", TaskState.ERROR);
    expect(refused.nonRetryable).toBe(false);
    expect(drained).toBe(false);
    gate("dr-1").resolve(undefined);
    const completed = await nextState(session, "dr-1", TaskState.COMPLETED);
    expect(drained).toBe(false);
    session.send({ case: "ack", value: { throughSeq: completed.seq } });
    await draining;
    await session.ended;
    expect(session.open).toBe(false);
  });

  it("drain aborts handlers that outlive drainTimeoutMs and reports them as retryable ERROR", async () => {
    const { server, contexts } = makeServer({ drainTimeoutMs: 50, ackTimeoutMs: 50 });
    const { session } = await connect(server);
    invokeOn(session, "a.held", "t-1");
    const ctx = await contexts.next();
    const draining = server.drain();
    const error = await nextState(session, "t-1", TaskState.ERROR);
    expect(error.nonRetryable).toBe(false);
    expect(ctx.signal.aborted).toBe(true);
    await draining;
  });

  it("stop aborts running handlers and closes the stream", async () => {
    const { server, contexts } = makeServer();
    const { session } = await connect(server);
    invokeOn(session, "a.held", "s-1");
    const ctx = await contexts.next();
    server.stop();
    expect(ctx.signal.aborted).toBe(true);
    await session.ended;
  });
});

describe("TaskServer against a cerebro that speaks protocol 1.1", () => {
  const v1_1 = { protocolVersion: { major: 1, minor: 1 } };

  /** Every update received, with the kind of message that carried it. */
  function updatesByMessage(session: FakeSession): Array<[string, TaskStateUpdate[]]> {
    return session.requests.all.flatMap((r: ConnectRequest): Array<[string, TaskStateUpdate[]]> => {
      if (r.message.case === "taskState") return [["taskState", [r.message.value]]];
      if (r.message.case === "taskStates") return [["taskStates", r.message.value.updates]];
      return [];
    });
  }

  /** Waits until an update of the attempt in the state has arrived, in whichever message. */
  async function untilUpdate(session: FakeSession, attemptId: string, state: TaskState) {
    return vi.waitFor(() => {
      const found = updatesByMessage(session)
        .flatMap(([, updates]) => updates)
        .find((u) => u.attemptId === attemptId && u.state === state);
      if (!found) throw new Error(`no ${TaskState[state]} of ${attemptId} yet`);
      return found;
    });
  }

  it("sends a quick task's STARTED and COMPLETED together in one TaskStateUpdates message", async () => {
    const { server } = makeServer();
    const { session } = await connect(server, v1_1);
    invokeOn(session, "a.echo", "q-1", { n: "1" });
    const batch = await session.next("taskStates");
    expect(batch.updates.map((u) => [u.attemptId, TaskState[u.state], u.seq])).toEqual([
      ["q-1", "STARTED", 1n],
      ["q-1", "COMPLETED", 2n],
    ]);
    expect(batch.updates[1]?.outputs).toEqual({ n: "1" });
    expect(taskStates(session)).toEqual([]);
  });

  it("runs every invoke of an Invokes message and reports them in one message", async () => {
    const { server } = makeServer();
    const { session } = await connect(server, v1_1);
    const invoke = (attemptId: string) => ({
      runId: "run-1",
      taskRunId: `tr-${attemptId}`,
      attemptId,
      attemptNumber: 1,
      taskId: "a.echo",
    });
    session.send({
      case: "invokes",
      value: { invokes: [invoke("m-1"), invoke("m-2"), invoke("m-1")] },
    });
    const batch = await session.next("taskStates");
    expect(batch.updates.map((u) => [u.attemptId, TaskState[u.state]])).toEqual([
      ["m-1", "STARTED"],
      ["m-2", "STARTED"],
      ["m-1", "COMPLETED"],
      ["m-2", "COMPLETED"],
    ]);
    expect(batch.updates.map((u) => u.seq)).toEqual([1n, 2n, 3n, 4n]);
  });

  it("sends a long task's STARTED at once, without waiting for its end", async () => {
    const { server, contexts, gate } = makeServer();
    const { session } = await connect(server, v1_1);
    invokeOn(session, "a.held", "l-1");
    await contexts.next();
    const started = await session.next("taskState");
    expect([started.attemptId, TaskState[started.state], started.seq]).toEqual([
      "l-1",
      "STARTED",
      1n,
    ]);
    gate("l-1").resolve(undefined);
    const completed = await session.next("taskState");
    expect([completed.attemptId, TaskState[completed.state], completed.seq]).toEqual([
      "l-1",
      "COMPLETED",
      2n,
    ]);
  });

  it("resends unacknowledged updates after a reconnect in one message, renumbered from 1", async () => {
    const { server, gate } = makeServer();
    const { session } = await connect(server, v1_1);
    invokeOn(session, "a.held", "u-1");
    invokeOn(session, "a.held", "u-2");
    await untilUpdate(session, "u-2", TaskState.STARTED);
    gate("u-1").resolve(undefined);
    await untilUpdate(session, "u-1", TaskState.COMPLETED);
    session.kill();
    const second = await cerebro.nextSession();
    await second.next("hello");
    second.welcome(v1_1);
    const resent = await second.next("taskStates");
    expect(resent.updates.map((u) => [u.attemptId, TaskState[u.state], u.seq])).toEqual([
      ["u-1", "STARTED", 1n],
      ["u-2", "STARTED", 2n],
      ["u-1", "COMPLETED", 3n],
    ]);
    expect(updatesByMessage(second)).toHaveLength(1);
  });
});
