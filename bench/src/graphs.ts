// The task graphs of the workloads. Both task-server processes and the runner
// build them from here, so task ids and owners always agree.

/** Names of the two task-server processes every workload runs on. */
export const SERVER_NAMES = ["bench-0", "bench-1"] as const;

/** Attempts each task-server process runs at once. */
export const SERVER_CONCURRENCY = 100;

export type GraphName = "chain" | "fan" | "dags" | "layers";

export const GRAPH_NAMES: readonly GraphName[] = ["chain", "fan", "dags", "layers"];

/** One task of a workload graph, on server 0 or 1. */
export interface BenchTask {
  readonly id: string;
  readonly server: 0 | 1;
  readonly dependsOn: readonly string[];
}

export const CHAIN_LENGTH = 100;
export const FAN_WIDTH = 1_000;
export const LAYERS = 100;
export const LAYER_WIDTH = 100;
/** Upstream tasks of each task in the layered graph (from the layer above). */
export const LAYER_FAN_IN = 3;

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** W1: chain.000 → chain.001 → … → chain.099, alternating servers, so every hand-off crosses processes. */
export function chainTaskId(i: number): string {
  return `chain.${pad(i, 3)}`;
}

/** W2 and W5: fan.root → fan.mid.0000 … fan.mid.0999 → fan.sink. */
export const FAN_ROOT = "fan.root";
export const FAN_SINK = "fan.sink";
export function fanMidId(i: number): string {
  return `fan.mid.${pad(i, 4)}`;
}

/** W3: a diamond of four tasks across both servers: dag.a → (dag.b, dag.c) → dag.d. */
export const DAG_TARGET = "dag.d";
export const DAG_SIZE = 4;

/**
 * W4: layer.LL.II; each task depends on LAYER_FAN_IN tasks of the layer above.
 * Split by halves of the layers, not alternating: see docs/performance.md for
 * why an alternating split of 10,000 tasks cannot connect.
 */
export function layerTaskId(layer: number, index: number): string {
  return `layer.${pad(layer, 2)}.${pad(index, 2)}`;
}

/** Every task of a graph, with the server that declares it. */
export function graphTasks(name: GraphName): BenchTask[] {
  const side = (i: number): 0 | 1 => (i % 2 === 0 ? 0 : 1);
  switch (name) {
    case "chain":
      return Array.from({ length: CHAIN_LENGTH }, (_, i) => ({
        id: chainTaskId(i),
        server: side(i),
        dependsOn: i === 0 ? [] : [chainTaskId(i - 1)],
      }));
    case "fan": {
      const mids = Array.from({ length: FAN_WIDTH }, (_, i) => ({
        id: fanMidId(i),
        server: side(i),
        dependsOn: [FAN_ROOT],
      }));
      return [
        { id: FAN_ROOT, server: 0, dependsOn: [] },
        ...mids,
        { id: FAN_SINK, server: 1, dependsOn: mids.map((t) => t.id) },
      ];
    }
    case "dags":
      return [
        { id: "dag.a", server: 0, dependsOn: [] },
        { id: "dag.b", server: 1, dependsOn: ["dag.a"] },
        { id: "dag.c", server: 0, dependsOn: ["dag.a"] },
        { id: DAG_TARGET, server: 1, dependsOn: ["dag.b", "dag.c"] },
      ];
    case "layers": {
      const tasks: BenchTask[] = [];
      for (let layer = 0; layer < LAYERS; layer++) {
        for (let i = 0; i < LAYER_WIDTH; i++) {
          const above = new Set<string>();
          if (layer > 0) {
            for (const offset of [0, 1, 37].slice(0, LAYER_FAN_IN)) {
              above.add(layerTaskId(layer - 1, (i + offset) % LAYER_WIDTH));
            }
          }
          // Server 0 declares the upper half of the layers, server 1 the lower half.
          const server = layer < LAYERS / 2 ? 0 : 1;
          tasks.push({ id: layerTaskId(layer, i), server, dependsOn: [...above] });
        }
      }
      return tasks;
    }
  }
}

/** The targets that make a run cover the whole graph. */
export function graphTargets(name: GraphName): string[] {
  switch (name) {
    case "chain":
      return [chainTaskId(CHAIN_LENGTH - 1)];
    case "fan":
      return [FAN_SINK];
    case "dags":
      return [DAG_TARGET];
    case "layers":
      return Array.from({ length: LAYER_WIDTH }, (_, i) => layerTaskId(LAYERS - 1, i));
  }
}

export function isGraphName(value: string): value is GraphName {
  return (GRAPH_NAMES as readonly string[]).includes(value);
}

/**
 * W6: one task-server declaring 50,000 tasks at once, WIDE_LAYERS layers of
 * WIDE_WIDTH, each task depending on LAYER_FAN_IN tasks of the layer above.
 */
export const WIDE_LAYERS = 500;
export const WIDE_WIDTH = 100;
export const WIDE_SERVER_NAME = "bench-wide";

export function wideTasks(): { id: string; dependsOn: string[] }[] {
  const id = (layer: number, i: number) => `w.${pad(layer, 3)}.${pad(i, 2)}`;
  const tasks: { id: string; dependsOn: string[] }[] = [];
  for (let layer = 0; layer < WIDE_LAYERS; layer++) {
    for (let i = 0; i < WIDE_WIDTH; i++) {
      const above = new Set<string>();
      if (layer > 0) {
        for (const offset of [0, 1, 37].slice(0, LAYER_FAN_IN)) {
          above.add(id(layer - 1, (i + offset) % WIDE_WIDTH));
        }
      }
      tasks.push({ id: id(layer, i), dependsOn: [...above] });
    }
  }
  return tasks;
}
