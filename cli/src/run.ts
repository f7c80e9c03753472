// dyna run: start a run, follow it live to its end, and summarise it.

import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type ControlClient,
  type Event,
  type EventKind,
  type Run,
  RunMode,
  RunSchema,
  RunState,
  type StartRunRequestSchema,
  type StartRunResponse,
} from "@cordyna/contract";
import { type OptionsConfig, parseCommandArgs, parseParams, UsageError } from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import {
  isRunFinished,
  renderEvent,
  renderJson,
  renderOutcomeLine,
  renderRunSummary,
  runStateName,
  timelineWidths,
} from "./render.js";
import { RunProgress, renderProgress } from "./run-progress.js";
import { explainUnknownTasks } from "./suggest.js";

/** How often the live view redraws while nothing happens, so that elapsed times move. */
const LIVE_VIEW_TICK_MS = 1_000;

/** What following a run needs from a ControlService client. */
export type RunWatcher = Pick<ControlClient, "watchEvents" | "getRun">;

/** How to follow a run. */
export interface FollowOptions {
  /** Called for each event of the run, in order, from its first. */
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

/**
 * Follows a run to its end and returns it as GetRun then has it. One
 * WatchEvents call does it all: cerebro replays what happened before the
 * call, follows the run, and ends the stream after the run's RUN_FINISHED.
 * Returns a run that is not finished only if the stream ended early (cerebro
 * stopped) or the signal aborted.
 */
export async function followRun(
  client: RunWatcher,
  run: Run,
  options: FollowOptions,
): Promise<Run> {
  const request = { runId: run.id, kinds: [...(options.kinds ?? [])] };
  try {
    for await (const { event } of client.watchEvents(
      request,
      options.signal ? { signal: options.signal } : {},
    )) {
      if (event !== undefined) options.onEvent?.(event);
    }
  } catch (err) {
    if (!options.signal?.aborted) throw err;
  }
  return (await fetchRun(client, run.id)) ?? run;
}

/**
 * Follows a run and shows it as it goes: on a terminal a live view redrawn
 * in place (see renderProgress), otherwise one line per event. Returns the
 * run at its end, and a cancelled run's reason.
 */
async function showFollowedRun(
  client: RunWatcher,
  run: Run,
  ctx: CliContext,
): Promise<{ run: Run; cancelReason: string }> {
  const progress = new RunProgress(run);
  if (!ctx.io.isTTY) {
    const widths = timelineWidths(run);
    const final = await followRun(client, run, {
      onEvent: (event) => {
        progress.apply(event);
        ctx.io.out(renderEvent(event, ctx.style, widths));
      },
    });
    return { run: final, cancelReason: progress.cancelReason };
  }
  let drawnLines = 0;
  const draw = (): void => {
    const size = { width: Math.max(20, (ctx.io.columns ?? 80) - 1), maxTaskLines: 20 };
    const lines = renderProgress(progress, ctx.now(), size, ctx.style);
    // Back to the first line of the previous frame, which is cleared first.
    const up = drawnLines > 0 ? `\u001b[${drawnLines}F\u001b[J` : "";
    ctx.io.out(up + lines.join("\n"));
    drawnLines = lines.length;
  };
  draw();
  const ticker = setInterval(draw, LIVE_VIEW_TICK_MS);
  ticker.unref();
  try {
    const final = await followRun(client, run, {
      onEvent: (event) => {
        progress.apply(event);
        draw();
      },
    });
    return { run: final, cancelReason: progress.cancelReason };
  } finally {
    clearInterval(ticker);
  }
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

/** The flags of `dyna run` (the common ones come on top). */
export const RUN_FLAGS = {
  downstream: { type: "boolean" },
  "without-upstream": { type: "boolean" },
  param: { type: "string", multiple: true },
  mode: { type: "string" },
  "idempotency-key": { type: "string" },
  "no-follow": { type: "boolean" },
} as const satisfies OptionsConfig;

/** StartRun, with "did you mean" for target ids cerebro does not know. */
export function startRun(
  client: ControlClient,
  request: MessageInitShape<typeof StartRunRequestSchema> & { targets: string[] },
): Promise<StartRunResponse> {
  return client.startRun(request, { timeoutMs: UNARY_TIMEOUT_MS }).catch(async (error: unknown) => {
    throw await explainUnknownTasks(client, request.targets, error);
  });
}

/** `dyna run <task>...`: StartRun, follow it live, print the summary. */
export async function runCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("run", args, RUN_FLAGS);
  if (values.help) return printHelp(ctx.io, "run");
  if (positionals.length === 0) {
    throw new UsageError("missing task: name at least one task to run", "run");
  }
  const params = parseParams("run", values.param ?? []);
  const mode = parseMode(values.mode);
  const json = values.json === true;
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));

  const started = await startRun(client, {
    targets: positionals,
    withDownstream: values.downstream === true,
    withoutUpstream: values["without-upstream"] === true,
    params,
    mode,
    idempotencyKey: values["idempotency-key"] ?? "",
  });
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

  if (json) {
    const final = await followRun(client, run, {});
    ctx.io.out(renderJson(RunSchema, final));
    return final.state === RunState.SUCCEEDED ? EXIT_OK : EXIT_FAILED;
  }
  const followed = await showFollowedRun(client, run, ctx);
  const final = followed.run;
  ctx.io.out(`\n${renderRunSummary(final, ctx.style, ctx.now())}`);
  if (!isRunFinished(final.state)) {
    ctx.io.err(
      `dyna: cerebro closed the event stream while run ${final.id} is ${runStateName(final.state)}; ` +
        `check it with: dyna runs ${final.id}`,
    );
  }
  ctx.io.out(renderOutcomeLine(final, ctx.style, followed.cancelReason));
  return final.state === RunState.SUCCEEDED ? EXIT_OK : EXIT_FAILED;
}
