// `dyna serve tasks.yaml` as a real process: tasks whose work is a command,
// invoked by a real cerebro over gRPC.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { ControlService, ErrorCause, type Run, RunState, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProcessAlive } from "../../task-server-ts/src/testing/processes.js";
import {
  type Child,
  type ControlClient,
  exitCode,
  spawnTs,
  waitForServers,
  waitUntil,
} from "./processes.js";

const TASKS_YAML = `server:
  name: command-server
  team: team-c
  contact: team-c@example.com
tasks:
  - id: c.python
    description: Writes the day it was given, from its argv and its environment
    command:
      - python3
      - -c
      - |
        import os, sys
        with open("received.txt", "w") as out:
            out.write(sys.argv[1] + " " + os.environ["CORDYNA_PARAM_DAY"])
        print("wrote received.txt")
      - "{{day}}"
    cwd: work
  - id: c.fail
    command: ["sh", "-c", "echo some progress; echo 'disk full on /data' >&2; exit 3"]
  - id: c.slow
    shell: "sleep 30 & echo $! > slow.pid; wait"
`;

let dir: string;
let cerebro: Cerebro;
let control: ControlClient;
let server: Child;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cordyna-serve-"));
  await writeFile(join(dir, "tasks.yaml"), TASKS_YAML);
  await mkdir(join(dir, "work"));
  cerebro = await startCerebro({ port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
  control = createClient(
    ControlService,
    createGrpcTransport({ baseUrl: `http://${cerebro.address}` }),
  );
  server = spawnTs(
    "dyna serve",
    "cli/src/bin.ts",
    ["serve", join(dir, "tasks.yaml"), "--cerebro", cerebro.address],
    { LOG_LEVEL: "warn" },
  );
  await waitForServers(control, ["command-server"]);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await cerebro?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function finished(runId: string): Promise<Run> {
  let run: Run | undefined;
  await waitUntil(`run ${runId} to finish`, async () => {
    run = (await control.getRun({ runId })).run;
    return run !== undefined && run.state !== RunState.RUNNING;
  });
  if (!run) throw new Error("no run");
  return run;
}

describe("dyna serve: a task-server for any command", () => {
  it("completes the command that exits 0 with the param it received, and fails the other with its stderr", async () => {
    const { run } = await control.startRun({
      targets: ["c.python", "c.fail"],
      params: { day: "2026-06-01" },
    });
    const done = await finished(run?.id ?? "");
    const byTask = new Map(done.taskRuns.map((taskRun) => [taskRun.taskId, taskRun]));

    const python = byTask.get("c.python");
    expect(TaskState[python?.state ?? 0], server.output()).toBe("COMPLETED");
    expect(await readFile(join(dir, "work", "received.txt"), "utf8")).toBe("2026-06-01 2026-06-01");

    const failed = byTask.get("c.fail");
    expect(TaskState[failed?.state ?? 0]).toBe("ERROR");
    expect(failed?.errorCause).toBe(ErrorCause.TASK_FAILED);
    expect(failed?.errorDescription).toBe("disk full on /data");
    expect(done.state).toBe(RunState.FAILED);
    expect(done.summary?.failed.map((f) => [f.taskId, f.owner?.team])).toEqual([
      ["c.fail", "team-c"],
    ]);
  });

  it("on cancel, ends the command's whole process group", async () => {
    const { run } = await control.startRun({ targets: ["c.slow"] });
    const runId = run?.id ?? "";
    const pidFile = join(dir, "slow.pid");
    let grandchild = 0;
    await waitUntil("the slow command to start its sleep", async () => {
      grandchild = Number((await readFile(pidFile, "utf8")).trim());
      return grandchild > 0;
    });
    expect(isProcessAlive(grandchild)).toBe(true);
    await control.cancelRun({ runId, reason: "test" });
    const done = await finished(runId);
    expect(done.state).toBe(RunState.CANCELLED);
    await waitUntil(
      `the sleep (pid ${grandchild}) to be gone`,
      async () => !isProcessAlive(grandchild),
    );
  });

  it("drains and exits 0 on SIGTERM", async () => {
    expect(await server.stop()).toBe(0);
  });

  it("exits 2 naming the file, task and field of every problem in a bad file", async () => {
    const bad = join(dir, "bad.yaml");
    await writeFile(
      bad,
      "server: { name: s, team: t, contact: c }\ntasks:\n  - id: c.x\n    comand: [true]\n",
    );
    const child = spawnTs("dyna serve (bad file)", "cli/src/bin.ts", ["serve", bad]);
    expect(await exitCode(child)).toBe(2);
    expect(child.output()).toContain(`${bad}:3: task c.x: command: is required`);
    expect(child.output()).toContain(
      `${bad}:4: task c.x: comand: unknown key (did you mean command?)`,
    );
  });
});
