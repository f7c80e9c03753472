// How conformance results read: durations, states, one line per rule.

import { TaskState } from "@cordyna/contract";
import type { ConformanceReport, RuleResult } from "./rules.js";

/** "12 ms" below a second, "2.4 s" from there on. */
export function formatMs(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  return rounded < 1_000 ? `${rounded} ms` : `${(rounded / 1_000).toFixed(1)} s`;
}

/** A task state's name, e.g. "COMPLETED". */
export function stateName(state: TaskState): string {
  return TaskState[state] ?? `state ${state}`;
}

/** One rule as one line: "PASS  hello  reason (12 ms)". */
export function formatResult(result: RuleResult, width = 24): string {
  const reason = result.reason.replace(/\s*\n\s*/g, " ");
  return `${result.passed ? "PASS" : "FAIL"}  ${result.rule.padEnd(width)} ${reason} (${formatMs(result.durationMs)})`;
}

/** One line per rule, then a one-line verdict. */
export function formatReport(report: ConformanceReport): string[] {
  const width = Math.max(...report.rules.map((result) => result.rule.length));
  const failed = report.rules.filter((result) => !result.passed).length;
  // Plaintext is the default and goes unsaid; TLS is what the caller asked to check.
  const over = report.transport === "plaintext" ? "" : ` over ${report.transport}`;
  return [
    ...report.rules.map((result) => formatResult(result, width)),
    failed === 0
      ? `${report.serverName}: all ${report.rules.length} rules passed${over} in ${formatMs(report.durationMs)}`
      : `${report.serverName}: ${failed} of ${report.rules.length} rules failed${over}`,
  ];
}
