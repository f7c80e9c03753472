// ctx.heartbeat() and ctx.progress() over real gRPC, against a stand-in
// cerebro: what goes up the stream, how often, in which order, and nothing
// to a cerebro older than protocol 1.4.
import { type AttemptProgress, type ConnectRequest, RunMode, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type TaskContext, TaskServer } from "./index.js";
import { MAX_HEARTBEAT_DETAILS_BYTES, progressIntervalMs } from "./progress-sender.js";
import { FakeCerebro, type FakeSession } from "./testing/fake-cerebro.js";
import { type Deferred, deferred, Inbox } from "./testing/inbox.js";

const V1_4 = { protocolVersion: { major: 1, minor: 4 } };
const V1_3 = { protocolVersion: { major: 1, minor: 3 } };

let cerebro: FakeCerebro;
const servers: TaskServer[] = [];

beforeEach(async () => {
  cerebro = await FakeCerebro.start();
});

afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
  cerebro.close();
});

/** A task-server with one task, "p.held", that hands its context to the test and waits for it. */
async function connected(welcome: Parameters<FakeSession["welcome"]>[0] = V1_4) {
  const server = new TaskServer({
    name: "progress-server",
    team: "team-p",
    contact: "",
    cerebro: cerebro.address,
    instanceId: "p-1",
    logger: pino({ level: "silent" }),
    handleSignals: false,
    reconnectBackoff: { initialMs: 5, maxMs: 20 },
  });
  servers.push(server);
  const contexts = new Inbox<TaskContext>();
  const gates = new Map<string, Deferred<undefined>>();
  const gate = (attemptId: string) => {
    let entry = gates.get(attemptId);
    if (!entry) {
      entry = deferred<undefined>();
      gates.set(attemptId, entry);
    }
    return entry;
  };
  server.task({ id: "p.held", deadlines: { heartbeat: "30s" } }, (ctx) => {
    contexts.push(ctx);
    return gate(ctx.attemptId).promise;
  });
  const started = server.start();
  const session = await cerebro.nextSession();
  await session.next("hello");
  session.welcome(welcome);
  await started;
  const invoke = async (attemptId: string, heartbeatMs?: number) => {
    session.invoke({
      runId: "run-1",
      taskRunId: `tr-${attemptId}`,
      attemptId,
      attemptNumber: 1,
      taskId: "p.held",
      mode: RunMode.NORMAL,
      ...(heartbeatMs === undefined
        ? {}
        : { deadlines: { heartbeat: { nanos: heartbeatMs * 1_000_000 } } }),
    });
    return contexts.next((ctx) => ctx.attemptId === attemptId);
  };
  return { server, session, invoke, gate };
}

/** The AttemptProgress messages received on the stream, in order. */
function progressOf(session: FakeSession): AttemptProgress[] {
  return session.requests.all.flatMap((request: ConnectRequest) =>
    request.message.case === "attemptProgress" ? [request.message.value] : [],
  );
}

/** Waits for a COMPLETED, alone or with other updates in one message. */
async function completed(session: FakeSession): Promise<void> {
  await vi.waitFor(() => expect(kinds(session)).toContain("COMPLETED"));
}

/** The kinds of message received on the stream, in order, from the first of the attempt's. */
function kinds(session: FakeSession): string[] {
  return session.requests.all.flatMap((request: ConnectRequest) => {
    const { message } = request;
    if (message.case === "attemptProgress") return [`progress ${message.value.fraction ?? "-"}`];
    if (message.case === "taskState") return [TaskState[message.value.state]];
    if (message.case === "taskStates") return message.value.updates.map((u) => TaskState[u.state]);
    return [];
  });
}

describe("ctx.heartbeat and ctx.progress", () => {
  it("send the first report at once, merge those of the next second into one, and send what waits before COMPLETED", async () => {
    const { session, invoke, gate } = await connected();
    const ctx = await invoke("a-1");
    ctx.progress(0.1, "reading");
    const first = await session.next("attemptProgress");
    expect(first).toMatchObject({
      attemptId: "a-1",
      fraction: 0.1,
      message: "reading",
      details: "",
    });
    for (let row = 2; row <= 100; row++) {
      ctx.progress(row / 100);
      ctx.heartbeat({ row });
    }
    const merged = await session.next("attemptProgress");
    expect(merged).toMatchObject({ fraction: 1, message: "", details: '{"row":100}' });
    ctx.progress(1, "done");
    gate("a-1").resolve(undefined);
    await completed(session);
    expect(progressOf(session)).toHaveLength(3);
    expect(kinds(session)).toEqual([
      "STARTED",
      "progress 0.1",
      "progress 1",
      "progress 1",
      "COMPLETED",
    ]);
  });

  it("send more often than once a second when the invoke's heartbeat deadline is short", async () => {
    expect(progressIntervalMs(undefined)).toBe(1_000);
    expect(progressIntervalMs(30_000)).toBe(1_000);
    expect(progressIntervalMs(300)).toBe(100);
    const { session, invoke } = await connected();
    const ctx = await invoke("a-1", 300);
    const start = Date.now();
    ctx.heartbeat();
    await session.next("attemptProgress");
    ctx.heartbeat("second");
    await session.next("attemptProgress");
    expect(Date.now() - start).toBeLessThan(900);
  });

  it("clamp a fraction outside 0..1, leave out one that is not a number, and cut a long message and details", async () => {
    const { session, invoke, gate } = await connected();
    const ctx = await invoke("a-1", 30);
    ctx.progress(1.5);
    expect(await session.next("attemptProgress")).toMatchObject({ fraction: 1 });
    ctx.progress(-2);
    expect(await session.next("attemptProgress")).toMatchObject({ fraction: 0 });
    ctx.progress(Number.NaN, "é".repeat(1_000));
    const cut = await session.next("attemptProgress");
    expect(cut.fraction).toBeUndefined();
    expect(Buffer.byteLength(cut.message)).toBe(1_024);
    ctx.heartbeat({ blob: "x".repeat(10_000) });
    const details = (await session.next("attemptProgress")).details;
    expect(Buffer.byteLength(details)).toBe(MAX_HEARTBEAT_DETAILS_BYTES);
    gate("a-1").resolve(undefined);
    await completed(session);
  });

  it("send nothing to a cerebro older than protocol 1.4, and do nothing else", async () => {
    const { session, invoke, gate } = await connected(V1_3);
    const ctx = await invoke("a-1");
    ctx.progress(0.5, "half");
    ctx.heartbeat({ row: 1 });
    gate("a-1").resolve(undefined);
    await completed(session);
    expect(progressOf(session)).toEqual([]);
  });

  it("stop sending an attempt's progress once cerebro refuses it, without touching its updates", async () => {
    const { session, invoke, gate } = await connected();
    const ctx = await invoke("a-1", 30);
    ctx.progress(0.1);
    await session.next("attemptProgress");
    session.send({
      case: "refusal",
      value: { seq: 0n, attemptId: "a-1", code: "FAILED_PRECONDITION", message: "not current" },
    });
    // Messages down are taken in order: the Pong says the Refusal was taken.
    session.send({ case: "ping", value: { nonce: 7n } });
    await session.next("pong");
    // Progress that would go is sent at the latest before the attempt's final update.
    ctx.progress(0.2);
    ctx.progress(0.3);
    gate("a-1").resolve(undefined);
    await completed(session);
    expect(progressOf(session).map((p) => p.fraction)).toEqual([0.1]);
  });

  it("keep the latest while the stream is down and send it after the next Welcome", async () => {
    const { session, invoke } = await connected();
    const ctx = await invoke("a-1");
    ctx.progress(0.1);
    await session.next("attemptProgress");
    session.kill();
    ctx.progress(0.6, "while away");
    const second = await cerebro.nextSession();
    const hello = await second.next("hello");
    expect(hello.runningAttemptIds).toEqual(["a-1"]);
    second.welcome(V1_4);
    expect(await second.next("attemptProgress")).toMatchObject({
      attemptId: "a-1",
      fraction: 0.6,
      message: "while away",
    });
  });
});
