// What each task-run of a run returned, and how its commands ended, for
// `dyna runs <run-id>`.

import type { Run } from "@cordyna/contract";
import { paint, type Style } from "./render.js";

/**
 * "Outputs:" with each task-run's outputs, and "Command output:" with each
 * attempt whose command ended: its exit code and the end of its output.
 * Empty when the run has neither.
 */
export function renderTaskRunOutputs(run: Run, style: Style): string {
  const outputs = run.taskRuns
    .filter((taskRun) => Object.keys(taskRun.outputs).length > 0)
    .flatMap((taskRun) => [
      `  ${taskRun.taskId}`,
      ...Object.keys(taskRun.outputs)
        .sort()
        .map((key) => indented(`${paint(style, "dim", `${key}:`)} ${taskRun.outputs[key]}`, 4)),
    ]);
  const commands = run.taskRuns.flatMap((taskRun) =>
    taskRun.attempts
      .filter((attempt) => attempt.exitCode !== undefined || attempt.outputTail !== "")
      .flatMap((attempt) => [
        `  ${taskRun.taskId} #${attempt.number}: ${
          attempt.exitCode === undefined
            ? "ended without an exit code (killed by a signal)"
            : `exit code ${attempt.exitCode}`
        }`,
        ...(attempt.outputTail === "" ? [] : [indented(attempt.outputTail, 4)]),
      ]),
  );
  const parts: string[] = [];
  if (outputs.length > 0) parts.push("Outputs:", ...outputs);
  if (commands.length > 0) {
    if (parts.length > 0) parts.push("");
    parts.push("Command output:", ...commands);
  }
  return parts.join("\n");
}

/** Every line of `text` indented by `by` spaces. */
function indented(text: string, by: number): string {
  const pad = " ".repeat(by);
  return text
    .split("\n")
    .map((line) => `${pad}${line}`)
    .join("\n");
}
