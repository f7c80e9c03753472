// The transport floor: what one gRPC message costs between two idle
// processes of this machine, with no cerebro in between. A W1 hand-off needs
// at least two such hops (task-server → cerebro → task-server), so this is
// the line under W1's latencies, measured over our transport and, beside it,
// over @grpc/grpc-js and @connectrpc/connect-node. See hop.ts for the ends.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { ROOT, withTimeout } from "./env.js";
import type { HopResult, Transport } from "./hop.js";
import { onFreshEnvs } from "./repetitions.js";
import { quantile } from "./stats.js";
import type { FigureSpec, Repetition, Workload } from "./workloads.js";

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

/** The figures taken of each transport's stream, in the order of the table. */
const MEASURES: ReadonlyArray<FigureSpec & { of(result: HopResult): number }> = [
  {
    key: "ThereP50Ms",
    label: "one-way, to a process idle for 2 ms, p50",
    unit: "ms",
    digits: 2,
    of: (result) => quantile(result.there, 0.5),
  },
  {
    key: "ThereP99Ms",
    label: "one-way, to a process idle for 2 ms, p99",
    unit: "ms",
    digits: 2,
    of: (result) => quantile(result.there, 0.99),
  },
  {
    key: "BackP50Ms",
    label: "one-way, to a process waiting for it, p50",
    unit: "ms",
    digits: 2,
    of: (result) => quantile(result.back, 0.5),
  },
  {
    key: "CpuUsPerMessage",
    label: "CPU per message (sending and receiving)",
    unit: "µs",
    digits: 0,
    of: (result) => (result.senderCpuMicros + result.echoCpuMicros) / (2 * result.there.length),
  },
];

/** How each transport is named in the figures' keys and labels. */
const NAMES: Record<Transport, { readonly key: string; readonly label: string }> = {
  "grpc-js": { key: "grpcJs", label: "grpc-js (@grpc/grpc-js at both ends)" },
  "connect-node": {
    key: "connectNode",
    label: "connect-node (@connectrpc/connect-node at both ends)",
  },
};

const TRANSPORTS = Object.keys(NAMES) as Transport[];

async function measureOnce(): Promise<Repetition> {
  const values: Record<string, number> = {};
  for (const transport of TRANSPORTS) {
    const result = await hops(transport);
    for (const measure of MEASURES) values[NAMES[transport].key + measure.key] = measure.of(result);
  }
  return { values };
}

export const floor: Workload = {
  id: "floor",
  title: "Transport floor: one gRPC message between two idle processes, no cerebro",
  stores: ["memory"],
  figures: MEASURES.flatMap(({ key, label, unit, digits }) =>
    TRANSPORTS.map((transport) => ({
      key: NAMES[transport].key + key,
      label: `${label}: ${NAMES[transport].label}`,
      unit,
      digits,
    })),
  ),
  run: (settings) => onFreshEnvs(settings, measureOnce),
};
