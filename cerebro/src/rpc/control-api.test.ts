import { create } from "@bufbuild/protobuf";
import { EventKind, WatchEventsRequestSchema } from "@cordyna/contract";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { AccessControl } from "../access/access-control.js";
import { EventBus } from "../events.js";
import { LogBook } from "../logs/log-book.js";
import { engineHarness } from "../testing/engine-harness.js";
import { controlApi } from "./control-api.js";
import { SessionRegistry } from "./sessions.js";

async function watchedApi() {
  const { graph, engine, store, clock } = engineHarness();
  const events = new EventBus();
  const access = await AccessControl.open({
    mode: { required: false },
    store: store.access,
    clock,
    logger: pino({ level: "silent" }),
  });
  const logs = new LogBook({ store, engine, events, maxBytesPerAttempt: 1024 });
  const api = controlApi({
    graph,
    engine,
    store,
    sessions: new SessionRegistry(),
    events,
    access,
    logs,
  });
  return { api, events };
}

const watchAll = create(WatchEventsRequestSchema, {});

const started = (runId: string) =>
  ({ kind: "run-started", time: 0, message: `run ${runId} started`, runId }) as const;

describe("ControlApi.watchEvents", () => {
  it("tells a watcher after the turn that published, in order, only of its run when asked", async () => {
    const { api, events } = await watchedApi();
    const all: string[] = [];
    const ofRun: string[] = [];
    api.watchEvents(watchAll, (r) => all.push(r.event?.message ?? ""));
    api.watchEvents(create(WatchEventsRequestSchema, { runId: "run_b" }), (r) =>
      ofRun.push(r.event?.message ?? ""),
    );

    events.publish(started("run_a"));
    events.publish(started("run_b"));
    // Nothing yet: the work that published (e.g. sending an invoke) goes first.
    expect(all).toEqual([]);

    await new Promise((resolve) => setImmediate(resolve));
    expect(all).toEqual(["run run_a started", "run run_b started"]);
    expect(ofRun).toEqual(["run run_b started"]);
  });

  it("tells a watcher only of the kinds it asked for", async () => {
    const { api, events } = await watchedApi();
    const seen: string[] = [];
    api.watchEvents(create(WatchEventsRequestSchema, { kinds: [EventKind.RUN_FINISHED] }), (r) =>
      seen.push(r.event?.message ?? ""),
    );
    events.publish(started("run_a"));
    events.publish({
      kind: "run-finished",
      time: 0,
      message: "run run_a SUCCEEDED",
      runId: "run_a",
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["run run_a SUCCEEDED"]);
  });

  it("tells a watcher that stopped nothing more, not even what was published before it stopped", async () => {
    const { api, events } = await watchedApi();
    const seen: EventKind[] = [];
    const stop = api.watchEvents(watchAll, (r) => seen.push(r.event?.kind ?? 0));
    events.publish(started("run_a"));
    stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
  });
});
