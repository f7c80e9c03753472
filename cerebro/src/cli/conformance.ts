// dyna conformance: checks a task-server implementation against the protocol's rules.

import { expectPositionals, parseCommandArgs, parseIntFlag, UsageError } from "./args.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";

/** Default ack deadline and cancel bound of `dyna conformance`, in ms. */
export const CONFORMANCE_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * `dyna conformance --server <name> --task <quick> --slow-task <slow>
 * [--timeout-ms N] [--json] -- <command…>`: starts the command with
 * CORDYNA_ADDR pointing at a stand-in cerebro, prints one line per rule and
 * exits 1 when any rule failed.
 */
export async function conformanceCommand(
  args: readonly string[],
  ctx: CliContext,
): Promise<number> {
  const dash = args.indexOf("--");
  const flags = dash < 0 ? args : args.slice(0, dash);
  const command = dash < 0 ? [] : args.slice(dash + 1);
  const { values, positionals } = parseCommandArgs("conformance", flags, {
    server: { type: "string" },
    task: { type: "string" },
    "slow-task": { type: "string" },
    "timeout-ms": { type: "string" },
  });
  if (values.help) return printHelp(ctx.io, "conformance");
  if (positionals.length > 0 && dash < 0) {
    throw new UsageError(
      `unexpected argument '${positionals[0]}': put the command that starts the task-server after --`,
      "conformance",
    );
  }
  expectPositionals("conformance", positionals, 0, 0, "");
  const serverName = values.server;
  const quickTask = values.task;
  const slowTask = values["slow-task"];
  if (!serverName) throw new UsageError("missing --server <name>", "conformance");
  if (!quickTask) throw new UsageError("missing --task <quick task id>", "conformance");
  if (!slowTask) throw new UsageError("missing --slow-task <slow task id>", "conformance");
  if (command.length === 0 || command[0] === "") {
    throw new UsageError(
      "missing the command that starts the task-server, after --",
      "conformance",
    );
  }
  const timeoutText = values["timeout-ms"];
  const timeoutMs =
    timeoutText === undefined
      ? CONFORMANCE_DEFAULT_TIMEOUT_MS
      : parseIntFlag("conformance", "timeout-ms", timeoutText, 100, 600_000);

  // Loaded on demand so the other commands never load the kit.
  const { formatReport, runConformance } = await import("../conformance/index.js");
  const report = await runConformance({ serverName, quickTask, slowTask, command, timeoutMs });
  if (values.json) {
    ctx.io.out(JSON.stringify(report, null, 2));
  } else {
    for (const line of formatReport(report)) ctx.io.out(line);
    const output = report.serverOutput.trim();
    if (!report.passed && output !== "") {
      ctx.io.err("Last output of the task-server:");
      ctx.io.err(output.replace(/^/gm, "  "));
    }
  }
  return report.passed ? EXIT_OK : EXIT_FAILED;
}
