// dyna conformance: checks a task-server implementation against the protocol's rules.

import { accessSync, constants } from "node:fs";
import {
  expectPositionals,
  type OptionsConfig,
  parseCommandArgs,
  parseIntFlag,
  UsageError,
} from "./args.js";
import type { CertificateFiles, ConformanceTls } from "./conformance/index.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";

/** Default ack deadline and cancel bound of `dyna conformance`, in ms. */
export const CONFORMANCE_DEFAULT_TIMEOUT_MS = 10_000;

/** The flags naming PEM files, for the kit to serve TLS and for the implementation to use. */
const TLS_FLAGS = ["tls-cert", "tls-key", "tls-ca", "tls-client-cert", "tls-client-key"] as const;
type TlsFlag = (typeof TLS_FLAGS)[number];

/** The flags of `dyna conformance` (the common ones come on top). */
export const CONFORMANCE_FLAGS = {
  server: { type: "string" },
  task: { type: "string" },
  "slow-task": { type: "string" },
  "timeout-ms": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-client-cert": { type: "string" },
  "tls-client-key": { type: "string" },
} as const satisfies OptionsConfig;

/**
 * `dyna conformance --server <name> --task <quick> --slow-task <slow>
 * [--timeout-ms N] [--tls-cert F --tls-key F [--tls-ca F]
 * [--tls-client-cert F --tls-client-key F]] [--json] -- <command…>`: starts
 * the command with CORDYNA_ADDR pointing at a stand-in cerebro, prints one
 * line per rule and exits 1 when any rule failed.
 */
export async function conformanceCommand(
  args: readonly string[],
  ctx: CliContext,
): Promise<number> {
  const dash = args.indexOf("--");
  const flags = dash < 0 ? args : args.slice(0, dash);
  const command = dash < 0 ? [] : args.slice(dash + 1);
  const { values, positionals } = parseCommandArgs("conformance", flags, CONFORMANCE_FLAGS);
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
  const tls = tlsFromFlags(values);

  // Loaded on demand so the other commands never load the kit.
  const { formatReport, runConformance } = await import("./conformance/index.js");
  const report = await runConformance({
    serverName,
    quickTask,
    slowTask,
    command,
    timeoutMs,
    ...(tls ? { tls } : {}),
  });
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

/**
 * The TLS flags as the kit's options, or undefined for plaintext. Halves of
 * a pair, files that cannot be read and a client certificate the kit could
 * not check are usage errors, caught before anything starts.
 */
function tlsFromFlags(values: Partial<Record<TlsFlag, string>>): ConformanceTls | undefined {
  for (const flag of TLS_FLAGS) {
    const file = values[flag];
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new UsageError(`bad --${flag} '${file}': cannot read it (${reason})`, "conformance");
    }
  }
  const server = certificateFlags(values, "tls-cert", "tls-key");
  const client = certificateFlags(values, "tls-client-cert", "tls-client-key");
  const caFile = values["tls-ca"];
  if (server === undefined) {
    const stray = TLS_FLAGS.find((flag) => values[flag] !== undefined);
    if (stray === undefined) return undefined;
    throw new UsageError(
      `--${stray} needs --tls-cert and --tls-key: without them the kit serves plaintext`,
      "conformance",
    );
  }
  if (client !== undefined && caFile === undefined) {
    throw new UsageError(
      "--tls-client-cert needs --tls-ca: the kit checks the client certificate against that CA",
      "conformance",
    );
  }
  return {
    server,
    ...(caFile === undefined ? {} : { caFile }),
    ...(client === undefined ? {} : { client }),
  };
}

function certificateFlags(
  values: Partial<Record<TlsFlag, string>>,
  certFlag: TlsFlag,
  keyFlag: TlsFlag,
): CertificateFiles | undefined {
  const certFile = values[certFlag];
  const keyFile = values[keyFlag];
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError(`--${certFlag} and --${keyFlag} go together: give both`, "conformance");
  }
  return { certFile, keyFile };
}
