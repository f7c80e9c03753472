// dyna serve: a task-server whose tasks are commands, declared in a YAML file.

import { expectPositionals, type OptionsConfig, parseCommandArgs, UsageError } from "./args.js";
import { resolveAddress } from "./client.js";
import { type CliContext, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from "./context.js";
import { printHelp } from "./help.js";

/** The flags of `dyna serve` (the common ones come on top). */
export const SERVE_FLAGS = {
  check: { type: "boolean" },
  "instance-id": { type: "string" },
} as const satisfies OptionsConfig;

/**
 * `dyna serve <tasks.yaml> [--check] [--instance-id ID]`: checks the file,
 * then runs its tasks for cerebro until SIGINT or SIGTERM, and drains.
 */
export async function serveCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("serve", args, SERVE_FLAGS);
  if (values.help) return printHelp(ctx.io, "serve");
  expectPositionals("serve", positionals, 1, 1, "the tasks file: dyna serve <tasks.yaml>");
  const file = positionals[0] as string;
  const instanceId = values["instance-id"];
  if (instanceId !== undefined && instanceId.trim() === "") {
    throw new UsageError("--instance-id must not be empty", "serve");
  }

  // Loaded on demand so the other commands never load the SDK.
  const [{ CommandFileError, createCommandServer, loadCommandFile }, { DeclarationRejectedError }] =
    await Promise.all([import("@cordyna/task-server/command"), import("@cordyna/task-server")]);
  let spec: Awaited<ReturnType<typeof loadCommandFile>>;
  try {
    spec = await loadCommandFile(file);
  } catch (err) {
    if (!(err instanceof CommandFileError)) throw err;
    if (values.json) {
      ctx.io.out(JSON.stringify({ errors: err.issues }));
    } else {
      const count = err.issues.length;
      ctx.io.err(`dyna serve: ${file} has ${count} problem${count === 1 ? "" : "s"}:`);
      for (const issue of err.issues) ctx.io.err(`  ${issue.message}`);
    }
    return EXIT_USAGE;
  }
  const taskIds = spec.tasks.map((task) => task.options.id);
  if (values.check) {
    ctx.io.out(
      values.json
        ? JSON.stringify({ server: spec.server.name, tasks: taskIds })
        : `${file}: server ${spec.server.name} (team ${spec.server.team}) with ${taskIds.length} task${taskIds.length === 1 ? "" : "s"}: ${taskIds.join(", ")}`,
    );
    return EXIT_OK;
  }

  const address = resolveAddress(values.cerebro, ctx.io.env);
  const server = createCommandServer(spec, {
    cerebro: address,
    handleSignals: false,
    ...(instanceId === undefined ? {} : { instanceId }),
  });
  const shutdown = ctx.waitForShutdown();
  ctx.io.err(
    `dyna serve: ${spec.server.name} with ${taskIds.join(", ")}; connecting to cerebro at ${address}…`,
  );
  const first = await Promise.race([
    server.start().then(
      () => ({ started: true as const }),
      (error: unknown) => ({ error }),
    ),
    shutdown.then((signal) => ({ signal })),
  ]);
  if ("error" in first) {
    const message = first.error instanceof Error ? first.error.message : String(first.error);
    if (first.error instanceof DeclarationRejectedError) {
      const { issues } = first.error;
      if (issues.length === 0) {
        ctx.io.err(`dyna serve: cerebro refused the tasks of ${file}: ${message}`);
      } else {
        ctx.io.err(`dyna serve: cerebro refused the tasks of ${file}:`);
        for (const issue of issues) ctx.io.err(`  ${issue.message}`);
      }
      return EXIT_UNREACHABLE;
    }
    throw first.error;
  }
  if ("started" in first) {
    ctx.io.err(
      `dyna serve: serving as instance ${server.instanceId}. Ctrl-C or SIGTERM drains and stops.`,
    );
  }
  const signal = "signal" in first ? first.signal : await shutdown;
  ctx.io.err(`${signal}: draining (running commands may finish)…`);
  await server.drain();
  ctx.io.err("dyna serve: stopped.");
  return EXIT_OK;
}
