// How a workload's repetitions are run and logged, warm-ups first.
import type { Repetition, RunSettings } from "./workloads.js";

/** Runs `measure` on a new environment per repetition (warm-ups included). */
export async function onFreshEnvs(
  settings: RunSettings,
  measure: (rep: number) => Promise<Repetition>,
): Promise<Repetition[]> {
  const kept: Repetition[] = [];
  for (let i = 0; i < settings.warmups + settings.reps; i++) {
    const warm = i < settings.warmups;
    const rep = await measure(i);
    settings.log(`  ${warm ? "warm-up" : `rep ${i - settings.warmups + 1}`}: ${show(rep)}`);
    if (!warm) kept.push(rep);
  }
  return kept;
}

export function show(rep: Repetition): string {
  return Object.entries(rep.values)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
    .join(" ");
}
