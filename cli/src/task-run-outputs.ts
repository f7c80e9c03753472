// What each task-run of a run returned, how its commands ended, and what
// its tasks said about their errors, for `dyna runs <run-id>`.

import type { Run } from "@cordyna/contract";
import { paint, type Style } from "./render.js";

/**
 * "Outputs:" with each task-run's outputs, "Command output:" with each
 * attempt whose command ended: its exit code and the end of its output, and
 * "Error details:" with each failed attempt whose task reported details
 * about its error, under its error type. Empty when the run has none.
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
  const errors = run.taskRuns.flatMap((taskRun) =>
    taskRun.attempts
      .filter((attempt) => Object.keys(attempt.errorDetails).length > 0)
      .flatMap((attempt) => [
        `  ${taskRun.taskId} #${attempt.number}${attempt.errorType === "" ? "" : `: ${attempt.errorType}`}`,
        ...Object.keys(attempt.errorDetails)
          .sort()
          .map((key) =>
            indented(`${paint(style, "dim", `${key}:`)} ${attempt.errorDetails[key]}`, 4),
          ),
      ]),
  );
  const parts: string[] = [];
  for (const [title, lines] of [
    ["Outputs:", outputs],
    ["Command output:", commands],
    ["Error details:", errors],
  ] as const) {
    if (lines.length === 0) continue;
    if (parts.length > 0) parts.push("");
    parts.push(title, ...lines);
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
