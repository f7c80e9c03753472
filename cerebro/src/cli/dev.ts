// dyna dev: cerebro in this process, on the in-memory store or on Redis.

import {
  describeStoreSpec,
  parseStoreSpec,
  STORE_ENV,
  type StoreSpec,
} from "../store/open-store.js";
import { redisPrefixProblem } from "../store/redis-keys.js";
import { expectPositionals, parseCommandArgs, parseIntFlag, UsageError } from "./args.js";
import { ADDRESS_ENV } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";

/** The port `dyna dev` listens on unless told otherwise. */
export const DEV_DEFAULT_PORT = 7070;
/** The port of the HTTP/JSON gateway unless told otherwise ("off" turns it off). */
export const DEV_DEFAULT_HTTP_PORT = 7071;
/** The host `dyna dev` listens on unless told otherwise. */
export const DEV_DEFAULT_HOST = "localhost";

/**
 * `dyna dev [--port N] [--http-port N|off] [--host H] [--store memory|<redis url>]`: runs cerebro
 * until SIGINT or SIGTERM. Without --store, $CORDYNA_STORE names the store.
 */
export async function devCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("dev", args, {
    port: { type: "string" },
    "http-port": { type: "string" },
    host: { type: "string" },
    store: { type: "string" },
    "redis-prefix": { type: "string" },
  });
  if (values.help) return printHelp(ctx.io, "dev");
  expectPositionals("dev", positionals, 0, 0, "");
  const port =
    values.port === undefined
      ? DEV_DEFAULT_PORT
      : parseIntFlag("dev", "port", values.port, 0, 65_535);
  const httpPortText = values["http-port"];
  const httpPort =
    httpPortText === "off"
      ? undefined
      : httpPortText === undefined
        ? DEV_DEFAULT_HTTP_PORT
        : parseIntFlag("dev", "http-port", httpPortText, 0, 65_535);
  const host = values.host || DEV_DEFAULT_HOST;
  const storeText = values.store ?? ctx.io.env[STORE_ENV];
  let store: StoreSpec;
  try {
    store = parseStoreSpec(storeText);
  } catch (err) {
    const source = values.store === undefined ? `$${STORE_ENV}` : "--store";
    throw new UsageError(`${source}: ${err instanceof Error ? err.message : String(err)}`, "dev");
  }

  const redisPrefix = values["redis-prefix"];
  const prefixProblem = redisPrefix === undefined ? undefined : redisPrefixProblem(redisPrefix);
  if (prefixProblem) throw new UsageError(`--redis-prefix: ${prefixProblem}`, "dev");

  // Loaded on demand so the other commands never load the whole service.
  const { startCerebro } = await import("../cerebro.js");
  let cerebro: Awaited<ReturnType<typeof startCerebro>>;
  try {
    cerebro = await startCerebro({
      port,
      host,
      ...(httpPort === undefined ? {} : { httpPort }),
      ...(storeText ? { store: storeText } : {}),
      ...(redisPrefix === undefined ? {} : { redisPrefix }),
    });
  } catch (err) {
    ctx.io.err(
      `dyna dev: could not start cerebro: ${err instanceof Error ? err.message : String(err)}`,
    );
    return EXIT_FAILED;
  }
  const { address, httpAddress } = cerebro;
  const http = httpAddress ? `; HTTP/JSON on http://${httpAddress}` : "";
  ctx.io.out(
    values.json
      ? JSON.stringify({ address, ...(httpAddress ? { httpAddress } : {}) })
      : `cerebro listening on ${address} (${describeStoreSpec(store)})${http}; point the CLI at it with ` +
          `--cerebro ${address} or ${ADDRESS_ENV}=${address}. Ctrl-C stops it.`,
  );
  const signal = await ctx.waitForShutdown();
  if (!values.json) ctx.io.err(`${signal}: stopping cerebro…`);
  await cerebro.stop();
  if (!values.json) ctx.io.err("cerebro stopped.");
  return EXIT_OK;
}
