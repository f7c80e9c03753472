// dyna: the Cordyna command line. Dispatches to one command per module.

import {
  COMMON_OPTIONS,
  expectPositionals,
  type OptionsConfig,
  parseCommandArgs,
  UsageError,
} from "./args.js";
import { AUDIT_FLAGS, AUTH_FLAGS, auditCommand, authCommand } from "./auth.js";
import { BACKFILL_FLAGS, backfillCommand } from "./backfill.js";
import {
  GRAPH_FLAGS,
  graphCommand,
  SERVERS_FLAGS,
  serversCommand,
  TASKS_FLAGS,
  tasksCommand,
} from "./catalog.js";
import { CHECK_FLAGS, checkCommand } from "./check.js";
import { completionScript, type Operand, SHELLS, type Shell } from "./completion.js";
import { CONFORMANCE_FLAGS, conformanceCommand } from "./conformance.js";
import {
  type CliContext,
  type CliIo,
  type CliOverrides,
  createContext,
  credentialsFromEnv,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_UNREACHABLE,
  EXIT_USAGE,
  ExplainedError,
  processIo,
} from "./context.js";
import { DEV_FLAGS, devCommand } from "./dev.js";
import { EVENTS_FLAGS, eventsCommand } from "./events.js";
import { HEALTH_FLAGS, healthCommand } from "./health.js";
import { COMMAND_HELP, MAIN_HELP, printHelp } from "./help.js";
import { HISTORY_FLAGS, historyCommand } from "./history.js";
import { LOGS_FLAGS, logsCommand } from "./logs.js";
import { explainFailure, type FailedCall } from "./probe.js";
import { ConfigError, loadProfile, type Profile, withProfile } from "./profiles.js";
import { RUN_FLAGS, runCommand } from "./run.js";
import {
  CANCEL_FLAGS,
  cancelCommand,
  RUN_STATUS_FLAGS,
  RUNS_FLAGS,
  runStatusCommand,
  runsCommand,
} from "./runs.js";
import { SERVE_FLAGS, serveCommand } from "./serve.js";
import { closeMatches, didYouMean } from "./suggest.js";
import { TEAMS_FLAGS, teamsCommand } from "./teams.js";
import { TEST_FLAGS, testCommand } from "./test-run.js";
import { VERSION_FLAGS, versionCommand } from "./version.js";

/** A dyna command: its arguments (without the command name) in, exit code out. */
export type Command = (args: readonly string[], ctx: CliContext) => Promise<number>;

/** What dyna knows of a command: how to run it, its flags and operands. */
export interface CommandSpec {
  readonly run: Command;
  /** Its own flags (the common ones come on top): for "did you mean" and completion. */
  readonly flags: OptionsConfig;
  /** Its operands in order, for completion; the last repeats when `repeats`. */
  readonly operands?: readonly Operand[];
  readonly repeats?: boolean;
  /** Whether it calls cerebro's API, and so takes a profile. */
  readonly client: boolean;
}

/** dyna's own flags, before any command. */
const TOP_FLAGS = { version: { type: "boolean" } } as const satisfies OptionsConfig;

/** Every command by name: the table the CLI dispatches, suggests and completes from. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  dev: { run: devCommand, flags: DEV_FLAGS, client: false },
  serve: { run: serveCommand, flags: SERVE_FLAGS, operands: ["file"], client: false },
  run: { run: runCommand, flags: RUN_FLAGS, operands: ["task"], repeats: true, client: true },
  test: { run: testCommand, flags: TEST_FLAGS, operands: ["task"], repeats: true, client: true },
  backfill: { run: backfillCommand, flags: BACKFILL_FLAGS, operands: ["task"], client: true },
  runs: { run: runsCommand, flags: RUNS_FLAGS, operands: ["run"], client: true },
  "run-status": {
    run: runStatusCommand,
    flags: RUN_STATUS_FLAGS,
    operands: ["run"],
    client: true,
  },
  logs: { run: logsCommand, flags: LOGS_FLAGS, operands: ["run", "task"], client: true },
  cancel: { run: cancelCommand, flags: CANCEL_FLAGS, operands: ["run"], client: true },
  events: { run: eventsCommand, flags: EVENTS_FLAGS, client: true },
  history: { run: historyCommand, flags: HISTORY_FLAGS, operands: ["task"], client: true },
  tasks: { run: tasksCommand, flags: TASKS_FLAGS, client: true },
  servers: { run: serversCommand, flags: SERVERS_FLAGS, operands: [["forget"]], client: true },
  graph: { run: graphCommand, flags: GRAPH_FLAGS, client: true },
  teams: { run: teamsCommand, flags: TEAMS_FLAGS, operands: [["set"]], client: true },
  check: { run: checkCommand, flags: CHECK_FLAGS, client: true },
  conformance: { run: conformanceCommand, flags: CONFORMANCE_FLAGS, client: false },
  auth: {
    run: authCommand,
    flags: AUTH_FLAGS,
    operands: [
      ["token", "whoami"],
      ["create", "list", "revoke"],
    ],
    client: true,
  },
  audit: { run: auditCommand, flags: AUDIT_FLAGS, client: true },
  health: { run: healthCommand, flags: HEALTH_FLAGS, client: true },
  version: { run: versionCommand, flags: VERSION_FLAGS, client: true },
  completion: {
    run: completionCommand,
    flags: {},
    operands: [SHELLS],
    client: false,
  },
  help: { run: helpCommand, flags: {}, operands: ["command"], client: false },
};

/** The flags that take a value before the command name: skipped when looking for it. */
const VALUE_FLAGS_BEFORE_COMMAND = new Set(["--cerebro", "--profile"]);

/**
 * Finds the command name: the first argument that is neither a flag nor the
 * value of --cerebro or --profile, so `dyna --cerebro h:1 runs` works like
 * `dyna runs --cerebro h:1`.
 */
export function splitCommand(argv: readonly string[]): {
  command: string | undefined;
  rest: string[];
} {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") break;
    if (VALUE_FLAGS_BEFORE_COMMAND.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

/** The value of --profile NAME (or --profile=NAME) before any "--". */
function profileFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") return undefined;
    if (arg === "--profile") return argv[i + 1];
    if (arg.startsWith("--profile=")) return arg.slice("--profile=".length);
  }
  return undefined;
}

/** The command to run, with its arguments: `dyna --version` is `dyna version`. */
function findCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const { command, rest } = splitCommand(argv);
  if (command !== undefined) return { name: command, rest };
  const { values } = parseCommandArgs("", rest, TOP_FLAGS);
  return { name: values.version ? "version" : undefined, rest };
}

function unknownCommand(name: string): UsageError {
  return new UsageError(
    `unknown command '${name}'${didYouMean(closeMatches(name, Object.keys(COMMANDS)))}`,
  );
}

/** `dyna help [<command>]`. */
async function helpCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseCommandArgs("help", args, {});
  expectPositionals("help", positionals, 0, 1, "");
  const topic = positionals[0];
  if (topic !== undefined && COMMAND_HELP[topic] === undefined) throw unknownCommand(topic);
  return printHelp(ctx.io, topic);
}

/** `dyna completion bash|zsh`: prints the completion script for the shell. */
async function completionCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("completion", args, {});
  if (values.help) return printHelp(ctx.io, "completion");
  expectPositionals("completion", positionals, 1, 1, "shell: bash or zsh");
  const shell = positionals[0] ?? "";
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(
      `no completion for ${shell}${didYouMean(closeMatches(shell, SHELLS))}: bash or zsh`,
      "completion",
    );
  }
  const commands = Object.fromEntries(
    Object.entries(COMMANDS).map(([name, spec]) => [
      name,
      { ...spec, flags: { ...COMMON_OPTIONS, ...spec.flags } },
    ]),
  );
  ctx.io.out(
    completionScript(shell as Shell, commands, {
      cerebro: COMMON_OPTIONS.cerebro,
      profile: COMMON_OPTIONS.profile,
      help: COMMON_OPTIONS.help,
      ...TOP_FLAGS,
    }).trimEnd(),
  );
  return EXIT_OK;
}

async function dispatch(
  name: string | undefined,
  rest: readonly string[],
  ctx: CliContext,
): Promise<number> {
  if (name === undefined) {
    const { values } = parseCommandArgs("", rest, TOP_FLAGS);
    if (values.help) return printHelp(ctx.io);
    ctx.io.err(MAIN_HELP);
    return EXIT_USAGE;
  }
  const spec = COMMANDS[name];
  if (spec === undefined) throw unknownCommand(name);
  return spec.run(rest, ctx);
}

/**
 * The profile for a command: only commands that call cerebro's API take
 * one (named by --profile or CORDYNA_PROFILE, else the file's default).
 */
function profileFor(
  name: string | undefined,
  argv: readonly string[],
  env: CliIo["env"],
): Profile | undefined {
  const spec = name === undefined ? undefined : COMMANDS[name];
  if (name === undefined || spec === undefined) return undefined;
  const named = profileFlag(argv);
  if (spec.client) return loadProfile(env, named);
  if (named !== undefined) {
    throw new UsageError(
      `dyna ${name} takes no --profile: a profile says how to reach cerebro's API`,
      name,
    );
  }
  return undefined;
}

/**
 * Runs dyna with the given arguments (without "node dyna") and returns the
 * exit code: 0 success, 1 failed run or command, 2 usage error (or a bad
 * configuration file), 3 cerebro unreachable or refusing. Parts of the
 * context may be replaced (tests do).
 */
export async function runCli(
  argv: readonly string[],
  overrides: CliOverrides = {},
): Promise<number> {
  const io = overrides.io ?? processIo();
  let address: string | undefined;
  let ctx: CliContext | undefined;
  try {
    const { name, rest } = findCommand(argv);
    let profile: Profile | undefined;
    try {
      profile = profileFor(name, argv, io.env);
    } catch (error) {
      // dyna version answers all the same: it is what one runs to find out what is wrong.
      if (name !== "version" || !(error instanceof ConfigError)) throw error;
      io.err(`dyna: ${error.message}`);
    }
    const base = createContext(
      { ...overrides, io: { ...io, env: withProfile(io.env, profile) } },
      profile,
    );
    ctx = {
      ...base,
      transport: (a) => {
        address = a;
        return base.transport(a);
      },
      connect: (a) => {
        address = a;
        return base.connect(a);
      },
      connectAccess: (a) => {
        address = a;
        return base.connectAccess(a);
      },
    };
    return await dispatch(name, rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`dyna: ${err.message}`);
      const help = err.command ? `dyna ${err.command} --help` : "dyna --help";
      io.err(`Run "${help}" for usage.`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.err(`dyna: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof ExplainedError) {
      io.err(`dyna: ${err.message}`);
      return err.exitCode;
    }
    const rpc = ctx === undefined ? undefined : await explainFailure(err, failedCall(ctx, address));
    if (rpc !== undefined) {
      io.err(`dyna: ${rpc}`);
      return EXIT_UNREACHABLE;
    }
    io.err(`dyna: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}

/** How the failed call went, to look at its address again the same way. */
function failedCall(ctx: CliContext, address: string | undefined): FailedCall {
  let tls = false;
  try {
    tls = credentialsFromEnv(ctx.io.env).tls !== undefined;
  } catch {
    // Settings that cannot be read failed the call before it was made.
  }
  return { address: address ?? "cerebro", tls, transport: (a) => ctx.transport(a) };
}
