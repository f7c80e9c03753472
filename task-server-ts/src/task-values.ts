// What an attempt takes and gives as the protocol carries it: params
// checked by the task's schema, outputs and error details encoded as text,
// and everything kept within the limits of the proto, which would otherwise
// end the stream (task_server.proto, TaskStateUpdate).

import type { StandardSchemaV1 } from "@standard-schema/spec";
import { NonRetryableError, TaskError } from "./errors.js";
import type { TaskOutputs } from "./types.js";

/** The error type of an attempt whose params its schema refused. */
export const INVALID_PARAMS = "InvalidParams";
/** The error type of an attempt whose outputs could not be reported. */
export const INVALID_OUTPUTS = "InvalidOutputs";

/** The proto's limits on outputs. */
const MAX_OUTPUTS = 1000;
const MAX_OUTPUT_NAME_BYTES = 256;
/** The proto's limits on error_type and error_details. */
export const MAX_ERROR_TYPE_BYTES = 256;
export const MAX_ERROR_DETAILS = 32;
export const MAX_ERROR_DETAIL_KEY_BYTES = 128;
export const MAX_ERROR_DETAIL_VALUE_BYTES = 2048;
/** Problems named one by one in a description; the rest are counted. */
const MAX_PROBLEMS_DESCRIBED = 20;
/** The key standing for details left out past MAX_ERROR_DETAILS. */
export const DETAILS_LEFT_OUT = "(left out)";

/** Control and format characters, which the proto refuses in names and types. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}]/u;
const UNPRINTABLE_ALL = /[\p{Cc}\p{Cf}]/gu;

type Checked<T> = StandardSchemaV1.Result<T> | Promise<StandardSchemaV1.Result<T>>;

/** True for a promise or any other thenable. */
export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Checks `value` with `schema` and hands its output to `then`, at once when
 * the schema answers at once (most do), or once its promise settles.
 * Throws (or rejects with) what `refuse` makes of the issues.
 */
export function checked<T, R>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
  refuse: (issues: readonly StandardSchemaV1.Issue[]) => Error,
  then: (output: T) => R,
): R | Promise<Awaited<R>> {
  const result: Checked<T> = schema["~standard"].validate(value);
  const settle = (outcome: StandardSchemaV1.Result<T>): R => {
    if (outcome.issues) throw refuse(outcome.issues);
    return then(outcome.value);
  };
  if (isThenable<StandardSchemaV1.Result<T>>(result)) {
    return Promise.resolve(result).then(settle) as Promise<Awaited<R>>;
  }
  return settle(result);
}

/** The NonRetryableError of params a schema refused, naming each field and problem. */
export function invalidParams(issues: readonly StandardSchemaV1.Issue[]): NonRetryableError {
  return refusal("params", INVALID_PARAMS, issues);
}

/** The NonRetryableError of outputs a schema refused, naming each output and problem. */
export function invalidOutputs(issues: readonly StandardSchemaV1.Issue[]): NonRetryableError {
  return refusal("outputs", INVALID_OUTPUTS, issues);
}

function refusal(
  what: "params" | "outputs",
  type: string,
  issues: readonly StandardSchemaV1.Issue[],
): NonRetryableError {
  const byField = new Map<string, string[]>();
  for (const issue of issues) {
    const field = pathOf(issue);
    const messages = byField.get(field) ?? [];
    messages.push(issue.message || "invalid");
    byField.set(field, messages);
  }
  const problems = [...byField].map(([field, messages]) => ({
    field,
    problem: messages.join("; "),
  }));
  const named = problems
    .slice(0, MAX_PROBLEMS_DESCRIBED)
    .map(({ field, problem }) => (field === "" ? problem : `${field}: ${problem}`));
  const more = problems.length - named.length;
  if (more > 0) named.push(`and ${more} more`);
  return new NonRetryableError(`invalid ${what}: ${named.join("; ") || "refused by the schema"}`, {
    type,
    details: Object.fromEntries(
      problems.map(({ field, problem }) => [field === "" ? `(${what})` : field, problem]),
    ),
  });
}

/** "items.0.name" for the issue's path; "" for the whole value. */
function pathOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => {
      const key = typeof segment === "object" && segment !== null ? segment.key : segment;
      return typeof key === "symbol" ? (key.description ?? "symbol") : String(key);
    })
    .join(".");
}

/** A value as text, the way outputs and error details travel; or why it cannot be. */
export function encodeValue(value: unknown): { text: string } | { problem: string } {
  switch (typeof value) {
    case "string":
      return { text: value };
    case "number":
    case "boolean":
    case "bigint":
      return { text: String(value) };
    case "function":
    case "symbol":
      return { problem: `a ${typeof value} cannot be encoded as text` };
    case "undefined":
      return { problem: "undefined cannot be encoded as text" };
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime())
      ? { problem: "an invalid date cannot be encoded as text" }
      : { text: value.toISOString() };
  }
  try {
    const json = JSON.stringify(value);
    return json === undefined ? { problem: "JSON cannot encode it" } : { text: json };
  } catch (error) {
    return {
      problem: `JSON cannot encode it: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** True for an object whose own string keys are the outputs (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The outputs of a record, each value encoded as text and undefined ones
 * left out. Throws a NonRetryableError of type "InvalidOutputs" naming every
 * output that cannot be encoded or whose name the protocol refuses.
 */
export function encodeOutputs(record: Record<string, unknown>): TaskOutputs {
  const outputs: TaskOutputs = {};
  const problems: StandardSchemaV1.Issue[] = [];
  let count = 0;
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    count++;
    const nameProblem = outputNameProblem(name);
    if (nameProblem) {
      problems.push({ message: nameProblem, path: [printable(clip(name, 64))] });
      continue;
    }
    const encoded = encodeValue(value);
    if ("problem" in encoded) problems.push({ message: encoded.problem, path: [name] });
    else outputs[name] = encoded.text;
  }
  if (count > MAX_OUTPUTS) {
    problems.unshift({ message: `${count} outputs, more than the ${MAX_OUTPUTS} allowed` });
  }
  if (problems.length > 0) throw invalidOutputs(problems);
  return outputs;
}

function outputNameProblem(name: string): string | undefined {
  if (name === "") return "an output's name must not be empty";
  // At most 3 bytes of UTF-8 per UTF-16 unit: most names need no counting.
  if (name.length * 3 > MAX_OUTPUT_NAME_BYTES && Buffer.byteLength(name) > MAX_OUTPUT_NAME_BYTES) {
    return `the name is longer than ${MAX_OUTPUT_NAME_BYTES} bytes`;
  }
  if (UNPRINTABLE.test(name)) return "the name contains control or format characters";
  return undefined;
}

/** What an attempt's ERROR update says about the error. */
export interface ErrorFacts {
  /** Never empty. */
  readonly description: string;
  /** "" when the error has none. */
  readonly type: string;
  /** Within the proto's limits. */
  readonly details: Record<string, string>;
  readonly nonRetryable: boolean;
}

/**
 * What the ERROR update says about a thrown value: its message; the type a
 * TaskError (or NonRetryableError) was given, or any other error's class
 * name (`name`: TypeError, AbortError, a class of your own) unless that is
 * plain "Error", which says nothing; a TaskError's details, encoded as text;
 * and whether it is non-retryable. Type and details are cut to the proto's
 * limits.
 */
export function errorFactsOf(error: unknown): ErrorFacts {
  const description = describeError(error);
  if (error instanceof TaskError) {
    return {
      description,
      type: errorTypeOf(error.type),
      details: errorDetailsOf(error.details),
      nonRetryable: error.nonRetryable,
    };
  }
  const name = error instanceof Error && typeof error.name === "string" ? error.name : "";
  return {
    description,
    type: name === "Error" ? "" : errorTypeOf(name),
    details: {},
    nonRetryable: false,
  };
}

/** The error's message, in the task's own words; never empty. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name || "error";
  if (typeof error === "string" && error !== "") return error;
  return `handler threw ${String(error)}`;
}

function errorTypeOf(type: string): string {
  return clip(printable(type), MAX_ERROR_TYPE_BYTES);
}

/** Details as text, within the proto's limits: the first ones, names and values cut. */
export function errorDetailsOf(details: Readonly<Record<string, unknown>>): Record<string, string> {
  const entries = Object.entries(details).filter(([, value]) => value !== undefined);
  const kept =
    entries.length > MAX_ERROR_DETAILS ? entries.slice(0, MAX_ERROR_DETAILS - 1) : entries;
  const out: Record<string, string> = {};
  for (const [key, value] of kept) {
    const encoded = encodeValue(value);
    const text = "text" in encoded ? encoded.text : `(${encoded.problem})`;
    out[clip(printable(key), MAX_ERROR_DETAIL_KEY_BYTES) || "(empty)"] = clip(
      text,
      MAX_ERROR_DETAIL_VALUE_BYTES,
    );
  }
  if (kept.length < entries.length) {
    out[DETAILS_LEFT_OUT] = `${entries.length - kept.length} more details`;
  }
  return out;
}

/** The text with control and format characters replaced by "?". */
function printable(text: string): string {
  return text.replace(UNPRINTABLE_ALL, "?");
}

/** The text cut to at most `maxBytes` of UTF-8, ending in "…" when cut, never within a character. */
export function clip(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  const budget = maxBytes - 3;
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > budget) break;
    bytes += size;
    end += character.length;
  }
  return `${text.slice(0, end)}…`;
}
