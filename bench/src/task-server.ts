// A task-server process of the bench: declares one workload graph's tasks of
// one side (server 0 or 1) and runs them as no-ops. Each handler stamps when
// it starts and when it returns; the runner asks for the stamps over stdin
// ("dump <tag>") and reads them from stdout, one line per dump, so nothing
// is written while a workload is measured.
//
// Environment: CORDYNA_ADDR, BENCH_GRAPH (chain | fan | dags | layers),
// BENCH_SERVER (0 or 1), BENCH_WORK_MS (how long each handler works; default
// 0, a no-op), LOG_LEVEL (default warn).
import { createInterface } from "node:readline";
import { setTimeout } from "node:timers/promises";
import { TaskServer } from "@cordyna/task-server";
import { pino } from "pino";
import { wallMs } from "./clock.js";
import { graphTasks, isGraphName, SERVER_CONCURRENCY, SERVER_NAMES } from "./graphs.js";
import { cpuMicros, type Stamp, writeMessage } from "./protocol.js";

const graph = process.env.BENCH_GRAPH ?? "";
const side = process.env.BENCH_SERVER === "1" ? 1 : 0;
if (!isGraphName(graph)) {
  process.stderr.write(`BENCH_GRAPH must name a graph, not "${graph}"\n`);
  process.exit(2);
}

const workMs = Number(process.env.BENCH_WORK_MS ?? "0");
const name = SERVER_NAMES[side];
const server = new TaskServer({
  name,
  team: "bench",
  contact: "bench@example.com",
  concurrency: SERVER_CONCURRENCY,
  logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }, pino.destination(2)),
});

let stamps: Stamp[] = [];
const declaredFrom = wallMs();
for (const task of graphTasks(graph)) {
  if (task.server !== side) continue;
  server.task({ id: task.id, dependsOn: task.dependsOn }, async (ctx) => {
    const startedAt = wallMs();
    if (workMs > 0) await setTimeout(workMs);
    stamps.push([ctx.runId, ctx.taskId, ctx.attemptId, startedAt, wallMs()]);
  });
}
const helloAt = wallMs();
await server.start();
const welcomedAt = wallMs();
writeMessage({
  kind: "ready",
  server: name,
  declaredMs: helloAt - declaredFrom,
  helloAt,
  welcomedAt,
});

createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, tag = ""] = line.trim().split(/\s+/);
  if (command !== "dump") return;
  const taken = stamps;
  stamps = [];
  writeMessage({ kind: "stamps", server: name, tag, stamps: taken, cpuMicros: cpuMicros() });
});
