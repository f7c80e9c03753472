import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Event, EventKind, WatchEventsRequestSchema } from "@cordyna/contract";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { AccessControl } from "../access/access-control.js";
import { EventLog } from "../event-log.js";
import { REPLAY_PAGE } from "../event-watch.js";
import { CandidateOverlays } from "../graph/candidates.js";
import { LogBook } from "../logs/log-book.js";
import type { LoggedEvent } from "../store/event-store.js";
import { engineHarness, task } from "../testing/engine-harness.js";
import { controlApi, type EventWatch } from "./control-api.js";
import { Outbound } from "./outbound.js";
import { SessionRegistry } from "./sessions.js";

async function watchedApi() {
  const harness = engineHarness();
  const { graph, engine, store, clock, bus } = harness;
  const logger = pino({ level: "silent" });
  const access = await AccessControl.open({
    mode: { required: false },
    store: store.access,
    clock,
    logger,
  });
  const eventLog = await EventLog.open({ bus, store: store.events, logger });
  const logs = new LogBook({ store, engine, events: bus, maxBytesPerAttempt: 1024 });
  const api = controlApi({
    graph,
    candidates: new CandidateOverlays(graph),
    engine,
    store,
    sessions: new SessionRegistry(),
    events: bus,
    eventLog,
    access,
    logs,
  });
  graph.declare("server-a", [task("a.fetch"), task("a.report", { dependsOn: ["a.fetch"] })]);
  harness.instances.connect("server-a");
  return { ...harness, api, eventLog };
}

function liveQueue(): Outbound<LoggedEvent> {
  return new Outbound<LoggedEvent>(
    { maxBufferedBytes: 1 << 24, sizeOf: () => 1, what: "the test's stream" },
    () => {},
  );
}

async function watch(
  api: Awaited<ReturnType<typeof watchedApi>>["api"],
  request: MessageInitShape<typeof WatchEventsRequestSchema>,
): Promise<EventWatch> {
  return api.watchEvents(create(WatchEventsRequestSchema, request), liveQueue());
}

/** Collects a watch's events until it ends. */
async function collect(events: AsyncGenerator<{ event?: Event | undefined }>): Promise<Event[]> {
  const seen: Event[] = [];
  for await (const { event } of events) if (event) seen.push(event);
  return seen;
}

/** The next event of a watch, past a caught_up message. */
async function nextEvent(
  events: AsyncGenerator<{ event?: Event | undefined; caughtUp: boolean }>,
): Promise<Event | undefined> {
  for (;;) {
    const next = await events.next();
    if (next.done || next.value.event) return next.done ? undefined : next.value.event;
  }
}

const seqs = (events: readonly Event[]) => events.map((event) => event.seq);
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("ControlApi.watchEvents", () => {
  it("replays a run's past events, follows it, and ends after its final event", async () => {
    const { api, engine, complete, settle } = await watchedApi();
    const { snapshot } = await engine.startRun({ targets: ["a.report"] });
    const runId = snapshot.run.id;
    await complete("a.fetch");
    await settle();

    const watching = collect((await watch(api, { runId })).responses());
    await settle();
    await complete("a.report");
    const seen = await watching;

    expect(seen.map((event) => event.message)).toEqual([
      `run ${runId} started: a.report`,
      "a.fetch INVOKED",
      "a.fetch STARTED",
      "a.fetch COMPLETED",
      "a.report INVOKED",
      "a.report STARTED",
      "a.report COMPLETED",
      `run ${runId} SUCCEEDED`,
    ]);
    expect(seqs(seen)).toEqual(oneToN(8));
    const cursors = seen.map((event) => Number(event.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(seen[0]?.teams).toEqual(["team-a"]);
  });

  it("replays a finished run's events and ends at once", async () => {
    const { api, engine, complete, settle } = await watchedApi();
    const { snapshot } = await engine.startRun({ targets: ["a.fetch"] });
    await complete("a.fetch");
    await settle();
    const seen = await collect((await watch(api, { runId: snapshot.run.id })).responses());
    expect(seen.at(-1)?.kind).toBe(EventKind.RUN_FINISHED);
    expect(seqs(seen)).toEqual(oneToN(5));
  });

  it("resumes a run's watch after a seq, or after a cursor", async () => {
    const { api, engine, complete, settle } = await watchedApi();
    const { snapshot } = await engine.startRun({ targets: ["a.fetch"] });
    await complete("a.fetch");
    await settle();
    const runId = snapshot.run.id;
    const all = await collect((await watch(api, { runId })).responses());
    const afterSeq = await collect((await watch(api, { runId, afterSeq: 3 })).responses());
    expect(seqs(afterSeq)).toEqual([4, 5]);
    const afterCursor = await collect(
      (await watch(api, { runId, afterCursor: all[1]?.cursor ?? "" })).responses(),
    );
    expect(seqs(afterCursor)).toEqual([3, 4, 5]);
  });

  it("loses and repeats nothing when events arrive while it replays", async () => {
    const { api, engine, bus, complete, settle } = await watchedApi();
    const { snapshot } = await engine.startRun({ targets: ["a.fetch"] });
    const runId = snapshot.run.id;
    const noise = (n: number) => ({
      kind: "task-run-changed" as const,
      time: 0,
      message: `noise ${n}`,
      runId,
    });
    // More than two pages of stored events before the watch.
    for (let n = 0; n < 2 * REPLAY_PAGE + 10; n++) bus.publish(noise(n));
    await settle();

    const events = (await watch(api, { runId })).responses();
    const seen: Event[] = [];
    const first = await events.next();
    if (!first.done && first.value.event) seen.push(first.value.event);
    // Stored while the replay is on its first page.
    for (let n = 0; n < 50; n++) bus.publish(noise(1_000 + n));
    await settle();
    await complete("a.fetch");
    for await (const { event } of events) if (event) seen.push(event);

    expect(seqs(seen)).toEqual(oneToN(seen.length));
    expect(seen.filter((event) => event.message.startsWith("noise"))).toHaveLength(
      2 * REPLAY_PAGE + 10 + 50,
    );
    expect(seen.at(-1)?.kind).toBe(EventKind.RUN_FINISHED);
  });

  it("without a run follows from now, or replays from a cursor first; kinds and team filter", async () => {
    const { api, engine, bus, complete, settle } = await watchedApi();
    const first = await engine.startRun({ targets: ["a.fetch"] });
    await complete("a.fetch");
    await settle();
    const past = await collect((await watch(api, { runId: first.snapshot.run.id })).responses());

    const fromNow = (await watch(api, {})).responses();
    const fromCursor = (await watch(api, { afterCursor: past[2]?.cursor ?? "" })).responses();
    const finishes = (await watch(api, { kinds: [EventKind.RUN_FINISHED] })).responses();
    const teamB = (await watch(api, { team: "team-b" })).responses();
    const second = await engine.startRun({ targets: ["a.fetch"] });
    bus.publish({ kind: "graph-changed", time: 0, message: "b declared", teams: ["team-b"] });
    await settle();

    expect((await nextEvent(fromNow))?.message).toBe(
      `run ${second.snapshot.run.id} started: a.fetch`,
    );
    const replayed = [];
    for (let n = 0; n < 3; n++) replayed.push((await nextEvent(fromCursor))?.seq);
    expect(replayed).toEqual([4, 5, 1]);
    expect((await nextEvent(teamB))?.message).toBe("b declared");
    await complete("a.fetch");
    expect((await nextEvent(finishes))?.runId).toBe(second.snapshot.run.id);
  });

  it("begins with the newest stored events when asked for the last ones", async () => {
    const { api, engine, complete, settle } = await watchedApi();
    const empty = (await watch(api, { last: 3 })).responses();
    expect((await empty.next()).value?.caughtUp).toBe(true);
    await engine.startRun({ targets: ["a.fetch"] });
    await complete("a.fetch");
    await settle();
    const events = (await watch(api, { last: 2 })).responses();
    const replayed = [(await events.next()).value, (await events.next()).value];
    expect(replayed.map((response) => response?.event?.kind)).toEqual([
      EventKind.TASK_RUN_CHANGED,
      EventKind.RUN_FINISHED,
    ]);
    expect((await events.next()).value?.caughtUp).toBe(true);
  });

  it("refuses a watch of a run it does not have", async () => {
    const { api } = await watchedApi();
    await expect(watch(api, { runId: "run_nope" })).rejects.toThrow("no run with id run_nope");
  });
});
