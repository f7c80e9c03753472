// Declarations at their limits, over real gRPC: too many tasks or too long a
// chain is refused naming the setting; a large declaration is applied in
// slices, other calls are answered meanwhile, and it appears all at once.
import { createControlClient } from "@cordyna/contract";
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Cerebro, type CerebroOptions, startCerebro } from "../cerebro.js";
import type { Pause } from "../slices.js";
import { RawSession } from "../testing/raw-session.js";

const owner = { team: "team-w" };

let cerebro: Cerebro | undefined;
const sessions: RawSession[] = [];

async function start(options: CerebroOptions): Promise<Cerebro> {
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    ...options,
  });
  return cerebro;
}

function open(address: string): RawSession {
  const session = new RawSession(address);
  sessions.push(session);
  return session;
}

afterEach(async () => {
  for (const session of sessions.splice(0)) session.cancel();
  await cerebro?.stop();
  cerebro = undefined;
});

/** `width` tasks in each of `layers` layers, each depending on three of the layer above. */
function layered(layers: number, width: number) {
  const id = (layer: number, i: number) =>
    `w.${String(layer).padStart(3, "0")}.${String(i).padStart(3, "0")}`;
  const tasks = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < width; i++) {
      const above =
        layer === 0 ? [] : [0, 1, 7].map((offset) => id(layer - 1, (i + offset) % width));
      tasks.push({ id: id(layer, i), owner, dependencies: above.map((taskId) => ({ taskId })) });
    }
  }
  return { tasks, id };
}

function chain(length: number) {
  return Array.from({ length }, (_, i) => ({
    id: `c.${i}`,
    owner,
    dependencies: i === 0 ? [] : [{ taskId: `c.${i - 1}` }],
  }));
}

describe("the tasks-per-declaration limit", () => {
  it("refuses a hello of more tasks, naming the limit and its setting, with INVALID_ARGUMENT", async () => {
    const { address, graph } = await start({ maxTasksPerDeclaration: 3 });
    const session = open(address);
    session.hello("server-w", chain(4));
    const rejection = await session.next("rejection");
    expect(rejection.message).toBe("cerebro refused server server-w");
    expect(rejection.errors.map((e) => e.message)).toEqual([
      "the declaration holds 4 tasks, more than the limit of 3 (CORDYNA_MAX_TASKS_PER_DECLARATION): split the tasks among several server names",
    ]);
    const ended = await session.closed();
    expect(ended !== "ended" && ended.code).toBe(status.INVALID_ARGUMENT);
    expect(graph.all()).toEqual([]);
  });

  it("refuses a redeclaration of more tasks and keeps the previous declaration and the stream", async () => {
    const { address, graph } = await start({ maxTasksPerDeclaration: 3 });
    const session = open(address);
    session.hello("server-w", chain(3));
    await session.next("welcome");

    const before = session.received.length;
    session.send({ case: "redeclare", value: { tasks: chain(4) } });
    const rejection = await session.next("rejection", before);
    expect(rejection.message).toBe(
      "cerebro refused the redeclaration of server server-w, the previous declaration stays",
    );
    expect(rejection.errors.map((e) => e.message)).toEqual([
      "the declaration holds 4 tasks, more than the limit of 3 (CORDYNA_MAX_TASKS_PER_DECLARATION): split the tasks among several server names",
    ]);
    expect(graph.tasksOf("server-w")).toEqual(["c.0", "c.1", "c.2"]);

    const afterRejection = session.received.length;
    session.send({ case: "redeclare", value: { tasks: chain(2) } });
    await session.next("welcome", afterRejection);
    expect(graph.tasksOf("server-w")).toEqual(["c.0", "c.1"]);
  });
});

describe("the chain-length limit", () => {
  it("is set at start, and a longer chain is refused naming the setting", async () => {
    const { address, graph } = await start({ maxChainLength: 3 });
    const session = open(address);
    session.hello("server-w", chain(4));
    const rejection = await session.next("rejection");
    expect(rejection.errors.map((e) => e.message)).toEqual([
      "declaring c.3 would make a chain of 4 dependent tasks, more than the limit of 3 (CORDYNA_MAX_CHAIN_LENGTH): c.3 → c.2 → c.1 → c.0",
    ]);
    expect(graph.all()).toEqual([]);
  });
});

describe("a large declaration", () => {
  it("is applied in slices: calls made meanwhile are answered from the graph before it, which then changes at once", async () => {
    // Holds the first declaration that reaches a point where it may pause.
    let reachedPause: () => void = () => {};
    const paused = new Promise<void>((resolve) => {
      reachedPause = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    const holdOnce: Pause = () => {
      if (held) return undefined;
      held = true;
      reachedPause();
      return released;
    };
    const { address, graph } = await start({ declarationSlices: () => holdOnce });
    const control = createControlClient(address);
    const { tasks, id } = layered(10, 1_000);

    const big = open(address);
    big.hello("server-w", tasks);
    await paused;
    // Held in the middle of the declaration: the event loop is free, and
    // nothing of the declaration is visible yet.
    const during = await control.listServers({});
    expect(during.servers).toEqual([]);
    expect((await control.listTasks({})).tasks).toEqual([]);
    expect(graph.get(id(0, 0))).toBeUndefined();
    // A second server claiming one of its tasks waits for it, then is refused.
    const rival = open(address);
    rival.hello("server-rival", [{ id: id(0, 0), owner: { team: "team-r" } }]);

    release();
    const welcome = await big.next("welcome");
    expect(welcome.warnings).toEqual([]);
    const after = await control.listServers({});
    expect(after.servers.map((server) => [server.name, server.taskIds.length])).toEqual([
      ["server-w", 10_000],
    ]);
    const rivalEnded = await rival.closed();
    expect(rivalEnded !== "ended" && rivalEnded.code).toBe(status.ALREADY_EXISTS);
  });

  it("of 50,000 tasks is accepted whole, with the limit raised", async () => {
    const { address, graph, events } = await start({ maxTasksPerDeclaration: 50_000 });
    const { tasks, id } = layered(50, 1_000);
    const changes: string[] = [];
    events.subscribe((event) => {
      if (event.kind === "graph-changed") changes.push(event.message);
    });
    const session = open(address);
    session.hello("server-w", tasks);
    const welcome = await session.next("welcome", 0, 60_000);
    expect(welcome.warnings).toEqual([]);
    expect(graph.tasksOf("server-w")).toHaveLength(50_000);
    expect(graph.downstreamOf(id(48, 0))).toEqual([id(49, 0), id(49, 993), id(49, 999)]);
    expect(graph.get(id(49, 999))?.definition.dependencies.map((d) => d.taskId)).toEqual([
      id(48, 999),
      id(48, 0),
      id(48, 6),
    ]);
    expect(graph.all().every(({ definition }) => !graph.unresolvedReason(definition.id))).toBe(
      true,
    );
    const firstTen = Array.from({ length: 10 }, (_, i) => id(0, i)).join(", ");
    expect(changes).toEqual([`server-w declared 50000 tasks: ${firstTen} and 49990 more`]);
  }, 120_000);
});

describe("a declaration in parts (protocol 1.2)", () => {
  it("declares nothing until the last part, then all of it at once", async () => {
    const { address, graph } = await start({});
    const tasks = chain(7);
    const session = open(address);
    session.hello("server-w", tasks.slice(0, 3), { tasksContinue: true });
    session.send({ case: "declarationPart", value: { tasks: tasks.slice(3, 6) } });
    // Cerebro has read both, and declared nothing: a second stream's hello is answered first.
    const other = open(address);
    other.hello("server-x", [{ id: "x.one", owner }]);
    await other.next("welcome");
    expect(graph.tasksOf("server-w")).toEqual([]);
    session.send({ case: "declarationPart", value: { tasks: tasks.slice(6), last: true } });
    await session.next("welcome");
    expect(graph.tasksOf("server-w")).toHaveLength(7);
  });

  it("redeclares in parts, and refuses too many tasks across the parts, keeping the previous declaration", async () => {
    const { address, graph } = await start({ maxTasksPerDeclaration: 4 });
    const session = open(address);
    session.hello("server-w", chain(2));
    await session.next("welcome");
    session.send({ case: "redeclare", value: { tasks: chain(3), tasksContinue: true } });
    session.send({ case: "declarationPart", value: { tasks: [{ id: "c.3", owner }], last: true } });
    await session.next("welcome", 1);
    expect(graph.tasksOf("server-w")).toHaveLength(4);

    session.send({ case: "redeclare", value: { tasks: chain(3), tasksContinue: true } });
    session.send({ case: "declarationPart", value: { tasks: chain(5).slice(3) } });
    session.send({
      case: "declarationPart",
      value: { tasks: [{ id: "c.5", owner }], last: true },
    });
    const rejection = await session.next("rejection");
    expect(rejection.errors.map((e) => e.message)).toContainEqual(
      expect.stringContaining(
        "the declaration holds 6 tasks, more than the limit of 4 (CORDYNA_MAX_TASKS_PER_DECLARATION)",
      ),
    );
    expect(graph.tasksOf("server-w")).toHaveLength(4);
    expect(session.describeStatus()).toBe("open");
  });

  it("refuses any other message before the last part, and a part nothing announced", async () => {
    const { address } = await start({});
    const interrupted = open(address);
    interrupted.hello("server-w", chain(2), { tasksContinue: true });
    interrupted.send({ case: "heartbeat", value: {} });
    await interrupted.closed();
    expect(interrupted.describeStatus()).toBe(
      `${status.FAILED_PRECONDITION} heartbeat arrived before the last DeclarationPart of the hello that said tasks_continue`,
    );
    const unannounced = open(address);
    unannounced.send({ case: "declarationPart", value: { tasks: chain(1), last: true } });
    await unannounced.closed();
    expect(unannounced.describeStatus()).toBe(
      `${status.FAILED_PRECONDITION} a DeclarationPart may only follow a hello or redeclare that said tasks_continue`,
    );
    const empty = open(address);
    empty.hello("server-w", chain(1), { tasksContinue: true });
    empty.send({ case: "declarationPart", value: { tasks: [] } });
    await empty.closed();
    expect(empty.describeStatus()).toBe(
      `${status.INVALID_ARGUMENT} a DeclarationPart without tasks must be the last`,
    );
  });
});
