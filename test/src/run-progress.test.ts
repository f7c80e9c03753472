// `dyna run` as a real process, its stdout a pipe (not a terminal), following
// a run across two task-server processes of two teams: a retry, a failure, a
// task it blocks, and the last line naming the outcome and the teams.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { ControlService } from "@cordyna/contract";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Child, exitCode, spawnTs, waitForServers } from "./processes.js";

let cerebro: Cerebro;
const children: Child[] = [];

beforeAll(async () => {
  cerebro = await startCerebro({ port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
  const control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  for (const team of ["a", "b"]) {
    children.push(
      spawnTs(`team-${team}-server`, "test/src/fixtures/two-teams-server.ts", [team], {
        CORDYNA_ADDR: cerebro.address,
        LOG_LEVEL: "warn",
      }),
    );
  }
  await waitForServers(control, ["team-a-server", "team-b-server"]);
}, 60_000);

afterAll(async () => {
  for (const child of children) await child.stop();
  await cerebro?.stop();
});

it("prints a line per change, a retry's cause and backoff, and ends naming the outcome and each failure's team", async () => {
  const dyna = spawnTs("dyna run", "cli/src/bin.ts", [
    "run",
    "b.after",
    "--cerebro",
    cerebro.address,
  ]);
  children.push(dyna);
  expect(await exitCode(dyna), dyna.output()).toBe(1);
  const lines = dyna.output().trimEnd().split("\n");
  const runId = /^Run (run_\S+) started: 3 task-runs planned/.exec(lines[0] ?? "")?.[1];
  expect(runId, dyna.output()).toBeDefined();

  const timeline = lines.filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line));
  const changes = timeline.map((line) =>
    line
      .split(/\s{2,}/)
      .slice(1, 3)
      .join(" "),
  );
  expect(changes).toEqual([
    "run RUNNING",
    "a.flaky INVOKED",
    "a.flaky STARTED",
    "a.flaky RETRY",
    "a.flaky INVOKED",
    "a.flaky STARTED",
    "a.flaky COMPLETED",
    "b.broken INVOKED",
    "b.broken STARTED",
    "b.broken ERROR",
    "b.after BLOCKED",
    "run FAILED",
  ]);
  expect(timeline[3]).toMatch(
    /a\.flaky\s+RETRY\s+TASK_FAILED\s+team-a-server\s+retry 2 of 2 in \d+ ms after TASK_FAILED: warming up$/,
  );
  expect(timeline[9]).toMatch(
    /b\.broken\s+ERROR\s+TASK_FAILED\s+team-b-server\s+disk full on \/data$/,
  );
  expect(lines.at(-1)).toBe(
    `Run ${runId} FAILED: failed b.broken (team team-b); blocked b.after (team team-b)`,
  );
}, 60_000);

it("dyna events, a process too, prints the newest events and exits", async () => {
  const events = spawnTs("dyna events", "cli/src/bin.ts", [
    "events",
    "--last",
    "3",
    "--cerebro",
    cerebro.address,
  ]);
  children.push(events);
  expect(await exitCode(events), events.output()).toBe(0);
  const lines = events.output().trimEnd().split("\n");
  expect(lines).toHaveLength(4);
  expect(lines[2]).toMatch(
    /RUN_FINISHED {2}run run_\S+ FAILED; failed: b\.broken \(team team-b\)$/,
  );
  expect(lines[3]).toMatch(/^Go on from here with: dyna events --since \d+$/);
}, 60_000);
