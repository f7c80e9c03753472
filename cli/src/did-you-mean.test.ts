// "Did you mean" for task and run ids, against a real cerebro over loopback.

import type { Cerebro } from "@cordyna/cerebro";
import { createControlClient } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { loopbackCerebros } from "../../cerebro/src/testing/loopback-cerebros.js";
import { RawSession } from "../../cerebro/src/testing/raw-session.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const cerebros = loopbackCerebros();
const owner = { team: "team-b", contact: "b@example.com" };

/** A cerebro whose task-server declares b.sales-report and b.sales-summary (and runs nothing). */
async function cerebroWithTasks(): Promise<Cerebro> {
  const cerebro = await cerebros.start();
  const session = new RawSession(cerebro.address);
  cerebros.onCleanup(() => session.cancel());
  session.hello("task-server-b", [
    { id: "b.sales-report", owner },
    { id: "b.sales-summary", owner },
    { id: "b.refunds", owner },
  ]);
  await session.next("welcome");
  return cerebro;
}

async function dyna(cerebro: Cerebro, args: string[]) {
  const io = recordingIo({ CORDYNA_ADDR: cerebro.address });
  const code = await runCli(args, { io, now: () => Date.now() });
  return { code, out: io.stdout, err: io.stderr };
}

/** The id with its last character changed: a typo cerebro knows nothing of. */
function typo(id: string): string {
  return id.slice(0, -1) + (id.endsWith("0") ? "1" : "0");
}

describe("dyna with a mistyped task id", () => {
  it("run names the task meant, exits 3 as for any refusal, and starts nothing", async () => {
    const cerebro = await cerebroWithTasks();
    const { code, err } = await dyna(cerebro, ["run", "b.sales-reprot"]);
    expect(code).toBe(3);
    expect(err).toEqual(["dyna: unknown task b.sales-reprot; did you mean b.sales-report?"]);
    const { runs } = await createControlClient(cerebro.address).listRuns({});
    expect(runs).toEqual([]);
  });

  it("run names each unknown target, and keeps cerebro's refusal when nothing is close", async () => {
    const cerebro = await cerebroWithTasks();
    const several = await dyna(cerebro, ["run", "b.sales-summray", "b.refund", "b.sales-report"]);
    expect(several.err).toEqual([
      "dyna: unknown task b.sales-summray; did you mean b.sales-summary?\nunknown task b.refund; did you mean b.refunds?",
    ]);
    const far = await dyna(cerebro, ["run", "x.nothing-like-it"]);
    expect(far.code).toBe(3);
    expect(far.err).toEqual([
      `dyna: cerebro at ${cerebro.address} refused the request: NOT_FOUND: no server declares task x.nothing-like-it`,
    ]);
  });

  it("backfill and history name the task meant", async () => {
    const cerebro = await cerebroWithTasks();
    const backfill = await dyna(cerebro, [
      "backfill",
      "b.sales-reprot",
      "--from",
      "2026-01-01",
      "--to",
      "2026-01-02",
    ]);
    expect(backfill.code).toBe(2);
    expect(backfill.err[0]).toBe(
      "dyna: unknown task 'b.sales-reprot': cerebro knows no such task; did you mean b.sales-report?",
    );
    const history = await dyna(cerebro, ["history", "b.sales-reprot"]);
    expect(history.code).toBe(0);
    expect(history.out).toEqual(["No task-runs of b.sales-reprot are kept."]);
    expect(history.err).toEqual([
      "dyna: cerebro knows no task b.sales-reprot; did you mean b.sales-report?",
    ]);
  });

  it("tasks --quiet lists the ids alone, for scripts and completion", async () => {
    const cerebro = await cerebroWithTasks();
    const { code, out } = await dyna(cerebro, ["tasks", "--quiet"]);
    expect(code).toBe(0);
    expect(out).toEqual(["b.refunds", "b.sales-report", "b.sales-summary"]);
  });
});

describe("dyna with a mistyped run id", () => {
  it("runs, run-status, cancel, logs and events name the recent run meant", async () => {
    const cerebro = await cerebroWithTasks();
    const { run } = await createControlClient(cerebro.address).startRun({
      targets: ["b.refunds"],
    });
    const runId = run?.id ?? "";
    const wrong = typo(runId);
    for (const args of [
      ["runs", wrong],
      ["run-status", wrong],
      ["cancel", wrong],
      ["logs", wrong],
      ["events", "--run", wrong],
    ]) {
      const { code, err } = await dyna(cerebro, args);
      expect(code, args.join(" ")).toBe(3);
      expect(err, args.join(" ")).toEqual([`dyna: unknown run ${wrong}; did you mean ${runId}?`]);
    }
    const quiet = await dyna(cerebro, ["runs", "--quiet"]);
    expect(quiet.out).toEqual([runId]);
  });

  it("logs names the run's task meant", async () => {
    const cerebro = await cerebroWithTasks();
    const { run } = await createControlClient(cerebro.address).startRun({
      targets: ["b.refunds"],
    });
    const { code, err } = await dyna(cerebro, ["logs", run?.id ?? "", "b.refund"]);
    expect(code).toBe(3);
    expect(err).toEqual([`dyna: run ${run?.id} has no task b.refund; did you mean b.refunds?`]);
  });

  it("keeps cerebro's refusal for an id unlike any recent run", async () => {
    const cerebro = await cerebroWithTasks();
    const { code, err } = await dyna(cerebro, ["runs", "run_nothing"]);
    expect(code).toBe(3);
    expect(err[0]).toMatch(
      new RegExp(
        `^dyna: cerebro at ${cerebro.address} refused the request: NOT_FOUND: no run with id run_nothing`,
      ),
    );
  });
});
