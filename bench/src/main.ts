// The Cordyna bench: `npm run bench [-- options]`. See docs/performance.md.
//
//   --quick            fewer repetitions and shorter rate steps, to try it out
//   --only w1,w3       only these workloads (w1 … w6)
//   --store memory     only this store (memory or redis; default both)
//   --reps N           measured repetitions (default 5; 2 with --quick)
//   --warmups N        discarded repetitions before them (default 2; 1 with --quick)
//   --profile          instead of the figures: CPU-profile cerebro and the task-servers
//                      during W1 and W2 (or the --only ones among w1, w2, w3) on each
//                      store and summarise the profiles
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, type StoreKind, stopAll } from "./env.js";
import { describeMachine } from "./machine.js";
import { describeProfile, readProfile, summarize } from "./profile.js";
import {
  machineLine,
  type StoreResult,
  storeResult,
  table,
  type WorkloadResult,
  writeWorkloadJson,
} from "./report.js";
import {
  type RunSettings,
  WORKLOAD_IDS,
  WORKLOADS,
  type Workload,
  w1,
  w2,
  w3,
} from "./workloads.js";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    store: { type: "string" },
    reps: { type: "string" },
    warmups: { type: "string" },
    profile: { type: "boolean", default: false },
  },
});

const quick = args.quick ?? false;
const reps = Number(args.reps ?? (quick ? 2 : 5));
const warmups = Number(args.warmups ?? (quick ? 1 : 2));
const stores: StoreKind[] =
  args.store === "memory" || args.store === "redis" ? [args.store] : ["memory", "redis"];
const only = args.only?.split(",").map((id) => id.trim().toLowerCase());
for (const id of only ?? []) {
  if (!(WORKLOAD_IDS as readonly string[]).includes(id)) {
    process.stderr.write(`unknown workload ${id}: use ${WORKLOAD_IDS.join(", ")}\n`);
    process.exit(2);
  }
}
if (!(Number.isInteger(reps) && reps >= 1 && Number.isInteger(warmups) && warmups >= 0)) {
  process.stderr.write("--reps must be at least 1 and --warmups at least 0\n");
  process.exit(2);
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const resultsDir = join(ROOT, "bench", "results");
const runDir = join(resultsDir, args.profile ? `profile-${stamp}` : stamp);
mkdirSync(runDir, { recursive: true });
const shown = (path: string) => relative(ROOT, path);

const began = Date.now();
const log = (line: string) => {
  const seconds = ((Date.now() - began) / 1_000).toFixed(0).padStart(4);
  process.stdout.write(`[${seconds}s] ${line}\n`);
};

// Interrupted: stop every process started (Redis too) before exiting.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    const timer = setTimeout(() => process.exit(code), 15_000);
    void stopAll().finally(() => {
      clearTimeout(timer);
      process.exit(code);
    });
  });
}

const machine = describeMachine();
log(machineLine(machine, reps, warmups));

if (args.profile) await profile();
else await measureAll();

async function measureAll(): Promise<void> {
  const chosen = WORKLOADS.filter((w) => !only || only.includes(w.id));
  const entries: Array<{ workload: Workload; result: WorkloadResult }> = [];
  for (const workload of chosen) {
    const result: WorkloadResult = {
      workload: workload.id,
      title: workload.title,
      measuredAt: new Date().toISOString(),
      machine,
      figureUnits: Object.fromEntries(workload.figures.map((f) => [f.key, f.unit])),
      stores: {},
    };
    for (const store of stores) {
      if (!workload.stores.includes(store)) continue;
      log(`${workload.title}, ${store} store`);
      const settings: RunSettings = { store, warmups, reps, quick, log };
      let outcome: StoreResult;
      try {
        outcome = storeResult(workload, await workload.run(settings), warmups);
      } catch (error) {
        log(`  FAILED: ${error instanceof Error ? error.message : String(error)}`);
        outcome = { reps: 0, warmups, figures: {}, repetitions: [], error: String(error) };
      }
      result.stores[store] = outcome;
    }
    log(`  wrote ${shown(writeWorkloadJson(runDir, result))}`);
    entries.push({ workload, result });
  }
  const text = [
    `# Cordyna bench, ${new Date().toISOString()}`,
    "",
    machineLine(machine, reps, warmups),
    "",
    table(entries),
    "",
    `Took ${((Date.now() - began) / 60_000).toFixed(1)} min${quick ? " (--quick)" : ""}.`,
    "",
  ].join("\n");
  writeFileSync(join(runDir, "results.md"), text);
  writeFileSync(join(resultsDir, "latest.md"), text);
  process.stdout.write(`\n${text}\n`);
  log(`wrote ${shown(join(runDir, "results.md"))} and ${shown(join(resultsDir, "latest.md"))}`);
  if (entries.some(({ result }) => Object.values(result.stores).some((s) => s?.error))) {
    process.exitCode = 1;
  }
}

async function profile(): Promise<void> {
  const profiled = only ? [w1, w2, w3].filter((w) => only.includes(w.id)) : [w1, w2];
  if (profiled.length === 0) {
    process.stderr.write("--profile covers w1, w2 and w3 only\n");
    process.exit(2);
  }
  const sections: string[] = [
    `# CPU profiles of cerebro and the task-servers during ${profiled.map((w) => w.id.toUpperCase()).join(" and ")}`,
    "",
    machineLine(machine, reps, warmups),
    "",
    "Start-up (before the first workload run) is left out; shares are of busy (non-idle) time.",
    "",
  ];
  for (const store of stores) {
    for (const workload of profiled) {
      const dir = join(runDir, store, workload.id);
      mkdirSync(dir, { recursive: true });
      log(`profiling ${workload.title}, ${store} store`);
      await workload.run({ store, warmups, reps, quick, log }, dir);
      const { skipMs } = JSON.parse(readFileSync(join(dir, "window.json"), "utf8")) as {
        skipMs: Record<string, number>;
      };
      for (const [processName, skip] of Object.entries(skipMs)) {
        const processDir = join(dir, processName);
        const file = readdirSync(processDir).find((name) => name.endsWith(".cpuprofile"));
        if (!file) {
          log(`  no profile written in ${shown(processDir)}`);
          continue;
        }
        const summary = summarize(readProfile(join(processDir, file)), skip);
        sections.push(
          describeProfile(`${workload.title}, ${store} store: ${processName}`, summary),
        );
        log(`  ${shown(join(processDir, file))}`);
      }
    }
  }
  const text = sections.join("\n");
  writeFileSync(join(runDir, "profiles.md"), text);
  process.stdout.write(`\n${text}\n`);
  log(`wrote ${shown(join(runDir, "profiles.md"))}`);
}
