// dyna health: cerebro's standard gRPC health check, which needs no credential.

import { createClient } from "@connectrpc/connect";
import { expectPositionals, type OptionsConfig, parseCommandArgs } from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";

/** grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING */
const SERVING = 1;
const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

interface HealthClient {
  check(request: { service: string }, options: { timeoutMs: number }): Promise<{ status: number }>;
}

/** The flags of `dyna health` (the common ones come on top). */
export const HEALTH_FLAGS = {
  service: { type: "string" },
} as const satisfies OptionsConfig;

/** `dyna health [--service NAME]`: exit 0 when cerebro serves, 1 when it does not. */
export async function healthCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("health", args, HEALTH_FLAGS);
  if (values.help) return printHelp(ctx.io, "health");
  expectPositionals("health", positionals, 0, 0, "");
  // Loaded on demand: the health service's descriptor is read from its .proto file.
  const { HealthService } = await import("@cordyna/cerebro/standard-services");
  const address = resolveAddress(values.cerebro, ctx.io.env);
  // The descriptor is loaded at run time, so the client is typed by hand.
  const client = createClient(HealthService, ctx.transport(address)) as unknown as HealthClient;
  const response = await client.check(
    { service: values.service ?? "" },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  const name = STATUS_NAMES[response.status] ?? String(response.status);
  ctx.io.out(values.json ? JSON.stringify({ status: name }) : name);
  return response.status === SERVING ? EXIT_OK : EXIT_FAILED;
}
