// Chains as long as a declaration may make them: declared, planned, run and
// blocked without recursion, and one task longer is refused by name.
import { describe, expect, it } from "vitest";
import { TaskGraph } from "../graph/task-graph.js";
import { engineHarness, task } from "../testing/engine-harness.js";

/** c.00000 ← c.00001 ← … : each task depends on the one before. */
function chain(length: number) {
  const id = (i: number) => `c.${String(i).padStart(5, "0")}`;
  return Array.from({ length }, (_, i) =>
    task(id(i), { team: "team-c", dependsOn: i === 0 ? [] : [id(i - 1)] }),
  );
}

describe("a chain of 10,000 dependent tasks", () => {
  it("is declared, planned, and blocked behind its first task's failure", async () => {
    const h = engineHarness();
    expect(h.graph.declare("server-c", chain(10_000)).errors).toEqual([]);
    h.instances.connect("server-c");
    const { snapshot } = await h.engine.startRun({ targets: ["c.09999"] });
    expect(snapshot.taskRuns).toHaveLength(10_000);
    expect(h.instances.invokedTasks()).toEqual(["c.00000"]);

    await h.complete("c.00000");
    await h.report("c.00001", "ERROR", "the file was empty");
    const finished = await h.engine.getRun(snapshot.run.id);
    expect(finished.run.state).toBe("FAILED");
    const blocked = finished.taskRuns.filter((taskRun) => taskRun.state === "BLOCKED");
    expect(blocked).toHaveLength(9_998);
    expect(finished.run.summary?.blocked).toHaveLength(9_998);
  });

  it("refuses one task more, naming the limit and the chain's ends", () => {
    const graph = new TaskGraph();
    const outcome = graph.declare("server-c", chain(10_001));
    expect(outcome.errors).toEqual([
      {
        taskId: "c.10000",
        code: "INVALID",
        message:
          "declaring c.10000 would make a chain of 10001 dependent tasks, more than the limit of 10000 (CORDYNA_MAX_CHAIN_LENGTH): c.10000 → c.09999 → c.09998 → … → c.00002 → c.00001 → c.00000",
      },
    ]);
    expect(graph.all()).toEqual([]);
  });

  it("counts a chain across servers: a declaration that lengthens another team's chain is refused", () => {
    const graph = new TaskGraph({ maxChainLength: 3 });
    expect(graph.declare("server-a", chain(3)).errors).toEqual([]);
    const outcome = graph.declare("server-b", [
      task("d.top", { team: "team-d", dependsOn: ["c.00002"] }),
    ]);
    expect(outcome.errors[0]?.message).toBe(
      "declaring d.top would make a chain of 4 dependent tasks, more than the limit of 3 (CORDYNA_MAX_CHAIN_LENGTH): d.top → c.00002 → c.00001 → c.00000",
    );
    expect(graph.get("d.top")).toBeUndefined();
  });
});
