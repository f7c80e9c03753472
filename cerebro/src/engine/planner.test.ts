import { describe, expect, it } from "vitest";
import type { Completion } from "../domain/model.js";
import { TaskGraph } from "../graph/task-graph.js";
import { task } from "../testing/engine-harness.js";
import { planRun } from "./planner.js";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 1, 12);

function graphOf(): TaskGraph {
  const graph = new TaskGraph();
  graph.declare("server-a", [task("a.extract"), task("a.rates"), task("a.other")]);
  graph.declare("server-b", [
    task("b.transform", { dependsOn: ["a.extract", { taskId: "a.rates", freshWithinMs: HOUR }] }),
    task("b.report", { dependsOn: ["b.transform"] }),
    task("b.mail", { dependsOn: ["b.report"] }),
  ]);
  return graph;
}

const completedAgo = (taskId: string, ms: number): Completion => ({
  taskId,
  runId: "run_old",
  taskRunId: "tr_old",
  completedAt: NOW - ms,
});

const summary = (plan: ReturnType<typeof planRun>) =>
  plan.map((p) => `${p.taskId}${p.reused ? " (reused)" : ""} <- [${p.upstream.join(",")}]`);

describe("planRun", () => {
  it("plans the targets with every upstream they need, runs stale fresh-within upstreams", () => {
    const plan = planRun(graphOf(), { targets: ["b.report"] }, () => undefined, NOW);
    expect(summary(plan)).toEqual([
      "a.extract <- []",
      "a.rates <- []",
      "b.report <- [b.transform]",
      "b.transform <- [a.extract,a.rates]",
    ]);
  });

  it("reuses an upstream that completed within its freshness window", () => {
    const fresh = completedAgo("a.rates", HOUR - 1);
    const plan = planRun(
      graphOf(),
      { targets: ["b.transform"] },
      (id) => (id === "a.rates" ? fresh : undefined),
      NOW,
    );
    expect(summary(plan)).toEqual([
      "a.extract <- []",
      "a.rates (reused) <- []",
      "b.transform <- [a.extract,a.rates]",
    ]);
    expect(plan.find((p) => p.taskId === "a.rates")?.reused).toEqual(fresh);
  });

  it("runs an upstream whose completion is exactly as old as the window", () => {
    const stale = completedAgo("a.rates", HOUR);
    const plan = planRun(graphOf(), { targets: ["b.transform"] }, () => stale, NOW);
    expect(plan.find((p) => p.taskId === "a.rates")?.reused).toBeUndefined();
  });

  it("adds everything downstream when asked", () => {
    const plan = planRun(
      graphOf(),
      { targets: ["b.transform"], withDownstream: true, withoutUpstream: true },
      () => undefined,
      NOW,
    );
    expect(summary(plan)).toEqual([
      "b.mail <- [b.report]",
      "b.report <- [b.transform]",
      "b.transform <- []",
    ]);
  });

  it("plans only the targets without upstream", () => {
    const plan = planRun(
      graphOf(),
      { targets: ["b.report"], withoutUpstream: true },
      () => undefined,
      NOW,
    );
    expect(summary(plan)).toEqual(["b.report <- []"]);
  });

  it("refuses unknown targets, naming each of them", () => {
    expect(() =>
      planRun(graphOf(), { targets: ["nope.one", "a.extract", "nope.two"] }, () => undefined, NOW),
    ).toThrow("[NOT_FOUND] no server declares tasks nope.one, nope.two");
  });

  it("refuses a run without targets", () => {
    expect(() => planRun(graphOf(), { targets: [] }, () => undefined, NOW)).toThrow(
      "[INVALID_ARGUMENT] a run needs at least one target task",
    );
  });

  it("refuses a run that needs an unresolved task, naming the task, its team and the reason", () => {
    const graph = graphOf();
    graph.declare("server-c", [task("c.dash", { dependsOn: ["ghost.feed"] })]);
    expect(() => planRun(graph, { targets: ["c.dash"] }, () => undefined, NOW)).toThrow(
      "[FAILED_PRECONDITION] the run cannot be planned, unresolved: c.dash (team team-c, server-c): upstream ghost.feed is declared by no server",
    );
  });

  it("plans a task without upstream even when its upstream is declared by no server", () => {
    const graph = graphOf();
    graph.declare("server-c", [task("c.dash", { dependsOn: ["ghost.feed"] })]);
    expect(
      planRun(graph, { targets: ["c.dash"], withoutUpstream: true }, () => undefined, NOW),
    ).toEqual([{ taskId: "c.dash", upstream: [] }]);
  });
});
