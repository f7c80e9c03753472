// --print-declarations, on a real task-server process: the seed's task-server-b.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fromJson } from "@bufbuild/protobuf";
import { DependencyCondition, TaskDeclarationSchema } from "@cordyna/contract";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeCerebro } from "./testing/fake-cerebro.js";

const SERVER_B = fileURLToPath(new URL("../servers/task-server-b.ts", import.meta.url));

let cerebro: FakeCerebro;
beforeEach(async () => {
  cerebro = await FakeCerebro.start();
});
afterEach(() => cerebro.close());

/** Runs task-server-b to its end with the arguments and environment; its exit code and output. */
function serverB(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", SERVER_B, ...args], {
      env: { ...process.env, CORDYNA_ADDR: cerebro.address, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("a task-server started with --print-declarations", () => {
  it("prints its name, team and declarations as JSON, exits 0 and never connects", async () => {
    const { code, stdout, stderr } = await serverB(["--print-declarations"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const printed = JSON.parse(stdout);
    expect(printed).toMatchObject({
      serverName: "task-server-b",
      team: "team-b",
      contact: "team-b@example.com",
    });
    const tasks = (printed.tasks as unknown[]).map((task) =>
      fromJson(TaskDeclarationSchema, task as never),
    );
    expect(tasks.map((task) => task.id)).toEqual([
      "b.transform-sales",
      "b.sales-report",
      "b.mail-digest",
      "b.archive-digest",
    ]);
    const transform = tasks[0];
    expect(transform?.owner).toMatchObject({ team: "team-b", contact: "team-b@example.com" });
    expect(
      transform?.dependencies.map((d) => [d.taskId, d.condition, d.freshWithin?.seconds]),
    ).toEqual([
      ["a.import-orders", DependencyCondition.RUN_FIRST, undefined],
      ["a.fetch-rates", DependencyCondition.FRESH_WITHIN, 3600n],
    ]);
    expect(cerebro.sessions.pending).toEqual([]);
  });

  it("does the same with CORDYNA_PRINT_DECLARATIONS=1", async () => {
    const { code, stdout } = await serverB([], { CORDYNA_PRINT_DECLARATIONS: "1" });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).serverName).toBe("task-server-b");
    expect(cerebro.sessions.pending).toEqual([]);
  });
});
