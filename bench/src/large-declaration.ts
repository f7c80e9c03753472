// W6: a task-server declares 50,000 tasks (in parts) while a client reads
// a run over and over. What the client waits for its answers, and how long
// cerebro's event loop is held at a time, is what every other caller of
// cerebro sees while a large declaration is applied.
import { RunState } from "@cordyna/contract";
import { wallMs } from "./clock.js";
import { BenchEnv, sleep, withTimeout } from "./env.js";
import { graphTargets, WIDE_LAYERS, WIDE_SERVER_NAME, WIDE_WIDTH } from "./graphs.js";
import { onFreshEnvs } from "./repetitions.js";
import { latencies } from "./stats.js";
import type { Repetition, RunSettings, Workload } from "./workloads.js";

const WIDE_TASKS = WIDE_LAYERS * WIDE_WIDTH;

/** How long the reads go on after the Welcome: what cerebro does after it counts too. */
const AFTER_WELCOME_MS = 1_000;

export const w6: Workload = {
  id: "w6",
  title: `W6 a declaration of ${WIDE_TASKS.toLocaleString("en")} tasks while a client reads a run`,
  stores: ["memory", "redis"],
  figures: [
    { key: "acceptMs", label: "accept (Hello sent → Welcome received)", unit: "ms", digits: 0 },
    {
      key: "longestStallMs",
      label: "cerebro's longest event-loop stall, declarer's start to 1 s after the Welcome",
      unit: "ms",
      digits: 0,
    },
    {
      key: "longestCallMs",
      label: "longest GetRun meanwhile (back to back, one at a time)",
      unit: "ms",
      digits: 0,
    },
    { key: "callP50Ms", label: "GetRun p50 meanwhile", unit: "ms", digits: 2 },
    {
      key: "callsDuringAccept",
      label: "GetRuns answered between the Hello and the Welcome",
      unit: "",
      digits: 0,
    },
  ],
  run: (settings) => onFreshEnvs(settings, () => declareWhileReading(settings)),
};

async function declareWhileReading(settings: RunSettings): Promise<Repetition> {
  const env = await BenchEnv.start({
    store: settings.store,
    graph: "dags",
    cerebroEnv: { CORDYNA_MAX_TASKS_PER_DECLARATION: String(WIDE_TASKS) },
  });
  try {
    const { run } = await env.followToEnd(await env.startRun(graphTargets("dags")));
    if (run.state !== RunState.SUCCEEDED) throw new Error(`run ${run.id} did not succeed`);

    await env.watchStalls();
    const calls: { sentAt: number; answeredAt: number }[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const sentAt = wallMs();
        await env.control.getRun({ runId: run.id }, { timeoutMs: 120_000 });
        calls.push({ sentAt, answeredAt: wallMs() });
      }
    })();
    const declarer = env.startDeclarer();
    const ready = await withTimeout(declarer.ready, 120_000, "the Welcome of 50,000 tasks");
    await sleep(AFTER_WELCOME_MS);
    reading = false;
    await reader;
    const stalls = await env.stalls();

    const { servers } = await env.control.listServers({}, { timeoutMs: 60_000 });
    const declared = servers.find((server) => server.name === WIDE_SERVER_NAME)?.taskIds.length;
    if (declared !== WIDE_TASKS) {
      throw new Error(`cerebro lists ${declared ?? 0} tasks of ${WIDE_SERVER_NAME}`);
    }
    const window = calls.filter((call) => call.answeredAt >= ready.helloAt);
    const latency = latencies(window.map((call) => call.answeredAt - call.sentAt));
    return {
      values: {
        acceptMs: ready.welcomedAt - ready.helloAt,
        longestStallMs: stalls.longestStallMs,
        longestCallMs: latency.max,
        callP50Ms: latency.p50,
        callsDuringAccept: window.filter(
          (call) => call.sentAt >= ready.helloAt && call.answeredAt <= ready.welcomedAt,
        ).length,
      },
      detail: { ready, stalls, calls: latency.count },
    };
  } finally {
    await env.stop();
  }
}
