import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  CompletionSchema,
  DependencyCondition,
  DependencySchema,
  ErrorCause,
  EventKind,
  EventSchema,
  GetGraphResponseSchema,
  RunSchema,
  RunState,
  ServerInfoSchema,
  ServerState,
  TaskInfoSchema,
  TaskState,
} from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import {
  formatClock,
  formatDependencyStatus,
  formatDuration,
  formatWhen,
  MAX_TREE_INDENT,
  paint,
  renderEvent,
  renderGraph,
  renderRunDetail,
  renderRunSummary,
  renderRunsTable,
  renderServersTable,
  renderTable,
  renderTasksTable,
  renderTree,
  shouldColor,
  stripAnsi,
} from "./render.js";

const T0 = Date.UTC(2025, 0, 15, 10, 0, 0, 0);
const at = (ms: number) => timestampFromMs(T0 + ms);

const ingest = { team: "ingest", contact: "ingest@example.com" };
const reporting = { team: "reporting", contact: "#reporting" };

function failedRun() {
  return create(RunSchema, {
    id: "run_1",
    state: RunState.FAILED,
    targets: ["b.report"],
    createdAt: at(0),
    finishedAt: at(1234),
    taskRuns: [
      {
        id: "tr_a",
        taskId: "a.import",
        serverName: "task-server-a",
        owner: ingest,
        state: TaskState.COMPLETED,
        attempts: [{ id: "at_1", number: 1 }],
        updatedAt: at(500),
      },
      {
        id: "tr_b",
        taskId: "a.clean",
        serverName: "task-server-a",
        owner: ingest,
        state: TaskState.ERROR,
        errorCause: ErrorCause.TASK_FAILED,
        errorDescription: "disk full",
        attempts: [
          {
            id: "at_2",
            number: 1,
            state: TaskState.ERROR,
            errorCause: ErrorCause.SERVER_LOST,
            errorDescription: "server instance a-1 disconnected",
            instanceId: "a-1",
          },
          {
            id: "at_3",
            number: 2,
            state: TaskState.ERROR,
            errorCause: ErrorCause.TASK_FAILED,
            errorDescription: "disk full",
            instanceId: "a-2",
          },
        ],
        updatedAt: at(1000),
      },
      {
        id: "tr_c",
        taskId: "b.report",
        serverName: "task-server-b",
        owner: reporting,
        state: TaskState.BLOCKED,
        blockedBy: ["a.clean"],
        updatedAt: at(1000),
      },
    ],
    summary: {
      completed: 1,
      failed: [
        {
          taskId: "a.clean",
          owner: ingest,
          serverName: "task-server-a",
          errorCause: ErrorCause.TASK_FAILED,
          errorDescription: "disk full",
        },
      ],
      blocked: [
        {
          taskId: "b.report",
          owner: reporting,
          serverName: "task-server-b",
          blockedBy: ["a.clean"],
        },
      ],
    },
  });
}

describe("formatDuration", () => {
  it("is short and readable", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(1234)).toBe("1.2s");
    expect(formatDuration(2000)).toBe("2s");
    expect(formatDuration(42_300)).toBe("42s");
    expect(formatDuration(125_000)).toBe("2m5s");
    expect(formatDuration(3_600_000)).toBe("1h");
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000)).toBe("2d3h");
  });
});

describe("timestamps", () => {
  it("prints local time as HH:MM:SS.mmm", () => {
    const d = new Date(T0 + 7);
    const hh = String(d.getHours()).padStart(2, "0");
    const mm = String(d.getMinutes()).padStart(2, "0");
    expect(formatClock(at(7))).toBe(`${hh}:${mm}:00.007`);
    expect(formatClock(undefined)).toBe("-");
  });

  it("adds the date only when not today", () => {
    expect(formatWhen(at(0), T0)).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(formatWhen(at(0), T0 + 3 * 86_400_000)).toMatch(/^2025-01-1\d \d\d:\d\d:\d\d\.000$/);
  });
});

describe("colour", () => {
  it("is used only on a terminal without NO_COLOR", () => {
    expect(shouldColor(true, {})).toBe(true);
    expect(shouldColor(false, {})).toBe(false);
    expect(shouldColor(true, { NO_COLOR: "1" })).toBe(false);
    expect(shouldColor(true, { NO_COLOR: "" })).toBe(true);
  });

  it("wraps text in ANSI codes only when allowed", () => {
    expect(paint({ color: false }, "red", "x")).toBe("x");
    expect(paint({ color: true }, "red", "x")).toBe("\u001b[31mx\u001b[39m");
  });
});

describe("renderTable", () => {
  it("aligns columns, ignoring colour codes", () => {
    const out = renderTable(
      ["ID", "STATE", "NOTE"],
      [
        ["a", paint({ color: true }, "green", "COMPLETED"), "x"],
        ["long-id", "ERROR", ""],
      ],
    );
    const lines = stripAnsi(out).split("\n");
    expect(lines).toEqual(["ID       STATE      NOTE", "a        COMPLETED  x", "long-id  ERROR"]);
  });
});

describe("renderTree", () => {
  it("nests children under their parent with connectors", () => {
    const out = renderTree([
      {
        label: "root",
        children: [
          { label: "a", children: [{ label: "a1", children: [] }] },
          { label: "b", children: [] },
        ],
      },
    ]);
    expect(out).toBe(["root", "├── a", "│   └── a1", "└── b"].join("\n"));
  });
});

describe("renderRunSummary", () => {
  it("names the failed task's cause, description and team", () => {
    const out = renderRunSummary(failedRun(), undefined, T0 + 5000);
    expect(out).toContain("Run run_1 FAILED in 1.2s");
    expect(out).toContain("1 completed, 1 failed, 1 blocked, 0 skipped, 0 cancelled");
    expect(out).toMatch(
      /Failed:\n {2}a\.clean {2}TASK_FAILED: disk full\n {4}owner: team ingest <ingest@example\.com>; server: task-server-a/,
    );
  });

  it("names what blocked a blocked task, and its team", () => {
    const out = renderRunSummary(failedRun(), undefined, T0 + 5000);
    expect(out).toMatch(
      /Blocked:\n {2}b\.report {2}blocked by a\.clean\n {4}owner: team reporting <#reporting>/,
    );
  });

  it("names the run's trace when it has one, and says nothing of traces when it has none", () => {
    const run = failedRun();
    expect(renderRunSummary(run, undefined, T0 + 5000)).not.toContain("trace");
    run.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    expect(renderRunSummary(run, undefined, T0 + 5000)).toContain(
      "\n  trace: 4bf92f3577b34da6a3ce929d0e0e4736",
    );
    expect(renderRunDetail(run, undefined, T0 + 5000)).toMatch(
      /\ntrace: +4bf92f3577b34da6a3ce929d0e0e4736\n/,
    );
  });

  it("derives failures from the task-runs while there is no summary yet", () => {
    const run = failedRun();
    run.summary = undefined;
    run.state = RunState.RUNNING;
    run.finishedAt = undefined;
    const out = renderRunSummary(run, undefined, T0 + 2000);
    expect(out).toContain("Run run_1 RUNNING for 2s");
    expect(out).toContain("a.clean  TASK_FAILED: disk full");
    expect(out).toContain("team ingest");
    expect(out).toContain("b.report  blocked by a.clean");
  });
});

describe("renderRunDetail", () => {
  it("lists each task-run with state, attempts and cause", () => {
    const out = renderRunDetail(failedRun(), undefined, T0);
    const row = out.split("\n").find((l) => l.startsWith("a.clean "));
    expect(row).toMatch(
      /^a\.clean\s+task-server-a\s+ERROR\s+2\s+\S+\s+TASK_FAILED: disk full \(team ingest/,
    );
    expect(out).toMatch(/b\.report\s+task-server-b\s+BLOCKED\s+0\s+\S+\s+blocked by a\.clean/);
    expect(out).toContain("state:    FAILED");
  });

  it("lists every attempt of a retried task-run with its cause and instance", () => {
    const out = renderRunDetail(failedRun(), undefined, T0);
    expect(out).toContain(
      [
        "Attempts of retried task-runs:",
        "  a.clean #1  ERROR(SERVER_LOST) on a-1: server instance a-1 disconnected",
        "  a.clean #2  ERROR(TASK_FAILED) on a-2: disk full",
      ].join("\n"),
    );
    expect(out).not.toContain("a.import #1");
  });

  it("puts the type of error a task reported before its description, and lists the details it gave", () => {
    const run = failedRun();
    const clean = run.taskRuns[1]!;
    clean.errorType = "DiskFull";
    clean.errorDetails = { volume: "/data", free: "0 B" };
    const second = clean.attempts[1]!;
    second.errorType = "DiskFull";
    second.errorDetails = { volume: "/data", free: "0 B" };
    const out = renderRunDetail(run, undefined, T0);
    expect(out).toMatch(
      /^a\.clean\s+task-server-a\s+ERROR\s+2\s+\S+\s+TASK_FAILED: DiskFull: disk full \(/m,
    );
    expect(out).toContain("  a.clean #2  ERROR(TASK_FAILED) on a-2: DiskFull: disk full");
    expect(out).toContain(
      ["Error details:", "  a.clean #2: DiskFull", "    free: 0 B", "    volume: /data"].join("\n"),
    );
    expect(out).toMatch(/Failed:\n {2}a\.clean {2}TASK_FAILED: DiskFull: disk full\n/);
  });

  it("shows when a retry is due, and why a task-run was cancelled", () => {
    const run = create(RunSchema, {
      id: "run_2",
      createdAt: at(0),
      taskRuns: [
        {
          taskId: "a.retrying",
          state: TaskState.PENDING,
          waitingReason: "retry 2 of 3 in 4000 ms after TASK_FAILED",
          retryAt: at(4_000),
        },
        { taskId: "a.stopped", state: TaskState.CANCELLED, cancelReason: "wrong day" },
      ],
    });
    const out = renderRunDetail(run, undefined, T0);
    expect(out).toMatch(
      new RegExp(
        `a\\.retrying .*retry 2 of 3 in 4000 ms after TASK_FAILED: next attempt at ${formatClock(at(4_000))}`,
      ),
    );
    expect(out).toMatch(/a\.stopped .*CANCELLED .*wrong day/);
  });

  it("shows how far a running attempt got, its details cut, and when its last heartbeat came", () => {
    const run = create(RunSchema, {
      id: "run_3",
      createdAt: at(0),
      taskRuns: [
        {
          taskId: "a.load",
          serverName: "task-server-a",
          state: TaskState.STARTED,
          attempts: [
            {
              number: 1,
              state: TaskState.STARTED,
              progress: 0.426,
              progressMessage: "426 of 1,000 days",
              heartbeatDetails: `{"lastDay":"2026-06-01","note":"${"x".repeat(80)}"}`,
              lastHeartbeatAt: at(-3_000),
            },
          ],
        },
        {
          taskId: "a.quiet",
          state: TaskState.STARTED,
          attempts: [{ number: 1, state: TaskState.STARTED, lastHeartbeatAt: at(-500) }],
        },
      ],
    });
    const out = renderRunDetail(run, undefined, T0);
    expect(out).toMatch(
      /a\.load\s+task-server-a\s+STARTED\s+1\s+\S+\s+42% 426 of 1,000 days; details \{"lastDay":"2026-06-01","note":"x{27}…; last heartbeat 3s ago$/m,
    );
    expect(out).toMatch(/a\.quiet .*STARTED .*last heartbeat 500ms ago$/m);
  });
});

describe("renderRunsTable", () => {
  it("shows state, targets, duration and counts", () => {
    const out = renderRunsTable([failedRun()], undefined, T0);
    const [header, row] = out.split("\n");
    expect(header).toMatch(
      /^RUN\s+STATE\s+TARGETS\s+CREATED\s+DURATION\s+COMPLETED\/FAILED\/BLOCKED\/SKIPPED$/,
    );
    expect(row).toMatch(/^run_1\s+FAILED\s+b\.report\s+\S+\s+1\.2s\s+1\/1\/1\/0$/);
  });
});

describe("renderEvent", () => {
  it("prints time, task, state, cause, server and the event's detail", () => {
    const event = create(EventSchema, {
      kind: EventKind.TASK_RUN_CHANGED,
      time: at(1000),
      runId: "run_1",
      taskId: "b.report",
      state: TaskState.ERROR,
      errorCause: ErrorCause.ACK_TIMEOUT,
      serverName: "task-server-b",
      message: "b.report ERROR(ACK_TIMEOUT): no QUEUED or STARTED within 10s of the invoke",
      detail: "no QUEUED or STARTED within 10s of the invoke",
    });
    const line = renderEvent(event, undefined, { task: 10, server: 14 });
    expect(line).toBe(
      `${formatClock(at(1000))}  b.report    ERROR         ACK_TIMEOUT       task-server-b   no QUEUED or STARTED within 10s of the invoke`,
    );
  });

  it("shows an attempt's progress as PROGRESS with how far it got", () => {
    const event = create(EventSchema, {
      kind: EventKind.ATTEMPT_PROGRESS,
      time: at(1000),
      runId: "run_1",
      taskId: "b.report",
      state: TaskState.STARTED,
      serverName: "task-server-b",
      progress: 0.5,
      message: "b.report attempt 1: 50% 5 of 10 pages",
      detail: "50% 5 of 10 pages",
    });
    expect(renderEvent(event, undefined, { task: 10, server: 14 })).toBe(
      `${formatClock(at(1000))}  b.report    PROGRESS                        task-server-b   50% 5 of 10 pages`,
    );
  });

  it("shows the run's final state for RUN_FINISHED", () => {
    const event = create(EventSchema, {
      kind: EventKind.RUN_FINISHED,
      runId: "run_1",
      runState: RunState.SUCCEEDED,
      message: "run run_1 SUCCEEDED",
    });
    expect(renderEvent(event)).toMatch(/^-\s+run\s+SUCCEEDED\s+-\s+run run_1 SUCCEEDED$/);
  });
});

describe("renderTasksTable", () => {
  it("shows upstream conditions and the unresolved reason", () => {
    const tasks = [
      create(TaskInfoSchema, {
        taskId: "b.report",
        serverName: "task-server-b",
        resolved: false,
        unresolvedReason: "upstream x.missing is declared by no server",
        instances: 2,
        declaration: {
          id: "b.report",
          owner: reporting,
          dependencies: [
            {
              taskId: "a.import",
              condition: DependencyCondition.FRESH_WITHIN,
              freshWithin: durationFromMs(3_600_000),
            },
            { taskId: "x.missing" },
          ],
        },
      }),
      create(TaskInfoSchema, {
        taskId: "a.import",
        serverName: "task-server-a",
        resolved: true,
        instances: 1,
        declaration: { id: "a.import", owner: ingest },
        lastCompletion: { taskId: "a.import", completedAt: at(0) },
      }),
    ];
    const lines = renderTasksTable(tasks, undefined, T0).split("\n");
    expect(lines[0]).toMatch(
      /^TASK\s+SERVER\s+TEAM\s+UPSTREAM\s+SCHEDULE\s+NEXT FIRE\s+INSTANCES\s+STATUS\s+LAST COMPLETED$/,
    );
    expect(lines[1]).toMatch(
      /^a\.import\s+task-server-a\s+ingest\s+-\s+-\s+-\s+1\s+resolved\s+\d\d:\d\d:00\.000$/,
    );
    expect(lines[2]).toMatch(
      /^b\.report\s+task-server-b\s+reporting\s+a\.import \(fresh 1h: fresh, done just now\), x\.missing\s+-\s+-\s+2\s+unresolved: upstream x\.missing is declared by no server\s+never$/,
    );
  });

  it("shows each schedule with its time zone (UTC when none is named) and next fire time", () => {
    const tasks = [
      create(TaskInfoSchema, {
        taskId: "a.fetch-rates",
        serverName: "sa",
        resolved: true,
        instances: 1,
        declaration: {
          id: "a.fetch-rates",
          schedule: { cron: "*/5 * * * *", timeZone: "Europe/Berlin" },
        },
        nextFireTime: at(4 * 60_000),
      }),
      create(TaskInfoSchema, {
        taskId: "a.nightly",
        serverName: "sa",
        resolved: true,
        instances: 1,
        declaration: {
          id: "a.nightly",
          schedule: { cron: "0 3 * * *", expectedWithin: durationFromMs(2 * 3_600_000) },
        },
        nextFireTime: at(-1000),
      }),
    ];
    const lines = renderTasksTable(tasks, undefined, T0).split("\n");
    expect(lines[1]).toMatch(
      /^a\.fetch-rates\s+sa\s+-\s+-\s+\*\/5 \* \* \* \* \(Europe\/Berlin\)\s+\d\d:\d\d:00\.000 \(in 4m\)\s+1\s+resolved\s+never$/,
    );
    expect(lines[2]).toMatch(
      /^a\.nightly\s+sa\s+-\s+-\s+0 3 \* \* \* \(UTC\), done within 2h\s+\d\d:\d\d:59\.000 \(due\)\s+1/,
    );
  });

  it("says whether each fresh-within upstream is fresh now, from the same response", () => {
    const hour = durationFromMs(3_600_000);
    const fresh = (taskId: string) => ({
      taskId,
      condition: DependencyCondition.FRESH_WITHIN,
      freshWithin: hour,
    });
    const upstream = (taskId: string, completedAgoMs: number | undefined) =>
      create(TaskInfoSchema, {
        taskId,
        serverName: "sa",
        resolved: true,
        declaration: { id: taskId },
        ...(completedAgoMs === undefined
          ? {}
          : { lastCompletion: { taskId, completedAt: at(-completedAgoMs) } }),
      });
    const tasks = [
      upstream("a.recent", 12 * 60_000),
      upstream("a.old", 3 * 3_600_000),
      upstream("a.edge", 3_600_000),
      upstream("a.never", undefined),
      create(TaskInfoSchema, {
        taskId: "z.report",
        serverName: "sb",
        resolved: false,
        declaration: {
          id: "z.report",
          dependencies: [
            fresh("a.recent"),
            fresh("a.old"),
            fresh("a.edge"),
            fresh("a.never"),
            fresh("x.undeclared"),
            { taskId: "a.recent", condition: DependencyCondition.RUN_FIRST },
          ],
        },
      }),
    ];
    const report = renderTasksTable(tasks, undefined, T0)
      .split("\n")
      .find((line) => line.startsWith("z.report"));
    expect(report).toContain(
      [
        "a.recent (fresh 1h: fresh, done 12m ago)",
        "a.old (fresh 1h: stale, done 3h ago)",
        // Exactly the window old is no longer fresh, as the planner decides.
        "a.edge (fresh 1h: stale, done 1h ago)",
        "a.never (fresh 1h: never completed)",
        "x.undeclared (fresh 1h: never completed)",
        "a.recent  ",
      ].join(", "),
    );
  });

  it("colours fresh green and stale yellow on a terminal", () => {
    const dep = create(DependencySchema, {
      taskId: "a.x",
      condition: DependencyCondition.FRESH_WITHIN,
      freshWithin: durationFromMs(60_000),
    });
    const completion = (agoMs: number) =>
      create(CompletionSchema, { taskId: "a.x", completedAt: at(-agoMs) });
    const color = { color: true };
    expect(formatDependencyStatus(dep, completion(1000), T0, color)).toBe(
      "a.x (fresh 1m: \u001b[32mfresh\u001b[39m, done 1s ago)",
    );
    expect(formatDependencyStatus(dep, completion(120_000), T0, color)).toBe(
      "a.x (fresh 1m: \u001b[33mstale\u001b[39m, done 2m ago)",
    );
    expect(stripAnsi(formatDependencyStatus(dep, undefined, T0, color))).toBe(
      "a.x (fresh 1m: never completed)",
    );
  });
});

describe("renderServersTable", () => {
  it("shows each instance, and servers without instances as offline", () => {
    const servers = [
      create(ServerInfoSchema, {
        name: "task-server-a",
        taskIds: ["a.import", "a.clean"],
        instances: [
          {
            instanceId: "a-1",
            state: ServerState.READY,
            connectedAt: at(0),
            running: 1,
            maxConcurrency: 4,
            agent: "ts/0.1",
          },
          { instanceId: "a-2", state: ServerState.DRAINING, connectedAt: at(0), running: 0 },
        ],
      }),
      create(ServerInfoSchema, { name: "task-server-b", taskIds: ["b.report"] }),
    ];
    const lines = renderServersTable(servers, undefined, T0).split("\n");
    expect(lines[1]).toMatch(
      /^task-server-a\s+a-1\s+READY\s+\S+\s+1\/4\s+ts\/0\.1\s+a\.import, a\.clean$/,
    );
    expect(lines[2]).toMatch(/^\s+a-2\s+DRAINING\s+\S+\s+0\/∞\s+-$/);
    expect(lines[3]).toMatch(/^task-server-b\s+-\s+OFFLINE\s+-\s+-\s+-\s+b\.report$/);
  });
});

describe("renderGraph", () => {
  const graph = create(GetGraphResponseSchema, {
    tasks: [
      {
        taskId: "a.import",
        serverName: "task-server-a",
        resolved: true,
        declaration: { owner: ingest },
      },
      {
        taskId: "a.clean",
        serverName: "task-server-a",
        resolved: true,
        declaration: { owner: ingest },
      },
      {
        taskId: "b.report",
        serverName: "task-server-b",
        resolved: true,
        declaration: { owner: reporting },
      },
      {
        taskId: "b.orphan",
        serverName: "task-server-b",
        resolved: false,
        unresolvedReason: "upstream x.missing is declared by no server",
        declaration: { owner: reporting },
      },
      { taskId: "x.missing", resolved: false, unresolvedReason: "declared by no server" },
    ],
    edges: [
      { upstream: "a.import", downstream: "a.clean" },
      { upstream: "a.clean", downstream: "b.report" },
      {
        upstream: "a.import",
        downstream: "b.report",
        dependency: {
          taskId: "a.import",
          condition: DependencyCondition.FRESH_WITHIN,
          freshWithin: durationFromMs(3_600_000),
        },
      },
      { upstream: "x.missing", downstream: "b.orphan" },
    ],
  });

  it("nests downstream tasks under their roots with server and team", () => {
    const out = renderGraph(graph);
    expect(out.split("\n").slice(0, 4)).toEqual([
      "a.import (task-server-a, team ingest)",
      "├── a.clean (task-server-a, team ingest)",
      "│   └── b.report (task-server-b, team reporting)",
      "└── b.report [fresh 1h] (task-server-b, team reporting)",
    ]);
  });

  it("marks unresolved tasks with their reason", () => {
    const out = renderGraph(graph);
    expect(out).toContain("x.missing (no server) UNRESOLVED: declared by no server");
    expect(out).toContain(
      "└── b.orphan (task-server-b, team reporting) UNRESOLVED: upstream x.missing is declared by no server",
    );
    expect(out).toContain("5 tasks, 2 unresolved");
  });

  it("does not expand a task twice", () => {
    const diamond = create(GetGraphResponseSchema, {
      tasks: ["r", "a", "b", "c", "d"].map((taskId) => ({
        taskId,
        serverName: "s",
        resolved: true,
      })),
      edges: [
        { upstream: "r", downstream: "a" },
        { upstream: "r", downstream: "b" },
        { upstream: "a", downstream: "c" },
        { upstream: "b", downstream: "c" },
        { upstream: "c", downstream: "d" },
      ],
    });
    const lines = renderGraph(diamond).split("\n");
    expect(lines.filter((l) => l.includes("d (s)"))).toHaveLength(1);
    expect(lines).toContain("    └── c (s) (see above)");
  });

  it("draws a chain as long as a declaration may hold, indented no deeper than its limit", () => {
    const length = 10_000;
    const id = (i: number) => `chain.${String(i).padStart(5, "0")}`;
    const chain = create(GetGraphResponseSchema, {
      tasks: Array.from({ length }, (_, i) => ({
        taskId: id(i),
        serverName: "s",
        resolved: true,
        declaration: { dependencies: i === 0 ? [] : [{ taskId: id(i - 1) }] },
      })),
    });
    const lines = renderGraph(chain).split("\n");
    const deepest = " ".repeat(4 * MAX_TREE_INDENT - 4);
    expect(lines[0]).toBe("chain.00000 (s)");
    expect(lines[1]).toBe("└── chain.00001 (s)");
    expect(lines[MAX_TREE_INDENT]).toBe(`${deepest}└── chain.00032 (s)`);
    expect(lines[length - 1]).toBe(`${deepest}└── chain.09999 (s) (depth 9999)`);
    expect(lines.at(-1)).toBe("10000 tasks, 0 unresolved");
  });
});
