// dyna version (and dyna --version): this CLI's version, and cerebro's when it answers.

import { ConnectError } from "@connectrpc/connect";
import { PROTOCOL_VERSION_TEXT } from "@cordyna/contract";
import cliPackage from "../package.json" with { type: "json" };
import { expectPositionals, type OptionsConfig, parseCommandArgs } from "./args.js";
import { grpcCodeName, resolveAddress } from "./client.js";
import { type CliContext, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import { askHealth, type CerebroAnswer } from "./probe.js";

/** This CLI's version, from its package.json. */
export const CLI_VERSION: string = cliPackage.version;

/** How long `dyna version` waits for cerebro: it answers without it. */
const VERSION_TIMEOUT_MS = 3_000;

/** The flags of `dyna version`; --version makes `dyna --version` the same command. */
export const VERSION_FLAGS = {
  version: { type: "boolean" },
} as const satisfies OptionsConfig;

/**
 * `dyna version`: dyna's version and protocol, then cerebro's, asked of its
 * health check (no credential needed). Exits 0 whether cerebro answers or not.
 */
export async function versionCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("version", args, VERSION_FLAGS);
  if (values.help) return printHelp(ctx.io, "version");
  expectPositionals("version", positionals, 0, 0, "");
  const address = resolveAddress(values.cerebro, ctx.io.env);
  let cerebro: CerebroAnswer | undefined;
  let problem: string | undefined;
  try {
    cerebro = await askHealth(ctx.transport(address), VERSION_TIMEOUT_MS);
  } catch (error) {
    problem =
      error instanceof ConnectError
        ? `${grpcCodeName(error.code)}: ${error.rawMessage}`
        : error instanceof Error
          ? error.message
          : String(error);
  }
  const profile = ctx.profile ? { name: ctx.profile.name, file: ctx.profile.file } : undefined;
  if (values.json) {
    ctx.io.out(
      JSON.stringify({
        dyna: { version: CLI_VERSION, protocol: PROTOCOL_VERSION_TEXT },
        cerebro: {
          address,
          ...(cerebro === undefined ? { error: problem } : { cerebro: cerebro.cerebro }),
          ...(cerebro?.version === undefined ? {} : { version: cerebro.version }),
          ...(cerebro?.protocol === undefined ? {} : { protocol: cerebro.protocol }),
        },
        ...(profile === undefined ? {} : { profile }),
      }),
    );
    return EXIT_OK;
  }
  ctx.io.out(`dyna ${CLI_VERSION} (protocol ${PROTOCOL_VERSION_TEXT})`);
  ctx.io.out(describeCerebro(address, cerebro, problem));
  if (profile) ctx.io.out(`profile ${profile.name}, from ${profile.file}`);
  return EXIT_OK;
}

function describeCerebro(
  address: string,
  cerebro: CerebroAnswer | undefined,
  problem: string | undefined,
): string {
  if (cerebro === undefined) return `cerebro at ${address}: no answer (${problem})`;
  if (!cerebro.cerebro) return `${address}: not a cordyna cerebro (no cordyna.v1 service)`;
  if (cerebro.version === undefined) {
    return `cerebro at ${address}: answers, but does not say its version (it predates dyna version)`;
  }
  return `cerebro ${cerebro.version} (protocol ${cerebro.protocol ?? "?"}) at ${address}`;
}
