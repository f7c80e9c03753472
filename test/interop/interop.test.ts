// Cerebro with task-servers in four languages in one graph: the Rust, Java and
// Python examples (clients/<lang>/example) and a TypeScript server, each a real
// child process on real gRPC over loopback. Dependencies cross a language at
// every step:
//
//   rust.import → python.clean → rust.verify → java.mail → java.archive ──→ ts.publish
//                                                      └──→ python.sheet ──┘
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Run, RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Child,
  type ControlClient,
  finishedRun,
  spawnProgram,
  spawnTs,
  startCerebroProcess,
  waitForServers,
} from "../src/processes.js";

/** Each task: the server that declares it, its team, and its upstream tasks. */
const GRAPH = {
  "rust.import": { server: "rust-example", team: "team-rust", upstream: [] },
  "python.clean": { server: "python-example", team: "team-python", upstream: ["rust.import"] },
  "rust.verify": { server: "rust-example", team: "team-rust", upstream: ["python.clean"] },
  "java.mail": { server: "java-example", team: "team-java", upstream: ["rust.verify"] },
  "java.archive": { server: "java-example", team: "team-java", upstream: ["java.mail"] },
  "python.sheet": { server: "python-example", team: "team-python", upstream: ["java.mail"] },
  "ts.publish": {
    server: "ts-example",
    team: "team-ts",
    upstream: ["java.archive", "python.sheet"],
  },
} as const satisfies Record<string, { server: string; team: string; upstream: readonly string[] }>;

type TaskId = keyof typeof GRAPH;
const TASK_IDS = Object.keys(GRAPH) as TaskId[];

/** Every task that depends on `failed`, directly or not. */
function dependantsOf(failed: TaskId): Set<TaskId> {
  const found = new Set<TaskId>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const id of TASK_IDS) {
      const upstream: readonly string[] = GRAPH[id].upstream;
      if (found.has(id) || !upstream.some((u) => u === failed || found.has(u as TaskId))) continue;
      found.add(id);
      grew = true;
    }
  }
  return found;
}

const EXAMPLE_ENV = { CORDYNA_EXAMPLE_WORK_MS: "100", LOG_LEVEL: "warn" };

let cerebro: Child;
let control: ControlClient;
const servers: Child[] = [];

beforeAll(async () => {
  let address: string;
  ({ child: cerebro, control, address } = await startCerebroProcess({ LOG_LEVEL: "warn" }));
  const env = { ...EXAMPLE_ENV, CORDYNA_ADDR: address };
  for (const lang of ["rust", "java", "python"]) {
    servers.push(spawnProgram(`${lang}-example`, ["bash", `clients/${lang}/run-example.sh`], env));
  }
  servers.push(spawnTs("ts-example", "test/interop/ts-server.ts", [], env));
  try {
    await waitForServers(control, ["rust-example", "java-example", "python-example", "ts-example"]);
  } catch (error) {
    throw new Error(
      `${String(error)}\n${servers.map((s) => `--- ${s.name}\n${s.output()}`).join("\n")}`,
    );
  }
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await cerebro?.stop();
});

async function runToEnd(params: Record<string, string> = {}): Promise<Run> {
  const { run } = await control.startRun({ targets: ["ts.publish"], params });
  return finishedRun(control, run?.id ?? "");
}

/** Milliseconds since the epoch; NaN (which fails every comparison) when absent. */
const ms = (t: Timestamp | undefined) => (t ? timestampMs(t) : Number.NaN);

function statesOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.taskRuns.map((t) => [t.taskId, TaskState[t.state]]));
}

describe("task-servers in Rust, Java, Python and TypeScript in one graph", () => {
  it("declares every language's tasks into one graph, each owned by its team", async () => {
    const { tasks } = await control.listTasks({});
    const declared = Object.fromEntries(
      tasks
        .filter((t) => t.taskId in GRAPH)
        .map((t) => [
          t.taskId,
          {
            server: t.serverName,
            team: t.declaration?.owner?.team,
            upstream: t.declaration?.dependencies.map((d) => d.taskId).sort(),
          },
        ]),
    );
    expect(declared).toEqual(
      Object.fromEntries(
        TASK_IDS.map((id) => [
          id,
          {
            server: GRAPH[id].server,
            team: GRAPH[id].team,
            upstream: [...GRAPH[id].upstream].sort(),
          },
        ]),
      ),
    );
  });

  it("completes a run in dependency order, each task once on its own language's server", async () => {
    const run = await runToEnd();
    expect(statesOf(run)).toEqual(Object.fromEntries(TASK_IDS.map((id) => [id, "COMPLETED"])));
    expect(run.state).toBe(RunState.SUCCEEDED);

    const byTask = new Map(run.taskRuns.map((t) => [t.taskId, t]));
    for (const id of TASK_IDS) {
      const taskRun = byTask.get(id);
      expect(taskRun?.serverName, id).toBe(GRAPH[id].server);
      expect(taskRun?.attempts, id).toHaveLength(1);
      const startedAt = ms(taskRun?.attempts[0]?.startedAt);
      for (const upstream of GRAPH[id].upstream) {
        const upstreamDone = ms(byTask.get(upstream)?.attempts.at(-1)?.finishedAt);
        expect(startedAt, `${id} starts after ${upstream} finished`).toBeGreaterThanOrEqual(
          upstreamDone,
        );
      }
    }
  });

  it.each(["rust.import", "python.clean", "java.mail", "ts.publish"] as const)(
    "a failure of %s blocks only its dependants, in every language",
    async (failing) => {
      const run = await runToEnd({ fail: failing });
      const blocked = dependantsOf(failing);
      expect(statesOf(run)).toEqual(
        Object.fromEntries(
          TASK_IDS.map((id) => [
            id,
            id === failing ? "ERROR" : blocked.has(id) ? "BLOCKED" : "COMPLETED",
          ]),
        ),
      );
      const failed = run.taskRuns.find((t) => t.taskId === failing);
      expect(failed?.errorDescription).toContain("failed on purpose");
      expect(run.summary?.failed.map((f) => [f.taskId, f.owner?.team])).toEqual([
        [failing, GRAPH[failing].team],
      ]);
      expect(run.state).toBe(RunState.FAILED);
    },
  );

  it("every server drains on SIGTERM and exits 0", async () => {
    const codes = await Promise.all(servers.map(async (s) => [s.name, await s.stop()] as const));
    expect(Object.fromEntries(codes)).toEqual(Object.fromEntries(servers.map((s) => [s.name, 0])));
  });
});
