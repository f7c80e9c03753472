// Fakes for testing the CLI without a terminal or a cerebro.

import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ControlClient,
  ErrorCause,
  EventKind,
  GetRunResponseSchema,
  ListTasksResponseSchema,
  type Run,
  RunSchema,
  RunState,
  RunSummarySchema,
  type StartRunRequest,
  StartRunRequestSchema,
  StartRunResponseSchema,
  type TaskInfoSchema,
  type WatchEventsResponse,
  WatchEventsResponseSchema,
} from "@cordyna/contract";
import type { CliIo, CliOverrides } from "./context.js";

/** A CliIo that records what was printed. */
export interface RecordingIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
}

/** An io that records output; not a terminal, so no colour. */
export function recordingIo(env: Record<string, string | undefined> = {}): RecordingIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    isTTY: false,
    env,
  };
}

/**
 * Overrides for runCli: recorded output, a fixed clock, and a client factory
 * that records the addresses it was asked for and returns `client`.
 */
export function fakeCli(
  client: Partial<ControlClient> = {},
  env: Record<string, string | undefined> = {},
): { io: RecordingIo; addresses: string[]; overrides: CliOverrides } {
  const io = recordingIo(env);
  const addresses: string[] = [];
  return {
    io,
    addresses,
    overrides: {
      io,
      now: () => 0,
      connect: (address) => {
        addresses.push(address);
        return client as ControlClient;
      },
      waitForShutdown: () => Promise.resolve("SIGTERM"),
    },
  };
}

/** Resolves once the signal is aborted. */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** What the fake cerebro is asked to do: its tasks and how each run ends. */
export interface FakeCerebroOptions {
  tasks?: MessageInitShape<typeof TaskInfoSchema>[];
  /** How a started run ends; SUCCEEDED unless told otherwise. */
  outcome?: (req: StartRunRequest) => RunState;
  /** How many event-loop turns a run stays unfinished after it started (default 3). */
  turns?: number;
  /** StartRun fails with this error instead of starting the n-th run (0-based). */
  refuse?: { at: number; error: Error };
}

/** A fake cerebro for commands that start and follow runs. */
export interface FakeCerebro {
  client: Partial<ControlClient>;
  /** Every StartRun request, in order, repeats included. */
  readonly requests: StartRunRequest[];
  /** Every run started, by id. */
  readonly runs: Map<string, Run>;
  /** How many runs are unfinished now, and the most there ever were at once. */
  readonly unfinished: { now: number; max: number };
}

/**
 * A ControlService fake with runs that end on their own a few event-loop
 * turns after they start (no timers), an idempotency key that returns the
 * run it started first, GetRun, and WatchEvents that reports RUN_FINISHED.
 * It records how many runs are unfinished at once.
 */
export function fakeCerebro(options: FakeCerebroOptions = {}): FakeCerebro {
  const requests: StartRunRequest[] = [];
  const runs = new Map<string, Run>();
  const byKey = new Map<string, string>();
  const done = new Map<string, Promise<void>>();
  const unfinished = { now: 0, max: 0 };
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  const finish = async (run: Run, state: RunState): Promise<void> => {
    for (let i = 0; i < (options.turns ?? 3); i++) await turn();
    run.state = state;
    run.finishedAt = timestampFromMs(0);
    run.summary = create(RunSummarySchema, {
      completed: state === RunState.SUCCEEDED ? 1 : 0,
      failed:
        state === RunState.FAILED
          ? [{ taskId: run.targets[0] ?? "", errorCause: ErrorCause.TASK_FAILED }]
          : [],
    });
    unfinished.now--;
  };

  const client: Partial<ControlClient> = {
    listTasks: async () => create(ListTasksResponseSchema, { tasks: options.tasks ?? [] }),
    startRun: async (init) => {
      const req = create(StartRunRequestSchema, init);
      requests.push(req);
      const existing = byKey.get(req.idempotencyKey);
      if (req.idempotencyKey !== "" && existing !== undefined) {
        return create(StartRunResponseSchema, {
          run: clone(RunSchema, runs.get(existing) ?? create(RunSchema)),
          existing: true,
        });
      }
      if (options.refuse !== undefined && runs.size === options.refuse.at) {
        throw options.refuse.error;
      }
      const run = create(RunSchema, {
        id: `run_${runs.size + 1}`,
        state: RunState.RUNNING,
        trigger: req.trigger,
        targets: req.targets,
        params: req.params,
        mode: req.mode,
        idempotencyKey: req.idempotencyKey,
        ...(req.logicalTime === undefined ? {} : { logicalTime: req.logicalTime }),
      });
      runs.set(run.id, run);
      if (req.idempotencyKey !== "") byKey.set(req.idempotencyKey, run.id);
      unfinished.now++;
      unfinished.max = Math.max(unfinished.max, unfinished.now);
      done.set(run.id, finish(run, options.outcome?.(req) ?? RunState.SUCCEEDED));
      return create(StartRunResponseSchema, { run: clone(RunSchema, run) });
    },
    getRun: async (req) => {
      const run = runs.get(req.runId ?? "");
      if (run === undefined) throw new ConnectError(`no run ${req.runId}`, Code.NotFound);
      return create(GetRunResponseSchema, { run: clone(RunSchema, run) });
    },
    watchEvents: async function* (req, opts): AsyncGenerator<WatchEventsResponse> {
      const runId = req.runId ?? "";
      await Promise.race([done.get(runId), aborted(opts?.signal)]);
      if (opts?.signal?.aborted) throw new ConnectError("cancelled", Code.Canceled);
      const run = runs.get(runId);
      yield create(WatchEventsResponseSchema, {
        event: { kind: EventKind.RUN_FINISHED, runId, runState: run?.state ?? RunState.FAILED },
      });
    },
  };
  return { client, requests, runs, unfinished };
}
