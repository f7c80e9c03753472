import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ControlService,
  DeclarationIssueCode,
  type StartRunRequestSchema,
  type TaskDeclarationSchema,
  TaskState,
  type WatchEventsRequestSchema,
} from "@cordyna/contract";
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Cerebro, startCerebro } from "../cerebro.js";
import { failureOf } from "../testing/call-failure.js";
import { RawSession } from "../testing/raw-session.js";

// Every limit the proto declares with buf.validate, refused over real gRPC
// with the field and the limit named; and the honest request next to it.

const owner = { team: "team-a" };
const NUL = "\u0000";
const RIGHT_TO_LEFT_OVERRIDE = "\u202e";

let cerebro: Cerebro;
let control: ReturnType<typeof createClient<typeof ControlService>>;
const sessions: RawSession[] = [];
const open = (): RawSession => {
  const session = new RawSession(cerebro.address);
  sessions.push(session);
  return session;
};

beforeEach(async () => {
  cerebro = await startCerebro({ port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
  control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
});

afterEach(async () => {
  for (const session of sessions.splice(0)) session.cancel();
  await cerebro.stop();
});

/** A connected task-server declaring a.x, the target of the honest runs. */
async function serveTaskX(): Promise<RawSession> {
  const session = open();
  session.hello("task-server-a", [{ id: "a.x", owner }]);
  await session.next("welcome");
  return session;
}

/** A number the enum does not define, as a hostile peer may send it. */
const undefinedValue = <E extends number>(value: number) => value as E;
const manyParams = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, "v"]));
const taskIds = (count: number) => Array.from({ length: count }, (_, i) => `a.t${i}`);

describe("ControlService refuses requests that break a limit of the proto", () => {
  const refusals: [string, MessageInitShape<typeof StartRunRequestSchema>, string][] = [
    [
      "an idempotency key over 256 bytes",
      { targets: ["a.x"], idempotencyKey: "k".repeat(257) },
      "idempotency_key: must be at most 256 bytes [string.max_bytes]",
    ],
    [
      "a params key with NUL",
      { targets: ["a.x"], params: { [`day${NUL}`]: "1" } },
      'params["day\\u0000"]: must not contain control or format characters (such as NUL or U+202E) [key.printable]',
    ],
    [
      "a params key with a right-to-left override",
      { targets: ["a.x"], params: { [`${RIGHT_TO_LEFT_OVERRIDE}fdp.exe`]: "1" } },
      "must not contain control or format characters (such as NUL or U+202E) [key.printable]",
    ],
    [
      "an empty params key",
      { targets: ["a.x"], params: { "": "1" } },
      'params[""]: must be at least 1 characters [string.min_len]',
    ],
    [
      "a params key over 256 bytes",
      { targets: ["a.x"], params: { ["k".repeat(257)]: "1" } },
      "must be at most 256 bytes [string.max_bytes]",
    ],
    [
      "more than 1,000 params",
      { targets: ["a.x"], params: manyParams(1_001) },
      "params: map must be at most 1000 entries [map.max_pairs]",
    ],
    [
      "an unknown run mode",
      { targets: ["a.x"], mode: undefinedValue(99_999) },
      "mode: value must be one of the defined enum values [enum.defined_only]",
    ],
    [
      "an unknown trigger",
      { targets: ["a.x"], trigger: undefinedValue(42) },
      "trigger: value must be one of the defined enum values [enum.defined_only]",
    ],
    [
      "more than 1,000 targets",
      { targets: taskIds(1_001) },
      "targets: must contain no more than 1000 item(s) [repeated.max_items]",
    ],
    [
      "a target twice",
      { targets: ["a.x", "a.x"] },
      "targets: repeated value must contain unique items [repeated.unique]",
    ],
    [
      "a target that is no task id",
      { targets: ["A X"] },
      "targets[0]: does not match regex pattern `^[a-z0-9][a-z0-9._-]{0,127}$` [string.pattern]",
    ],
  ];

  it.each(refusals)("StartRun: %s", async (_, request, message) => {
    await serveTaskX();
    const [code, text] = await failureOf(control.startRun(request));
    expect(code).toBe(Code.InvalidArgument);
    expect(text).toContain(message);
    expect((await control.listRuns({})).runs).toEqual([]);
  });

  it("StartRun: names every broken limit at once", async () => {
    const [, text] = await failureOf(
      control.startRun({
        targets: ["a.x", "a.x"],
        idempotencyKey: "k".repeat(300),
        mode: undefinedValue(7),
      }),
    );
    expect(text.split("; ")).toHaveLength(3);
  });

  it("StartRun: an honest request at every limit still starts its run", async () => {
    await serveTaskX();
    const { run } = await control.startRun({
      targets: ["a.x"],
      idempotencyKey: "k".repeat(256),
      params: { ...manyParams(999), ["é".repeat(128)]: "tab\tand\nnewline in a value are fine" },
    });
    expect(run?.targets).toEqual(["a.x"]);
    // A thousand distinct well-formed targets pass the limits; unknown ones are NOT_FOUND.
    const [code] = await failureOf(control.startRun({ targets: taskIds(1_000) }));
    expect(code).toBe(Code.NotFound);
  });

  it("ListRuns: a limit over 1,000 is refused; 1,000 is served", async () => {
    const [code, text] = await failureOf(control.listRuns({ limit: 1_001 }));
    expect(code).toBe(Code.InvalidArgument);
    expect(text).toBe("limit: must be less than or equal to 1000 [uint32.lte]");
    expect((await control.listRuns({ limit: 1_000 })).runs).toEqual([]);
  });

  it("WatchEvents: an unknown event kind is refused", async () => {
    const events = control.watchEvents({ kinds: [undefinedValue(77)] });
    const [code, text] = await failureOf(
      (async () => {
        for await (const _ of events) break;
      })(),
    );
    expect(code).toBe(Code.InvalidArgument);
    expect(text).toBe("kinds[0]: value must be one of the defined enum values [enum.defined_only]");
  });

  it("WatchEvents: more than the last 1,000, a cursor that is no number, a team over 128 bytes are refused", async () => {
    const refusal = async (request: MessageInitShape<typeof WatchEventsRequestSchema>) =>
      failureOf(
        (async () => {
          for await (const _ of control.watchEvents(request)) break;
        })(),
      );
    expect(await refusal({ last: 1_001 })).toEqual([
      Code.InvalidArgument,
      "last: must be less than or equal to 1000 [uint32.lte]",
    ]);
    expect((await refusal({ afterCursor: "12ab" }))[1]).toMatch(
      /^after_cursor: does not match regex pattern/,
    );
    expect(await refusal({ team: "t".repeat(129) })).toEqual([
      Code.InvalidArgument,
      "team: must be at most 128 bytes [string.max_bytes]",
    ]);
    // At the limit: served, and the replay of nothing stored is over at once.
    for await (const { caughtUp } of control.watchEvents({ last: 1_000, team: "t".repeat(128) })) {
      expect(caughtUp).toBe(true);
      break;
    }
  });

  it("ListTaskRuns: a limit over 1,000, no task id, a page token over 512 bytes are refused", async () => {
    expect(await failureOf(control.listTaskRuns({ taskId: "a.x", limit: 1_001 }))).toEqual([
      Code.InvalidArgument,
      "limit: must be less than or equal to 1000 [uint32.lte]",
    ]);
    expect((await failureOf(control.listTaskRuns({ taskId: "" })))[1]).toMatch(
      /^task_id: does not match regex pattern/,
    );
    expect(
      await failureOf(control.listTaskRuns({ taskId: "a.x", pageToken: "p".repeat(513) })),
    ).toEqual([Code.InvalidArgument, "page_token: must be at most 512 bytes [string.max_bytes]"]);
    expect((await control.listTaskRuns({ taskId: "a.x", limit: 1_000 })).taskRuns).toEqual([]);
  });
});

describe("TaskServerService refuses declarations that break a limit of the proto", () => {
  const refusals: [string, MessageInitShape<typeof TaskDeclarationSchema>, string][] = [
    [
      "a description over 4 KiB",
      { id: "a.x", owner, description: "d".repeat(4_097) },
      "hello.tasks[0].description: must be at most 4096 bytes [string.max_bytes]",
    ],
    [
      "more than 1,000 dependencies",
      { id: "a.x", owner, dependencies: taskIds(1_001).map((taskId) => ({ taskId })) },
      "hello.tasks[0].dependencies: must contain no more than 1000 item(s) [repeated.max_items]",
    ],
    [
      "a dependency that is no task id",
      { id: "a.x", owner, dependencies: [{ taskId: `a.y${NUL}` }] },
      "hello.tasks[0].dependencies[0].task_id: does not match regex pattern",
    ],
    [
      "an unknown dependency condition",
      { id: "a.x", owner, dependencies: [{ taskId: "a.y", condition: undefinedValue(9) }] },
      "hello.tasks[0].dependencies[0].condition: value must be one of the defined enum values [enum.defined_only]",
    ],
    [
      "an unknown catch-up policy",
      { id: "a.x", owner, schedule: { cron: "* * * * *", catchUp: undefinedValue(9) } },
      "hello.tasks[0].schedule.catch_up: value must be one of the defined enum values [enum.defined_only]",
    ],
    [
      "an unknown overlap policy",
      { id: "a.x", owner, schedule: { cron: "* * * * *", overlap: undefinedValue(9) } },
      "hello.tasks[0].schedule.overlap: value must be one of the defined enum values [enum.defined_only]",
    ],
    [
      "an unknown trigger mode",
      { id: "a.x", owner, dependencies: [{ taskId: "a.y" }], trigger: { mode: undefinedValue(9) } },
      "hello.tasks[0].trigger.mode: value must be one of the defined enum values [enum.defined_only]",
    ],
    [
      "an unknown error cause to retry on",
      { id: "a.x", owner, retry: { maxAttempts: 2, retryOn: [1, undefinedValue(99)] } },
      "hello.tasks[0].retry.retry_on[1]: value must be one of the defined enum values [enum.defined_only]",
    ],
    [
      "ERROR_CAUSE_UNSPECIFIED to retry on",
      { id: "a.x", owner, retry: { maxAttempts: 2, retryOn: [0] } },
      "hello.tasks[0].retry.retry_on[0]: must not be in list [0] [enum.not_in]",
    ],
  ];

  it.each(refusals)(
    "Hello with %s: Rejection naming the task, then INVALID_ARGUMENT",
    async (_, task, message) => {
      const session = open();
      session.hello("task-server-a", [{ id: "a.fine", owner }, task]);
      const rejection = await session.next("rejection");
      expect(rejection.errors).toEqual([
        expect.objectContaining({
          taskId: "a.x",
          code: DeclarationIssueCode.INVALID,
          message: expect.stringContaining(message.replace("tasks[0]", "tasks[1]")),
        }),
      ]);
      const ended = await session.closed();
      expect(ended !== "ended" && ended.code).toBe(status.INVALID_ARGUMENT);
      expect(cerebro.graph.all()).toEqual([]);
    },
  );

  it("Hello with a malformed server name or no instance id is refused, naming the field", async () => {
    const badName = open();
    badName.hello("task server/a", [{ id: "a.x", owner }]);
    expect((await badName.next("rejection")).errors.map((e) => e.message)).toEqual([
      "hello.server_name: does not match regex pattern `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$` [string.pattern]",
    ]);
    const noInstance = open();
    noInstance.hello("task-server-a", [{ id: "a.x", owner }], { instanceId: "" });
    const refused = await noInstance.next("rejection");
    expect(refused.message).toBe("cerebro refused server task-server-a");
    expect(refused.errors.map((e) => e.message)).toEqual([
      "hello.instance_id: value is required [required]",
    ]);
    const ended = await noInstance.closed();
    expect(ended !== "ended" && ended.code).toBe(status.INVALID_ARGUMENT);
  });

  it("an honest Hello at every limit is welcomed", async () => {
    const session = open();
    session.hello("task-server-a", [
      {
        id: "a.x",
        owner,
        description: "é".repeat(2_048),
        dependencies: taskIds(1_000).map((taskId) => ({ taskId })),
      },
    ]);
    await session.next("welcome");
    expect(cerebro.graph.tasksOf("task-server-a")).toEqual(["a.x"]);
  });

  it("a Redeclare that breaks a limit is refused and the stream and declarations stay", async () => {
    const session = await serveTaskX();
    session.send({
      case: "redeclare",
      value: { tasks: [{ id: "a.x", owner, description: "d".repeat(5_000) }] },
    });
    const rejection = await session.next("rejection");
    expect(rejection.message).toBe(
      "cerebro refused the redeclaration of server task-server-a, the previous declaration stays",
    );
    expect(rejection.errors.map((e) => e.message)).toEqual([
      "redeclare.tasks[0].description: must be at most 4096 bytes [string.max_bytes]",
    ]);
    const welcomes = session.received.length;
    session.send({
      case: "redeclare",
      value: { tasks: [{ id: "a.x", owner, description: "ok" }] },
    });
    await session.next("welcome", welcomes);
    expect(cerebro.graph.get("a.x")?.definition.description).toBe("ok");
  });
});

describe("TaskServerService ends the stream of an update that breaks a limit", () => {
  async function invoked(): Promise<[RawSession, string]> {
    const session = await serveTaskX();
    await cerebro.engine.startRun({ targets: ["a.x"] });
    const { attemptId } = await session.next("invoke");
    return [session, attemptId];
  }

  const refusals: [string, Record<string, string>, number, string][] = [
    [
      "an output key with NUL",
      { [`rows${NUL}`]: "1" },
      TaskState.COMPLETED,
      'task_state.outputs["rows\\u0000"]: must not contain control or format characters (such as NUL or U+202E) [key.printable]',
    ],
    [
      "an output key with a right-to-left override",
      { [`${RIGHT_TO_LEFT_OVERRIDE}rows`]: "1" },
      TaskState.COMPLETED,
      "[key.printable]",
    ],
    [
      "more than 1,000 outputs",
      manyParams(1_001),
      TaskState.COMPLETED,
      "task_state.outputs: map must be at most 1000 entries [map.max_pairs]",
    ],
    [
      "an unknown state",
      {},
      99_999,
      "task_state.state: value must be one of the defined enum values [enum.defined_only]",
    ],
  ];

  it.each(refusals)("%s: INVALID_ARGUMENT naming the field", async (_, outputs, state, message) => {
    const [session, attemptId] = await invoked();
    session.send({ case: "taskState", value: { seq: 1n, attemptId, state, outputs } });
    const ended = await session.closed();
    expect(ended !== "ended" && ended.code).toBe(status.INVALID_ARGUMENT);
    expect(session.describeStatus()).toContain(message);
    expect(session.received.some((m) => m.message.case === "ack")).toBe(false);
  });

  it("an invalid update behind valid ones in one read: those before it are acknowledged, it ends the stream", async () => {
    const [session, attemptId] = await invoked();
    session.send({ case: "taskState", value: { seq: 1n, attemptId, state: TaskState.STARTED } });
    session.send({
      case: "taskStates",
      value: {
        updates: [{ seq: 2n, attemptId, state: TaskState.COMPLETED, outputs: { [NUL]: "x" } }],
      },
    });
    const ended = await session.closed();
    expect(ended !== "ended" && ended.code).toBe(status.INVALID_ARGUMENT);
    expect(session.describeStatus()).toContain("task_states.updates[0].outputs");
    expect(await session.next("ack")).toMatchObject({ throughSeq: 1n });
  });
});
