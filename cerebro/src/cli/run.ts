// dyna run: start a run, follow it live to its end, and summarise it.

import { create } from "@bufbuild/protobuf";
import {
  type Event,
  EventKind,
  EventSchema,
  type Run,
  RunMode,
  RunSchema,
  RunState,
  type TaskRun,
  TaskState,
} from "@cordyna/contract";
import { parseCommandArgs, parseParams, UsageError } from "./args.js";
import { type ControlClient, resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import {
  errorCauseName,
  isRunFinished,
  renderEvent,
  renderJson,
  renderRunSummary,
  runStateName,
  taskStateName,
  timelineWidths,
  timeMs,
} from "./render.js";

/** What following a run needs from a ControlService client. */
export type RunWatcher = Pick<ControlClient, "watchEvents" | "getRun">;

/** How to follow a run. */
export interface FollowOptions {
  /** How often to re-check the run with GetRun, in case its end was missed. */
  pollIntervalMs: number;
  /** Called for each event of the run, in order. */
  onEvent?: (event: Event) => void;
  /** Stops following early; the run is then returned as GetRun sees it. */
  signal?: AbortSignal;
  /**
   * Only events of these kinds (default: all). A follower that only needs the
   * run's end asks for RUN_FINISHED and spares cerebro the rest.
   */
  kinds?: readonly EventKind[];
}

async function fetchRun(client: RunWatcher, runId: string): Promise<Run | undefined> {
  return (await client.getRun({ runId }, { timeoutMs: UNARY_TIMEOUT_MS })).run;
}

/** The timeline line a task-run's current state stands for, as if an event had said it. */
export function snapshotEvent(run: Run, taskRun: TaskRun): Event {
  const state = taskStateName(taskRun.state);
  const cause = errorCauseName(taskRun.errorCause);
  let message = `${taskRun.taskId} ${state}`;
  if (cause !== "") message += `(${cause})`;
  if (taskRun.errorDescription !== "") message += `: ${taskRun.errorDescription}`;
  if (taskRun.state === TaskState.BLOCKED && taskRun.blockedBy.length > 0) {
    message += ` by ${taskRun.blockedBy.join(", ")}`;
  }
  let detail = taskRun.errorDescription;
  if (taskRun.state === TaskState.BLOCKED) detail = `by ${taskRun.blockedBy.join(", ")}`;
  if (taskRun.state === TaskState.SKIPPED && taskRun.reused) {
    detail = `reused completion of run ${taskRun.reused.runId}`;
  }
  if (taskRun.state === TaskState.PENDING) detail = taskRun.waitingReason;
  return create(EventSchema, {
    kind: EventKind.TASK_RUN_CHANGED,
    runId: run.id,
    taskRunId: taskRun.id,
    taskId: taskRun.taskId,
    attemptId: taskRun.attempts.at(-1)?.id ?? "",
    state: taskRun.state,
    errorCause: taskRun.errorCause,
    serverName: taskRun.serverName,
    message,
    detail,
    ...(taskRun.updatedAt === undefined ? {} : { time: taskRun.updatedAt }),
  });
}

function eventKey(e: Event): string | undefined {
  return e.kind === EventKind.TASK_RUN_CHANGED
    ? `${e.taskRunId}\u0000${e.attemptId}\u0000${e.state}`
    : undefined;
}

/**
 * The start of a run's timeline once the first GetRun answered: what the
 * snapshot shows already happened (task-runs past PENDING, which the watch
 * may have missed) merged in time order with the events the watch delivered
 * meanwhile. Events older than the snapshot of their task-run are dropped
 * (the snapshot supersedes them), and so are repeats.
 */
export function mergeCatchUp(snapshot: Run, buffered: readonly Event[]): Event[] {
  const snapshotAt = new Map<string, number>();
  const caughtUp: Event[] = [];
  for (const taskRun of snapshot.taskRuns) {
    if (taskRun.state === TaskState.UNSPECIFIED || taskRun.state === TaskState.PENDING) continue;
    caughtUp.push(snapshotEvent(snapshot, taskRun));
    snapshotAt.set(taskRun.id, timeMs(taskRun.updatedAt) ?? 0);
  }
  const fresh = buffered.filter((e) => {
    const at = snapshotAt.get(e.taskRunId);
    return e.kind !== EventKind.TASK_RUN_CHANGED || at === undefined || (timeMs(e.time) ?? 0) >= at;
  });
  const merged = [...caughtUp, ...fresh].sort(
    (a, b) => (timeMs(a.time) ?? 0) - (timeMs(b.time) ?? 0),
  );
  const seen = new Set<string>();
  return merged.filter((e) => {
    const key = eventKey(e);
    if (key === undefined) return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Follows a run to its end and returns it as GetRun last saw it.
 *
 * The run id only exists once StartRun returned, so events between StartRun
 * and the watch can be missed. Hence: open the watch first, then ask GetRun
 * once; what that snapshot shows already happened starts the timeline
 * (see mergeCatchUp), and when the run is already done, that is the end.
 * Otherwise events are consumed until RUN_FINISHED for the run. GetRun is
 * repeated every pollIntervalMs as a safety net. Returns a run that is not
 * finished only if cerebro ended the event stream early.
 */
export async function followRun(
  client: RunWatcher,
  run: Run,
  options: FollowOptions,
): Promise<Run> {
  const runId = run.id;
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) abort.abort();
  let finished: Run | undefined;
  let buffered: Event[] | undefined = [];
  const seen = new Set<string>();
  const emit = (event: Event): void => {
    const key = eventKey(event);
    if (key !== undefined) {
      if (seen.has(key)) return;
      seen.add(key);
    }
    options.onEvent?.(event);
  };

  const watch = (async (): Promise<void> => {
    try {
      const request = { runId, kinds: [...(options.kinds ?? [])] };
      for await (const res of client.watchEvents(request, { signal: abort.signal })) {
        const event = res.event;
        if (event === undefined || event.runId !== runId) continue;
        if (abort.signal.aborted) return;
        if (buffered !== undefined) buffered.push(event);
        else emit(event);
        if (event.kind === EventKind.RUN_FINISHED) return;
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  // Awaited below; this keeps an early failure from counting as unhandled meanwhile.
  watch.catch(() => {});

  const check = async (): Promise<Run | undefined> => {
    const current = await fetchRun(client, runId);
    if (current !== undefined && isRunFinished(current.state) && finished === undefined) {
      finished = current;
      abort.abort();
    }
    return current;
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    const snapshot = await check();
    const early = buffered;
    buffered = undefined;
    for (const event of snapshot === undefined ? early : mergeCatchUp(snapshot, early)) emit(event);
    if (finished === undefined) {
      timer = setInterval(() => {
        check().catch(() => {});
      }, options.pollIntervalMs);
      timer.unref();
    }
    await watch;
  } finally {
    clearInterval(timer);
    abort.abort();
    options.signal?.removeEventListener("abort", stop);
  }
  return finished ?? (await fetchRun(client, runId)) ?? run;
}

/** The --mode flag of a command: test or normal; unset leaves it to cerebro. */
export function parseMode(value: string | undefined, command = "run"): RunMode {
  switch (value) {
    case undefined:
      return RunMode.UNSPECIFIED;
    case "test":
      return RunMode.TEST;
    case "normal":
      return RunMode.NORMAL;
    default:
      throw new UsageError(`bad --mode '${value}': expected test or normal`, command);
  }
}

function listIds(ids: readonly string[], max = 8): string {
  return ids.length <= max
    ? ids.join(", ")
    : `${ids.slice(0, max).join(", ")}, … (${ids.length - max} more)`;
}

/** `dyna run <task>...`: StartRun, follow it live, print the summary. */
export async function runCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("run", args, {
    downstream: { type: "boolean" },
    "without-upstream": { type: "boolean" },
    param: { type: "string", multiple: true },
    mode: { type: "string" },
    "idempotency-key": { type: "string" },
    "no-follow": { type: "boolean" },
  });
  if (values.help) return printHelp(ctx.io, "run");
  if (positionals.length === 0) {
    throw new UsageError("missing task: name at least one task to run", "run");
  }
  const params = parseParams("run", values.param ?? []);
  const mode = parseMode(values.mode);
  const json = values.json === true;
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));

  const started = await client.startRun(
    {
      targets: positionals,
      withDownstream: values.downstream === true,
      withoutUpstream: values["without-upstream"] === true,
      params,
      mode,
      idempotencyKey: values["idempotency-key"] ?? "",
    },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  const run = started.run;
  if (run === undefined) {
    ctx.io.err("dyna: cerebro started the run but returned no run");
    return EXIT_FAILED;
  }
  if (!json) {
    const planned = run.taskRuns.map((t) => t.taskId);
    const what = started.existing ? "already exists for this idempotency key" : "started";
    ctx.io.out(
      `Run ${run.id} ${what}: ${planned.length} task-run${planned.length === 1 ? "" : "s"} planned` +
        (planned.length > 0 ? ` (${listIds(planned)})` : ""),
    );
  }
  if (values["no-follow"]) {
    ctx.io.out(json ? renderJson(RunSchema, run) : `Follow it with: dyna runs ${run.id}`);
    return EXIT_OK;
  }

  const widths = timelineWidths(run);
  const final = await followRun(client, run, {
    pollIntervalMs: ctx.pollIntervalMs,
    ...(json ? {} : { onEvent: (e: Event) => ctx.io.out(renderEvent(e, ctx.style, widths)) }),
  });
  if (json) {
    ctx.io.out(renderJson(RunSchema, final));
  } else {
    ctx.io.out(`\n${renderRunSummary(final, ctx.style, ctx.now())}`);
    if (!isRunFinished(final.state)) {
      ctx.io.err(
        `dyna: cerebro closed the event stream while run ${final.id} is ${runStateName(final.state)}; ` +
          `check it with: dyna runs ${final.id}`,
      );
    }
  }
  return final.state === RunState.SUCCEEDED ? EXIT_OK : EXIT_FAILED;
}
