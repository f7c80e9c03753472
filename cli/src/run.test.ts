import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ControlClient,
  ErrorCause,
  type Event,
  EventKind,
  EventSchema,
  GetRunResponseSchema,
  type Run,
  RunMode,
  RunSchema,
  RunState,
  type StartRunRequestSchema,
  StartRunResponseSchema,
  TaskState,
  type WatchEventsResponse,
  WatchEventsResponseSchema,
} from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { runCli } from "./main.js";
import { stripAnsi } from "./render.js";
import { followRun } from "./run.js";
import { aborted, fakeCli } from "./test-support.js";

const T0 = Date.UTC(2025, 0, 15, 10, 0, 0, 0);
const at = (ms: number) => timestampFromMs(T0 + ms);

const ingest = { team: "ingest", contact: "ingest@example.com" };

function run(state: RunState, extra: Exclude<MessageInitShape<typeof RunSchema>, Run> = {}): Run {
  return create(RunSchema, {
    id: "run_1",
    state,
    targets: ["a.clean"],
    createdAt: at(0),
    taskRuns: [
      { id: "tr_1", taskId: "a.import", serverName: "sa", state: TaskState.PENDING, owner: ingest },
      {
        id: "tr_2",
        taskId: "a.clean",
        serverName: "sa",
        state: TaskState.PENDING,
        owner: ingest,
        upstream: ["a.import"],
      },
    ],
    ...extra,
  });
}

const failed = run(RunState.FAILED, {
  finishedAt: at(900),
  summary: {
    completed: 1,
    failed: [
      {
        taskId: "a.clean",
        owner: ingest,
        serverName: "sa",
        errorCause: ErrorCause.TASK_FAILED,
        errorDescription: "disk full",
      },
    ],
  },
});

function event(init: MessageInitShape<typeof EventSchema>): Event {
  return create(EventSchema, { runId: "run_1", ...init });
}

const events: Event[] = [
  event({
    kind: EventKind.TASK_RUN_CHANGED,
    time: at(100),
    taskRunId: "tr_1",
    taskId: "a.import",
    state: TaskState.STARTED,
    serverName: "sa",
    message: "a.import STARTED",
  }),
  event({
    kind: EventKind.TASK_RUN_CHANGED,
    time: at(200),
    taskRunId: "tr_1",
    taskId: "a.import",
    state: TaskState.COMPLETED,
    serverName: "sa",
    message: "a.import COMPLETED",
  }),
  event({
    kind: EventKind.TASK_RUN_CHANGED,
    time: at(800),
    taskRunId: "tr_2",
    taskId: "a.clean",
    state: TaskState.ERROR,
    errorCause: ErrorCause.TASK_FAILED,
    serverName: "sa",
    message: "a.clean ERROR(TASK_FAILED): disk full",
    detail: "disk full",
  }),
  event({
    kind: EventKind.RUN_FINISHED,
    time: at(900),
    runState: RunState.FAILED,
    message: "run run_1 FAILED",
  }),
];

function finishedAs(runState: RunState, detail = ""): Event {
  return event({ kind: EventKind.RUN_FINISHED, time: at(10), runState, detail });
}

interface FakeOptions {
  /** What GetRun answers, in turn; the last answer repeats. */
  getRuns: Run[];
  /** What the watch delivers before it waits for cancellation. */
  events?: Event[];
  start?: Run;
}

function fakeClient(o: FakeOptions) {
  const calls = {
    getRun: 0,
    watchAborted: false,
    started: [] as unknown[],
    watched: [] as unknown[],
  };
  const client: Partial<ControlClient> = {
    startRun: async (req) => {
      calls.started.push(req);
      return create(StartRunResponseSchema, { run: o.start ?? run(RunState.RUNNING) });
    },
    getRun: async () => {
      const answer = o.getRuns[Math.min(calls.getRun, o.getRuns.length - 1)];
      calls.getRun++;
      return create(GetRunResponseSchema, answer === undefined ? {} : { run: answer });
    },
    watchEvents: async function* (req, options): AsyncGenerator<WatchEventsResponse> {
      calls.watched.push(req);
      for (const e of o.events ?? []) yield create(WatchEventsResponseSchema, { event: e });
      // Cerebro ends a run's watch after the run's final event.
      if (o.events?.at(-1)?.kind === EventKind.RUN_FINISHED) return;
      await aborted(options?.signal);
      calls.watchAborted = true;
      throw new ConnectError("cancelled", Code.Canceled);
    },
  };
  return { client, calls };
}

describe("followRun", () => {
  it("hands on the watch's events until it ends with the run, then returns the run from one GetRun", async () => {
    const { client, calls } = fakeClient({ getRuns: [failed], events });
    const seen: Event[] = [];
    const final = await followRun(client as ControlClient, run(RunState.RUNNING), {
      onEvent: (e) => seen.push(e),
    });
    expect(final.state).toBe(RunState.FAILED);
    expect(seen.map((e) => e.message)).toEqual(events.map((e) => e.message));
    expect(calls.getRun).toBe(1);
    expect(calls.watched).toEqual([{ runId: "run_1", kinds: [] }]);
  });

  it("asks cerebro only for the kinds of events it is told to", async () => {
    const finishedOnly = events.filter((e) => e.kind === EventKind.RUN_FINISHED);
    const { client, calls } = fakeClient({ getRuns: [failed], events: finishedOnly });
    await followRun(client as ControlClient, run(RunState.RUNNING), {
      kinds: [EventKind.RUN_FINISHED],
    });
    expect(calls.watched).toEqual([
      { runId: run(RunState.RUNNING).id, kinds: [EventKind.RUN_FINISHED] },
    ]);
  });

  it("stops early when its signal is aborted, returning the run as GetRun sees it", async () => {
    const { client, calls } = fakeClient({ getRuns: [run(RunState.RUNNING)] });
    const stop = new AbortController();
    const following = followRun(client as ControlClient, run(RunState.RUNNING), {
      signal: stop.signal,
    });
    stop.abort();
    const final = await following;
    expect(final.state).toBe(RunState.RUNNING);
    expect(calls.watchAborted).toBe(true);
  });

  it("propagates a failing watch", async () => {
    const client: Partial<ControlClient> = {
      getRun: async () => create(GetRunResponseSchema, { run: run(RunState.RUNNING) }),
      // biome-ignore lint/correctness/useYield: a stream that fails before its first message
      watchEvents: async function* (): AsyncGenerator<WatchEventsResponse> {
        throw new ConnectError("gone", Code.Unavailable);
      },
    };
    await expect(followRun(client as ControlClient, run(RunState.RUNNING), {})).rejects.toThrow(
      "gone",
    );
  });
});

describe("dyna run", () => {
  it("follows the run, prints the timeline and summary, exits 1 when it failed", async () => {
    const { client, calls } = fakeClient({ getRuns: [failed], events });
    const { io, overrides } = fakeCli(client);
    const code = await runCli(
      [
        "run",
        "a.clean",
        "--param",
        "day=2025-01-15",
        "--mode",
        "test",
        "--downstream",
        "--idempotency-key",
        "k1",
      ],
      overrides,
    );
    expect(code).toBe(1);
    const req = calls.started[0] as MessageInitShape<typeof StartRunRequestSchema>;
    expect(req).toMatchObject({
      targets: ["a.clean"],
      params: { day: "2025-01-15" },
      mode: RunMode.TEST,
      withDownstream: true,
      withoutUpstream: false,
      idempotencyKey: "k1",
    });
    const out = io.stdout.join("\n");
    expect(out).toContain("Run run_1 started: 2 task-runs planned (a.import, a.clean)");
    expect(out).toMatch(/a\.clean\s+ERROR\s+TASK_FAILED\s+sa\s+disk full/);
    expect(out).toContain("Run run_1 FAILED in 900ms");
    expect(out).toContain("owner: team ingest <ingest@example.com>");
    // The last line names the outcome and the team that owns the failure.
    expect(io.stdout.at(-1)).toBe("Run run_1 FAILED: failed a.clean (team ingest)");
  });

  it("on a terminal redraws a live view in place, then prints the summary", async () => {
    const { client } = fakeClient({ getRuns: [failed], events });
    const { io, overrides } = fakeCli(client);
    const terminal = { ...io, isTTY: true, columns: 60 };
    const code = await runCli(["run", "a.clean"], {
      ...overrides,
      io: terminal,
      now: () => T0 + 1_000,
    });
    expect(code).toBe(1);
    const frames = io.stdout.filter((text) => text.includes("run_1  "));
    // The first frame, then one per event, each over the one before.
    expect(frames).toHaveLength(events.length + 1);
    expect(frames.slice(1).every((frame) => frame.startsWith("\u001b[3F\u001b[J"))).toBe(true);
    expect(frames.at(-1)).toContain("a.clean");
    expect(frames.at(-1)).toContain("team ingest: TASK_FAILED: disk full");
    for (const frame of frames) {
      const lines = frame.replace("\u001b[3F\u001b[J", "").split("\n");
      for (const line of lines) expect(stripAnsi(line).length).toBeLessThan(60);
    }
    expect(stripAnsi(io.stdout.at(-1) ?? "")).toBe(
      "Run run_1 FAILED: failed a.clean (team ingest)",
    );
  });

  it("exits 0 when the run succeeded", async () => {
    const ok = run(RunState.SUCCEEDED, { finishedAt: at(10), summary: { completed: 2 } });
    const { client } = fakeClient({ getRuns: [ok], events: [finishedAs(RunState.SUCCEEDED)] });
    const { overrides } = fakeCli(client);
    expect(await runCli(["run", "a.clean"], overrides)).toBe(0);
  });

  it("exits 1 when the run was cancelled", async () => {
    const cancelled = run(RunState.CANCELLED, { finishedAt: at(10), summary: { cancelled: 2 } });
    const { client } = fakeClient({
      getRuns: [cancelled],
      events: [finishedAs(RunState.CANCELLED, "wrong day")],
    });
    const { io, overrides } = fakeCli(client);
    expect(await runCli(["run", "a.clean"], overrides)).toBe(1);
    expect(io.stdout.at(-1)).toBe("Run run_1 CANCELLED: wrong day");
  });

  it("--json prints only the final run, as one JSON document", async () => {
    const { client } = fakeClient({ getRuns: [failed], events });
    const { io, overrides } = fakeCli(client);
    expect(await runCli(["run", "a.clean", "--json"], overrides)).toBe(1);
    expect(io.stdout).toHaveLength(1);
    const json = JSON.parse(io.stdout[0] ?? "");
    expect(json.state).toBe("RUN_STATE_FAILED");
    expect(json.summary.failed[0].owner.team).toBe("ingest");
  });

  it("--no-follow returns after StartRun", async () => {
    const { client, calls } = fakeClient({ getRuns: [] });
    const { io, overrides } = fakeCli(client);
    expect(await runCli(["run", "a.clean", "--no-follow"], overrides)).toBe(0);
    expect(calls.getRun).toBe(0);
    expect(io.stdout.join("\n")).toContain("dyna runs run_1");
  });

  it("exits 3 with the gRPC code when cerebro refuses or is unreachable", async () => {
    for (const [err, text] of [
      [
        new ConnectError("no server declares task nope", Code.NotFound),
        "NOT_FOUND: no server declares task nope",
      ],
      [
        new ConnectError("connect ECONNREFUSED", Code.Unavailable),
        "UNAVAILABLE: connect ECONNREFUSED",
      ],
    ] as const) {
      const { io, overrides } = fakeCli({
        startRun: async () => {
          throw err;
        },
      });
      expect(await runCli(["run", "nope"], overrides)).toBe(3);
      expect(io.stderr.join("\n")).toContain(text);
    }
  });
});
