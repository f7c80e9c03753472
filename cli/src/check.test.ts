// dyna check against a real cerebro, whose graph real task-servers of three
// teams declare: team-a's upstream tasks, team-b's downstream of them, and
// team-c's downstream of team-b's.

import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Cerebro } from "@cordyna/cerebro";
import { createAccessClient, Role } from "@cordyna/contract";
import { type TaskOptions, TaskServer } from "@cordyna/task-server";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../cerebro/src/testing/index.js";
import { loopbackCerebros } from "../../cerebro/src/testing/loopback-cerebros.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const cerebros = loopbackCerebros();
const silent = pino({ level: "silent" });
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const teamA = { name: "server-a", team: "team-a", contact: "a@example.com" };
const teamB = { name: "server-b", team: "team-b", contact: "b@example.com" };
const teamC = { name: "server-c", team: "team-c", contact: "c@example.com" };

/** team-a's tasks as they are live: rates fetched daily at 06:00 UTC. */
const LIVE_A: TaskOptions[] = [
  { id: "a.orders" },
  { id: "a.rates", schedule: { cron: "0 6 * * *" } },
  { id: "a.unused" },
];
const LIVE_B: TaskOptions[] = [
  { id: "b.sales", dependsOn: ["a.orders", { task: "a.rates", freshWithin: "26h" }] },
  { id: "b.report", dependsOn: ["b.sales"] },
];
const LIVE_C: TaskOptions[] = [{ id: "c.audit", dependsOn: ["b.report"] }];

type ServerIdentity = typeof teamA;

/** A task-server declaring `tasks`, not started: what it would print with --print-declarations. */
function taskServer(identity: ServerIdentity, tasks: readonly TaskOptions[]): TaskServer {
  const server = new TaskServer({ ...identity, logger: silent, handleSignals: false });
  for (const task of tasks) server.task(task, () => ({}));
  return server;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cordyna-check-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A task-server connected to `cerebro`, normal or the candidate of a change, stopped after the test. */
async function connectServer(
  cerebro: Cerebro,
  identity: ServerIdentity,
  tasks: readonly TaskOptions[],
  options: { readonly candidate?: string; readonly token?: string } = {},
): Promise<void> {
  const server = new TaskServer({
    ...identity,
    cerebro: cerebro.address,
    logger: silent,
    handleSignals: false,
    candidate: options.candidate ?? false,
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  for (const task of tasks) server.task(task, () => ({}));
  cerebros.onCleanup(() => server.stop());
  await server.start();
}

/**
 * A cerebro with server-a, server-b and server-c connected and their tasks
 * declared; with an admin token, one that requires credentials.
 */
async function liveGraph(adminToken?: string): Promise<Cerebro> {
  const cerebro = await cerebros.start(
    adminToken === undefined ? {} : { auth: { required: true, adminToken } },
  );
  for (const [identity, tasks] of [
    [teamA, LIVE_A],
    [teamB, LIVE_B],
    [teamC, LIVE_C],
  ] as const) {
    await connectServer(
      cerebro,
      identity,
      tasks,
      adminToken === undefined ? {} : { token: adminToken },
    );
  }
  return cerebro;
}

let files = 0;
/** The file a task-server with these tasks would print with --print-declarations. */
async function candidate(identity: ServerIdentity, tasks: readonly TaskOptions[]): Promise<string> {
  const file = join(dir, `candidate-${++files}.json`);
  await writeFile(file, JSON.stringify(taskServer(identity, tasks).declarationsJson()));
  return file;
}

async function dyna(cerebro: Cerebro | string, args: string[], token?: string) {
  const address = typeof cerebro === "string" ? cerebro : cerebro.address;
  const io = recordingIo({
    CORDYNA_ADDR: address,
    ...(token === undefined ? {} : { CORDYNA_TOKEN: token }),
  });
  const code = await runCli(["check", ...args], { io, now: () => Date.now() });
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

/** "kind task → affected (team)" of each break in a --json report. */
async function breaks(cerebro: Cerebro, args: string[]): Promise<string[]> {
  const { code, out } = await dyna(cerebro, [...args, "--json"]);
  const report = JSON.parse(out) as {
    breaking: { kind: string; task: string; affected: { task: string; team: string } }[];
  };
  expect(code).toBe(report.breaking.length > 0 ? 1 : 0);
  return report.breaking.map(
    (b) => `${b.kind} ${b.task} → ${b.affected.task} (${b.affected.team})`,
  );
}

describe("dyna check", () => {
  it("passes declarations that only add a task and drop one nobody needs, listing both", async () => {
    const cerebro = await liveGraph();
    const file = await candidate(teamA, [...LIVE_A.slice(0, 2), { id: "a.customers" }]);
    const { code, out } = await dyna(cerebro, ["--declarations", file]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        `Server server-a (team team-a): its 3 tasks against the graph of cerebro at ${cerebro.address}.`,
        "No breaking change.",
        "",
        "Not breaking (2):",
        "  removed a.unused: no longer declared; nothing depends on it",
        "  added a.customers: new task",
      ].join("\n"),
    );
  });

  it("names each team's task a removed or renamed task breaks, with its contact, and exits 1", async () => {
    const cerebro = await liveGraph();
    const renamed = await candidate(teamA, [{ id: "a.orders-v2" }, ...LIVE_A.slice(1)]);
    const { code, out } = await dyna(cerebro, ["--declarations", renamed]);
    expect(code).toBe(1);
    expect(out).toBe(
      [
        `Server server-a (team team-a): its 3 tasks against the graph of cerebro at ${cerebro.address}.`,
        "3 breaking changes for 2 teams:",
        "",
        "team team-b",
        "  removed a.orders → b.report (server-b, contact b@example.com)",
        "    b.report depends on a.orders through b.sales, and server-a no longer declares it: runs of b.report would be refused",
        "  removed a.orders → b.sales (server-b, contact b@example.com)",
        "    b.sales depends on a.orders, which server-a no longer declares: runs of b.sales would be refused",
        "",
        "team team-c",
        "  removed a.orders → c.audit (server-c, contact c@example.com)",
        "    c.audit depends on a.orders through b.sales, and server-a no longer declares it: runs of c.audit would be refused",
        "",
        "Not breaking (1):",
        "  added a.orders-v2: new task",
      ].join("\n"),
    );
  });

  it("names the other teams' tasks on a cycle a new dependency would close", async () => {
    const cerebro = await liveGraph();
    const closing = await candidate(teamA, [
      { id: "a.orders", dependsOn: ["c.audit"] },
      ...LIVE_A.slice(1),
    ]);
    expect(await breaks(cerebro, ["--declarations", closing])).toEqual([
      "cycle a.orders → c.audit (team-c)",
      "cycle a.orders → b.report (team-b)",
      "cycle a.orders → b.sales (team-b)",
    ]);
  });

  it("names the owner of a task id another server declares", async () => {
    const cerebro = await liveGraph();
    const taking = await candidate(teamA, [...LIVE_A, { id: "b.report" }]);
    expect(await breaks(cerebro, ["--declarations", taking])).toEqual([
      "ownership b.report → b.report (team-b)",
    ]);
  });

  it("blames a new dependency on a task nobody declares for everything downstream", async () => {
    const cerebro = await liveGraph();
    // team-b's new declarations, checked as team-b would in its own CI.
    const dangling = await candidate(teamB, [
      { id: "b.sales", dependsOn: ["a.orders", "x.not-yet"] },
      LIVE_B[1] as TaskOptions,
    ]);
    expect(await breaks(cerebro, ["--declarations", dangling])).toEqual([
      "undeclared b.sales → b.report (team-b)",
      "undeclared b.sales → b.sales (team-b)",
      "undeclared b.sales → c.audit (team-c)",
    ]);
  });

  it("breaks a downstream fresh-within condition when the schedule leaves longer gaps", async () => {
    const cerebro = await liveGraph();
    const weekdays = await candidate(teamA, [
      LIVE_A[0] as TaskOptions,
      { id: "a.rates", schedule: { cron: "0 6 * * 1-5" } },
      LIVE_A[2] as TaskOptions,
    ]);
    const { code, out } = await dyna(cerebro, ["--declarations", weekdays]);
    expect(code).toBe(1);
    expect(out).toContain(
      [
        "team team-b",
        "  freshness a.rates → b.sales (server-b, contact b@example.com)",
        '    b.sales needs a.rates fresh within 26h: cron "0 6 * * *" (UTC) kept it so, cron "0 6 * * 1-5" (UTC) leaves longer gaps, and runs of b.sales would run a.rates first',
      ].join("\n"),
    );
    const twiceDaily = await candidate(teamA, [
      LIVE_A[0] as TaskOptions,
      { id: "a.rates", schedule: { cron: "0 6,18 * * *" } },
      LIVE_A[2] as TaskOptions,
    ]);
    const relaxed = await dyna(cerebro, ["--declarations", twiceDaily]);
    expect(relaxed.code).toBe(0);
    expect(relaxed.out).toContain("  changed a.rates: changed: schedule");
  });

  it("accepts the breaks --allow names, by task or by kind and task, and says which matched nothing", async () => {
    const cerebro = await liveGraph();
    const renamed = await candidate(teamA, [{ id: "a.orders-v2" }, ...LIVE_A.slice(1)]);
    const byKind = await dyna(cerebro, [
      "--declarations",
      renamed,
      "--allow",
      "removed:a.orders",
      "--allow",
      "cycle:a.orders",
    ]);
    expect(byKind.code).toBe(0);
    expect(byKind.out).toContain("No breaking change.\n\nAllowed by --allow (3):\n");
    expect(byKind.out).toContain(
      "  removed a.orders → c.audit (server-c, contact c@example.com), team team-c",
    );
    expect(byKind.err).toBe("dyna check: --allow cycle:a.orders matched no breaking change");
    const byTask = await dyna(cerebro, ["--declarations", renamed, "--allow", "a.orders"]);
    expect(byTask.code).toBe(0);
    const otherKind = await dyna(cerebro, [
      "--declarations",
      renamed,
      "--allow",
      "freshness:a.orders",
    ]);
    expect(otherKind.code).toBe(1);
    const badKind = await dyna(cerebro, ["--declarations", renamed, "--allow", "remove:a.orders"]);
    expect(badKind.code).toBe(2);
    expect(badKind.err).toContain(
      "dyna: bad --allow 'remove:a.orders': remove is no kind of break (removed, cycle, ownership, undeclared, freshness, invalid); did you mean removed?",
    );
  });

  it("--json reports breaks, allowed breaks and changes as one document", async () => {
    const cerebro = await liveGraph();
    const file = await candidate(teamA, [...LIVE_A.slice(1), { id: "b.report" }]);
    const { code, out } = await dyna(cerebro, [
      "--declarations",
      file,
      "--json",
      "--allow",
      "b.report",
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(out);
    expect(report).toMatchObject({
      server: "server-a",
      team: "team-a",
      cerebro: cerebro.address,
      ok: false,
      changes: [],
      unusedAllows: [],
    });
    expect(report.allowed).toEqual([
      {
        kind: "ownership",
        task: "b.report",
        affected: {
          task: "b.report",
          server: "server-b",
          team: "team-b",
          contact: "b@example.com",
        },
        message:
          "cerebro would refuse the whole declaration: task b.report (team team-a) is already owned by server server-b (team team-b); that server must stop declaring it first",
      },
    ]);
    expect(
      report.breaking.map(
        (b: { kind: string; affected: { task: string } }) => `${b.kind} ${b.affected.task}`,
      ),
    ).toEqual(["removed b.report", "removed b.sales", "removed c.audit"]);
  });

  it("--format github writes an annotation per break, escaped, and exits 1", async () => {
    const cerebro = await liveGraph();
    const file = await candidate(teamA, [{ id: "a.orders" }, { id: "a.rates" }, { id: "a.new" }]);
    const { code, out } = await dyna(cerebro, [
      "--declarations",
      file,
      "--format",
      "github",
      "--allow",
      "a.unused",
    ]);
    expect(code).toBe(1);
    const fileProperty = file.replaceAll(":", "%3A").replaceAll(",", "%2C");
    expect(out.split("\n")).toEqual([
      `::error file=${fileProperty},title=dyna check%3A freshness a.rates::team team-b: b.sales (server-b, contact b@example.com): b.sales needs a.rates fresh within 26h: cron "0 6 * * *" (UTC) kept it so, no schedule leaves longer gaps, and runs of b.sales would run a.rates first`,
      `::warning file=${fileProperty},title=dyna check%3A unused --allow::--allow a.unused matched no breaking change`,
      `::notice file=${fileProperty},title=dyna check%3A removed a.unused::no longer declared; nothing depends on it`,
      `::notice file=${fileProperty},title=dyna check%3A added a.new::new task`,
      "dyna check: 1 breaking change",
    ]);
  });

  it("checks a dyna serve file as dyna serve would declare it", async () => {
    const cerebro = await liveGraph();
    const file = join(dir, "tasks.yaml");
    await writeFile(
      file,
      `server: { name: server-c, team: team-c, contact: c@example.com }
tasks:
  - id: c.audit
    dependsOn: [b.report, b.summary]
    command: ["true"]
`,
    );
    expect(await breaks(cerebro, ["--tasks", file])).toEqual([
      "undeclared c.audit → c.audit (team-c)",
    ]);
  });

  it("exits 2 for a file it cannot use, and 3 when cerebro cannot be reached", async () => {
    const cerebro = await liveGraph();
    const notJson = join(dir, "not.json");
    await writeFile(notJson, "serverName: server-a");
    const bad = await dyna(cerebro, ["--declarations", notJson]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(new RegExp(`^dyna: ${notJson}: not JSON: `));
    expect((await dyna(cerebro, [])).code).toBe(2);
    const file = await candidate(teamA, LIVE_A);
    const unreachable = await dyna(`127.0.0.1:${await freePort()}`, ["--declarations", file]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.err).toMatch(/^dyna: cannot reach cerebro at 127\.0\.0\.1:\d+/);
  });

  it("reads what a real task-server printed with --print-declarations from stdin", async () => {
    const cerebro = await liveGraph();
    // The seed's task-server-b is new to this graph, and its tasks depend on
    // the seed's team-a tasks, which nobody here declares.
    const printer = spawn(
      process.execPath,
      ["--import", "tsx", "task-server-ts/servers/task-server-b.ts", "--print-declarations"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const checker = spawn(
      process.execPath,
      ["--import", "tsx", "cli/src/bin.ts", "check", "--declarations", "-", "--json"],
      {
        cwd: ROOT,
        env: { ...process.env, CORDYNA_ADDR: cerebro.address },
        stdio: [printer.stdout, "pipe", "inherit"],
      },
    );
    let out = "";
    checker.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => checker.once("close", resolve));
    expect(code).toBe(1);
    const report = JSON.parse(out);
    expect(report.server).toBe("task-server-b");
    expect(
      report.breaking.map(
        (b: { kind: string; task: string; affected: { task: string } }) =>
          `${b.kind} ${b.task} → ${b.affected.task}`,
      ),
    ).toEqual([
      "undeclared b.mail-digest → b.archive-digest",
      "undeclared b.mail-digest → b.mail-digest",
      "undeclared b.transform-sales → b.sales-report",
      "undeclared b.transform-sales → b.transform-sales",
    ]);
  });
});

describe("dyna check --candidate", () => {
  it("reads a running candidate that renames a task from cerebro and names the teams whose tasks it breaks", async () => {
    const cerebro = await liveGraph();
    await connectServer(cerebro, teamA, [{ id: "a.orders-v2" }, ...LIVE_A.slice(1)], {
      candidate: "change-1",
    });
    const { code, out } = await dyna(cerebro, ["--candidate", "change-1"]);
    expect(code).toBe(1);
    expect(out).toBe(
      [
        `The candidate of change change-1, server server-a (team team-a): its 3 tasks against the graph of cerebro at ${cerebro.address}.`,
        "3 breaking changes for 2 teams:",
        "",
        "team team-b",
        "  removed a.orders → b.report (server-b, contact b@example.com)",
        "    b.report depends on a.orders through b.sales, and server-a no longer declares it: runs of b.report would be refused",
        "  removed a.orders → b.sales (server-b, contact b@example.com)",
        "    b.sales depends on a.orders, which server-a no longer declares: runs of b.sales would be refused",
        "",
        "team team-c",
        "  removed a.orders → c.audit (server-c, contact c@example.com)",
        "    c.audit depends on a.orders through b.sales, and server-a no longer declares it: runs of c.audit would be refused",
        "",
        "Not breaking (1):",
        "  added a.orders-v2: new task",
      ].join("\n"),
    );
  });

  it("passes a running candidate that only adds a task, with a viewer's credential", async () => {
    const adminToken = "admin-token-of-the-dyna-check-test-0123456789";
    const cerebro = await liveGraph(adminToken);
    await connectServer(cerebro, teamA, [...LIVE_A, { id: "a.customers" }], {
      candidate: "change-1",
      token: adminToken,
    });
    const viewer = await createAccessClient(cerebro.address, { token: adminToken }).createToken({
      team: "team-a",
      role: Role.VIEWER,
    });
    const { code, out, err } = await dyna(cerebro, ["--candidate", "change-1"], viewer.token);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain("No breaking change.");
    expect(out).toContain("  added a.customers: new task");
  });

  it("exits 3 naming an unknown change id and the connected ones", async () => {
    const cerebro = await liveGraph();
    await connectServer(cerebro, teamA, LIVE_A, { candidate: "change-1" });
    const { code, err } = await dyna(cerebro, ["--candidate", "change-2"]);
    expect(code).toBe(3);
    expect(err).toContain("no candidate of change change-2 is connected");
    expect(err).toContain("connected: change-1");
  });

  it("exits 2 when given with --declarations or --tasks", async () => {
    const cerebro = await liveGraph();
    const file = await candidate(teamA, LIVE_A);
    const both = await dyna(cerebro, ["--candidate", "change-1", "--declarations", file]);
    expect(both.code).toBe(2);
    expect(both.err).toContain(
      "dyna: give one of --declarations, --tasks or --candidate, not --declarations and --candidate",
    );
    const withTasks = await dyna(cerebro, ["--tasks", "tasks.yaml", "--candidate", "change-1"]);
    expect(withTasks.code).toBe(2);
  });
});
