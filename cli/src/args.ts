// Argument parsing shared by every dyna command, on top of node's util.parseArgs.

import { type ParseArgsConfig, parseArgs } from "node:util";
import { closeMatches, didYouMean } from "./suggest.js";

/** The options part of a util.parseArgs configuration. */
export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** A mistake in how dyna was called; the CLI exits with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
  /** The command whose help to point at, when known. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  cerebro: { type: "string" },
  profile: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionsConfig;

function commandName(command: string): string {
  return command === "" ? "dyna" : `dyna ${command}`;
}

function quoted(message: string): string | undefined {
  return /'([^']+)'/.exec(message)?.[1];
}

/** The flags closest to an unknown one, e.g. --param for --params. */
function closeFlags(flag: string, options: OptionsConfig): string[] {
  const name = flag.replace(/^-+/, "").split("=")[0] ?? "";
  return closeMatches(name, Object.keys(options)).map((known) => `--${known}`);
}

/**
 * Turns a util.parseArgs error into a short UsageError naming the culprit
 * and, for an unknown flag, the command's flags closest to it.
 */
export function toUsageError(
  command: string,
  err: unknown,
  options: OptionsConfig = COMMON_OPTIONS,
): UsageError {
  if (!(err instanceof Error)) return new UsageError(String(err), command);
  const code = (err as { code?: unknown }).code;
  const culprit = quoted(err.message);
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const hint = culprit === undefined ? "" : didYouMean(closeFlags(culprit, options));
      return new UsageError(
        `unknown flag ${culprit ?? err.message} for "${commandName(command)}"${hint}`,
        command,
      );
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const flag = culprit?.split(" ")[0];
      return new UsageError(
        flag === undefined
          ? err.message
          : `flag ${flag} ${/argument missing/.test(err.message) ? "needs a value" : "takes no value"}`,
        command,
      );
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return new UsageError(`unexpected argument ${culprit ?? err.message}`, command);
    default:
      return new UsageError(err.message, command);
  }
}

type CommandConfig<O extends OptionsConfig> = {
  args: string[];
  options: typeof COMMON_OPTIONS & O;
  allowPositionals: true;
  strict: true;
};

/** What parseCommandArgs returns: typed values of the command's and the common options. */
export type ParsedCommand<O extends OptionsConfig> = ReturnType<typeof parseArgs<CommandConfig<O>>>;

/**
 * Parses a command's arguments with the common options added. Positionals
 * are always allowed; each command checks how many it takes.
 */
export function parseCommandArgs<const O extends OptionsConfig>(
  command: string,
  args: readonly string[],
  options: O,
): ParsedCommand<O> {
  const all = { ...COMMON_OPTIONS, ...options };
  try {
    return parseArgs<CommandConfig<O>>({
      args: [...args],
      options: all,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw toUsageError(command, err, all);
  }
}

/** Fails unless the command got between min and max positional arguments. */
export function expectPositionals(
  command: string,
  positionals: readonly string[],
  min: number,
  max: number,
  what: string,
): void {
  if (positionals.length < min) throw new UsageError(`missing ${what}`, command);
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument '${positionals[max]}'`, command);
  }
}

/** Parses repeated `--param k=v` values; a value without '=' is a usage error. */
export function parseParams(command: string, values: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`bad --param '${value}': expected key=value`, command);
    }
    params[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return params;
}

/** Parses a whole number flag within bounds, naming the flag when it is not one. */
export function parseIntFlag(
  command: string,
  flag: string,
  value: string,
  min: number,
  max: number,
): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `bad --${flag} '${value}': expected a whole number from ${min} to ${max}`,
      command,
    );
  }
  return n;
}

/** Parses `--candidate`: a change id as the candidate server's CORDYNA_CANDIDATE (Hello.candidate) takes it. */
export function parseChangeId(command: string, value: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(value)) {
    throw new UsageError(
      `bad --candidate '${value}': expected a change id (lower-case letters, digits, '.', '_', '-'), as the candidate server's CORDYNA_CANDIDATE`,
      command,
    );
  }
  return value;
}
