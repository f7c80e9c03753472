// Summarises a V8 CPU profile (node --cpu-prof): where the time went, by
// function (self and inclusive) and by file or package, optionally skipping
// the first milliseconds (process start-up).
//
// Also a command: tsx bench/src/profile.ts <file.cpuprofile> [skip-ms]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A source location without this machine's paths: relative to the repository. */
function where(url: string): string {
  let path = url.startsWith("file://") ? fileURLToPath(url) : url;
  if (path.startsWith(ROOT)) path = path.slice(ROOT.length);
  const modules = path.lastIndexOf("node_modules/");
  if (modules >= 0) path = path.slice(modules);
  return path;
}

/** The file, or the package for node_modules, or the kind of V8 pseudo-frame. */
function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const path = where(url);
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1] ?? path;
  if (path.startsWith("node:")) return "node: internals";
  return path;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || "(anonymous)";
  return url ? `${name} ${where(url)}:${lineNumber + 1}` : name;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly windowMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  readonly self: ReadonlyArray<[string, number]>;
  readonly inclusive: ReadonlyArray<[string, number]>;
  readonly areas: ReadonlyArray<[string, number]>;
}

export function summarize(profile: CpuProfile, skipMs = 0): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number) =>
    map.set(key, (map.get(key) ?? 0) + ms);
  let elapsed = 0;
  let windowMs = 0;
  let idleMs = 0;
  let gcMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1_000;
    elapsed += ms;
    if (elapsed < skipMs) return;
    const node = byId.get(id);
    if (!node) return;
    windowMs += ms;
    const name = node.callFrame.functionName;
    if (name === "(idle)") {
      idleMs += ms;
      return;
    }
    if (name === "(garbage collector)") gcMs += ms;
    add(self, label(node), ms);
    add(areas, area(node), ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (!frame || frame.callFrame.functionName === "(root)") continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, ms);
    }
  });
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1_000,
    windowMs,
    idleMs,
    gcMs,
    self: top(self, 25),
    inclusive: top(new Map([...inclusive].filter(([key]) => key.includes("cerebro/src/"))), 25),
    areas: top(areas, 15),
  };
}

/** The summary as Markdown; shares are of the busy (non-idle) time. */
export function describeProfile(title: string, summary: ProfileSummary): string {
  const busy = summary.windowMs - summary.idleMs;
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1)} %`;
  const rows = (entries: ReadonlyArray<[string, number]>) =>
    entries.map(([key, ms]) => `| ${pct(ms)} | ${ms.toFixed(0)} ms | \`${key}\` |`).join("\n");
  return [
    `### ${title}`,
    "",
    `Window ${summary.windowMs.toFixed(0)} ms, of which idle ${summary.idleMs.toFixed(0)} ms, busy ${busy.toFixed(0)} ms (GC ${pct(summary.gcMs)} of busy).`,
    "",
    "Self time by file or package:",
    "",
    "| share of busy | time | file or package |",
    "| --- | --- | --- |",
    rows(summary.areas),
    "",
    "Self time by function (top 25):",
    "",
    "| share of busy | time | function |",
    "| --- | --- | --- |",
    rows(summary.self),
    "",
    "Inclusive time of cerebro's own functions (top 25):",
    "",
    "| share of busy | time | function |",
    "| --- | --- | --- |",
    rows(summary.inclusive),
    "",
  ].join("\n");
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, skip] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: tsx bench/src/profile.ts <file.cpuprofile> [skip-ms]\n");
    process.exit(2);
  }
  process.stdout.write(describeProfile(file, summarize(readProfile(file), Number(skip ?? 0))));
}
