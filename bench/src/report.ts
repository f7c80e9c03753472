// Figures over repetitions, one JSON file per workload, and a readable table.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StoreKind } from "./env.js";
import type { Machine } from "./machine.js";
import { type Figure, figure } from "./stats.js";
import type { Repetition, Workload } from "./workloads.js";

export interface StoreResult {
  readonly reps: number;
  readonly warmups: number;
  readonly figures: Record<string, Figure>;
  readonly repetitions: readonly Repetition[];
  readonly error?: string;
}

export interface WorkloadResult {
  readonly workload: string;
  readonly title: string;
  readonly measuredAt: string;
  readonly machine: Machine;
  readonly figureUnits: Record<string, string>;
  readonly stores: Partial<Record<StoreKind, StoreResult>>;
}

export function storeResult(
  workload: Workload,
  repetitions: readonly Repetition[],
  warmups: number,
): StoreResult {
  const figures: Record<string, Figure> = {};
  for (const spec of workload.figures) {
    const samples = repetitions.map((rep) => rep.values[spec.key] ?? Number.NaN);
    if (samples.some(Number.isFinite)) figures[spec.key] = figure(samples);
  }
  return { reps: repetitions.length, warmups, figures, repetitions };
}

export function writeWorkloadJson(dir: string, result: WorkloadResult): string {
  const file = join(dir, `${result.workload}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

function format(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "–";
  return value.toLocaleString("en", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function cell(result: StoreResult | undefined, key: string, digits: number, unit: string): string {
  if (!result) return "n/a";
  if (result.error) return "failed";
  const f = result.figures[key];
  if (!f) return "–";
  const suffix = unit ? ` ${unit}` : "";
  if (f.min === f.max) return `${format(f.median, digits)}${suffix}`;
  return `${format(f.median, digits)}${suffix} (${format(f.min, digits)}–${format(f.max, digits)})`;
}

/** The Markdown table: one row per figure, one column per store. */
export function table(
  entries: ReadonlyArray<{ workload: Workload; result: WorkloadResult }>,
): string {
  const lines = [
    "| workload | figure | in-memory store | Redis store (AOF everysec) |",
    "| --- | --- | --- | --- |",
  ];
  for (const { workload, result } of entries) {
    for (const spec of workload.figures) {
      lines.push(
        `| ${workload.title} | ${spec.label} | ${cell(result.stores.memory, spec.key, spec.digits, spec.unit)} | ${cell(result.stores.redis, spec.key, spec.digits, spec.unit)} |`,
      );
    }
  }
  return lines.join("\n");
}

export function machineLine(machine: Machine, reps: number, warmups: number): string {
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  return [
    `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGB} GB, ${machine.os};`,
    `Node.js ${machine.node}, redis-server ${machine.redis}; commit ${machine.commit};`,
    `load average ${machine.loadAverage} at start;`,
    `${packages}.`,
    `Each figure: median (min–max) of ${reps} runs after ${warmups} warm-up.`,
  ].join(" ");
}
