import { DeclarationIssueCode, DependencyCondition, TaskState } from "@cordyna/contract";
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Cerebro, startCerebro } from "../cerebro.js";
import { MemoryStore } from "../store/memory-store.js";
import { RawSession } from "../testing/raw-session.js";
import { MAX_WARNINGS } from "./task-server-service.js";

const owner = { team: "team-a", contact: "a@example.com" };

let cerebro: Cerebro;
const sessions: RawSession[] = [];
const open = () => {
  const session = new RawSession(cerebro.address);
  sessions.push(session);
  return session;
};

beforeEach(async () => {
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    serverLostGraceMs: 200,
  });
});

afterEach(async () => {
  for (const session of sessions.splice(0)) session.cancel();
  await cerebro.stop();
});

describe("TaskServerService over real gRPC", () => {
  it("welcomes a valid hello and warns about upstreams nobody declares", async () => {
    const session = open();
    session.hello("task-server-b", [
      {
        id: "b.report",
        owner,
        dependencies: [{ taskId: "a.extract", condition: DependencyCondition.RUN_FIRST }],
      },
    ]);
    const welcome = await session.next("welcome");
    expect(welcome.sessionId).toMatch(/^ses_/);
    expect(welcome.protocolVersion).toMatchObject({ major: 1, minor: 5 });
    expect(welcome.warnings).toEqual([
      expect.objectContaining({
        taskId: "b.report",
        code: DeclarationIssueCode.UNRESOLVED,
        message: "upstream a.extract is declared by no server",
      }),
    ]);
  });

  it("caps the warnings of one Welcome and says how many more there are", async () => {
    const session = open();
    const tasks = Array.from({ length: MAX_WARNINGS + 5 }, (_, i) => ({
      id: `b.t${i}`,
      owner,
      dependencies: [{ taskId: "ghost.feed" }],
    }));
    session.hello("task-server-b", tasks);
    const welcome = await session.next("welcome");
    expect(welcome.warnings).toHaveLength(MAX_WARNINGS);
    expect(welcome.warnings.at(-1)?.message).toBe(
      "6 more tasks are unresolved; dyna tasks lists every one with its reason",
    );
    expect(cerebro.graph.tasksOf("task-server-b")).toHaveLength(MAX_WARNINGS + 5);
  });

  it("rejects bad declarations with one error per problem, each naming its task, and ends with INVALID_ARGUMENT", async () => {
    const session = open();
    session.hello("task-server-a", [
      { id: "Bad Id", owner },
      { id: "a.no-team" },
      { id: "a.self", owner, dependencies: [{ taskId: "a.self" }] },
      {
        id: "a.fresh",
        owner,
        dependencies: [{ taskId: "a.x", condition: DependencyCondition.FRESH_WITHIN }],
      },
      { id: "a.fine", owner },
    ]);
    const rejection = await session.next("rejection");
    expect(rejection.errors.map((e) => e.message)).toEqual([
      `hello.tasks[0].id: does not match regex pattern \`^[a-z0-9][a-z0-9._-]{0,127}$\` [string.pattern]`,
      "task a.no-team: owner.team is required: name the team answerable for it",
      "task a.self: it depends on itself",
      "task a.fresh: dependency a.x: fresh_within must be a positive duration",
    ]);
    expect(rejection.errors.every((e) => e.code === DeclarationIssueCode.INVALID)).toBe(true);
    const ended = await session.closed();
    expect(ended !== "ended" && ended.code).toBe(status.INVALID_ARGUMENT);
    expect(cerebro.graph.all()).toEqual([]);
  });

  it("refuses another major protocol version, naming both versions", async () => {
    const session = open();
    session.hello("task-server-a", [{ id: "a.x", owner }], { major: 2 });
    const rejection = await session.next("rejection");
    expect(rejection.errors[0]?.code).toBe(DeclarationIssueCode.VERSION);
    expect(rejection.errors[0]?.message).toBe(
      "protocol version 2.0 is not supported: this cerebro speaks 1.5 (any 1.x)",
    );
    expect(rejection.message).toBe("cerebro refused server task-server-a");
    const ended = await session.closed();
    expect(ended !== "ended" && ended.code).toBe(status.FAILED_PRECONDITION);
  });

  it("says each problem of a refused hello once: in the Rejection's errors, under a headline", async () => {
    const m = open();
    m.hello("task-server-m", [{ id: "m.one", owner: { team: "team-m" } }]);
    await m.next("welcome");
    const n = open();
    n.hello("task-server-n", [
      { id: "n.two", owner: { team: "team-n" }, dependencies: [{ taskId: "m.one" }] },
    ]);
    await n.next("welcome");
    m.cancel();
    await m.closed();

    // m.one comes back depending on n.two: a cycle.
    const again = open();
    again.hello("task-server-m", [
      { id: "m.one", owner: { team: "team-m" }, dependencies: [{ taskId: "n.two" }] },
    ]);
    const rejection = await again.next("rejection");
    const cycle =
      "declaring m.one would close the dependency cycle m.one (team team-m) → n.two (team team-n) → m.one (team team-m)";
    expect(rejection.message).toBe("cerebro refused server task-server-m");
    expect(rejection.errors.map((e) => [e.taskId, e.message])).toEqual([["m.one", cycle]]);
    // The status, for a caller that sees nothing else, says it once too.
    await again.closed();
    expect(again.describeStatus()).toBe(
      `${status.INVALID_ARGUMENT} cerebro refused server task-server-m: ${cycle}`,
    );
  });

  it("refuses a task owned by another server with ALREADY_EXISTS, naming both servers and teams", async () => {
    const first = open();
    first.hello("task-server-a", [{ id: "shared.x", owner }]);
    await first.next("welcome");
    const second = open();
    second.hello("task-server-b", [{ id: "shared.x", owner: { team: "team-b" } }]);
    const rejection = await second.next("rejection");
    expect(rejection.errors[0]?.message).toBe(
      "task shared.x (team team-b) is already owned by server task-server-a (team team-a); that server must stop declaring it first",
    );
    const ended = await second.closed();
    expect(ended !== "ended" && ended.code).toBe(status.ALREADY_EXISTS);
  });

  it("ends a stream whose first message is not a hello", async () => {
    const session = open();
    session.send({ case: "heartbeat", value: {} });
    const ended = await session.closed();
    expect(ended !== "ended" && ended.code).toBe(status.FAILED_PRECONDITION);
    expect(session.describeStatus()).toContain(
      "the first message on the stream must be a hello, not heartbeat",
    );
  });

  it("refuses a redeclaration that closes a cycle, keeps the stream and the previous declaration", async () => {
    const a = open();
    a.hello("task-server-a", [{ id: "a.one", owner }]);
    await a.next("welcome");
    const b = open();
    b.hello("task-server-b", [
      { id: "b.two", owner: { team: "team-b" }, dependencies: [{ taskId: "a.one" }] },
    ]);
    await b.next("welcome");

    const before = a.received.length;
    a.send({
      case: "redeclare",
      value: { tasks: [{ id: "a.one", owner, dependencies: [{ taskId: "b.two" }] }] },
    });
    const rejection = await a.next("rejection", before);
    expect(rejection.errors[0]?.message).toBe(
      "declaring a.one would close the dependency cycle a.one (team team-a) → b.two (team team-b) → a.one (team team-a)",
    );
    expect(cerebro.graph.get("a.one")?.definition.dependencies).toEqual([]);

    const afterRejection = a.received.length;
    a.send({
      case: "redeclare",
      value: {
        tasks: [
          { id: "a.one", owner },
          { id: "a.two", owner },
        ],
      },
    });
    await a.next("welcome", afterRejection);
    expect(cerebro.graph.tasksOf("task-server-a")).toEqual(["a.one", "a.two"]);
  });

  it("acknowledges updates once stored, refuses stale ones, and finishes the run", async () => {
    const session = open();
    session.hello("task-server-a", [{ id: "a.x", owner }]);
    await session.next("welcome");
    const { snapshot } = await cerebro.engine.startRun({ targets: ["a.x"] });
    const invoke = await session.next("invoke");
    expect(invoke).toMatchObject({ runId: snapshot.run.id, taskId: "a.x", attemptNumber: 1 });

    session.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.STARTED },
    });
    session.send({
      case: "taskState",
      value: { seq: 2n, attemptId: invoke.attemptId, state: TaskState.COMPLETED },
    });
    session.send({
      case: "taskState",
      value: { seq: 3n, attemptId: "att_unknown", state: TaskState.COMPLETED },
    });
    const refusal = await session.next("refusal");
    expect(refusal).toMatchObject({
      seq: 3n,
      attemptId: "att_unknown",
      code: "FAILED_PRECONDITION",
    });
    const refusalIndex = session.received.findIndex((m) => m.message.case === "refusal");
    expect(await session.next("ack", refusalIndex)).toMatchObject({ throughSeq: 3n });
    // Updates that arrive together share one cumulative Ack: however they were
    // batched, the acks rise and the last covers every update.
    const acks = session.received
      .filter((m) => m.message.case === "ack")
      .map((m) => (m.message.value as { throughSeq: bigint }).throughSeq);
    expect(acks).toEqual([...acks].sort((a, b) => Number(a - b)));
    expect(new Set(acks).size).toBe(acks.length);
    expect(acks.at(-1)).toBe(3n);
    expect((await cerebro.engine.getRun(snapshot.run.id)).run.state).toBe("SUCCEEDED");
  });

  describe("protocol 1.1: several updates or invokes in one message", () => {
    const fanOut = ["a.one", "a.two", "a.three"];

    it("sends a 1.1 instance the invokes of one turn together, in one Invokes message", async () => {
      const session = open();
      session.hello(
        "task-server-a",
        fanOut.map((id) => ({ id, owner })),
        { minor: 1 },
      );
      await session.next("welcome");
      const { snapshot } = await cerebro.engine.startRun({ targets: fanOut });
      const batch = await session.next("invokes");
      expect(batch.invokes.map((invoke) => invoke.taskId).sort()).toEqual([...fanOut].sort());
      expect(batch.invokes.every((invoke) => invoke.runId === snapshot.run.id)).toBe(true);
      expect(session.received.some((m) => m.message.case === "invoke")).toBe(false);
    });

    it("sends a 1.0 instance one Invoke per message", async () => {
      const session = open();
      session.hello(
        "task-server-a",
        fanOut.map((id) => ({ id, owner })),
      );
      await session.next("welcome");
      await cerebro.engine.startRun({ targets: fanOut });
      await vi.waitFor(() =>
        expect(session.received.filter((m) => m.message.case === "invoke")).toHaveLength(3),
      );
      expect(session.received.some((m) => m.message.case === "invokes")).toBe(false);
    });

    it("applies the updates of one TaskStateUpdates message in order, refuses a bad one, and acknowledges all with one Ack", async () => {
      const session = open();
      session.hello("task-server-a", [{ id: "a.x", owner }], { minor: 1 });
      await session.next("welcome");
      const { snapshot } = await cerebro.engine.startRun({ targets: ["a.x"] });
      const { attemptId } = await session.next("invoke");
      const ackedBefore = session.received.length;
      session.send({
        case: "taskStates",
        value: {
          updates: [
            { seq: 1n, attemptId, state: TaskState.STARTED },
            { seq: 2n, attemptId: "att_unknown", state: TaskState.COMPLETED },
            { seq: 3n, attemptId, state: TaskState.COMPLETED },
          ],
        },
      });
      expect(await session.next("refusal")).toMatchObject({ seq: 2n, attemptId: "att_unknown" });
      expect(await session.next("ack", ackedBefore)).toMatchObject({ throughSeq: 3n });
      expect(session.received.filter((m) => m.message.case === "ack")).toHaveLength(1);
      const { run, taskRuns } = await cerebro.engine.getRun(snapshot.run.id);
      expect(run.state).toBe("SUCCEEDED");
      expect(taskRuns[0]?.attempts[0]).toMatchObject({ state: "COMPLETED" });
      expect(taskRuns[0]?.attempts[0]?.startedAt).toBeTypeOf("number");
    });

    it("takes TaskStateUpdates from a 1.0 instance too, and ignores an empty one", async () => {
      const session = open();
      session.hello("task-server-a", [{ id: "a.x", owner }]);
      await session.next("welcome");
      const { snapshot } = await cerebro.engine.startRun({ targets: ["a.x"] });
      const { attemptId } = await session.next("invoke");
      session.send({ case: "taskStates", value: { updates: [] } });
      session.send({
        case: "taskStates",
        value: { updates: [{ seq: 1n, attemptId, state: TaskState.COMPLETED }] },
      });
      expect(await session.next("ack")).toMatchObject({ throughSeq: 1n });
      expect(session.received.filter((m) => m.message.case === "ack")).toHaveLength(1);
      expect((await cerebro.engine.getRun(snapshot.run.id)).run.state).toBe("SUCCEEDED");
      expect(session.describeStatus()).toBe("open");
    });
  });

  it("gives a freed slot to the oldest run waiting for that server, one after another", async () => {
    const session = open();
    session.hello("task-server-a", [{ id: "a.x", owner }], { maxConcurrency: 1 });
    await session.next("welcome");
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      runs.push((await cerebro.engine.startRun({ targets: ["a.x"] })).snapshot.run.id);
    }
    const invokes = () =>
      session.received.flatMap((m) => (m.message.case === "invoke" ? [m.message.value] : []));
    for (let i = 0; i < 3; i++) {
      await vi.waitFor(() => expect(invokes()).toHaveLength(i + 1));
      const current = invokes()[i]!;
      expect(current.runId).toBe(runs[i]);
      if (i < 2) {
        const { taskRuns } = await cerebro.engine.getRun(runs[2]!);
        expect(taskRuns[0]?.waitingReason).toContain("busy");
      }
      session.send({
        case: "taskState",
        value: { seq: BigInt(i + 1), attemptId: current.attemptId, state: TaskState.COMPLETED },
      });
    }
    await vi.waitFor(async () =>
      expect((await cerebro.engine.getRun(runs[2]!)).run.state).toBe("SUCCEEDED"),
    );
  });

  it("never gives an instance more attempts than its max_concurrency, even in one dispatch pass", async () => {
    const session = open();
    const tasks = ["a.one", "a.two", "a.three", "a.four"];
    session.hello(
      "task-server-a",
      tasks.map((id) => ({ id, owner })),
      { maxConcurrency: 2 },
    );
    await session.next("welcome");
    const { snapshot } = await cerebro.engine.startRun({ targets: tasks });
    const invoked = async () =>
      (await cerebro.engine.getRun(snapshot.run.id)).taskRuns.filter((t) => t.state === "INVOKED");
    expect(await invoked()).toHaveLength(2);

    const first = await session.next("invoke");
    session.send({
      case: "taskState",
      value: { seq: 1n, attemptId: first.attemptId, state: TaskState.COMPLETED },
    });
    await session.next("ack");
    await vi.waitFor(async () => {
      const { taskRuns } = await cerebro.engine.getRun(snapshot.run.id);
      expect(taskRuns.filter((t) => t.state === "COMPLETED")).toHaveLength(1);
      expect(taskRuns.filter((t) => t.state === "INVOKED")).toHaveLength(2);
    });
    const { taskRuns } = await cerebro.engine.getRun(snapshot.run.id);
    expect(taskRuns.find((t) => t.state === "PENDING")?.waitingReason).toContain("task-server-a");
  });

  it("replaces a half-open session when the same instance connects again", async () => {
    const old = open();
    old.hello("task-server-a", [{ id: "a.x", owner }], { instanceId: "a-1" });
    await old.next("welcome");
    const fresh = open();
    fresh.hello("task-server-a", [{ id: "a.x", owner }], { instanceId: "a-1" });
    await fresh.next("welcome");
    const notice = await old.next("rejection");
    expect(notice.message).toBe("replaced by a newer session of the same instance");
    await cerebro.engine.startRun({ targets: ["a.x"] });
    await fresh.next("invoke");
  });

  it("ends an attempt in SERVER_LOST when its instance's stream closes and it does not return", async () => {
    const session = open();
    session.hello("task-server-a", [{ id: "a.x", owner }]);
    await session.next("welcome");
    const { snapshot } = await cerebro.engine.startRun({ targets: ["a.x"] });
    const invoke = await session.next("invoke");
    session.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.STARTED },
    });
    await session.next("ack");
    const finished = new Promise<void>((resolve) =>
      cerebro.events.subscribe((event) => event.kind === "run-finished" && resolve()),
    );
    session.cancel();
    await finished;
    const run = await cerebro.engine.getRun(snapshot.run.id);
    expect(run.taskRuns[0]).toMatchObject({ state: "ERROR", errorCause: "SERVER_LOST" });
  });

  it("records a refused update as an event naming the attempt and the reason", async () => {
    const session = open();
    session.hello("task-server-a", [{ id: "a.x", owner }]);
    await session.next("welcome");
    const refused = new Promise<string>((resolve) =>
      cerebro.events.subscribe(
        (event) => event.kind === "report-refused" && resolve(event.message),
      ),
    );
    session.send({
      case: "taskState",
      value: { seq: 1n, attemptId: "att_stale", state: TaskState.STARTED },
    });
    expect(await refused).toBe(
      "update 1 refused (FAILED_PRECONDITION): attempt att_stale is not current: unknown, or its run has finished",
    );
  });
});

describe("TaskServerService liveness and restarts", () => {
  it("closes a session that stays silent past the liveness timeout, and its attempt ends in SERVER_LOST", async () => {
    const quick = await startCerebro({
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      heartbeatIntervalMs: 50,
      livenessTimeoutMs: 200,
      serverLostGraceMs: 100,
    });
    try {
      const frozen = new RawSession(quick.address);
      frozen.hello("task-server-a", [{ id: "a.x", owner }]);
      await frozen.next("welcome");
      const { snapshot } = await quick.engine.startRun({ targets: ["a.x"] });
      const invoke = await frozen.next("invoke");
      frozen.send({
        case: "taskState",
        value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.STARTED },
      });
      const ended = await frozen.closed();
      expect(ended !== "ended" && ended.code).toBe(status.UNAVAILABLE);
      expect(frozen.describeStatus()).toMatch(
        /no message from instance task-server-a-raw for \d+ ms \(heartbeats are due every 50 ms\): taken as dead/,
      );
      const finished = new Promise<void>((resolve) =>
        quick.events.subscribe((event) => event.kind === "run-finished" && resolve()),
      );
      await finished;
      expect((await quick.engine.getRun(snapshot.run.id)).taskRuns[0]).toMatchObject({
        errorCause: "SERVER_LOST",
      });
    } finally {
      await quick.stop();
    }
  });

  it("starts from the declarations in its store, before any server reconnects", async () => {
    const store = new MemoryStore();
    const first = await startCerebro({
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      store,
    });
    const session = new RawSession(first.address);
    session.hello("task-server-a", [
      { id: "a.x", owner },
      { id: "a.y", owner, dependencies: [{ taskId: "a.x" }] },
    ]);
    await session.next("welcome");
    session.cancel();
    await first.stop();

    const second = await startCerebro({
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      store,
    });
    try {
      expect(second.graph.tasksOf("task-server-a")).toEqual(["a.x", "a.y"]);
      expect(second.graph.downstreamOf("a.x")).toEqual(["a.y"]);
    } finally {
      await second.stop();
    }
  });
});
