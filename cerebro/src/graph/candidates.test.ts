import { describe, expect, it } from "vitest";
import type { TaskDefinition } from "../domain/model.js";
import { NO_RETRY } from "../engine/policies.js";
import { CandidateOverlays } from "./candidates.js";
import { TaskGraph } from "./task-graph.js";

function task(id: string, ...upstream: string[]): TaskDefinition {
  return {
    id,
    description: "",
    owner: { team: "team-a", contact: "" },
    dependencies: upstream.map((taskId) => ({ taskId })),
    deadlines: {},
    retry: NO_RETRY,
    concurrencyLimit: 0,
    tags: [],
  };
}

function liveGraph(): TaskGraph {
  const graph = new TaskGraph();
  graph.declare("server-a", [task("a.orders")]);
  graph.declare("server-b", [task("b.sales", "a.orders")]);
  return graph;
}

describe("candidate overlays", () => {
  it("plan over the live graph with the candidate's tasks in place of its server's, leaving the live graph as it was", () => {
    const graph = liveGraph();
    const candidates = new CandidateOverlays(graph);
    expect(
      candidates.declare("change-1", "server-a", "i-1", [task("a.orders"), task("a.new")]).errors,
    ).toEqual([]);
    const { graph: overlay } = candidates.graphFor("change-1");
    expect(overlay.all().map((t) => `${t.definition.id} ${t.serverName}`)).toEqual([
      "a.new server-a",
      "a.orders server-a",
      "b.sales server-b",
    ]);
    expect(graph.get("a.new")).toBeUndefined();
  });

  it("refuse a declaration the live graph would refuse: another server's task", () => {
    const candidates = new CandidateOverlays(liveGraph());
    const { errors } = candidates.declare("change-1", "server-a", "i-1", [task("b.sales")]);
    expect(errors.map((issue) => issue.code)).toEqual(["OWNED_ELSEWHERE"]);
    expect(candidates.get("change-1")).toBeUndefined();
  });

  it("hold at most the configured number of changes and tasks per candidate, naming the settings", () => {
    const candidates = new CandidateOverlays(liveGraph(), {
      maxCandidates: 1,
      maxTasksPerCandidate: 2,
    });
    const tooMany = candidates.declare("change-1", "server-a", "i-1", [
      task("a.orders"),
      task("a.x"),
      task("a.y"),
    ]);
    expect(tooMany.errors[0]?.message).toContain(
      "3 tasks, more than the limit of 2 per candidate (CORDYNA_MAX_TASKS_PER_CANDIDATE)",
    );
    expect(candidates.declare("change-1", "server-a", "i-1", [task("a.orders")]).errors).toEqual(
      [],
    );
    const second = candidates.declare("change-2", "server-a", "i-2", [task("a.orders")]);
    expect(second.errors[0]?.message).toContain("CORDYNA_MAX_CANDIDATES");
    candidates.release("change-1", "i-1");
    expect(candidates.declare("change-2", "server-a", "i-2", [task("a.orders")]).errors).toEqual(
      [],
    );
  });

  it("keep one server name per change, and the change while any of its instances is connected", () => {
    const candidates = new CandidateOverlays(liveGraph());
    candidates.declare("change-1", "server-a", "i-1", [task("a.orders")]);
    candidates.declare("change-1", "server-a", "i-2", [task("a.orders")]);
    const other = candidates.declare("change-1", "server-b", "i-3", [task("b.sales", "a.orders")]);
    expect(other.errors[0]?.message).toContain("already served by candidate server server-a");
    candidates.release("change-1", "i-1");
    expect(candidates.changeIds()).toEqual(["change-1"]);
    candidates.release("change-1", "i-2");
    expect(() => candidates.graphFor("change-1")).toThrow(/no candidate of change change-1/);
  });
});
