// dyna runs, dyna run-status, dyna cancel: looking at runs and stopping them.

import {
  CancelRunResponseSchema,
  GetRunResponseSchema,
  ListRunsResponseSchema,
  MAX_RUNS_PAGE,
  RunState,
} from "@cordyna/contract";
import {
  expectPositionals,
  type OptionsConfig,
  parseCommandArgs,
  parseIntFlag,
  UsageError,
} from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import {
  paint,
  renderJson,
  renderRunDetail,
  renderRunsTable,
  runStateName,
  stateColor,
} from "./render.js";
import { explainNotFound } from "./suggest.js";

async function showRun(
  runId: string,
  address: string,
  json: boolean,
  ctx: CliContext,
): Promise<number> {
  const client = ctx.connect(address);
  const res = await client
    .getRun({ runId }, { timeoutMs: UNARY_TIMEOUT_MS })
    .catch(async (error: unknown) => {
      throw await explainNotFound(client, { runId }, error);
    });
  if (json) {
    ctx.io.out(renderJson(GetRunResponseSchema, res));
    return EXIT_OK;
  }
  if (res.run === undefined) {
    ctx.io.err(`dyna: cerebro returned no run for ${runId}`);
    return EXIT_FAILED;
  }
  ctx.io.out(renderRunDetail(res.run, ctx.style, ctx.now()));
  return EXIT_OK;
}

/** The flags of `dyna runs` (the common ones come on top). */
export const RUNS_FLAGS = {
  limit: { type: "string" },
  page: { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const satisfies OptionsConfig;

/** `dyna runs [--limit N] [--page TOKEN]` lists recent runs a page at a time; `dyna runs <run-id>` shows one. */
export async function runsCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("runs", args, RUNS_FLAGS);
  if (values.help) return printHelp(ctx.io, "runs");
  expectPositionals("runs", positionals, 0, 1, "");
  const address = resolveAddress(values.cerebro, ctx.io.env);
  const runId = positionals[0];
  if (runId !== undefined) {
    for (const flag of ["limit", "page", "quiet"] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`--${flag} lists runs; it does not go with a run id`, "runs");
      }
    }
    return showRun(runId, address, values.json === true, ctx);
  }
  const limit =
    values.limit === undefined ? 0 : parseIntFlag("runs", "limit", values.limit, 1, MAX_RUNS_PAGE);
  const res = await ctx
    .connect(address)
    .listRuns({ limit, pageToken: values.page ?? "" }, { timeoutMs: UNARY_TIMEOUT_MS });
  if (values.json) {
    ctx.io.out(renderJson(ListRunsResponseSchema, res));
    return EXIT_OK;
  }
  if (values.quiet) {
    for (const run of res.runs) ctx.io.out(run.id);
    return EXIT_OK;
  }
  ctx.io.out(renderRunsTable(res.runs, ctx.style, ctx.now()));
  if (res.nextPageToken) {
    const again = values.limit === undefined ? "" : ` --limit ${limit}`;
    ctx.io.out(`More runs: dyna runs${again} --page ${res.nextPageToken}`);
  }
  return EXIT_OK;
}

/** The flags of `dyna run-status` (the common ones come on top). */
export const RUN_STATUS_FLAGS = {} as const satisfies OptionsConfig;

/** `dyna run-status <run-id>`: one run in full, like `dyna runs <run-id>`. */
export async function runStatusCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("run-status", args, RUN_STATUS_FLAGS);
  if (values.help) return printHelp(ctx.io, "run-status");
  expectPositionals("run-status", positionals, 1, 1, "run id");
  return showRun(
    positionals[0] ?? "",
    resolveAddress(values.cerebro, ctx.io.env),
    values.json === true,
    ctx,
  );
}

/** The flags of `dyna cancel` (the common ones come on top). */
export const CANCEL_FLAGS = { reason: { type: "string" } } as const satisfies OptionsConfig;

/** `dyna cancel <run-id> [--reason R]`: cancels a run. */
export async function cancelCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("cancel", args, CANCEL_FLAGS);
  if (values.help) return printHelp(ctx.io, "cancel");
  expectPositionals("cancel", positionals, 1, 1, "run id");
  const runId = positionals[0] ?? "";
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  const res = await client
    .cancelRun({ runId, reason: values.reason ?? "" }, { timeoutMs: UNARY_TIMEOUT_MS })
    .catch(async (error: unknown) => {
      throw await explainNotFound(client, { runId }, error);
    });
  if (values.json) {
    ctx.io.out(renderJson(CancelRunResponseSchema, res));
    return EXIT_OK;
  }
  const run = res.run;
  if (run === undefined) {
    ctx.io.out(`Cancel of run ${runId} requested.`);
  } else {
    const state = runStateName(run.state);
    const shown = paint(ctx.style, stateColor(state), state);
    if (run.state === RunState.CANCELLED) ctx.io.out(`Run ${run.id} is ${shown}.`);
    else if (run.state === RunState.RUNNING)
      ctx.io.out(`Run ${run.id} is being cancelled (${shown}).`);
    else ctx.io.out(`Run ${run.id} had already finished: ${shown}; nothing to cancel.`);
  }
  return EXIT_OK;
}
