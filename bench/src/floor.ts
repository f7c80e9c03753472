// The transport floor: what one gRPC message costs between two idle
// processes of this machine, with no cerebro in between. A W1 hand-off needs
// at least two such hops (task-server → cerebro → task-server), so this is
// the line under W1's latencies. See hop.ts for the two ends.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { ROOT, withTimeout } from "./env.js";
import type { HopResult, Transport } from "./hop.js";
import { onFreshEnvs } from "./repetitions.js";
import { quantile } from "./stats.js";
import type { Repetition, Workload } from "./workloads.js";

/** Starts `bench/src/hop.ts <args>` and resolves with its first line of output. */
function hopProcess(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/src/hop.ts", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`hop.ts ${args[0]} exited with ${code}`)));
  });
  return { child, firstLine: withTimeout(firstLine, 60_000, `hop.ts ${args[0]}`) };
}

async function hops(transport: Transport): Promise<HopResult> {
  const echo = hopProcess(["echo", transport]);
  try {
    const port = await echo.firstLine;
    return JSON.parse(await hopProcess(["send", transport, port]).firstLine) as HopResult;
  } finally {
    echo.child.kill();
  }
}

const cpuPerMessage = (result: HopResult) =>
  (result.senderCpuMicros + result.echoCpuMicros) / (2 * result.there.length);

async function measureOnce(): Promise<Repetition> {
  const ours = await hops("http2");
  const grpcJs = await hops("grpc-js");
  return {
    values: {
      thereP50Ms: quantile(ours.there, 0.5),
      thereP99Ms: quantile(ours.there, 0.99),
      backP50Ms: quantile(ours.back, 0.5),
      cpuUsPerMessage: cpuPerMessage(ours),
      grpcJsThereP50Ms: quantile(grpcJs.there, 0.5),
      grpcJsCpuUsPerMessage: cpuPerMessage(grpcJs),
    },
  };
}

export const floor: Workload = {
  id: "floor",
  title: "Transport floor: one gRPC message between two idle processes, no cerebro",
  stores: ["memory"],
  figures: [
    { key: "thereP50Ms", label: "one-way, to a process idle for 2 ms, p50", unit: "ms", digits: 2 },
    { key: "thereP99Ms", label: "one-way, to a process idle for 2 ms, p99", unit: "ms", digits: 2 },
    { key: "backP50Ms", label: "one-way, to a process waiting for it, p50", unit: "ms", digits: 2 },
    {
      key: "cpuUsPerMessage",
      label: "CPU per message (sending and receiving)",
      unit: "µs",
      digits: 0,
    },
    {
      key: "grpcJsThereP50Ms",
      label: "with @grpc/grpc-js at both ends: one-way, to a process idle for 2 ms, p50",
      unit: "ms",
      digits: 2,
    },
    {
      key: "grpcJsCpuUsPerMessage",
      label: "with @grpc/grpc-js at both ends: CPU per message",
      unit: "µs",
      digits: 0,
    },
  ],
  run: (settings) => onFreshEnvs(settings, measureOnce),
};
