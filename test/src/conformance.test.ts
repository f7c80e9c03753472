// The conformance kit against the TypeScript SDK (also over mutual TLS),
// against a hand-written implementation of the protocol, and against broken
// variants of the latter: each break fails exactly the rule it breaks, with
// a reason that says why.
import {
  type ConformanceOptions,
  type ConformanceReport,
  formatReport,
  RULES,
  type RuleId,
  runConformance,
} from "@cordyna/cli/conformance";
import { describe, expect, it } from "vitest";
import { createTestPki } from "../../cerebro/src/testing/index.js";
import { exitCode, ROOT, spawnTs } from "./processes.js";

const SDK_SERVER = "test/src/fixtures/conformance-server.ts";
const RAW_SERVER = "test/src/fixtures/conformance-raw-server.ts";

function options(file: string, extra: Partial<ConformanceOptions> = {}): ConformanceOptions {
  return {
    serverName: "conformance-server",
    quickTask: "conformance.quick",
    slowTask: "conformance.slow",
    command: [process.execPath, "--import", "tsx", file],
    cwd: ROOT,
    env: { LOG_LEVEL: "warn" },
    ...extra,
  };
}

/** The report as dyna prints it, and the server's output: the message of a failed expectation. */
function explain(report: ConformanceReport): string {
  return [...formatReport(report), "server output:", report.serverOutput].join("\n");
}

function reasonOf(report: ConformanceReport, rule: RuleId): string | undefined {
  return report.rules.find((result) => result.rule === rule)?.reason;
}

function failedRules(report: ConformanceReport): RuleId[] {
  return report.rules.filter((result) => !result.passed).map((result) => result.rule);
}

/** `dyna conformance` against the SDK, with `flags` added; resolves with its exit code and output. */
async function dynaConformance(flags: readonly string[] = []) {
  const child = spawnTs(
    "dyna",
    "cli/src/bin.ts",
    [
      "conformance",
      "--server",
      "conformance-server",
      "--task",
      "conformance.quick",
      "--slow-task",
      "conformance.slow",
      ...flags,
      "--",
      "node",
      "--import",
      "tsx",
      SDK_SERVER,
    ],
    { LOG_LEVEL: "warn" },
  );
  return { code: await exitCode(child), output: child.output() };
}

describe("conformance kit", () => {
  it("the TypeScript SDK passes every rule", { timeout: 90_000 }, async () => {
    const report = await runConformance(options(SDK_SERVER));
    expect(report.rules.map((result) => result.rule)).toEqual(RULES.map(({ rule }) => rule));
    expect(failedRules(report), explain(report)).toEqual([]);
    expect(report.passed).toBe(true);
    // The slow task declares a heartbeat deadline of 1 s and runs 2.5 s: it had to heartbeat.
    expect(reasonOf(report, "heartbeat-deadline")).toMatch(
      /^[1-9]\d* AttemptProgress of conformance\.slow until its COMPLETED 2\.\d s after STARTED, at most \d+ ms apart \(heartbeat deadline 1\.0 s\)$/,
    );
  });

  it("a hand-written implementation (no SDK) that follows the protocol passes every rule", {
    timeout: 90_000,
  }, async () => {
    const report = await runConformance(options(RAW_SERVER, { timeoutMs: 2_000 }));
    expect(failedRules(report), explain(report)).toEqual([]);
    expect(reasonOf(report, "heartbeat-deadline")).toMatch(
      /^[1-9]\d* AttemptProgress of conformance\.slow until its COMPLETED/,
    );
  });

  const breaks: Array<{ fault: string; rule: RuleId; reason: RegExp }> = [
    {
      fault: "late-ack",
      rule: "ack-deadline",
      reason:
        /^STARTED came \d+(\.\d)? m?s after the Invoke of conformance\.quick: later than the ack deadline of 2\.0 s$/,
    },
    {
      fault: "completed-first",
      rule: "legal-order",
      reason:
        /^attempt conformance-\w+-ack: COMPLETED before STARTED \(reported COMPLETED → STARTED\)/,
    },
    {
      fault: "duplicate",
      rule: "duplicate-invoke",
      reason:
        /attempt conformance-\w+-duplicate reported 2 × STARTED, 2 × COMPLETED; expected exactly one STARTED and one COMPLETED/,
    },
    {
      fault: "ignore-cancel",
      rule: "cancel",
      // Which comes first depends on timing: the bound, or the slow task ending.
      reason:
        /^(still running 2\.0 s after the Cancel: no ERROR, and all \d+ Heartbeats since list conformance-\w+-cancel|conformance\.slow reported COMPLETED \d+(\.\d)? m?s after the Cancel: the Cancel was not honoured)$/,
    },
    {
      fault: "no-resend",
      rule: "resend-after-reconnect",
      reason:
        /^after the reconnect, 0 of 2 unacknowledged updates were resent within 2\.0 s of the Welcome; missing: STARTED of conformance-\w+-resend, COMPLETED of conformance-\w+-resend$/,
    },
    {
      fault: "silent",
      rule: "heartbeat-deadline",
      reason:
        /^no AttemptProgress of conformance\.slow for 2\.\d s after STARTED until its COMPLETED: longer than its heartbeat deadline of 1\.0 s, so cerebro would end it in ERROR\(HEARTBEAT_TIMEOUT\)$/,
    },
    {
      fault: "ignore-token",
      rule: "bearer-token",
      reason:
        /^stream 1 carried no authorization header: send `authorization: Bearer \$CORDYNA_TOKEN` on every Connect stream when CORDYNA_TOKEN is set \(the kit set it to a fresh token\)$/,
    },
    {
      fault: "other-token",
      rule: "bearer-token",
      reason: /^stream 1 carried token 0{16}, not token [0-9a-f]{16} from CORDYNA_TOKEN: send /,
    },
  ];

  it.concurrent.each(breaks)(
    "an implementation with fault $fault fails exactly the rule $rule",
    { timeout: 90_000 },
    async ({ fault, rule, reason }) => {
      const report = await runConformance(
        options(RAW_SERVER, {
          timeoutMs: 2_000,
          env: { CONFORMANCE_FAULT: fault, CONFORMANCE_ACK_DELAY_MS: "3000" },
        }),
      );
      expect(failedRules(report), explain(report)).toEqual([rule]);
      expect(report.rules.find((result) => result.rule === rule)?.reason).toMatch(reason);
      expect(report.passed).toBe(false);
    },
  );

  it("a server that never connects fails hello, and every other rule is not checked", async () => {
    const report = await runConformance(
      options(RAW_SERVER, { command: [process.execPath, "-e", "process.exit(3)"] }),
    );
    expect(report.rules[0]?.reason).toBe("the process exited with code 3 before saying hello");
    for (const result of report.rules.slice(1)) {
      expect(result.reason).toBe("not checked: the server never said hello");
    }
    expect(failedRules(report)).toHaveLength(RULES.length);
  });

  it("dyna conformance against the SDK exits 0 with one line per rule", {
    timeout: 90_000,
  }, async () => {
    const { code, output } = await dynaConformance();
    expect(code, output).toBe(0);
    const lines = output.split("\n").filter((line) => /^(PASS|FAIL) /.test(line));
    expect(lines.map((line) => line.split(/\s+/)[1])).toEqual(RULES.map(({ rule }) => rule));
    expect(lines.every((line) => line.startsWith("PASS "))).toBe(true);
    expect(output).toContain(`conformance-server: all ${RULES.length} rules passed`);
  });

  it("dyna conformance with TLS flags: the SDK passes every rule over mutual TLS", {
    timeout: 90_000,
  }, async () => {
    const pki = createTestPki();
    try {
      const files = [
        ["--tls-cert", "server.pem"],
        ["--tls-key", "server.key"],
        ["--tls-ca", "ca.pem"],
        ["--tls-client-cert", "client.pem"],
        ["--tls-client-key", "client.key"],
      ] as const;
      const { code, output } = await dynaConformance(
        files.flatMap(([flag, file]) => [flag, pki.path(file)]),
      );
      expect(code, output).toBe(0);
      expect(output).toContain(
        `conformance-server: all ${RULES.length} rules passed over mutual TLS`,
      );
    } finally {
      pki.remove();
    }
  });
});
