// dyna test: a test run of tasks, with a change's candidate server in place
// of its server's live one, and a verdict per task-run by owning team.

import { type Run, RunMode, RunSchema, RunState, type TaskRun, TaskState } from "@cordyna/contract";
import {
  type OptionsConfig,
  parseChangeId,
  parseCommandArgs,
  parseParams,
  UsageError,
} from "./args.js";
import { resolveAddress } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import {
  isRunFinished,
  paint,
  renderJson,
  renderTable,
  runStateName,
  type Style,
  taskRunDetail,
  taskStateName,
} from "./render.js";
import { followRun, startRun } from "./run.js";

/** The flags of `dyna test` (the common ones come on top). */
export const TEST_FLAGS = {
  candidate: { type: "string" },
  downstream: { type: "boolean" },
  param: { type: "string", multiple: true },
} as const satisfies OptionsConfig;

/** `dyna test <task>...`: a RUN_MODE_TEST run, followed to its end, then a verdict per team. */
export async function testCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("test", args, TEST_FLAGS);
  if (values.help) return printHelp(ctx.io, "test");
  if (positionals.length === 0) {
    throw new UsageError("missing task: name at least one task to test", "test");
  }
  const candidate = values.candidate === undefined ? "" : parseChangeId("test", values.candidate);
  const params = parseParams("test", values.param ?? []);
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  const started = await startRun(client, {
    targets: positionals,
    withDownstream: values.downstream === true,
    params,
    mode: RunMode.TEST,
    candidate,
  });
  const run = started.run;
  if (run === undefined) {
    ctx.io.err("dyna: cerebro started the run but returned no run");
    return EXIT_FAILED;
  }
  const json = values.json === true;
  if (!json) {
    const what = candidate ? ` with the candidate of change ${candidate}` : "";
    ctx.io.out(`Test run ${run.id}${what}: ${run.taskRuns.length} task-run(s) planned`);
  }
  const final = await followRun(client, run, {});
  if (json) {
    ctx.io.out(renderJson(RunSchema, final));
  } else {
    ctx.io.out(renderVerdicts(final, ctx.style, ctx.now()));
    if (!isRunFinished(final.state)) {
      ctx.io.err(
        `dyna: cerebro closed the event stream while run ${final.id} is ${runStateName(final.state)}; ` +
          `check it with: dyna runs ${final.id}`,
      );
    }
  }
  return final.state === RunState.SUCCEEDED ? EXIT_OK : EXIT_FAILED;
}

/** Whether a task-run of a test run passed: it completed. */
function passed(taskRun: TaskRun): boolean {
  return taskRun.state === TaskState.COMPLETED;
}

/**
 * One table per owning team, teams in order: each of its task-runs with
 * PASS or FAIL, its server (marked when the candidate served it), and why
 * it failed; then a line that counts them.
 */
export function renderVerdicts(run: Run, style: Style, nowMs: number): string {
  const byTeam = new Map<string, TaskRun[]>();
  for (const taskRun of run.taskRuns) {
    const team = taskRun.owner?.team ?? "";
    byTeam.set(team, [...(byTeam.get(team) ?? []), taskRun]);
  }
  const candidateServer = run.candidate ? run.candidateServerName : undefined;
  const sections = [...byTeam.keys()].sort().map((team) => {
    const rows = (byTeam.get(team) ?? []).map((taskRun) => [
      taskRun.taskId,
      passed(taskRun) ? paint(style, "green", "PASS") : paint(style, "red", "FAIL"),
      taskRun.serverName === candidateServer
        ? `${taskRun.serverName} (candidate ${run.candidate})`
        : taskRun.serverName,
      passed(taskRun) ? "" : `${taskStateName(taskRun.state)} ${taskRunDetail(taskRun, nowMs)}`,
    ]);
    return `Team ${team || "(none)"}\n${renderTable(["TASK", "RESULT", "SERVER", "WHY"], rows, style)}`;
  });
  const failed = run.taskRuns.filter((taskRun) => !passed(taskRun)).length;
  const total = run.taskRuns.length;
  const verdict =
    failed === 0
      ? paint(style, "green", `PASSED: ${total} of ${total} task-runs passed`)
      : paint(style, "red", `FAILED: ${failed} of ${total} task-runs failed`);
  return [...sections, verdict].join("\n\n");
}
