// Scheduling in real time: a one-second cron, an upstream trigger, and a
// cerebro SIGKILLed on Redis that catches up missed ticks exactly as each
// task's policy says.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Run, TriggerKind } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServerProcess } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  type ControlClient,
  exitCode,
  freePort,
  spawnTs,
  startCerebroService,
  waitForServers,
  waitUntil,
} from "./processes.js";

let redis: RedisServerProcess;
let port: number;
let cerebro: Child | undefined;
let control: ControlClient;
let server: Child;

async function startCerebro(): Promise<void> {
  const started = await startCerebroService(port, redis.url);
  cerebro = started.child;
  control = started.control;
}

beforeAll(async () => {
  redis = await RedisServerProcess.start({ appendOnly: true });
  port = await freePort();
  await startCerebro();
  server = spawnTs("cron-server", "test/src/fixtures/cron-server.ts", [], {
    CORDYNA_ADDR: `127.0.0.1:${port}`,
    LOG_LEVEL: "warn",
  });
  await waitForServers(control, ["cron-server"]);
}, 60_000);

afterAll(async () => {
  await server?.stop(3_000);
  await cerebro?.stop();
  await redis?.stop();
});

async function runsOf(taskId: string): Promise<Run[]> {
  const { runs } = await control.listRuns({ limit: 500 });
  return runs.filter((run) => run.targets[0] === taskId);
}

const logical = (run: Run) => timestampMs(run.logicalTime ?? run.createdAt!);
const created = (run: Run) => timestampMs(run.createdAt!);

describe("scheduling in real time", () => {
  it("fires a one-second cron once per tick, with the tick as the run's logical time", async () => {
    await waitUntil(
      "three cron.latest runs",
      async () => (await runsOf("cron.latest")).length >= 3,
    );
    const runs = (await runsOf("cron.latest")).sort((a, b) => logical(a) - logical(b));
    expect(runs.every((run) => run.trigger === TriggerKind.CRON)).toBe(true);
    expect(runs.every((run) => logical(run) % 1_000 === 0)).toBe(true);
    const ticks = runs.map(logical);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks[1]! - ticks[0]!).toBe(1_000);
    expect(runs[0]?.params.logical_time).toBe(new Date(ticks[0]!).toISOString());
  });

  it("runs a task with an upstream trigger after its upstream completes, without running the upstream again", async () => {
    await waitUntil(
      "a triggered cron.follower run",
      async () => (await runsOf("cron.follower")).length > 0,
    );
    const [followerRun] = await runsOf("cron.follower");
    expect(followerRun?.trigger).toBe(TriggerKind.UPSTREAM);
    expect(followerRun?.taskRuns.map((taskRun) => taskRun.taskId)).toEqual(["cron.follower"]);
  });

  it("dyna backfill runs a past range once per tick, and again returns the same runs", async () => {
    const from = Math.floor(Date.now() / 1_000) * 1_000 - 60_000;
    const args = [
      "backfill",
      "cron.latest",
      "--from",
      new Date(from).toISOString(),
      "--to",
      new Date(from + 3_000).toISOString(),
      "--parallel",
      "2",
      "--cerebro",
      `127.0.0.1:${port}`,
    ];
    const first = spawnTs("dyna", "cli/src/bin.ts", args);
    expect(await exitCode(first)).toBe(0);
    const backfilled = (await runsOf("cron.latest")).filter(
      (run) => run.trigger === TriggerKind.BACKFILL,
    );
    expect(backfilled.map(logical).sort()).toEqual([
      from,
      from + 1_000,
      from + 2_000,
      from + 3_000,
    ]);
    expect(
      backfilled.every((run) => run.params.logical_time === new Date(logical(run)).toISOString()),
    ).toBe(true);

    const again = spawnTs("dyna", "cli/src/bin.ts", args);
    expect(await exitCode(again)).toBe(0);
    expect(
      (await runsOf("cron.latest")).filter((run) => run.trigger === TriggerKind.BACKFILL),
    ).toHaveLength(4);
  });

  it("after a SIGKILL on Redis, catches up only the latest missed tick or all of them, per task", async () => {
    await waitUntil("both tasks to have fired", async () => (await runsOf("cron.all")).length > 0);
    cerebro?.process.kill("SIGKILL");
    await cerebro?.stop();
    const killedAt = Date.now();
    await waitUntil("three seconds of downtime", async () => Date.now() - killedAt > 3_000, 10_000);
    const restartedAt = Date.now();
    await startCerebro();
    await waitForServers(control, ["cron-server"]);

    // The restarted scheduler catches up the moment it starts: the earliest run
    // created after the restart marks that moment. The ticks it caught up are
    // those after the last one fired before the kill, up to that moment.
    const ticks = async (taskId: string) =>
      (await runsOf(taskId)).map(logical).sort((a, b) => a - b);
    let caughtUpBy = 0;
    await waitUntil("the restarted scheduler to start runs", async () => {
      const afterRestart = [...(await runsOf("cron.all")), ...(await runsOf("cron.latest"))]
        .map(created)
        .filter((time) => time >= restartedAt);
      caughtUpBy = Math.min(...afterRestart);
      return afterRestart.length > 0;
    });
    const lastBeforeKill = async (taskId: string) =>
      Math.max(...(await ticks(taskId)).filter((tick) => tick < killedAt));
    const latestMissed = Math.floor(caughtUpBy / 1_000) * 1_000;
    const missedBy = async (taskId: string) => {
      const last = await lastBeforeKill(taskId);
      return (await ticks(taskId)).filter((tick) => tick > last && tick <= caughtUpBy);
    };
    let all: number[] = [];
    await waitUntil("cron.all to work through its backlog", async () => {
      all = await missedBy("cron.all");
      return all.at(-1) === latestMissed;
    });

    // Every second missed while down (three or more) is run for "all", in order…
    expect(all.length).toBeGreaterThanOrEqual(3);
    const allLast = await lastBeforeKill("cron.all");
    expect(all).toEqual(all.map((_, i) => allLast + (i + 1) * 1_000));
    // …and only the most recent of them for "latest".
    expect(await missedBy("cron.latest")).toEqual([latestMissed]);
  });
});
