// The seed's scenario across real processes: cerebro, task-server-a and
// task-server-b as children, talking real gRPC over loopback.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ErrorCause, type Run, RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Child,
  type ControlClient,
  exitCode,
  finishedRun,
  spawnTs,
  startCerebroProcess,
  waitForServers,
  waitUntil,
} from "./processes.js";

let cerebro: Child;
let control: ControlClient;
let address: string;
const servers: Child[] = [];

beforeAll(async () => {
  ({ child: cerebro, control, address } = await startCerebroProcess());
  const env = { CORDYNA_ADDR: address, DEMO_WORK_SCALE: "0.25", LOG_LEVEL: "warn" };
  servers.push(spawnTs("task-server-a", "task-server-ts/servers/task-server-a.ts", [], env));
  servers.push(spawnTs("task-server-b", "task-server-ts/servers/task-server-b.ts", [], env));
  await waitForServers(control, ["task-server-a", "task-server-b"]);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await cerebro?.stop();
});

const ms = (t: Parameters<typeof timestampMs>[0] | undefined) => (t ? timestampMs(t) : Number.NaN);

describe("the seed scenario over real gRPC and real processes", () => {
  let first: Run;

  it("invokes in dependency order on the right servers, and blocks only what depends on the failure", async () => {
    const { run } = await control.startRun({ targets: ["b.sales-report", "b.archive-digest"] });
    first = await finishedRun(control, run?.id ?? "");
    const byTask = new Map(first.taskRuns.map((t) => [t.taskId, t]));
    const stateOf = (id: string) => TaskState[byTask.get(id)?.state ?? 0];

    expect(Object.fromEntries([...byTask.keys()].map((id) => [id, stateOf(id)]))).toEqual({
      "a.fetch-rates": "COMPLETED",
      "a.import-customers": "COMPLETED",
      "a.import-orders": "COMPLETED",
      "b.archive-digest": "BLOCKED",
      "b.mail-digest": "ERROR",
      "b.sales-report": "COMPLETED",
      "b.transform-sales": "COMPLETED",
    });
    expect(first.state).toBe(RunState.FAILED);

    const attempt = (id: string) => byTask.get(id)?.attempts.at(-1);
    for (const [id, task] of byTask) {
      if (task.attempts.length === 0) continue;
      expect(
        attempt(id)?.instanceId.startsWith(id.startsWith("a.") ? "task-server-a" : "task-server-b"),
      ).toBe(true);
    }
    const transformStarted = ms(attempt("b.transform-sales")?.startedAt);
    expect(ms(attempt("a.import-orders")?.finishedAt)).toBeLessThanOrEqual(transformStarted);
    expect(ms(attempt("a.fetch-rates")?.finishedAt)).toBeLessThanOrEqual(transformStarted);
    expect(ms(attempt("b.transform-sales")?.finishedAt)).toBeLessThanOrEqual(
      ms(attempt("b.sales-report")?.startedAt),
    );
    // Team A's three imports overlap: they were invoked before any of them finished.
    const aInvoked = ["a.import-orders", "a.fetch-rates", "a.import-customers"].map((id) =>
      ms(attempt(id)?.invokedAt),
    );
    const aFinished = ["a.import-orders", "a.fetch-rates", "a.import-customers"].map((id) =>
      ms(attempt(id)?.finishedAt),
    );
    expect(Math.max(...aInvoked)).toBeLessThan(Math.min(...aFinished));

    expect(byTask.get("b.archive-digest")?.attempts).toEqual([]);
    expect(
      first.summary?.failed.map((f) => [f.taskId, f.owner?.team, f.owner?.contact, f.errorCause]),
    ).toEqual([["b.mail-digest", "team-b", "team-b@example.com", ErrorCause.TASK_FAILED]]);
    expect(first.summary?.failed[0]?.errorDescription).toBe(
      "SMTP relay mail.example.com refused the connection (demo failure)",
    );
    expect(first.summary?.blocked.map((b) => [b.taskId, b.blockedBy])).toEqual([
      ["b.archive-digest", ["b.mail-digest"]],
    ]);
  });

  it("reuses a fresh upstream completion instead of running it again", async () => {
    const { run } = await control.startRun({ targets: ["b.transform-sales"] });
    const second = await finishedRun(control, run?.id ?? "");
    const rates = second.taskRuns.find((t) => t.taskId === "a.fetch-rates");
    expect(rates?.state).toBe(TaskState.SKIPPED);
    expect(rates?.reused?.runId).toBe(first.id);
    expect(second.taskRuns.find((t) => t.taskId === "a.import-orders")?.state).toBe(
      TaskState.COMPLETED,
    );
    expect(second.state).toBe(RunState.SUCCEEDED);
  });

  it("dyna run follows a run to its end and exits 0 only when it succeeded", async () => {
    const ok = spawnTs("dyna", "cli/src/bin.ts", ["run", "a.fetch-rates", "--cerebro", address]);
    expect(await exitCode(ok)).toBe(0);
    expect(ok.output()).toContain("a.fetch-rates");

    const failing = spawnTs("dyna", "cli/src/bin.ts", [
      "run",
      "b.archive-digest",
      "--cerebro",
      address,
    ]);
    expect(await exitCode(failing)).toBe(1);
    expect(failing.output()).toContain("b.mail-digest");
    expect(failing.output()).toContain("team-b");
  });

  it("drains a task-server on SIGTERM: it exits 0 and its instance leaves", async () => {
    const extra = spawnTs("task-server-a", "task-server-ts/servers/task-server-a.ts", [], {
      CORDYNA_ADDR: address,
      LOG_LEVEL: "warn",
    });
    await waitUntil("a second task-server-a instance", async () => {
      const { servers: list } = await control.listServers({});
      return list.find((s) => s.name === "task-server-a")?.instances.length === 2;
    });
    expect(await extra.stop()).toBe(0);
    await waitUntil("the drained instance to leave", async () => {
      const { servers: list } = await control.listServers({});
      return list.find((s) => s.name === "task-server-a")?.instances.length === 1;
    });
  });
});
