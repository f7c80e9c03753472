// The contract's limits are buf.validate annotations in the proto: checking a
// message against them, and saying what it breaks.

import { create, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { createValidator, type Violation } from "@bufbuild/protovalidate";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The patterns of the contract's rules, compiled once each. They run on
 * every key of every update's outputs, where the library's default RE2
 * engine (written in JavaScript) costs about 3 µs a key, ten times the
 * platform's. The platform's is safe here: every pattern comes from our own
 * proto, written so that RE2 and JavaScript read it alike (plain character
 * classes, bounded repeats), and none can backtrack.
 */
const patterns = new Map<string, RegExp>();
function matchNatively(pattern: string, against: string): boolean {
  let compiled = patterns.get(pattern);
  if (!compiled) {
    compiled = new RegExp(pattern, "u");
    patterns.set(pattern, compiled);
  }
  return compiled.test(against);
}

/**
 * The limits of the contract are buf.validate annotations in the proto; this
 * enforces them. One validator for the process: it compiles the rules of each
 * message type once and keeps them.
 */
const validator = createValidator({ regexMatch: matchNatively });

/**
 * Compiles the rules of every request the services take, at start, rather
 * than while the first task-server's declaration waits (and everyone with
 * it): the first check of a type compiles its rules, tens of milliseconds.
 */
export function compileRules(services: readonly DescService[]): void {
  for (const service of services) {
    for (const method of service.methods) violationsOf(method.input, create(method.input));
  }
}

/** What the message breaks, one violation per field and rule; empty when it keeps every limit. */
export function violationsOf<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): readonly Violation[] {
  const result = validator.validate(schema, message);
  switch (result.kind) {
    case "valid":
      return [];
    case "invalid":
      return result.violations;
    case "error":
      // A rule that does not compile is a bug in the contract, not the caller's fault.
      throw new ConnectError(
        `cannot check ${schema.typeName}: ${result.error.message}`,
        Code.Internal,
      );
  }
}

/** Control and format characters, such as NUL and U+202E (right-to-left override). */
const UNPRINTABLE = /[\p{Cc}\p{Cf}]/gu;

/**
 * "field.path: what is wrong [rule]", e.g. `description: must be at most 4096
 * bytes [string.max_bytes]`. A map key in the path is the caller's text: its
 * control and format characters are escaped, so that the message cannot
 * corrupt the log line or terminal that shows it.
 */
export function describeViolation(violation: Violation): string {
  return violation.toString().replace(UNPRINTABLE, (character) => {
    const hex = character.codePointAt(0)!.toString(16);
    return hex.length <= 4 ? `\\u${hex.padStart(4, "0")}` : `\\u{${hex}}`;
  });
}

/** Each violation described, in the order found. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations.map(describeViolation).join("; ");
}
