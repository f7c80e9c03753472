// The seed demo: cerebro, task-server-a and task-server-b as three processes,
// the seed's graph run twice, a readable timeline, and a check that everything
// behaved as the seed says. Exits 0 when it did.
import { runCli } from "@cordyna/cli";
import { type Run, RunState, TaskState } from "@cordyna/contract";
import {
  type Child,
  type ControlClient,
  spawnTs,
  startCerebroProcess,
  waitForServers,
} from "../processes.js";

const say = (text = "") => process.stdout.write(`${text}\n`);
const heading = (text: string) => say(`\n━━ ${text}\n`);

/** What the seed promises about the two runs; each unmet promise is one line. */
function checkExpectations(first: Run, second: Run): string[] {
  const problems: string[] = [];
  const stateIn = (run: Run, taskId: string) =>
    TaskState[run.taskRuns.find((t) => t.taskId === taskId)?.state ?? TaskState.UNSPECIFIED];
  const expect = (run: Run, label: string, taskId: string, state: string) => {
    const actual = stateIn(run, taskId);
    if (actual !== state) problems.push(`${label}: ${taskId} is ${actual}, expected ${state}`);
  };
  for (const id of [
    "a.import-orders",
    "a.fetch-rates",
    "a.import-customers",
    "b.transform-sales",
    "b.sales-report",
  ]) {
    expect(first, "run 1", id, "COMPLETED");
  }
  expect(first, "run 1", "b.mail-digest", "ERROR");
  expect(first, "run 1", "b.archive-digest", "BLOCKED");
  if (first.summary?.failed[0]?.owner?.team !== "team-b")
    problems.push("run 1: the failure is not attributed to team-b");
  expect(second, "run 2", "a.fetch-rates", "SKIPPED");
  expect(second, "run 2", "a.import-orders", "COMPLETED");
  expect(second, "run 2", "b.sales-report", "COMPLETED");
  if (second.state !== RunState.SUCCEEDED)
    problems.push(`run 2 ended ${RunState[second.state]}, expected SUCCEEDED`);
  return problems;
}

async function latestRun(control: ControlClient): Promise<Run> {
  const { runs } = await control.listRuns({ limit: 1 });
  if (!runs[0]) throw new Error("no run was recorded");
  return runs[0];
}

async function main(): Promise<number> {
  const children: Child[] = [];
  try {
    heading(
      "Starting cerebro (in-memory store), task-server-a and task-server-b as separate processes",
    );
    const cerebro = await startCerebroProcess({ LOG_LEVEL: "warn" });
    children.push(cerebro.child);
    const env = { CORDYNA_ADDR: cerebro.address, LOG_LEVEL: "warn" };
    children.push(spawnTs("task-server-a", "task-server-ts/servers/task-server-a.ts", [], env));
    children.push(spawnTs("task-server-b", "task-server-ts/servers/task-server-b.ts", [], env));
    await waitForServers(cerebro.control, ["task-server-a", "task-server-b"]);
    const dyna = (...args: string[]) => runCli([...args, "--cerebro", cerebro.address]);
    say(
      `cerebro listens on ${cerebro.address}; both task-servers said hello and declared their tasks.`,
    );

    heading("The global graph both servers declared (dyna graph)");
    await dyna("graph");

    heading("Run 1: b.sales-report and b.archive-digest, with everything upstream (dyna run)");
    say(
      "Team A's imports run in parallel; b.mail-digest fails on purpose, so b.archive-digest is BLOCKED",
    );
    say("while the sales pipeline runs on.\n");
    await dyna("run", "b.sales-report", "b.archive-digest", "--param", "day=2026-06-01");
    const first = await latestRun(cerebro.control);

    heading("Run 2: b.sales-report again");
    say("a.fetch-rates completed less than an hour ago, and b.transform-sales accepts rates fresh");
    say("within 1h: it is SKIPPED, reusing run 1's completion. a.import-orders runs again.\n");
    await dyna("run", "b.sales-report", "--param", "day=2026-06-01");
    const second = await latestRun(cerebro.control);

    heading("Verdict");
    const problems = checkExpectations(first, second);
    for (const problem of problems) say(`✗ ${problem}`);
    if (problems.length > 0) return 1;
    say("✓ order, parallelism, blocking, ownership and freshness all behaved as the seed says.");
    return 0;
  } finally {
    await Promise.all(children.reverse().map((child) => child.stop()));
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
