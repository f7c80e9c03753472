import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "./main.js";
import { fakeCli } from "./test-support.js";

const TASKS = ["--server", "s", "--task", "s.quick", "--slow-task", "s.slow"];

describe("dyna conformance usage", () => {
  it("names each missing flag and the missing command", async () => {
    for (const [argv, message] of [
      [["conformance", "--task", "q", "--slow-task", "s", "--", "x"], "missing --server <name>"],
      [["conformance", "--server", "s", "--slow-task", "s", "--", "x"], "missing --task"],
      [["conformance", "--server", "s", "--task", "q", "--", "x"], "missing --slow-task"],
      [["conformance", ...TASKS], "missing the command that starts the task-server, after --"],
      [["conformance", ...TASKS, "--"], "missing the command that starts the task-server"],
      [
        ["conformance", ...TASKS, "node", "server.js"],
        "put the command that starts the task-server after --",
      ],
      [["conformance", ...TASKS, "--timeout-ms", "soon", "--", "x"], "bad --timeout-ms 'soon'"],
    ] as const) {
      const { io, overrides } = fakeCli();
      expect(await runCli(argv, overrides), argv.join(" ")).toBe(2);
      expect(io.stderr[0], argv.join(" ")).toContain(message);
    }
  });

  it("takes TLS files in pairs, readable, and a client certificate only with the CA that checks it", async () => {
    const file = fileURLToPath(import.meta.url);
    const server = ["--tls-cert", file, "--tls-key", file];
    for (const [flags, message] of [
      [["--tls-cert", file], "--tls-cert and --tls-key go together: give both"],
      [["--tls-ca", file], "--tls-ca needs --tls-cert and --tls-key"],
      [
        ["--tls-cert", "no-such.pem", "--tls-key", file],
        "bad --tls-cert 'no-such.pem': cannot read it (ENOENT)",
      ],
      [
        [...server, "--tls-client-cert", file],
        "--tls-client-cert and --tls-client-key go together",
      ],
      [
        [...server, "--tls-client-cert", file, "--tls-client-key", file],
        "--tls-client-cert needs --tls-ca: the kit checks the client certificate against that CA",
      ],
    ] as const) {
      const { io, overrides } = fakeCli();
      expect(await runCli(["conformance", ...TASKS, ...flags, "--", "x"], overrides)).toBe(2);
      expect(io.stderr[0], flags.join(" ")).toContain(message);
    }
  });

  it("flags after -- belong to the command, not to dyna", async () => {
    const { io, overrides } = fakeCli();
    // --bogus before -- is dyna's (unknown); after it, the server's.
    expect(await runCli(["conformance", ...TASKS, "--bogus", "--", "x"], overrides)).toBe(2);
    expect(io.stderr[0]).toContain('unknown flag --bogus for "dyna conformance"');
  });

  it("--help prints the rules", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["conformance", "--help"], overrides)).toBe(0);
    const help = io.stdout.join("\n");
    for (const rule of [
      "hello",
      "ack-deadline",
      "legal-order",
      "resend-after-reconnect",
      "clean-drain",
      "bearer-token",
    ]) {
      expect(help).toContain(rule);
    }
  });
});
