// Task logs and outputs over real processes: a TypeScript task-server that
// logs and returns outputs, `dyna serve` running commands that print, and
// cerebro on each store; read back as a user does, with `dyna logs` and
// `dyna runs <id>`.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServerProcess } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  type ControlClient,
  exitCode,
  finishedRun,
  freePort,
  spawnTs,
  startCerebroService,
  waitForServers,
} from "./processes.js";

const TASKS_YAML = `server: { name: command-logs, team: team-c, contact: team-c@example.com }
tasks:
  - id: c.print
    dependsOn: [l.produce]
    shell: 'echo "to stdout"; echo "to stderr" >&2; echo "rows=$CORDYNA_UPSTREAM_L_PRODUCE_ROWS"'
  - id: c.fail
    shell: 'echo "partial work"; echo "disk full on /data" >&2; exit 4'
`;

/** Lines l.flood logs: about 2.4 MB, over the 1 MiB an attempt's log keeps. */
const FLOOD_LINES = 12_000;

/** What `dyna <args>` printed, run as a user runs it, against `address`. */
async function dyna(
  address: string,
  args: string[],
): Promise<{ code: number | null; out: string }> {
  const child = spawnTs("dyna", "cli/src/bin.ts", [...args, "--cerebro", address], {
    NO_COLOR: "1",
  });
  const code = await exitCode(child);
  return { code, out: child.output() };
}

describe.each(["memory", "redis"] as const)("task logs and outputs, cerebro on %s", (storeKind) => {
  let dir: string;
  let redis: RedisServerProcess | undefined;
  let cerebro: { child: Child; address: string; control: ControlClient };
  let control: ControlClient;
  const servers: Child[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cordyna-logs-"));
    await writeFile(join(dir, "tasks.yaml"), TASKS_YAML);
    if (storeKind === "redis") redis = await RedisServerProcess.start();
    cerebro = await startCerebroService(await freePort(), redis?.url ?? "memory");
    control = cerebro.control;
    servers.push(
      spawnTs("logging-server", "test/src/fixtures/logging-server.ts", [], {
        CORDYNA_ADDR: cerebro.address,
        FLOOD_LINES: String(FLOOD_LINES),
        LOG_LEVEL: "info",
      }),
      spawnTs(
        "dyna serve",
        "cli/src/bin.ts",
        ["serve", join(dir, "tasks.yaml"), "--cerebro", cerebro.address],
        { LOG_LEVEL: "warn" },
      ),
    );
    await waitForServers(control, ["logging-server", "command-logs"]);
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await cerebro?.child.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a handler's log lines and a command's output come back with dyna logs; downstream sees upstream outputs", async () => {
    const { run } = await control.startRun({ targets: ["l.consume", "c.print"] });
    const runId = run?.id ?? "";
    const done = await finishedRun(control, runId);
    expect(done.state, servers.map((s) => s.output()).join("\n")).toBe(RunState.SUCCEEDED);

    const produced = await dyna(cerebro.address, ["logs", runId, "l.produce"]);
    expect(produced.code).toBe(0);
    expect(lines(produced.out)).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}fetched 1204 rates$/),
      expect.stringMatching(/ WARN {2}one source was slow \{"source":"ecb"\}$/),
    ]);

    const all = await dyna(cerebro.address, ["logs", runId]);
    const text = lines(all.out);
    expect(text).toContainEqual(
      expect.stringMatching(/^l\.consume \| .* got 1204 rows from l\.produce$/),
    );
    expect(text).toContainEqual(
      expect.stringMatching(/^c\.print \| .* INFO {2}stdout {2}to stdout$/),
    );
    expect(text).toContainEqual(
      expect.stringMatching(/^c\.print \| .* INFO {2}stderr {2}to stderr$/),
    );
    expect(text).toContainEqual(expect.stringMatching(/^c\.print \| .* stdout {2}rows=1204$/));

    const byTask = new Map(done.taskRuns.map((taskRun) => [taskRun.taskId, taskRun]));
    expect(byTask.get("l.consume")?.outputs).toEqual({ seen: "1204" });
    const command = byTask.get("c.print")?.attempts[0];
    expect(command?.exitCode).toBe(0);
    // Both streams, each in order; how the two interleave is up to the pipes.
    expect(command?.outputTail.split("\n").sort()).toEqual(["rows=1204", "to stderr", "to stdout"]);
  });

  it("dyna runs <id> shows each task-run's outputs, and a failed command's exit code and output", async () => {
    const { run } = await control.startRun({ targets: ["l.produce", "c.fail"] });
    const runId = run?.id ?? "";
    const done = await finishedRun(control, runId);
    expect(done.state).toBe(RunState.FAILED);

    const shown = await dyna(cerebro.address, ["runs", runId]);
    const text = shown.out;
    expect(text).toContain("Outputs:\n  l.produce\n    path: /data/rates\n    rows: 1204");
    expect(text).toContain(
      "Command output:\n  c.fail #1: exit code 4\n    partial work\n    disk full on /data",
    );

    const json = await dyna(cerebro.address, ["runs", runId, "--json"]);
    const parsed = JSON.parse(json.out) as {
      run: { taskRuns: { taskId: string; outputs?: object; attempts: { exitCode?: number }[] }[] };
    };
    const failed = parsed.run.taskRuns.find((taskRun) => taskRun.taskId === "c.fail");
    expect(failed?.attempts[0]?.exitCode).toBe(4);
    const produce = parsed.run.taskRuns.find((taskRun) => taskRun.taskId === "l.produce");
    expect(produce?.outputs).toEqual({ path: "/data/rates", rows: "1204" });
  });

  it("keeps the newest 1 MiB of an attempt that logs more, and says how much was dropped", async () => {
    const { run } = await control.startRun({ targets: ["l.flood"] });
    const runId = run?.id ?? "";
    const done = await finishedRun(control, runId);
    expect(done.taskRuns[0]?.state).toBe(TaskState.COMPLETED);

    let kept = 0;
    let bytes = 0;
    let last = "";
    let dropped = 0n;
    for (let afterSeq = 0n; ; ) {
      const { logs } = await control.getTaskRunLogs({ runId, taskId: "l.flood", afterSeq });
      if (!logs || logs.lines.length === 0) break;
      if (afterSeq === 0n) dropped = logs.droppedLines;
      for (const { line } of logs.lines) {
        kept++;
        bytes += Buffer.byteLength(line?.text ?? "");
        last = line?.text ?? "";
      }
      afterSeq = logs.nextAfterSeq;
    }
    expect(last).toMatch(new RegExp(`^flood ${FLOOD_LINES - 1} x+$`));
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    // The bound counts each line as stored, its time and level too.
    expect(bytes).toBeGreaterThan(800 * 1024);
    expect(dropped).toBeGreaterThan(0n);

    const shown = await dyna(cerebro.address, ["logs", runId, "l.flood"]);
    const [first] = lines(shown.out);
    expect(first).toBe(
      `… ${dropped} earlier lines of attempt 1 dropped: cerebro keeps the newest of each attempt (CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT)`,
    );
    expect(kept).toBeLessThan(FLOOD_LINES);
  });

  it("dyna logs --follow prints lines as they come and ends with the attempt", async () => {
    const { run } = await control.startRun({ targets: ["c.print"], withoutUpstream: true });
    const runId = run?.id ?? "";
    const followed = await dyna(cerebro.address, ["logs", runId, "c.print", "--follow"]);
    expect(followed.code).toBe(0);
    expect(lines(followed.out)).toContainEqual(expect.stringMatching(/ stdout {2}to stdout$/));
  });
});

function lines(output: string): string[] {
  return output.split("\n").filter((line) => line !== "");
}
