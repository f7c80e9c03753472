// dyna: the Cordyna command line. Dispatches to one command per module.

import { startedAs } from "../entry-point.js";
import { expectPositionals, parseCommandArgs, UsageError } from "./args.js";
import { auditCommand, authCommand } from "./auth.js";
import { backfillCommand } from "./backfill.js";
import { graphCommand, serversCommand, tasksCommand } from "./catalog.js";
import { describeRpcError } from "./client.js";
import { conformanceCommand } from "./conformance.js";
import {
  type CliContext,
  type CliOverrides,
  createContext,
  EXIT_FAILED,
  EXIT_UNREACHABLE,
  EXIT_USAGE,
} from "./context.js";
import { devCommand } from "./dev.js";
import { eventsCommand } from "./events.js";
import { healthCommand } from "./health.js";
import { COMMAND_HELP, MAIN_HELP, printHelp } from "./help.js";
import { historyCommand } from "./history.js";
import { logsCommand } from "./logs.js";
import { runCommand } from "./run.js";
import { cancelCommand, runStatusCommand, runsCommand } from "./runs.js";
import { serveCommand } from "./serve.js";

// The client and the run follower of `dyna run`, for programs that start and
// follow runs as a user of the CLI does (the bench's load generator, tests).
export {
  type AccessClient,
  type ControlClient,
  createAccessClient,
  createControlClient,
} from "./client.js";
export { followRun } from "./run.js";

/** A dyna command: its arguments (without the command name) in, exit code out. */
export type Command = (args: readonly string[], ctx: CliContext) => Promise<number>;

/** Every command by name. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  dev: devCommand,
  run: runCommand,
  backfill: backfillCommand,
  runs: runsCommand,
  "run-status": runStatusCommand,
  logs: logsCommand,
  cancel: cancelCommand,
  events: eventsCommand,
  history: historyCommand,
  tasks: tasksCommand,
  servers: serversCommand,
  graph: graphCommand,
  serve: serveCommand,
  conformance: conformanceCommand,
  auth: authCommand,
  audit: auditCommand,
  health: healthCommand,
};

/**
 * Finds the command name: the first argument that is neither a flag nor the
 * value of --cerebro, so `dyna --cerebro h:1 runs` works like `dyna runs --cerebro h:1`.
 */
export function splitCommand(argv: readonly string[]): {
  command: string | undefined;
  rest: string[];
} {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") break;
    if (arg === "--cerebro") {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

async function dispatch(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (command === undefined) {
    const { values } = parseCommandArgs("", rest, {});
    if (values.help) return printHelp(ctx.io);
    ctx.io.err(MAIN_HELP);
    return EXIT_USAGE;
  }
  if (command === "help") {
    const { positionals } = parseCommandArgs("help", rest, {});
    expectPositionals("help", positionals, 0, 1, "");
    const topic = positionals[0];
    if (topic !== undefined && COMMAND_HELP[topic] === undefined) {
      throw new UsageError(`unknown command '${topic}'`);
    }
    return printHelp(ctx.io, topic);
  }
  const handler = COMMANDS[command];
  if (handler === undefined) throw new UsageError(`unknown command '${command}'`);
  return handler(rest, ctx);
}

/**
 * Runs dyna with the given arguments (without "node dyna") and returns the
 * exit code: 0 success, 1 failed run or command, 2 usage error, 3 cerebro
 * unreachable or refusing. Parts of the context may be replaced (tests do).
 */
export async function runCli(
  argv: readonly string[],
  overrides: CliOverrides = {},
): Promise<number> {
  const base = createContext(overrides);
  let address: string | undefined;
  const ctx: CliContext = {
    ...base,
    connect: (a) => {
      address = a;
      return base.connect(a);
    },
    connectAccess: (a) => {
      address = a;
      return base.connectAccess(a);
    },
  };
  try {
    return await dispatch(argv, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.io.err(`dyna: ${err.message}`);
      const help = err.command ? `dyna ${err.command} --help` : "dyna --help";
      ctx.io.err(`Run "${help}" for usage.`);
      return EXIT_USAGE;
    }
    const rpc = describeRpcError(err, address ?? "cerebro");
    if (rpc !== undefined) {
      ctx.io.err(`dyna: ${rpc}`);
      return EXIT_UNREACHABLE;
    }
    ctx.io.err(`dyna: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}

// Run when started as dyna (this file or the bin shim), not when imported by a test.
if (startedAs(import.meta.url, new URL("../../bin/dyna.js", import.meta.url))) {
  process.exitCode = await runCli(process.argv.slice(2));
}
