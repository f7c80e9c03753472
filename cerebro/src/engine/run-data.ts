import { CordynaError, ErrorCode } from "../domain/errors.js";
import type { UpstreamOutputs } from "./dispatch.js";

/**
 * The most bytes of a run's params, and of one task-run's outputs, by
 * default: well below what one Invoke can carry (4 MiB), because params and
 * outputs are meant to be references to data (a path, a table, a date), not
 * the data.
 */
export const DEFAULT_MAX_RUN_DATA_BYTES = 256 * 1024;

/** The size of params or outputs: their keys and values in UTF-8. */
export function runDataBytes(data: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(data)) {
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return bytes;
}

/** Refuses params or outputs over the limit, with a message naming it. */
export function checkRunData(
  what: "params" | "outputs",
  data: Readonly<Record<string, string>>,
  maxBytes: number,
): string | undefined {
  const bytes = runDataBytes(data);
  if (bytes <= maxBytes) return undefined;
  return `${what} take ${bytes} bytes, more than the limit of ${maxBytes} bytes (CORDYNA_MAX_RUN_DATA_BYTES): pass references to data (a path, a table name), not the data`;
}

/** Throws INVALID_ARGUMENT when a run's params are over the limit. */
export function assertRunParams(params: Readonly<Record<string, string>>, maxBytes: number): void {
  const problem = checkRunData("params", params, maxBytes);
  if (problem) throw new CordynaError(ErrorCode.INVALID_ARGUMENT, problem);
}

/**
 * The outputs of a task-run's upstream to put in its invoke, in order, each
 * whole or not at all: once their total would pass `maxBytes`, the rest are
 * marked omitted, so that many upstream tasks cannot make an invoke larger
 * than one task's outputs may be. Upstream without outputs are left out.
 */
export function upstreamOutputs(
  upstream: readonly {
    readonly taskId: string;
    readonly outputs: Readonly<Record<string, string>>;
  }[],
  maxBytes: number,
): UpstreamOutputs[] {
  let left = maxBytes;
  const passed: UpstreamOutputs[] = [];
  for (const { taskId, outputs } of upstream) {
    const bytes = runDataBytes(outputs);
    if (bytes === 0) continue;
    const fits = bytes <= left;
    if (fits) left -= bytes;
    passed.push({ taskId, outputs: fits ? outputs : {}, omitted: !fits });
  }
  return passed;
}
