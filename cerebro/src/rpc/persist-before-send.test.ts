// Cerebro stores every change before anyone hears of it: an attempt before
// its Invoke goes out, a task-server's update before its Ack. With the
// store's writes held, these tests watch a real task-server stream over gRPC
// loopback, on each store.

import { type Invoke, TaskState } from "@cordyna/contract";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Cerebro, startCerebro } from "../cerebro.js";
import { MemoryStore } from "../store/memory-store.js";
import { RedisStore } from "../store/redis-store.js";
import { randomPrefix, silentLogger } from "../store/redis-test-support.js";
import type { Store } from "../store/store.js";
import { HoldingStore } from "../testing/holding-store.js";
import { RawSession } from "../testing/raw-session.js";
import { RedisServerProcess } from "../testing/redis-server.js";

const owner = { team: "team-a", contact: "a@example.com" };

let redis: RedisServerProcess;

beforeAll(async () => {
  redis = await RedisServerProcess.start({ appendOnly: false });
});

afterAll(async () => {
  await redis.stop();
});

describe.each<[string, () => Store]>([
  ["in-memory", () => new MemoryStore()],
  // A prefix per test: a cerebro restores whatever runs its store holds.
  ["Redis", () => RedisStore.connect(redis.url, { prefix: randomPrefix(), logger: silentLogger })],
])("stored before sent, on the %s store", (_kind, open) => {
  let wrapped: Store;
  let store: HoldingStore;
  let cerebro: Cerebro;
  let session: RawSession;
  /** Cancellations whose store write the test leaves held. */
  const cancelling: Promise<unknown>[] = [];

  beforeEach(async () => {
    wrapped = open();
    store = new HoldingStore(wrapped);
    cerebro = await startCerebro({
      port: 0,
      host: "127.0.0.1",
      store,
      logger: silentLogger,
    });
    session = new RawSession(cerebro.address);
    session.hello("task-server-a", [
      { id: "a.x", owner },
      { id: "a.probe", owner },
    ]);
    await session.next("welcome");
  });

  afterEach(async () => {
    await store.releaseAll();
    await Promise.all(cancelling.splice(0));
    session.cancel();
    await cerebro.stop();
    await wrapped.close();
  });

  /** Starts a run of the task and resolves with its Invoke. */
  async function invoked(taskId: string): Promise<Invoke> {
    const from = session.received.length;
    await cerebro.engine.startRun({ targets: [taskId] });
    return session.next("invoke", from);
  }

  /**
   * Expects that cerebro sent nothing on the stream since `from` but the
   * Cancel this makes it send: cancelling the probe's run writes that Cancel
   * at once, without waiting for the store. Cerebro writes a stream's
   * messages in order and HTTP/2 delivers them in order, so once the Cancel
   * is here, so is everything written before it. An Invoke or Ack that does
   * not wait for its write is sent no later than cerebro asks the store for
   * that write, which the caller has seen happen: it would be here.
   */
  async function expectNothingSentSince(from: number, probe: Invoke): Promise<void> {
    cancelling.push(cerebro.engine.cancelRun(probe.runId, "probe"));
    await session.next("cancel", from);
    expect(session.received.slice(from).map((message) => message.message.case)).toEqual(["cancel"]);
  }

  it("sends an Invoke only once the wrapped store has its attempt", async () => {
    const probe = await invoked("a.probe");
    store.hold();
    const from = session.received.length;
    const started = cerebro.engine.startRun({ targets: ["a.x"] });
    const created = await store.nextHeld();
    expect(created.method).toBe("createRun");
    await created.release();
    const write = await store.nextHeld();
    const attempt = write.records.taskRuns?.[0]?.attempts[0];
    expect(attempt).toMatchObject({ state: "INVOKED" });
    await expectNothingSentSince(from, probe);
    const runId = created.records.runs?.[0]?.id ?? "";
    expect((await wrapped.getRun(runId))?.taskRuns[0]?.attempts).toEqual([]);

    const writing = write.release();
    const invoke = await session.next("invoke", from);
    expect(invoke).toMatchObject({ runId, attemptId: attempt?.id });
    // Any later write (the probe's is one) is still held, so the wrapped store
    // is as it was when the Invoke came.
    expect(store.pending.map((held) => held.method)).toEqual(["save"]);
    expect((await wrapped.getRun(runId))?.taskRuns[0]?.attempts).toEqual([
      expect.objectContaining({ id: invoke.attemptId, state: "INVOKED" }),
    ]);
    await writing;
    await started;
  });

  it.each(["STARTED", "COMPLETED"] as const)(
    "acknowledges a %s update only once the wrapped store has it",
    async (state) => {
      const probe = await invoked("a.probe");
      const { runId, attemptId } = await invoked("a.x");
      store.hold();
      const from = session.received.length;
      session.send({ case: "taskState", value: { seq: 1n, attemptId, state: TaskState[state] } });
      const write = await store.nextHeld();
      expect(write.records.taskRuns?.[0]).toMatchObject({ state, attempts: [{ state }] });
      await expectNothingSentSince(from, probe);
      expect((await wrapped.getRun(runId))?.taskRuns[0]).toMatchObject({ state: "INVOKED" });

      const writing = write.release();
      expect(await session.next("ack", from)).toMatchObject({ throughSeq: 1n });
      // Any later write (the probe's is one) is still held, so the wrapped store
      // is as it was when the Ack came.
      expect(store.pending.map((held) => held.method)).toEqual(["save"]);
      expect((await wrapped.getRun(runId))?.taskRuns[0]).toMatchObject({
        state,
        attempts: [{ id: attemptId, state }],
      });
      await writing;
    },
  );
});
