// dyna dev: cerebro in this process, on the in-memory store or on Redis.

import type { CerebroConfig, CerebroEnvName, CerebroFlags } from "@cordyna/cerebro";
import { expectPositionals, type OptionsConfig, parseCommandArgs, UsageError } from "./args.js";
import { ADDRESS_ENV } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";

/** The host `dyna dev` listens on unless told otherwise: not the network, as it is for trying out. */
const DEV_DEFAULT_HOST = "localhost";

/** Each flag of `dyna dev` that stands in for one of cerebro's variables. */
const FLAG_VARIABLES = {
  port: "CORDYNA_PORT",
  "http-port": "CORDYNA_HTTP_PORT",
  host: "CORDYNA_HOST",
  store: "CORDYNA_STORE",
  "redis-prefix": "CORDYNA_REDIS_PREFIX",
  "tls-cert": "CORDYNA_TLS_CERT",
  "tls-key": "CORDYNA_TLS_KEY",
  "tls-client-ca": "CORDYNA_TLS_CLIENT_CA",
  auth: "CORDYNA_AUTH",
  "run-retention": "CORDYNA_RUN_RETENTION",
  "max-finished-runs": "CORDYNA_MAX_FINISHED_RUNS",
  "server-retention": "CORDYNA_SERVER_RETENTION",
} as const satisfies Record<string, CerebroEnvName>;

/** The flags of `dyna dev` (the common ones come on top). */
export const DEV_FLAGS = {
  port: { type: "string" },
  "http-port": { type: "string" },
  host: { type: "string" },
  store: { type: "string" },
  "redis-prefix": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-client-ca": { type: "string" },
  auth: { type: "string" },
  "insecure-no-auth": { type: "boolean" },
  "run-retention": { type: "string" },
  "max-finished-runs": { type: "string" },
  "server-retention": { type: "string" },
} as const satisfies OptionsConfig;

/**
 * `dyna dev [--port N] [--http-port N|off] [--host H] [--store memory|<redis url>]`: runs cerebro
 * until SIGINT or SIGTERM, configured like the service by the CORDYNA_* variables, each flag
 * winning over its variable.
 */
export async function devCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("dev", args, DEV_FLAGS);
  if (values.help) return printHelp(ctx.io, "dev");
  expectPositionals("dev", positionals, 0, 0, "");
  const flags: CerebroFlags = {};
  for (const [flag, variable] of Object.entries(FLAG_VARIABLES)) {
    const value = values[flag as keyof typeof FLAG_VARIABLES];
    if (value !== undefined) flags[variable] = { flag: `--${flag}`, value };
  }
  if (values["insecure-no-auth"]) {
    flags.CORDYNA_INSECURE_NO_AUTH = { flag: "--insecure-no-auth", value: "true" };
  }
  // Loaded here, so that the other commands never load the whole service.
  const {
    CerebroConfigError,
    describeStoreSpec,
    parseCerebroConfig,
    parseStoreSpec,
    startCerebroService,
  } = await import("@cordyna/cerebro");
  let config: CerebroConfig;
  try {
    config = parseCerebroConfig(ctx.io.env, {
      flags,
      defaultHost: DEV_DEFAULT_HOST,
      authOffOnLoopback: true,
    });
  } catch (err) {
    if (!(err instanceof CerebroConfigError)) throw err;
    throw new UsageError(err.message.replaceAll("\n", "; "), "dev");
  }

  let service: Awaited<ReturnType<typeof startCerebroService>>;
  try {
    service = await startCerebroService(config, { env: ctx.io.env });
  } catch (err) {
    ctx.io.err(
      `dyna dev: could not start cerebro: ${err instanceof Error ? err.message : String(err)}`,
    );
    return EXIT_FAILED;
  }
  const { address, httpAddress } = service.cerebro;
  const scheme = config.tls ? "https" : "http";
  const http = httpAddress ? `; HTTP/JSON on ${scheme}://${httpAddress}` : "";
  ctx.io.out(
    values.json
      ? JSON.stringify({
          address,
          ...(httpAddress ? { httpAddress } : {}),
          authentication: config.auth.required,
        })
      : `cerebro listening on ${listeningOn(config.host, address)} (${describeStoreSpec(parseStoreSpec(config.store))})${http}; point the CLI at it with ` +
          `--cerebro ${address} or ${ADDRESS_ENV}=${address}. ${authGreeting(config)} Ctrl-C stops it.`,
  );
  const signal = await ctx.waitForShutdown();
  if (!values.json) ctx.io.err(`${signal}: stopping cerebro…`);
  await service.stop();
  if (!values.json) ctx.io.err("cerebro stopped.");
  return EXIT_OK;
}

/**
 * Where cerebro listens, for people: its address, or, on a wildcard host,
 * every interface and the port (the address then names this machine only).
 */
function listeningOn(host: string, address: string): string {
  if (host !== "0.0.0.0" && host !== "::") return address;
  return `every interface (${host}), port ${address.slice(address.lastIndexOf(":") + 1)}`;
}

/** What the greeting says of authentication, so that nobody mistakes an open cerebro for a guarded one. */
function authGreeting(config: CerebroConfig): string {
  if (config.auth.required) {
    return config.auth.adminToken
      ? "Authentication is on: pass a token with CORDYNA_TOKEN (the admin's is CORDYNA_ADMIN_TOKEN)."
      : "Authentication is on: pass a token with CORDYNA_TOKEN.";
  }
  return config.auth.insecure
    ? `INSECURE: authentication is off on ${config.host} (--insecure-no-auth): anyone who reaches it is an admin of every team.`
    : "Authentication is off (loopback only): every caller on this machine is an admin; --auth on turns it on.";
}
