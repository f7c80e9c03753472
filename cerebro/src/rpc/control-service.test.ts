import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ControlService,
  DependencyCondition,
  EventKind,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Cerebro, startCerebro } from "../cerebro.js";
import { failureOf } from "../testing/call-failure.js";
import { RawSession } from "../testing/raw-session.js";

let cerebro: Cerebro;
let control: ReturnType<typeof createClient<typeof ControlService>>;
let server: RawSession;

beforeEach(async () => {
  cerebro = await startCerebro({ port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
  control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  server = new RawSession(cerebro.address);
  server.hello("task-server-a", [
    { id: "a.extract", owner: { team: "team-a", contact: "a@example.com" } },
    {
      id: "a.load",
      owner: { team: "team-a" },
      dependencies: [
        {
          taskId: "a.extract",
          condition: DependencyCondition.FRESH_WITHIN,
          freshWithin: durationFromMs(3_600_000),
        },
        { taskId: "ghost.feed" },
      ],
    },
  ]);
  await server.next("welcome");
});

afterEach(async () => {
  server.cancel();
  await cerebro.stop();
});

describe("ControlService over real gRPC", () => {
  it("lists tasks with their server, instances and unresolved reasons, including undeclared upstreams", async () => {
    const { tasks } = await control.listTasks({});
    expect(
      tasks.map((t) => [t.taskId, t.serverName, t.instances, t.resolved, t.unresolvedReason]),
    ).toEqual([
      ["a.extract", "task-server-a", 1, true, ""],
      ["a.load", "task-server-a", 1, false, "upstream ghost.feed is declared by no server"],
      ["ghost.feed", "", 0, false, "ghost.feed is declared by no server"],
    ]);
    expect(tasks[0]?.downstream).toEqual(["a.load"]);
    expect(tasks[0]?.declaration?.owner).toMatchObject({
      team: "team-a",
      contact: "a@example.com",
    });
  });

  it("returns the graph's edges with their conditions", async () => {
    const { edges } = await control.getGraph({});
    expect(edges.map((e) => [e.upstream, e.downstream, e.dependency?.condition])).toEqual([
      ["a.extract", "a.load", DependencyCondition.FRESH_WITHIN],
      ["ghost.feed", "a.load", DependencyCondition.RUN_FIRST],
    ]);
  });

  it("lists servers with their connected instances", async () => {
    const { servers } = await control.listServers({});
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ name: "task-server-a", taskIds: ["a.extract", "a.load"] });
    expect(servers[0]?.instances.map((i) => i.instanceId)).toEqual(["task-server-a-raw"]);
  });

  it("maps planning errors to gRPC codes with the reason", async () => {
    expect(await failureOf(control.startRun({ targets: [] }))).toEqual([
      Code.InvalidArgument,
      "a run needs at least one target task",
    ]);
    expect(await failureOf(control.startRun({ targets: ["nope"] }))).toEqual([
      Code.NotFound,
      "no server declares task nope",
    ]);
    const [code, message] = await failureOf(control.startRun({ targets: ["a.load"] }));
    expect(code).toBe(Code.FailedPrecondition);
    expect(message).toContain(
      "a.load (team team-a, task-server-a): upstream ghost.feed is declared by no server",
    );
    expect(await failureOf(control.getRun({ runId: "" }))).toEqual([
      Code.InvalidArgument,
      "run_id is required",
    ]);
    expect(await failureOf(control.getRun({ runId: "run_x" }))).toEqual([
      Code.NotFound,
      "no run with id run_x: it never existed, or it finished and was removed under the run retention (finished runs are kept 30d, the newest 100,000 of them)",
    ]);
  });

  it("starts a run, replays and streams its events to a watcher, and shows it in the run list", async () => {
    const { run } = await control.startRun({
      targets: ["a.extract"],
      params: { day: "2026-06-01" },
    });
    expect(run?.state).toBe(RunState.RUNNING);
    const runId = run?.id ?? "";

    const abort = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const { event } of control.watchEvents({ runId }, { signal: abort.signal })) {
        if (event) seen.push(event.message);
        if (event?.kind === EventKind.RUN_FINISHED) return;
      }
    })();
    const invoke = await server.next("invoke");
    expect(invoke.params).toEqual({ day: "2026-06-01" });
    server.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.STARTED },
    });
    server.send({
      case: "taskState",
      value: { seq: 2n, attemptId: invoke.attemptId, state: TaskState.COMPLETED },
    });
    await watching;
    abort.abort();
    // What happened before the watch began is replayed first.
    expect(seen).toEqual([
      `run ${runId} started: a.extract`,
      "a.extract INVOKED",
      "a.extract STARTED",
      "a.extract COMPLETED",
      `run ${runId} SUCCEEDED`,
    ]);

    const { runs } = await control.listRuns({});
    expect(runs.map((r) => [r.id, r.state])).toEqual([[runId, RunState.SUCCEEDED]]);
    const { tasks } = await control.listTasks({});
    expect(tasks.find((t) => t.taskId === "a.extract")?.lastCompletion?.runId).toBe(runId);
  });

  it("returns the first run for a repeated idempotency key", async () => {
    const first = await control.startRun({ targets: ["a.extract"], idempotencyKey: "k-1" });
    const second = await control.startRun({ targets: ["a.extract"], idempotencyKey: "k-1" });
    expect(second.existing).toBe(true);
    expect(second.run?.id).toBe(first.run?.id);
  });

  it("cancels a run and tells the server to stop its attempt", async () => {
    const { run } = await control.startRun({ targets: ["a.extract"] });
    const invoke = await server.next("invoke");
    const cancelled = await control.cancelRun({ runId: run?.id ?? "", reason: "wrong input" });
    expect(cancelled.run?.state).toBe(RunState.CANCELLED);
    expect(await server.next("cancel")).toMatchObject({
      attemptId: invoke.attemptId,
      reason: "wrong input",
    });
    expect(await failureOf(control.cancelRun({ runId: "run_missing" }))).toEqual([
      Code.NotFound,
      expect.stringMatching(
        /^no run with id run_missing: it never existed, or it finished and was removed/,
      ),
    ]);
  });
});
