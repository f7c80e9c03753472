// Remakes docs/images/jaeger-trace.png: the seed's first run (the one of
// `npm run demo`) traced into a Jaeger that serves its UI, and that trace's
// timeline photographed with Chromium.
//
//   npx tsx scripts/jaeger-screenshot.ts --jaeger http://127.0.0.1:16686 --otlp http://127.0.0.1:4318
//
//   --jaeger URL     Jaeger's query HTTP address: its UI and /api/traces (required)
//   --otlp URL       Jaeger's OTLP/HTTP receiver, for OTEL_EXPORTER_OTLP_ENDPOINT (required)
//   --out FILE       where to write the PNG (default docs/images/jaeger-trace.png)
//   --chromium PATH  the Chromium to drive (default /usr/bin/chromium, Debian's)
//
// It starts cerebro (`dyna dev`, in-memory store), task-server-a and
// task-server-b, each exporting its spans to --otlp (the two task-servers
// through test/src/fixtures/tracing-preload.ts), runs b.sales-report and
// b.archive-digest with their upstream as the demo's first run does, waits
// until Jaeger holds every span of that run's trace, then opens the trace in
// the UI with every span expanded and saves a screenshot 1400 pixels wide and
// 800 high, or as much higher as every span's row needs.
// Jaeger's UI is not in its Go module: the Jaeger given must serve a built
// jaeger-ui (jaeger_query's `ui.assets_path`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Run, RunState, TaskState } from "@cordyna/contract";
import { chromium } from "playwright-core";
import {
  type Child,
  finishedRun,
  ROOT,
  spawnProgram,
  startCerebroProcess,
  waitForServers,
  waitUntil,
} from "../test/src/processes.js";

const { values: args } = parseArgs({
  options: {
    jaeger: { type: "string" },
    otlp: { type: "string" },
    out: { type: "string", default: "docs/images/jaeger-trace.png" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});

const say = (text: string) => process.stdout.write(`${text}\n`);

/** The seed's first run, as `npm run demo` starts it. */
const SEED_RUN = { targets: ["b.sales-report", "b.archive-digest"], params: { day: "2026-06-01" } };
const VIEWPORT = { width: 1400, height: 800 };

/** Every span the run's trace holds once all are exported: the run, each task-run, and per attempt its span and the handler's. */
function expectedSpans(run: Run): number {
  const attempts = run.taskRuns.reduce((sum, taskRun) => sum + taskRun.attempts.length, 0);
  return 1 + run.taskRuns.length + 2 * attempts;
}

/** Runs the seed's first run with every process exporting to `otlp`; returns it, finished. */
async function tracedSeedRun(otlp: string, children: Child[]): Promise<Run> {
  // Short batches, so that the spans reach Jaeger soon after they end.
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_BSP_SCHEDULE_DELAY: "100" };
  const cerebro = await startCerebroProcess({ ...otel, LOG_LEVEL: "warn" });
  children.push(cerebro.child);
  for (const name of ["task-server-a", "task-server-b"]) {
    const command = [
      process.execPath,
      "--import",
      "tsx",
      "--import",
      "./test/src/fixtures/tracing-preload.ts",
      `task-server-ts/servers/${name}.ts`,
    ];
    const env = { ...otel, OTEL_SERVICE_NAME: name, CORDYNA_ADDR: cerebro.address };
    children.push(spawnProgram(name, command, { ...env, LOG_LEVEL: "warn" }));
  }
  await waitForServers(cerebro.control, ["task-server-a", "task-server-b"]);
  const { run: started } = await cerebro.control.startRun(SEED_RUN);
  if (!started) throw new Error("cerebro answered StartRun without a run");
  if (!started.traceId) throw new Error("the run has no trace id: is tracing on in cerebro?");
  const run = await finishedRun(cerebro.control, started.id);
  say(`run ${run.id} ${RunState[run.state]}, trace ${run.traceId}`);
  for (const taskRun of run.taskRuns) {
    say(`  ${taskRun.taskId.padEnd(20)} ${TaskState[taskRun.state]}`);
  }
  return run;
}

/** Waits until Jaeger's query API returns the trace with all `count` spans. */
async function waitForTrace(jaeger: string, traceId: string, count: number): Promise<void> {
  let seen = 0;
  await waitUntil(
    `all ${count} spans of trace ${traceId} in Jaeger`,
    async () => {
      const response = await fetch(`${jaeger}/api/traces/${traceId}`);
      if (!response.ok) return false;
      const body = (await response.json()) as { data: { spans: unknown[] }[] };
      seen = body.data[0]?.spans.length ?? 0;
      return seen >= count;
    },
    30_000,
  );
  say(`Jaeger holds ${seen} spans of the trace`);
}

/** Opens the trace's timeline in Jaeger's UI, every span expanded, and saves it as a PNG. */
async function screenshot(
  jaeger: string,
  traceId: string,
  spans: number,
  executablePath: string,
  out: string,
): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), "jaeger-screenshot-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: VIEWPORT,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    // A wider name column than the UI's default quarter, so that the
    // operation names stay whole at their depth in the tree.
    await page.addInitScript('localStorage.setItem("spanNameColumnWidth", "0.4")');
    const response = await page.goto(`${jaeger}/trace/${traceId}`);
    if (!response?.ok()) throw new Error(`Jaeger's UI answered ${response?.status()}`);
    if ((await page.title()) === "Test Page") {
      throw new Error(
        "Jaeger serves its placeholder page, not its UI: give jaeger_query a ui.assets_path naming a built jaeger-ui",
      );
    }
    const rows = page.locator(".span-row");
    await rows.first().waitFor({ timeout: 30_000 });
    // "[" is the UI's own shortcut for Expand All.
    await page.keyboard.press("[");
    // Taller than the viewport when the rows need it, so that none is cut off.
    const first = await rows.first().boundingBox();
    if (!first) throw new Error("the timeline's first row is not on the page");
    const height = Math.ceil(first.y + spans * first.height) + 4;
    if (height > VIEWPORT.height) await page.setViewportSize({ ...VIEWPORT, height });
    await waitUntil(
      `${spans} span rows in the timeline`,
      async () => (await rows.count()) >= spans,
    );
    await page.screenshot({ path: out });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!args.jaeger || !args.otlp) {
    throw new Error("both --jaeger (the query/UI URL) and --otlp (the OTLP/HTTP URL) are required");
  }
  const jaeger = args.jaeger.replace(/\/+$/, "");
  const out = resolve(ROOT, args.out);
  const children: Child[] = [];
  try {
    const run = await tracedSeedRun(args.otlp, children);
    const spans = expectedSpans(run);
    await waitForTrace(jaeger, run.traceId, spans);
    await screenshot(jaeger, run.traceId, spans, args.chromium, out);
    say(`saved ${out}`);
  } finally {
    await Promise.all(children.reverse().map((child) => child.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `jaeger-screenshot failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exitCode = 1;
});
