// What the control API shows of retention: ListRuns pages, server names that
// leave ListServers, and ForgetServer, over real gRPC and through dyna.

import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, ManualClock, MemoryStore, startCerebro } from "@cordyna/cerebro";
import { ControlService } from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { failureOf } from "../../cerebro/src/testing/call-failure.js";
import { RawSession } from "../../cerebro/src/testing/raw-session.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const HOUR = 3_600_000;

let clock: ManualClock;
let store: MemoryStore;
let cerebro: Cerebro;
let control: ReturnType<typeof createClient<typeof ControlService>>;
let session: RawSession;

beforeEach(async () => {
  clock = new ManualClock();
  store = new MemoryStore();
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    clock,
    store,
    serverRetentionMs: 24 * HOUR,
  });
  control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  session = await connect("task-server-a");
});

afterEach(async () => {
  session.cancel();
  await cerebro.stop();
  await store.close();
});

async function connect(serverName: string): Promise<RawSession> {
  const raw = new RawSession(cerebro.address);
  raw.hello(serverName, [{ id: "a.extract", owner: { team: "team-a" } }]);
  await raw.next("welcome");
  return raw;
}

/** Ends the session and waits until cerebro has seen it go. */
async function disconnect(raw: RawSession): Promise<void> {
  const gone = new Promise<void>((resolve) => {
    const stop = cerebro.events.subscribe((event) => {
      if (event.kind !== "server-disconnected") return;
      stop();
      resolve();
    });
  });
  raw.cancel();
  await gone;
}

async function dyna(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = recordingIo();
  const code = await runCli([...args, "--cerebro", cerebro.address], { io, now: () => 0 });
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("ListRuns", () => {
  it("pages through every run once, newest first, while new runs start", async () => {
    const started: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { run } = await control.startRun({ targets: ["a.extract"] });
      started.push(run?.id ?? "");
      clock.advance(1);
    }
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await control.listRuns({ limit: 3, pageToken });
      expect(page.runs.length).toBeLessThanOrEqual(3);
      seen.push(...page.runs.map((run) => run.id));
      pageToken = page.nextPageToken;
      await control.startRun({ targets: ["a.extract"] });
    } while (pageToken !== "");
    expect(seen).toEqual(started.reverse());
  });

  it("refuses a page over 1,000 runs and a token it did not make", async () => {
    expect(await failureOf(control.listRuns({ limit: 1_001 }))).toEqual([
      Code.InvalidArgument,
      "limit: must be less than or equal to 1000 [uint32.lte]",
    ]);
    const [code, message] = await failureOf(control.listRuns({ pageToken: "bogus" }));
    expect(code).toBe(Code.InvalidArgument);
    expect(message).toMatch(/^page_token is not one that ListRuns returned/);
  });

  it("dyna runs shows one page and how to get the next", async () => {
    for (let i = 0; i < 3; i++) {
      await control.startRun({ targets: ["a.extract"] });
      clock.advance(1);
    }
    const first = await dyna("runs", "--limit", "2");
    expect(first.code).toBe(0);
    const more = /More runs: dyna runs --limit 2 --page (\S+)$/.exec(first.out);
    expect(more, first.out).not.toBeNull();
    const next = await dyna("runs", "--limit", "2", "--page", more?.[1] ?? "");
    expect(next.code).toBe(0);
    expect(next.out).not.toContain("More runs");
    const ids = (text: string) => text.match(/run_\w+/g) ?? [];
    const { runs } = await control.listRuns({});
    expect([...ids(first.out), ...ids(next.out)]).toEqual(runs.map((run) => run.id));
  });
});

describe("ListServers and ForgetServer", () => {
  it("lists a server name without instances for the server retention only; its tasks stay", async () => {
    await disconnect(session);
    const names = async () => (await control.listServers({})).servers.map((s) => s.name);
    expect(await names()).toEqual(["task-server-a"]);
    clock.advance(24 * HOUR);
    expect(await names()).toEqual(["task-server-a"]);
    clock.advance(1);
    expect(await names()).toEqual([]);
    expect((await control.listTasks({})).tasks.map((t) => [t.taskId, t.serverName])).toEqual([
      ["a.extract", "task-server-a"],
    ]);

    session = await connect("task-server-a");
    expect(await names()).toEqual(["task-server-a"]);
  });

  it("forgets a server's declarations, in the graph and the store, once no instance is connected", async () => {
    expect(await failureOf(control.forgetServer({ serverName: "task-server-a" }))).toEqual([
      Code.FailedPrecondition,
      "server task-server-a has 1 connected instance(s) (task-server-a-raw): stop them first, or their next hello declares its tasks again",
    ]);
    const refused = await dyna("servers", "forget", "task-server-a");
    expect(refused.code).toBe(3);
    expect(refused.err).toContain("stop them first");

    await disconnect(session);
    const forgotten = await dyna("servers", "forget", "task-server-a");
    expect(forgotten).toMatchObject({
      code: 0,
      out: "Forgot server task-server-a: a.extract no longer declared.",
    });
    expect((await control.listTasks({})).tasks).toEqual([]);
    expect((await control.listServers({})).servers).toEqual([]);
    expect((await store.loadDeclarations()).size).toBe(0);

    expect(await failureOf(control.forgetServer({ serverName: "task-server-a" }))).toEqual([
      Code.NotFound,
      "server task-server-a declares no tasks",
    ]);
    expect((await dyna("servers", "forget")).code).toBe(2);
  });
});
