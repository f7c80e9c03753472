// The conformance kit: checks any task-server implementation against the
// rules of the cordyna.v1 task-server protocol. `dyna conformance` runs it
// from the command line; CI and tests call runConformance directly.

export { formatMs, formatReport, formatResult } from "./format.js";
export {
  type ConformanceOptions,
  type ConformanceReport,
  RULES,
  type RuleId,
  type RuleResult,
  runConformance,
} from "./rules.js";
export type { CertificateFiles, ConformanceTls, KitTransport } from "./tls.js";
