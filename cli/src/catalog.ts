// dyna tasks, dyna servers, dyna graph: what cerebro knows about tasks and servers.

import {
  ForgetServerResponseSchema,
  GetGraphResponseSchema,
  ListServersResponseSchema,
  ListTasksResponseSchema,
} from "@cordyna/contract";
import { expectPositionals, type OptionsConfig, parseCommandArgs } from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import { renderGraph, renderJson, renderServersTable, renderTasksTable } from "./render.js";

/** The flags of `dyna tasks` (the common ones come on top). */
export const TASKS_FLAGS = {
  quiet: { type: "boolean", short: "q" },
} as const satisfies OptionsConfig;

/** `dyna tasks`: every task with its server, team, upstream and status; with --quiet its id only. */
export async function tasksCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("tasks", args, TASKS_FLAGS);
  if (values.help) return printHelp(ctx.io, "tasks");
  expectPositionals("tasks", positionals, 0, 0, "");
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  const res = await client.listTasks({}, { timeoutMs: UNARY_TIMEOUT_MS });
  if (values.quiet && !values.json) {
    for (const task of res.tasks) ctx.io.out(task.taskId);
    return EXIT_OK;
  }
  ctx.io.out(
    values.json
      ? renderJson(ListTasksResponseSchema, res)
      : renderTasksTable(res.tasks, ctx.style, ctx.now()),
  );
  return EXIT_OK;
}

/** The flags of `dyna servers` (the common ones come on top). */
export const SERVERS_FLAGS = {} as const satisfies OptionsConfig;

/** `dyna servers`: every server name with its connected instances; `dyna servers forget NAME`. */
export async function serversCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("servers", args, SERVERS_FLAGS);
  if (values.help) return printHelp(ctx.io, "servers");
  if (positionals[0] === "forget") {
    expectPositionals("servers", positionals, 2, 2, "server name");
    const serverName = positionals[1] ?? "";
    const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
    const res = await client.forgetServer({ serverName }, { timeoutMs: UNARY_TIMEOUT_MS });
    ctx.io.out(
      values.json
        ? renderJson(ForgetServerResponseSchema, res)
        : `Forgot server ${serverName}: ${res.taskIds.join(", ")} no longer declared.`,
    );
    return EXIT_OK;
  }
  expectPositionals("servers", positionals, 0, 0, "");
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  const res = await client.listServers({}, { timeoutMs: UNARY_TIMEOUT_MS });
  ctx.io.out(
    values.json
      ? renderJson(ListServersResponseSchema, res)
      : renderServersTable(res.servers, ctx.style, ctx.now()),
  );
  return EXIT_OK;
}

/** The flags of `dyna graph` (the common ones come on top). */
export const GRAPH_FLAGS = {} as const satisfies OptionsConfig;

/** `dyna graph`: the global graph as a tree from its roots. */
export async function graphCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("graph", args, GRAPH_FLAGS);
  if (values.help) return printHelp(ctx.io, "graph");
  expectPositionals("graph", positionals, 0, 0, "");
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  const res = await client.getGraph({}, { timeoutMs: UNARY_TIMEOUT_MS });
  ctx.io.out(values.json ? renderJson(GetGraphResponseSchema, res) : renderGraph(res, ctx.style));
  return EXIT_OK;
}
