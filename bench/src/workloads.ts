// The five workloads. Each returns, per repetition, the raw measurements; the
// runner turns them into figures (median and range over the repetitions).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventKind, RunState, TaskState } from "@cordyna/contract";
import { wallMs } from "./clock.js";
import { BenchEnv, type EnvOptions, type StoreKind, sleep, timeMs } from "./env.js";
import { floor } from "./floor.js";
import {
  CHAIN_LENGTH,
  chainTaskId,
  DAG_SIZE,
  FAN_WIDTH,
  type GraphName,
  graphTargets,
  LAYER_WIDTH,
  LAYERS,
} from "./graphs.js";
import { w6 } from "./large-declaration.js";
import type { MemorySample, Stamp } from "./protocol.js";
import { onFreshEnvs, show } from "./repetitions.js";
import { latencies, quantile } from "./stats.js";

export type WorkloadId = "floor" | "w1" | "w2" | "w3" | "w4" | "w5" | "w6";
export const WORKLOAD_IDS: readonly WorkloadId[] = ["floor", "w1", "w2", "w3", "w4", "w5", "w6"];

/** How a workload is run. */
export interface RunSettings {
  readonly store: StoreKind;
  /** Discarded repetitions before the measured ones. */
  readonly warmups: number;
  readonly reps: number;
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** One measured repetition: named numbers, plus anything worth keeping. */
export interface Repetition {
  readonly values: Record<string, number>;
  readonly detail?: unknown;
}

export interface FigureSpec {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly digits: number;
}

export interface Workload {
  readonly id: WorkloadId;
  readonly title: string;
  readonly stores: readonly StoreKind[];
  readonly figures: readonly FigureSpec[];
  run(settings: RunSettings, profileDir?: string): Promise<Repetition[]>;
}

const MB = 1024 * 1024;

/** Runs `measure` warm-ups + reps times on one environment, keeping the measured ones. */
async function onOneEnv(
  settings: RunSettings,
  options: Pick<EnvOptions, "graph" | "watch">,
  measure: (env: BenchEnv, rep: number) => Promise<Repetition>,
  profileDir?: string,
): Promise<Repetition[]> {
  const env = await BenchEnv.start({
    ...options,
    store: settings.store,
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
  });
  try {
    if (profileDir) {
      // Where each process's profile reaches the workload: everything before is start-up.
      const now = wallMs();
      const skipMs: Record<string, number> = { cerebro: now - env.cerebroSpawnedAt };
      for (const server of env.servers) skipMs[server.name] = now - server.spawnedAt;
      writeFileSync(join(profileDir, "window.json"), JSON.stringify({ skipMs }));
    }
    const kept: Repetition[] = [];
    for (let i = 0; i < settings.warmups + settings.reps; i++) {
      const warm = i < settings.warmups;
      const rep = await measure(env, i);
      settings.log(`  ${warm ? "warm-up" : `rep ${i - settings.warmups + 1}`}: ${show(rep)}`);
      if (!warm) kept.push(rep);
      await sleep(200);
    }
    return kept;
  } finally {
    await env.stop();
  }
}

/**
 * Starts a run of the graph's targets and follows it to its end as `dyna run`
 * does; times in wall-clock ms, the end being when the runner learned it.
 */
async function runToEnd(env: BenchEnv, graph: GraphName) {
  const before = await env.collect();
  const submittedAt = wallMs();
  const { run, learnedAt } = await env.followToEnd(await env.startRun(graphTargets(graph)));
  if (run.state !== RunState.SUCCEEDED) {
    throw new Error(`run ${run.id} ended ${RunState[run.state]}, not SUCCEEDED`);
  }
  const after = await env.collect();
  const stamps = after.stamps.filter((stamp) => stamp[0] === run.id);
  return {
    run,
    makespanMs: learnedAt - submittedAt,
    stamps,
    cerebroCpuMicros: after.cerebroCpuMicros - before.cerebroCpuMicros,
    serversCpuMicros: after.serversCpuMicros - before.serversCpuMicros,
  };
}

/** StartRun sent → the runner learned the run finished: the makespan its client sees. */
const MAKESPAN_FIGURE = {
  key: "clientMakespanMs",
  label: "makespan (StartRun sent → client learns the run finished)",
  unit: "ms",
  digits: 0,
} as const;

const CPU_FIGURES = [
  { key: "cerebroCpuUsPerTaskRun", label: "cerebro CPU per task-run", unit: "µs", digits: 0 },
  { key: "serversCpuUsPerTaskRun", label: "task-servers' CPU per task-run", unit: "µs", digits: 0 },
] as const;

/**
 * CPU time per task-run of the run, in µs: unlike wall-clock figures, it
 * hardly moves when other work shares the machine.
 */
function cpuPerTaskRun(
  result: { cerebroCpuMicros: number; serversCpuMicros: number },
  taskRuns: number,
) {
  return {
    cerebroCpuUsPerTaskRun: result.cerebroCpuMicros / taskRuns,
    serversCpuUsPerTaskRun: result.serversCpuMicros / taskRuns,
  };
}

export const w1: Workload = {
  id: "w1",
  title: `W1 chain of ${CHAIN_LENGTH} tasks`,
  stores: ["memory", "redis"],
  figures: [
    MAKESPAN_FIGURE,
    { key: "handoffP50Ms", label: "hand-off p50", unit: "ms", digits: 2 },
    { key: "handoffP99Ms", label: "hand-off p99", unit: "ms", digits: 2 },
    { key: "handoffMaxMs", label: "hand-off max", unit: "ms", digits: 2 },
    ...CPU_FIGURES,
    {
      key: "reportLegP50Ms",
      label: "hand-off leg p50: handler returns → cerebro has COMPLETED",
      unit: "ms",
      digits: 2,
    },
    {
      key: "decideLegP50Ms",
      label: "hand-off leg p50: cerebro has COMPLETED → next INVOKED",
      unit: "ms",
      digits: 2,
    },
    {
      key: "invokeLegP50Ms",
      label: "hand-off leg p50: next INVOKED → its handler starts",
      unit: "ms",
      digits: 2,
    },
  ],
  run: (settings, profileDir) =>
    onOneEnv(
      settings,
      { graph: "chain" },
      async (env) => {
        const result = await runToEnd(env, "chain");
        // Cerebro's own times (whole milliseconds) split each hand-off in three legs.
        const attemptOf = new Map(result.run.taskRuns.map((t) => [t.taskId, t.attempts.at(-1)]));
        const legs = { report: [] as number[], decide: [] as number[], invoke: [] as number[] };
        const byTask = new Map(result.stamps.map((stamp) => [stamp[1], stamp]));
        if (byTask.size !== CHAIN_LENGTH) {
          throw new Error(`chain run: ${byTask.size} of ${CHAIN_LENGTH} handlers stamped`);
        }
        const handoffs: number[] = [];
        for (let i = 1; i < CHAIN_LENGTH; i++) {
          const upstream = byTask.get(chainTaskId(i - 1));
          const downstream = byTask.get(chainTaskId(i));
          if (!upstream || !downstream) continue;
          handoffs.push(downstream[3] - upstream[4]);
          const completedAt = timeMs(attemptOf.get(chainTaskId(i - 1))?.finishedAt);
          const invokedAt = timeMs(attemptOf.get(chainTaskId(i))?.invokedAt);
          legs.report.push(completedAt - upstream[4]);
          legs.decide.push(invokedAt - completedAt);
          legs.invoke.push(downstream[3] - invokedAt);
        }
        const handoff = latencies(handoffs);
        return {
          values: {
            clientMakespanMs: result.makespanMs,
            handoffP50Ms: handoff.p50,
            handoffP99Ms: handoff.p99,
            handoffMaxMs: handoff.max,
            reportLegP50Ms: quantile(legs.report, 0.5),
            decideLegP50Ms: quantile(legs.decide, 0.5),
            invokeLegP50Ms: quantile(legs.invoke, 0.5),
            ...cpuPerTaskRun(result, CHAIN_LENGTH),
          },
        };
      },
      profileDir,
    ),
};

const FAN_TASKS = FAN_WIDTH + 2;

export const w2: Workload = {
  id: "w2",
  title: `W2 fan-out/fan-in 1 → ${FAN_WIDTH.toLocaleString("en")} → 1`,
  stores: ["memory", "redis"],
  figures: [
    MAKESPAN_FIGURE,
    {
      key: "clientTaskRunsPerS",
      label: "task-runs per second (over that makespan)",
      unit: "/s",
      digits: 0,
    },
    ...CPU_FIGURES,
  ],
  run: (settings, profileDir) =>
    onOneEnv(
      settings,
      { graph: "fan" },
      async (env) => {
        const result = await runToEnd(env, "fan");
        const ran = new Set(result.stamps.map((stamp) => stamp[1]));
        if (ran.size !== FAN_TASKS) throw new Error(`fan run: ${ran.size} of ${FAN_TASKS} ran`);
        return {
          values: {
            clientMakespanMs: result.makespanMs,
            clientTaskRunsPerS: FAN_TASKS / (result.makespanMs / 1_000),
            ...cpuPerTaskRun(result, FAN_TASKS),
          },
        };
      },
      profileDir,
    ),
};

/** What one rate step of W3 measured. */
interface RateStep {
  readonly offeredRunsPerS: number;
  readonly runs: number;
  readonly taskRunsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly sustained: boolean;
  readonly failedRuns: number;
}

/** p99 of invoke-to-started above this ends the ramp. */
const W3_P99_LIMIT_MS = 100;
/** A step keeps up when it completes at least this share of what was offered. */
const W3_KEEP_UP = 0.9;
/**
 * The rate of W3's steady step, which every repetition runs before its ramp:
 * low enough for any machine to sustain, so that its CPU per task-run
 * compares commits and settings where the ramp's figure is too noisy to.
 */
const W3_STEADY_RUNS_PER_S = 50;

/** CPU per task-run (µs) of cerebro and of the task-servers, as `cpuPerTaskRun` names it. */
type CpuPerTaskRun = ReturnType<typeof cpuPerTaskRun>;

/**
 * Offers runs at `runsPerS` for `stepMs` and waits for their ends; with
 * `sampleCpu`, also what the step cost in CPU per task-run, up to the last
 * end (the reading of the runs' times afterwards excluded).
 */
async function rateStep(
  env: BenchEnv,
  runsPerS: number,
  stepMs: number,
  sampleCpu = false,
): Promise<RateStep & { readonly cpu?: CpuPerTaskRun }> {
  env.events.clear();
  const before = sampleCpu ? await env.collect() : undefined;
  const starts: Array<Promise<string>> = [];
  const firstAt = wallMs();
  const interval = 1_000 / runsPerS;
  for (let k = 0; ; ) {
    const now = wallMs();
    if (now - firstAt >= stepMs) break;
    while (firstAt + k * interval <= now) {
      starts.push(env.startRun(graphTargets("dags")).then((run) => run.id));
      k++;
    }
    await sleep(Math.max(0, Math.min(firstAt + k * interval - wallMs(), firstAt + stepMs - now)));
  }
  const runIds = await Promise.all(starts);
  const ends = await Promise.all(runIds.map((runId) => env.events.finished(env.control, runId)));
  const after = before ? await env.collect() : undefined;
  // The step lasts until the runner learned that its last run finished.
  const lastAt = Math.max(...ends.map((end) => end.at));
  const failedRuns = ends.filter((end) => end.state !== RunState.SUCCEEDED).length;
  const waits = await invokeToStarted(env, runIds);
  const taskRuns = (runIds.length - failedRuns) * DAG_SIZE;
  const offeredRunsPerS = runIds.length / (stepMs / 1_000);
  const taskRunsPerS = taskRuns / ((lastAt - firstAt) / 1_000);
  const p99Ms = quantile(waits, 0.99);
  return {
    offeredRunsPerS,
    runs: runIds.length,
    taskRunsPerS,
    p50Ms: quantile(waits, 0.5),
    p99Ms,
    failedRuns,
    sustained:
      failedRuns === 0 &&
      p99Ms <= W3_P99_LIMIT_MS &&
      taskRunsPerS >= W3_KEEP_UP * offeredRunsPerS * DAG_SIZE,
    ...(before && after
      ? {
          cpu: cpuPerTaskRun(
            {
              cerebroCpuMicros: after.cerebroCpuMicros - before.cerebroCpuMicros,
              serversCpuMicros: after.serversCpuMicros - before.serversCpuMicros,
            },
            runIds.length * DAG_SIZE,
          ),
        }
      : {}),
  };
}

/**
 * Each attempt's invoke → STARTED, from cerebro's own times, read once the
 * step is over so that reading costs the step nothing.
 */
async function invokeToStarted(env: BenchEnv, runIds: readonly string[]): Promise<number[]> {
  const waits: number[] = [];
  const batch = 50;
  for (let i = 0; i < runIds.length; i += batch) {
    const runs = await Promise.all(
      runIds.slice(i, i + batch).map((runId) => env.control.getRun({ runId })),
    );
    for (const { run } of runs) {
      for (const attempt of run?.taskRuns.flatMap((taskRun) => taskRun.attempts) ?? []) {
        if (attempt.invokedAt && attempt.startedAt) {
          waits.push(timeMs(attempt.startedAt) - timeMs(attempt.invokedAt));
        }
      }
    }
  }
  return waits;
}

/**
 * Raises the rate step by step until a step is not sustained, and returns
 * every step. Each rate gets one try: a step that fails is not tried again,
 * so the last sustained step is the highest that held on its first try,
 * whatever the failure's cause. The first ramp (a warm-up) starts low and
 * climbs fast; later ones start at 40 % of what the previous ramp sustained
 * and climb by 20 %.
 */
async function ramp(
  env: BenchEnv,
  fromRunsPerS: number,
  factor: number,
  stepMs: number,
  log: (line: string) => void,
): Promise<RateStep[]> {
  const steps: RateStep[] = [];
  for (let rate = fromRunsPerS, i = 0; i < 25; rate *= factor, i++) {
    const step = await rateStep(env, rate, stepMs);
    steps.push(step);
    log(
      `    ${step.offeredRunsPerS.toFixed(0)} runs/s offered: ${step.taskRunsPerS.toFixed(0)} task-runs/s, invoke→started p50 ${step.p50Ms.toFixed(1)} ms p99 ${step.p99Ms.toFixed(1)} ms${step.sustained ? "" : " (not sustained)"}`,
    );
    await sleep(300);
    if (!step.sustained) break;
  }
  return steps;
}

export const w3: Workload = {
  id: "w3",
  title: `W3 steady throughput (${DAG_SIZE}-task DAGs at a rising rate)`,
  stores: ["memory", "redis"],
  figures: [
    {
      key: "firstTryTaskRunsPerS",
      label: "task-runs per second of the highest step sustained on its first try",
      unit: "/s",
      digits: 0,
    },
    { key: "firstTryP99Ms", label: "invoke→started p99 there", unit: "ms", digits: 1 },
    {
      key: "firstTryBrokeAtTaskRunsPerS",
      label: "offered rate of the next step, the first not sustained",
      unit: "/s",
      digits: 0,
    },
    {
      key: "steadyCerebroCpuUsPerTaskRun",
      label: `cerebro CPU per task-run at a steady ${W3_STEADY_RUNS_PER_S * DAG_SIZE} task-runs/s`,
      unit: "µs",
      digits: 0,
    },
    {
      key: "steadyServersCpuUsPerTaskRun",
      label: `task-servers' CPU per task-run at a steady ${W3_STEADY_RUNS_PER_S * DAG_SIZE} task-runs/s`,
      unit: "µs",
      digits: 0,
    },
  ],
  run: (settings, profileDir) => {
    let from = 20;
    let factor = 1.5;
    const stepMs = settings.quick ? 1_500 : 3_000;
    return onOneEnv(
      settings,
      // The runner learns when each of the step's many runs ended from one
      // stream of RUN_FINISHED events, as a client starting runs at this rate
      // would, rather than a stream per run.
      { graph: "dags", watch: [EventKind.RUN_FINISHED] },
      async (env) => {
        const steady = await rateStep(env, W3_STEADY_RUNS_PER_S, stepMs, true);
        if (steady.failedRuns > 0) {
          throw new Error(`${steady.failedRuns} runs of W3's steady step failed`);
        }
        settings.log(
          `    steady ${steady.offeredRunsPerS.toFixed(0)} runs/s: ${steady.taskRunsPerS.toFixed(0)} task-runs/s, invoke→started p99 ${steady.p99Ms.toFixed(1)} ms`,
        );
        await sleep(300);
        const steps = await ramp(env, from, factor, stepMs, settings.log);
        const held = steps.filter((step) => step.sustained).at(-1);
        const broke = steps.at(-1)?.sustained === false ? steps.at(-1) : undefined;
        if (held) {
          from = Math.max(5, (held.taskRunsPerS / DAG_SIZE) * 0.4);
          factor = 1.2;
        }
        return {
          values: {
            firstTryTaskRunsPerS: held?.taskRunsPerS ?? 0,
            firstTryP99Ms: held?.p99Ms ?? Number.NaN,
            firstTryBrokeAtTaskRunsPerS: broke ? broke.offeredRunsPerS * DAG_SIZE : Number.NaN,
            steadyCerebroCpuUsPerTaskRun: steady.cpu?.cerebroCpuUsPerTaskRun ?? Number.NaN,
            steadyServersCpuUsPerTaskRun: steady.cpu?.serversCpuUsPerTaskRun ?? Number.NaN,
          },
          detail: { steady, steps },
        };
      },
      profileDir,
    );
  },
};

const LAYER_TASKS = LAYERS * LAYER_WIDTH;
/** W4 gives up (and reports it) when the declarations are not accepted within this. */
const W4_ACCEPT_TIMEOUT_MS = 60_000;

export const w4: Workload = {
  id: "w4",
  title: `W4 scale: ${LAYER_TASKS.toLocaleString("en")}-task layered graph (${LAYERS} × ${LAYER_WIDTH})`,
  stores: ["memory", "redis"],
  figures: [
    { key: "acceptMs", label: "accept (first Hello → last Welcome)", unit: "ms", digits: 0 },
    { key: "planMs", label: "plan (StartRun round trip)", unit: "ms", digits: 0 },
    {
      key: "clientMakespanMs",
      label: "run to the end (StartRun sent → client learns the run finished)",
      unit: "ms",
      digits: 0,
    },
    { key: "heapBaseMB", label: "cerebro heap, empty", unit: "MB", digits: 1 },
    { key: "heapDeclaredMB", label: "cerebro heap, graph declared", unit: "MB", digits: 1 },
    { key: "heapPlannedMB", label: "cerebro heap, run planned", unit: "MB", digits: 1 },
    { key: "heapFinishedMB", label: "cerebro heap, run finished", unit: "MB", digits: 1 },
    { key: "rssPlannedMB", label: "cerebro RSS, run planned", unit: "MB", digits: 1 },
    { key: "maxRssMB", label: "cerebro peak RSS", unit: "MB", digits: 1 },
    { key: "redisUsedMB", label: "Redis used_memory, run finished", unit: "MB", digits: 1 },
  ],
  run: (settings) =>
    onFreshEnvs(settings, async () => {
      const env = await BenchEnv.start({
        store: settings.store,
        graph: "layers",
        withoutServers: true,
      });
      try {
        const base = await env.memory();
        await env.startServers(W4_ACCEPT_TIMEOUT_MS);
        const ready = await Promise.all(env.servers.map((server) => server.ready));
        const acceptMs =
          Math.max(...ready.map((r) => r.welcomedAt)) - Math.min(...ready.map((r) => r.helloAt));
        const declared = await env.memory();
        const submittedAt = wallMs();
        const run = await env.startRun(graphTargets("layers"), 120_000);
        const planMs = wallMs() - submittedAt;
        if (run.taskRuns.length !== LAYER_TASKS) {
          throw new Error(`planned ${run.taskRuns.length} task-runs, not ${LAYER_TASKS}`);
        }
        const planned = await env.memory();
        const end = await env.followToEnd(run, 600_000);
        if (end.run.state !== RunState.SUCCEEDED) {
          throw new Error(`layered run ${RunState[end.run.state]}`);
        }
        const finished: MemorySample = await env.memory();
        const redisUsed = env.redisMemory();
        return {
          values: {
            acceptMs,
            planMs,
            clientMakespanMs: end.learnedAt - submittedAt,
            heapBaseMB: base.heapUsedBytes / MB,
            heapDeclaredMB: declared.heapUsedBytes / MB,
            heapPlannedMB: planned.heapUsedBytes / MB,
            heapFinishedMB: finished.heapUsedBytes / MB,
            rssPlannedMB: planned.rssBytes / MB,
            maxRssMB: finished.maxRssBytes / MB,
            ...(redisUsed === undefined ? {} : { redisUsedMB: redisUsed / MB }),
          },
          detail: { ready, memory: { base, declared, planned, finished } },
        };
      } finally {
        await env.stop();
      }
    }),
};

export const w5: Workload = {
  id: "w5",
  title: "W5 recovery: cerebro SIGKILLed in the middle of W2, Redis store",
  stores: ["redis"],
  figures: [
    { key: "restartToAnsweringMs", label: "restart → cerebro answers", unit: "ms", digits: 0 },
    { key: "restartToServersMs", label: "restart → both servers back", unit: "ms", digits: 0 },
    {
      key: "resumeMs",
      label: "restart → first task started (time to resume)",
      unit: "ms",
      digits: 0,
    },
    {
      key: "killToClientFinishMs",
      label: "kill → client learns the run finished",
      unit: "ms",
      digits: 0,
    },
    { key: "doneBeforeKill", label: "task-runs finished before the kill", unit: "", digits: 0 },
    { key: "lost", label: "task-runs lost", unit: "", digits: 0 },
    { key: "twice", label: "task-runs completed twice", unit: "", digits: 0 },
  ],
  run: (settings) =>
    onFreshEnvs(settings, async () => {
      // Handlers work a little, so that the run is still going when half of it is done.
      const env = await BenchEnv.start({
        store: settings.store,
        graph: "fan",
        taskWorkMs: W5_TASK_WORK_MS,
        // W5 kills cerebro when it sees half of the task-runs complete.
        watch: [],
      });
      try {
        return await recover(env);
      } finally {
        await env.stop();
      }
    }),
};

/**
 * How long each W5 handler works: the fan-out's 1,000 take at least 5 rounds
 * of it on the two servers' 200 slots, so the run is far from done when the
 * runner, behind on events, sees half of it complete.
 */
const W5_TASK_WORK_MS = 400;

/** W5 on a running environment: kill cerebro once half of the fan-out completed, restart it. */
async function recover(env: BenchEnv): Promise<Repetition> {
  let completed = 0;
  let half: () => void = () => {};
  const halfway = new Promise<void>((resolve) => {
    half = resolve;
  });
  const stop = env.events.on((event) => {
    if (event.kind === EventKind.TASK_RUN_CHANGED && event.state === TaskState.COMPLETED) {
      if (++completed >= FAN_WIDTH / 2) half();
    }
  });
  const run = await env.startRun(graphTargets("fan"));
  await halfway;
  stop();
  const killedAt = await env.killCerebro();
  env.restartCerebro();
  const spawnedAt = env.cerebroSpawnedAt;
  const answeringAt = await env.waitUntilAnswering();
  const serversAt = await env.waitForServers();
  // A client whose follower died with cerebro follows the run again.
  const end = await env.followToEnd(run);
  const stamps: Stamp[] = (await env.collect()).stamps.filter((stamp) => stamp[0] === run.id);
  // The event stream lags behind the servers, so count from their own stamps.
  const doneBeforeKill = stamps.filter((stamp) => stamp[4] <= killedAt).length;
  if (!stamps.some((stamp) => stamp[3] > spawnedAt)) {
    throw new Error(
      `every task had started before cerebro was killed (${doneBeforeKill} of ${FAN_TASKS} done): nothing was left to resume`,
    );
  }
  const taskRuns = end.run.taskRuns;
  const handlerRuns = new Map<string, number>();
  for (const stamp of stamps) handlerRuns.set(stamp[1], (handlerRuns.get(stamp[1]) ?? 0) + 1);
  let lost = FAN_TASKS - taskRuns.length;
  let twice = 0;
  for (const taskRun of taskRuns) {
    const completions = taskRun.attempts.filter((a) => a.state === TaskState.COMPLETED).length;
    if (taskRun.state !== TaskState.COMPLETED || completions === 0) lost++;
    if (completions > 1 || (handlerRuns.get(taskRun.taskId) ?? 0) > 1) twice++;
  }
  const firstStart = Math.min(
    ...stamps.map((stamp) => stamp[3]).filter((startedAt) => startedAt > spawnedAt),
  );
  return {
    values: {
      restartToAnsweringMs: answeringAt - spawnedAt,
      restartToServersMs: serversAt - spawnedAt,
      resumeMs: firstStart - spawnedAt,
      killToClientFinishMs: end.learnedAt - killedAt,
      doneBeforeKill,
      lost,
      twice,
    },
    detail: {
      runState: RunState[end.run.state],
      attempts: taskRuns.reduce((sum, taskRun) => sum + taskRun.attempts.length, 0),
      handlerRuns: stamps.length,
    },
  };
}

export const WORKLOADS: readonly Workload[] = [floor, w1, w2, w3, w4, w5, w6];
