import { describe, expect, it } from "vitest";
import { task } from "../testing/engine-harness.js";
import { TaskGraph } from "./task-graph.js";

describe("TaskGraph", () => {
  it("builds one graph across servers, with downstream edges", () => {
    const graph = new TaskGraph();
    expect(graph.declare("server-a", [task("a.extract"), task("a.load")]).errors).toEqual([]);
    expect(
      graph.declare("server-b", [task("b.report", { dependsOn: ["a.extract", "a.load"] })]).errors,
    ).toEqual([]);
    expect(graph.all().map((t) => `${t.definition.id}@${t.serverName}`)).toEqual([
      "a.extract@server-a",
      "a.load@server-a",
      "b.report@server-b",
    ]);
    expect(graph.downstreamOf("a.extract")).toEqual(["b.report"]);
  });

  it("rejects a cycle across teams, naming every task and team in it", () => {
    const graph = new TaskGraph();
    graph.declare("server-a", [task("a.one", { dependsOn: ["b.two"] })]);
    const outcome = graph.declare("server-b", [task("b.two", { dependsOn: ["a.one"] })]);
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]).toMatchObject({ taskId: "b.two", code: "CYCLE" });
    expect(outcome.errors[0]?.message).toBe(
      "declaring b.two would close the dependency cycle b.two (team team-b) → a.one (team team-a) → b.two (team team-b)",
    );
    expect(graph.get("b.two")).toBeUndefined();
  });

  it("rejects a task another server owns, naming both servers and teams, and applies nothing", () => {
    const graph = new TaskGraph();
    graph.declare("server-a", [task("shared.task", { team: "team-a" })]);
    const outcome = graph.declare("server-b", [
      task("b.own"),
      task("shared.task", { team: "team-b" }),
    ]);
    expect(outcome.errors).toEqual([
      {
        taskId: "shared.task",
        code: "OWNED_ELSEWHERE",
        message:
          "task shared.task (team team-b) is already owned by server server-a (team team-a); that server must stop declaring it first",
      },
    ]);
    expect(graph.get("b.own")).toBeUndefined();
    expect(graph.get("shared.task")?.serverName).toBe("server-a");
  });

  it("rejects a task declared twice in one declaration", () => {
    const outcome = new TaskGraph().declare("server-a", [task("a.x"), task("a.x")]);
    expect(outcome.errors).toEqual([
      { taskId: "a.x", code: "DUPLICATE", message: "task a.x is declared more than once" },
    ]);
  });

  it("shows a task whose upstream nobody declares as unresolved, transitively, and warns its server", () => {
    const graph = new TaskGraph();
    const outcome = graph.declare("server-b", [
      task("b.clean", { dependsOn: ["ghost.source"] }),
      task("b.report", { dependsOn: ["b.clean"] }),
    ]);
    expect(outcome.errors).toEqual([]);
    expect(outcome.warnings.map((w) => [w.taskId, w.code])).toEqual([
      ["b.clean", "UNRESOLVED"],
      ["b.report", "UNRESOLVED"],
    ]);
    expect(graph.unresolvedReason("b.clean")).toBe(
      "upstream ghost.source is declared by no server",
    );
    expect(graph.unresolvedReason("b.report")).toBe(
      "upstream b.clean is unresolved: upstream ghost.source is declared by no server",
    );
    expect(graph.undeclaredUpstreams()).toEqual(["ghost.source"]);

    graph.declare("server-g", [task("ghost.source")]);
    expect(graph.unresolvedReason("b.report")).toBeUndefined();
  });

  it("replaces a server's tasks on redeclaration and unresolves what depended on a dropped task", () => {
    const graph = new TaskGraph();
    graph.declare("server-a", [task("a.one"), task("a.two")]);
    graph.declare("server-b", [task("b.x", { dependsOn: ["a.two"] })]);
    expect(graph.declare("server-a", [task("a.one")]).errors).toEqual([]);
    expect(graph.tasksOf("server-a")).toEqual(["a.one"]);
    expect(graph.get("a.two")).toBeUndefined();
    expect(graph.unresolvedReason("b.x")).toBe("upstream a.two is declared by no server");
  });

  it("lets the owner move a task away and another server take it", () => {
    const graph = new TaskGraph();
    graph.declare("server-a", [task("moving.task")]);
    graph.declare("server-a", []);
    expect(graph.declare("server-b", [task("moving.task")]).errors).toEqual([]);
    expect(graph.get("moving.task")?.serverName).toBe("server-b");
  });

  it("judges a deep layered graph at once, and names only the nearest unresolved upstream and the root cause", () => {
    // 30 layers of 30 tasks, each depending on every task of the layer above:
    // 30^30 paths, so anything that walks paths instead of edges never ends.
    const graph = new TaskGraph();
    const layers = 30;
    const width = 30;
    const id = (layer: number, i: number) => `l${layer}.t${i}`;
    const tasks = [];
    for (let layer = 0; layer < layers; layer++) {
      for (let i = 0; i < width; i++) {
        const dependsOn =
          layer === 0
            ? ["ghost.source"]
            : Array.from({ length: width }, (_, j) => id(layer - 1, j));
        tasks.push(task(id(layer, i), { team: "team-l", dependsOn }));
      }
    }
    const outcome = graph.declare("server-l", tasks);
    expect(outcome.errors).toEqual([]);
    expect(outcome.warnings).toHaveLength(layers * width);
    expect(graph.unresolvedReason(id(layers - 1, 7))).toBe(
      `upstream ${id(layers - 2, 0)} is unresolved: upstream ghost.source is declared by no server`,
    );
    graph.declare("server-g", [task("ghost.source")]);
    expect(graph.unresolvedReason(id(layers - 1, 7))).toBeUndefined();
  });

  it("prepares a declaration in slices while readers see the graph before it, then switches at once", async () => {
    const graph = new TaskGraph();
    graph.declare("server-a", [task("a.old")]);
    const tasks = Array.from({ length: 5_000 }, (_, i) =>
      task(`b.${i}`, { team: "team-b", dependsOn: i === 0 ? ["a.old"] : [`b.${i - 1}`] }),
    );
    const seenAtPauses: (string | undefined)[] = [];
    const outcome = await graph.declareInSlices("server-b", tasks, () => {
      seenAtPauses.push(graph.get("b.0")?.serverName);
      return Promise.resolve();
    });
    expect(outcome.errors).toEqual([]);
    expect(seenAtPauses.length).toBeGreaterThan(10);
    expect(new Set(seenAtPauses)).toEqual(new Set([undefined]));
    expect(graph.tasksOf("server-b")).toHaveLength(5_000);
    expect(graph.downstreamOf("a.old")).toEqual(["b.0"]);
  });

  it("refuses to apply a declaration prepared on a graph that changed meanwhile", async () => {
    const graph = new TaskGraph();
    const tasks = Array.from({ length: 1_000 }, (_, i) => task(`b.${i}`));
    let changed = false;
    const declaring = graph.declareInSlices("server-b", tasks, () => {
      if (!changed) {
        changed = true;
        graph.declare("server-a", [task("a.x")]);
      }
      return undefined;
    });
    await expect(declaring).rejects.toThrow("the graph changed while a declaration was prepared");
    expect(graph.tasksOf("server-b")).toEqual([]);
  });
});
