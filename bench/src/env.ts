// One bench environment: a private redis-server (Redis store only), a
// cerebro process (cerebro/src/main.ts, configured by env) and the two
// task-server processes of one workload graph. Everything it starts, it stops.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  type ControlClient,
  createControlClient,
  type Event,
  EventKind,
  type Run,
  RunState,
} from "@cordyna/contract";
import { freePort, RedisServerProcess } from "../../cerebro/src/testing/index.js";
import { followRun } from "../../cli/src/run.js";
import { type CerebroBundle, cerebroBundle } from "./cerebro-bundle.js";
import { wallMs } from "./clock.js";
import type { GraphName } from "./graphs.js";
import { SERVER_NAMES } from "./graphs.js";
import {
  type CpuSample,
  type MemorySample,
  readMessage,
  type ServerMessage,
  type StallSample,
  type Stamp,
} from "./protocol.js";

/** The repository root: every process runs from there. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PROBE_SOURCE = fileURLToPath(new URL("./probe.ts", import.meta.url));

export type StoreKind = "memory" | "redis";

/** Every child process started by the bench, killed if the runner exits early. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

/** A child process of the bench, with the tail of its output for error messages. */
class Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly #tail: string[] = [];
  readonly exited: Promise<void>;

  constructor(name: string, args: string[], env: Record<string, string>, ipc = false) {
    this.name = name;
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ipc ? ["pipe", "pipe", "pipe", "ipc"] : ["pipe", "pipe", "pipe"],
    });
    children.add(this.child);
    this.exited = once(this.child, "exit").then(() => {
      children.delete(this.child);
    });
    this.child.stderr?.on("data", (chunk: Buffer) => this.#keep(chunk.toString()));
  }

  #keep(text: string): void {
    this.#tail.push(text);
    while (this.#tail.length > 50) this.#tail.shift();
  }

  /** Lines of stdout; lines that carry no message are kept for error messages. */
  onLine(listener: (line: string) => void): void {
    if (!this.child.stdout) return;
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      if (!line.startsWith("BENCH ")) this.#keep(`${line}\n`);
      listener(line);
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.#tail.join("");
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** What a task-server process answers a dump with. */
type ServerDump = { readonly stamps: Stamp[]; readonly cpuMicros: number };

/** A bench task-server process: readiness, and its handlers' stamps on request. */
class ServerProc extends Proc {
  readonly ready: Promise<Extract<ServerMessage, { kind: "ready" }>>;
  readonly #dumps = new Map<string, (dump: ServerDump) => void>();

  /** When the process was spawned (runner's wall clock). */
  readonly spawnedAt = wallMs();

  constructor(
    side: 0 | 1,
    graph: GraphName,
    address: string,
    options: { cpuProfileDir?: string | undefined; taskWorkMs?: number | undefined } = {},
  ) {
    const { cpuProfileDir, taskWorkMs = 0 } = options;
    const name = SERVER_NAMES[side];
    super(
      name,
      [...cpuProfileArgs(cpuProfileDir, name), "--import", "tsx", "bench/src/task-server.ts"],
      {
        CORDYNA_ADDR: address,
        BENCH_GRAPH: graph,
        BENCH_SERVER: String(side),
        BENCH_WORK_MS: String(taskWorkMs),
        LOG_LEVEL: "warn",
      },
    );
    let resolveReady: (message: Extract<ServerMessage, { kind: "ready" }>) => void = () => {};
    this.ready = new Promise((resolve) => {
      resolveReady = resolve;
    });
    this.onLine((line) => {
      const message = readMessage(line);
      if (message?.kind === "ready") resolveReady(message);
      if (message?.kind === "stamps") {
        this.#dumps.get(message.tag)?.(message);
        this.#dumps.delete(message.tag);
      }
    });
  }

  /** Every stamp taken since the previous dump. */
  /** The handlers' stamps since the last dump, and the process's CPU time so far. */
  dump(): Promise<ServerDump> {
    const tag = Math.random().toString(36).slice(2);
    const stamps = new Promise<ServerDump>((resolve) => this.#dumps.set(tag, resolve));
    this.child.stdin?.write(`dump ${tag}\n`);
    return withTimeout(stamps, 30_000, `stamps of ${this.name}`);
  }
}

/** W6's declaring task-server process (`bench/src/declarer.ts`): when it said hello and was welcomed. */
class DeclarerProc extends Proc {
  readonly ready: Promise<Extract<ServerMessage, { kind: "ready" }>>;

  constructor(address: string) {
    super("declarer", ["--import", "tsx", "bench/src/declarer.ts"], {
      CORDYNA_ADDR: address,
      LOG_LEVEL: "warn",
    });
    this.ready = new Promise((resolve) => {
      this.onLine((line) => {
        const message = readMessage(line);
        if (message?.kind === "ready") resolve(message);
      });
    });
  }
}

/** Cerebro's events, fanned out to the workloads; remembers when the runner learned each run finished. */
export class EventFeed {
  readonly #listeners = new Set<(event: Event) => void>();
  readonly #abort = new AbortController();
  readonly #finished = new Map<string, { at: number; state: RunState }>();
  readonly #waiters = new Map<string, () => void>();
  #received = 0;

  /** Follows the events of `kinds` (every kind when empty). */
  constructor(control: ControlClient, kinds: readonly EventKind[]) {
    void this.#loop(control, kinds);
  }

  get received(): number {
    return this.#received;
  }

  async #loop(control: ControlClient, kinds: readonly EventKind[]): Promise<void> {
    try {
      const request = { kinds: [...kinds] };
      for await (const { event } of control.watchEvents(request, { signal: this.#abort.signal })) {
        if (!event) continue;
        this.#received++;
        if (event.kind === EventKind.RUN_FINISHED) {
          // The client's view: a run is over for its client when the client
          // hears of it, not at cerebro's own finish time.
          this.#finished.set(event.runId, { at: wallMs(), state: event.runState });
          this.#waiters.get(event.runId)?.();
        }
        for (const listener of this.#listeners) listener(event);
      }
    } catch {
      // Closed, or cerebro went away: waiters fall back to polling.
    }
  }

  on(listener: (event: Event) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forgets finished runs (between workloads). */
  clear(): void {
    this.#finished.clear();
  }

  /**
   * When the runner learned the run finished (wall clock, ms) and how.
   * Watches the events, and polls GetRun once a second in case an event was
   * missed.
   */
  async finished(
    control: ControlClient,
    runId: string,
    timeoutMs = 300_000,
  ): Promise<{ at: number; state: RunState }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const known = this.#finished.get(runId);
      if (known) return known;
      const woken = new Promise<void>((resolve) => {
        this.#waiters.set(runId, resolve);
        setTimeout(resolve, 1_000);
      });
      await woken;
      this.#waiters.delete(runId);
      if (this.#finished.has(runId)) continue;
      const { run } = await control.getRun({ runId }, { timeoutMs: 30_000 });
      if (run && run.state !== RunState.RUNNING) return { at: wallMs(), state: run.state };
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish in ${timeoutMs} ms`);
    }
  }

  close(): void {
    this.#abort.abort();
  }
}

/** node flags writing a CPU profile of the process into `<dir>/<name>/` at exit. */
function cpuProfileArgs(dir: string | undefined, name: string): string[] {
  if (!dir) return [];
  mkdirSync(join(dir, name), { recursive: true });
  return ["--cpu-prof", `--cpu-prof-dir=${join(dir, name)}`];
}

export function timeMs(time: { seconds: bigint; nanos: number } | undefined): number {
  return time ? Number(time.seconds) * 1_000 + time.nanos / 1e6 : Number.NaN;
}

export interface EnvOptions {
  readonly store: StoreKind;
  readonly graph: GraphName;
  /** Profile cerebro and the task-servers (node --cpu-prof) into this directory, one folder each. */
  readonly cpuProfileDir?: string;
  /** Start no task-server yet (call startServers()). */
  readonly withoutServers?: boolean;
  /** How long each handler works before it returns (default 0: a no-op). */
  readonly taskWorkMs?: number;
  /**
   * The kinds of event the runner follows for every run on a stream of its
   * own (`events`), as WatchEventsRequest.kinds: empty means every kind.
   * Absent, it opens none: single runs are followed as `dyna run` does
   * (`followToEnd`), and a second watcher would cost cerebro an encoding per
   * event that a user of the CLI does not cause.
   */
  readonly watch?: readonly EventKind[];
  /** Settings of cerebro beyond the bench's own (CORDYNA_* variables). */
  readonly cerebroEnv?: Readonly<Record<string, string>>;
}

/** Environments not stopped yet, for stopAll(). */
const running = new Set<BenchEnv>();

/** Stops every environment still running (on SIGINT), Redis included. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((env) => env.stop()));
}

/** A running environment; `stop()` ends every process it started. */
export class BenchEnv {
  readonly options: EnvOptions;
  readonly port: number;
  readonly redis: RedisServerProcess | undefined;
  /** The client `dyna` uses, so that the load generator costs what a user's client costs. */
  readonly control: ControlClient;
  cerebro: Proc;
  /** When the current cerebro process was spawned (runner's wall clock). */
  cerebroSpawnedAt: number;
  #events: EventFeed | undefined;
  readonly servers: ServerProc[] = [];
  readonly #declarers: DeclarerProc[] = [];

  readonly bundle: CerebroBundle;

  private constructor(
    options: EnvOptions,
    port: number,
    redis: RedisServerProcess | undefined,
    bundle: CerebroBundle,
  ) {
    this.options = options;
    this.port = port;
    this.redis = redis;
    this.bundle = bundle;
    this.control = createControlClient(this.address);
    this.cerebroSpawnedAt = wallMs();
    this.cerebro = this.#spawnCerebro();
  }

  /** The stream of the events the options asked to watch. */
  get events(): EventFeed {
    if (!this.#events) throw new Error("this environment watches no events (EnvOptions.watch)");
    return this.#events;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts Redis (when asked), cerebro, then the two task-servers, and waits until all are up. */
  static async start(options: EnvOptions): Promise<BenchEnv> {
    const redis =
      options.store === "redis" ? await RedisServerProcess.start({ appendOnly: true }) : undefined;
    const env = new BenchEnv(options, await freePort(), redis, await cerebroBundle());
    running.add(env);
    try {
      await env.waitUntilAnswering();
      if (options.watch) env.#events = new EventFeed(env.control, options.watch);
      if (!options.withoutServers) await env.startServers();
      return env;
    } catch (error) {
      await env.stop();
      throw error;
    }
  }

  #spawnCerebro(): Proc {
    const { cpuProfileDir } = this.options;
    // A profile should name cerebro's source files, so it runs from them;
    // figures come from the bundle the containers run.
    const program = cpuProfileDir
      ? ["--import", "tsx", "--import", PROBE_SOURCE, "cerebro/src/main.ts"]
      : ["--import", this.bundle.probe, this.bundle.entry];
    this.cerebroSpawnedAt = wallMs();
    return new Proc(
      "cerebro",
      [...cpuProfileArgs(cpuProfileDir, "cerebro"), "--expose-gc", ...program],
      {
        CORDYNA_STORE: this.redis ? this.redis.url : "memory",
        CORDYNA_PORT: String(this.port),
        CORDYNA_HOST: "127.0.0.1",
        CORDYNA_HTTP_PORT: "off",
        // On loopback, as every bench process is: the bench measures cerebro, not credentials.
        CORDYNA_AUTH: "off",
        LOG_LEVEL: "warn",
        ...this.options.cerebroEnv,
      },
      true,
    );
  }

  async waitUntilAnswering(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.cerebro.alive) throw new Error(`cerebro exited:\n${this.cerebro.output()}`);
      try {
        await this.control.listServers({}, { timeoutMs: 1_000 });
        return wallMs();
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`cerebro does not answer: ${String(error)}`);
      }
      await sleep(20);
    }
  }

  /** Starts both task-servers and waits until cerebro accepted their declarations. */
  async startServers(timeoutMs = 120_000): Promise<void> {
    for (const side of [0, 1] as const) {
      this.servers.push(
        new ServerProc(side, this.options.graph, this.address, {
          cpuProfileDir: this.options.cpuProfileDir,
          taskWorkMs: this.options.taskWorkMs,
        }),
      );
    }
    await withTimeout(
      Promise.all(this.servers.map((server) => server.ready)),
      timeoutMs,
      "cerebro to accept both task-servers' declarations (Welcome)",
    ).catch((error: unknown) => {
      const outputs = this.servers.map((s) => `${s.name}:\n${s.output().slice(-2_000)}`);
      throw new Error(
        `${String(error)}\n${outputs.join("\n")}\ncerebro:\n${this.cerebro.output()}`,
      );
    });
    await this.waitForServers();
  }

  /** Waits until cerebro lists a connected instance of both servers. */
  async waitForServers(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { servers } = await this.control.listServers({}, { timeoutMs: 5_000 });
      const connected = SERVER_NAMES.every((name) =>
        servers.some((s) => s.name === name && s.instances.length > 0),
      );
      if (connected) return wallMs();
      if (Date.now() > deadline) throw new Error("task-servers did not connect");
      await sleep(20);
    }
  }

  /** The handlers' stamps of both servers since the last dump. */
  /**
   * The handlers' stamps since the last call, and the CPU time (user +
   * system, µs) used so far by cerebro and by both task-servers together.
   */
  async collect(): Promise<{
    stamps: Stamp[];
    cerebroCpuMicros: number;
    serversCpuMicros: number;
  }> {
    const child = this.cerebro.child;
    const sample = new Promise<CpuSample>((resolve) => {
      child.once("message", (message) => resolve(message as CpuSample));
    });
    child.send("cpu");
    const cerebro = await withTimeout(sample, 30_000, "cerebro CPU time");
    const dumps = await Promise.all(this.servers.map((server) => server.dump()));
    return {
      stamps: dumps.flatMap((dump) => dump.stamps),
      cerebroCpuMicros: cerebro.cpuMicros,
      serversCpuMicros: dumps.reduce((sum, dump) => sum + dump.cpuMicros, 0),
    };
  }

  /** Cerebro's heap (after a full GC) and RSS. */
  memory(): Promise<MemorySample> {
    const child = this.cerebro.child;
    const sample = new Promise<MemorySample>((resolve) => {
      child.once("message", (message) => resolve(message as MemorySample));
    });
    child.send("memory");
    return withTimeout(sample, 30_000, "cerebro memory");
  }

  /** Starts measuring how long cerebro's event loop is held at a time (see `stalls`). */
  async watchStalls(): Promise<void> {
    const child = this.cerebro.child;
    const watching = new Promise<void>((resolve) => {
      child.once("message", () => resolve());
    });
    child.send("watch-stalls");
    await withTimeout(watching, 30_000, "cerebro to watch its event loop");
  }

  /** The longest cerebro's event loop was held since `watchStalls`. */
  stalls(): Promise<StallSample> {
    const child = this.cerebro.child;
    const sample = new Promise<StallSample>((resolve) => {
      child.once("message", (message) => resolve(message as StallSample));
    });
    child.send("stalls");
    return withTimeout(sample, 30_000, "cerebro's event-loop stalls");
  }

  /** Starts W6's declaring task-server; stopped with the environment. */
  startDeclarer(): DeclarerProc {
    const declarer = new DeclarerProc(this.address);
    this.#declarers.push(declarer);
    return declarer;
  }

  /** Redis's used_memory, in bytes. */
  redisMemory(): number | undefined {
    if (!this.redis) return undefined;
    const info = execFileSync("redis-cli", ["-p", String(this.redis.port), "info", "memory"], {
      encoding: "utf8",
    });
    const match = /^used_memory:(\d+)/m.exec(info);
    return match ? Number(match[1]) : undefined;
  }

  /** StartRun for the targets, as `dyna run` sends it; the planned run. */
  async startRun(targets: readonly string[], timeoutMs = 30_000): Promise<Run> {
    const { run } = await this.control.startRun({ targets: [...targets] }, { timeoutMs });
    if (!run) throw new Error(`StartRun of ${targets.join(", ")} returned no run`);
    return run;
  }

  /**
   * Follows the run to its end with the CLI's follower, as `dyna run` does
   * (one WatchEvents for the run, which replays what it missed and ends
   * with the run, then one GetRun), asking only for RUN_FINISHED as a
   * script waiting for a run would: the bench measures cerebro, not the
   * cost of a terminal's timeline. Returns the run as GetRun then has it,
   * with when the runner learned that it finished: its RUN_FINISHED event
   * arriving. Throws when it did not finish in time.
   */
  async followToEnd(run: Run, timeoutMs = 300_000): Promise<{ run: Run; learnedAt: number }> {
    let learnedAt: number | undefined;
    const final = await followRun(this.control, run, {
      kinds: [EventKind.RUN_FINISHED],
      onEvent: (event) => {
        if (event.kind === EventKind.RUN_FINISHED) learnedAt ??= wallMs();
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (final.state === RunState.RUNNING || final.state === RunState.UNSPECIFIED) {
      throw new Error(
        `run ${run.id} is still running: not finished in ${timeoutMs} ms, or cerebro ended the event stream`,
      );
    }
    // Without the event (a watch that ended early), the GetRun that found the run over returned just now.
    return { run: final, learnedAt: learnedAt ?? wallMs() };
  }

  /** SIGKILLs cerebro; returns when it died (wall clock). */
  async killCerebro(): Promise<number> {
    this.#events?.close();
    this.cerebro.child.kill("SIGKILL");
    const killedAt = wallMs();
    await this.cerebro.exited;
    return killedAt;
  }

  /** Starts cerebro again on the same port and store. */
  restartCerebro(): void {
    this.cerebro = this.#spawnCerebro();
  }

  async stop(): Promise<void> {
    running.delete(this);
    this.#events?.close();
    await Promise.all([...this.servers, ...this.#declarers].map((server) => server.stop(5_000)));
    await this.cerebro.stop(10_000);
    await this.redis?.stop();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
