import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { EventLog, MAX_UNWRITTEN_EVENTS } from "./event-log.js";
import { EventBus } from "./events.js";
import type { EventLimits, EventStore, LoggedEvent } from "./store/event-store.js";
import { MemoryStore } from "./store/memory-store.js";
import { LogCapture } from "./store/redis-test-support.js";
import { testSnapshot } from "./store/store-contract.js";

/** An event store whose writes wait until the test lets them through. */
class HeldEventStore implements EventStore {
  readonly #inner: EventStore;
  #release: (() => void) | undefined;
  readonly #released: Promise<void>;

  constructor(inner: EventStore) {
    this.#inner = inner;
    this.#released = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#release?.();
  }

  beginEpoch() {
    return this.#inner.beginEpoch();
  }

  async append(events: readonly LoggedEvent[], limits: EventLimits): Promise<void> {
    await this.#released;
    await this.#inner.append(events, limits);
  }

  read(afterCursor: number, limit: number) {
    return this.#inner.read(afterCursor, limit);
  }

  readLast(limit: number) {
    return this.#inner.readLast(limit);
  }

  readRun(runId: string, afterSeq: number, limit: number) {
    return this.#inner.readRun(runId, afterSeq, limit);
  }
}

const event = (n: number, runId?: string) => ({
  kind: "task-run-changed" as const,
  time: n,
  message: `event ${n}`,
  ...(runId === undefined ? {} : { runId }),
});

describe("EventLog", () => {
  it("numbers events by cursor and per run, and hands them to its watchers once stored", async () => {
    const store = new MemoryStore();
    await store.createRun(testSnapshot("run-1", 1_000));
    const bus = new EventBus();
    const log = await EventLog.open({
      bus,
      store: store.events,
      logger: pino({ level: "silent" }),
    });
    const heard: LoggedEvent[] = [];
    log.subscribe((events) => heard.push(...events));
    bus.publish(event(1, "run-1"));
    bus.publish(event(2));
    bus.publish(event(3, "run-1"));
    expect(heard).toEqual([]);
    await log.settled();
    expect(heard.map(({ seq }) => seq)).toEqual([1, 0, 2]);
    expect((await store.events.read(0, 10)).map(({ cursor }) => cursor)).toEqual(
      heard.map(({ cursor }) => cursor),
    );
  });

  it("keeps at most MAX_UNWRITTEN_EVENTS while the store is behind, dropping the oldest with a warning", async () => {
    const store = new MemoryStore();
    const held = new HeldEventStore(store.events);
    const logs = new LogCapture("warn");
    const bus = new EventBus();
    const log = await EventLog.open({
      bus,
      store: held,
      logger: logs.logger,
      limits: { maxEvents: 2 * MAX_UNWRITTEN_EVENTS, maxEventsPerRun: 10 },
    });
    for (let n = 1; n <= MAX_UNWRITTEN_EVENTS + 10; n++) bus.publish(event(n));
    held.release();
    await log.settled();
    const stored = await store.events.read(0, 2 * MAX_UNWRITTEN_EVENTS);
    expect(stored).toHaveLength(MAX_UNWRITTEN_EVENTS);
    expect(stored[0]?.message).toBe("event 11");
    expect(
      logs.matching(`more than ${MAX_UNWRITTEN_EVENTS} events wait for the store`),
    ).toHaveLength(1);
  });
});
