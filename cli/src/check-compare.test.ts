import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { DependencyCondition, TaskDeclarationSchema } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { type Candidate, compareDeclarations, keepsFresh, type LiveTask } from "./check-compare.js";

const NOW = Date.UTC(2026, 0, 5, 12); // a Monday
const teamA = { team: "team-a", contact: "a@example.com" };
const teamB = { team: "team-b", contact: "b@example.com" };

type Declaration = MessageInitShape<typeof TaskDeclarationSchema>;

function declaration(init: Declaration): ReturnType<typeof create<typeof TaskDeclarationSchema>> {
  return create(TaskDeclarationSchema, init);
}

const fresh = (taskId: string, seconds: number) => ({
  taskId,
  condition: DependencyCondition.FRESH_WITHIN,
  freshWithin: { seconds: BigInt(seconds) },
});

/** The live graph: server-a (team-a) upstream of server-b (team-b). */
function liveGraph(extraA: Declaration[] = [], extraB: Declaration[] = []): LiveTask[] {
  const a: Declaration[] = [
    { id: "a.orders", owner: teamA },
    { id: "a.rates", owner: teamA, schedule: { cron: "0 6 * * *" } },
    ...extraA,
  ];
  const b: Declaration[] = [
    {
      id: "b.sales",
      owner: teamB,
      dependencies: [{ taskId: "a.orders" }, fresh("a.rates", 26 * 3600)],
    },
    { id: "b.report", owner: teamB, dependencies: [{ taskId: "b.sales" }] },
    ...extraB,
  ];
  return [
    ...a.map((d) => ({ serverName: "server-a", declaration: declaration(d) })),
    ...b.map((d) => ({ serverName: "server-b", declaration: declaration(d) })),
  ];
}

function candidateA(tasks: Declaration[]): Candidate {
  return { serverName: "server-a", ...teamA, tasks: tasks.map(declaration) };
}

const unchangedA: Declaration[] = [
  { id: "a.orders", owner: teamA },
  { id: "a.rates", owner: teamA, schedule: { cron: "0 6 * * *" } },
];

/** kind task → affected (team), for short expectations. */
function summary(breaks: ReturnType<typeof compareDeclarations>["breaks"]): string[] {
  return breaks.map((b) => `${b.kind} ${b.taskId} → ${b.affected.taskId} (${b.affected.team})`);
}

describe("compareDeclarations", () => {
  it("finds nothing in the live declarations themselves", () => {
    const result = compareDeclarations(liveGraph(), candidateA(unchangedA), NOW);
    expect(result).toEqual({ breaks: [], changes: [] });
  });

  it("blames a removed task for every task downstream of it, directly or not", () => {
    const result = compareDeclarations(
      liveGraph(),
      candidateA([unchangedA[1] as Declaration]),
      NOW,
    );
    expect(summary(result.breaks)).toEqual([
      "removed a.orders → b.report (team-b)",
      "removed a.orders → b.sales (team-b)",
    ]);
    expect(result.breaks[1]?.affected).toEqual({
      taskId: "b.sales",
      serverName: "server-b",
      team: "team-b",
      contact: "b@example.com",
    });
    expect(result.breaks[0]?.message).toBe(
      "b.report depends on a.orders through b.sales, and server-a no longer declares it: runs of b.report would be refused",
    );
  });

  it("lists a removed task nothing depends on, and a new one, as not breaking", () => {
    const result = compareDeclarations(
      liveGraph([{ id: "a.unused", owner: teamA }]),
      candidateA([...unchangedA, { id: "a.new", owner: teamA }]),
      NOW,
    );
    expect(result.breaks).toEqual([]);
    expect(result.changes).toEqual([
      { kind: "removed", taskId: "a.unused", message: "no longer declared; nothing depends on it" },
      { kind: "added", taskId: "a.new", message: "new task" },
    ]);
  });

  it("sees a rename as the removal it is", () => {
    const renamed = [{ id: "a.orders-v2", owner: teamA }, unchangedA[1] as Declaration];
    const result = compareDeclarations(liveGraph(), candidateA(renamed), NOW);
    expect(summary(result.breaks)).toEqual([
      "removed a.orders → b.report (team-b)",
      "removed a.orders → b.sales (team-b)",
    ]);
    expect(result.changes).toEqual([{ kind: "added", taskId: "a.orders-v2", message: "new task" }]);
  });

  it("names every other team's task on a cycle the change would close", () => {
    const closing = [
      { id: "a.orders", owner: teamA, dependencies: [{ taskId: "b.report" }] },
      unchangedA[1] as Declaration,
    ];
    const result = compareDeclarations(liveGraph(), candidateA(closing), NOW);
    expect(summary(result.breaks)).toEqual([
      "cycle a.orders → b.report (team-b)",
      "cycle a.orders → b.sales (team-b)",
    ]);
    expect(result.breaks[0]?.message).toMatch(
      /^cerebro would refuse the whole declaration: declaring a.orders would close the dependency cycle a.orders \(team team-a\) → b.report/,
    );
  });

  it("names the owner of a task id another server declares", () => {
    const result = compareDeclarations(
      liveGraph(),
      candidateA([...unchangedA, { id: "b.report", owner: teamA }]),
      NOW,
    );
    expect(summary(result.breaks)).toEqual(["ownership b.report → b.report (team-b)"]);
    expect(result.breaks[0]?.affected.serverName).toBe("server-b");
  });

  it("blames a new dependency on a task nobody declares for the task and its downstream", () => {
    const dangling = [
      { id: "a.orders", owner: teamA, dependencies: [{ taskId: "x.missing" }] },
      unchangedA[1] as Declaration,
    ];
    const result = compareDeclarations(liveGraph(), candidateA(dangling), NOW);
    expect(summary(result.breaks)).toEqual([
      "undeclared a.orders → a.orders (team-a)",
      "undeclared a.orders → b.report (team-b)",
      "undeclared a.orders → b.sales (team-b)",
    ]);
    expect(result.breaks[0]?.message).toBe(
      "a.orders now depends on x.missing, which no server declares: runs of it would be refused",
    );
  });

  it("does not blame the candidate for a dependency that was already missing", () => {
    const live = liveGraph([
      { id: "a.waits", owner: teamA, dependencies: [{ taskId: "x.later" }] },
    ]);
    const result = compareDeclarations(
      live,
      candidateA([
        ...unchangedA,
        { id: "a.waits", owner: teamA, dependencies: [{ taskId: "x.later" }] },
      ]),
      NOW,
    );
    expect(result).toEqual({ breaks: [], changes: [] });
  });

  it("breaks a fresh-within condition when the schedule's gaps grow past it", () => {
    // b.sales needs a.rates fresh within 26h: daily kept it, on weekdays only does not.
    const narrowed = [
      unchangedA[0] as Declaration,
      { id: "a.rates", owner: teamA, schedule: { cron: "0 6 * * 1-5" } },
    ];
    const result = compareDeclarations(liveGraph(), candidateA(narrowed), NOW);
    expect(summary(result.breaks)).toEqual(["freshness a.rates → b.sales (team-b)"]);
    expect(result.breaks[0]?.message).toBe(
      'b.sales needs a.rates fresh within 26h: cron "0 6 * * *" (UTC) kept it so, cron "0 6 * * 1-5" (UTC) leaves longer gaps, and runs of b.sales would run a.rates first',
    );
    const stillFresh = [
      unchangedA[0] as Declaration,
      { id: "a.rates", owner: teamA, schedule: { cron: "0 6,18 * * *" } },
    ];
    const ok = compareDeclarations(liveGraph(), candidateA(stillFresh), NOW);
    expect(ok.breaks).toEqual([]);
    expect(ok.changes).toEqual([
      { kind: "changed", taskId: "a.rates", message: "changed: schedule" },
    ]);
  });

  it("breaks a fresh-within condition when the schedule is dropped", () => {
    const unscheduled = [unchangedA[0] as Declaration, { id: "a.rates", owner: teamA }];
    const result = compareDeclarations(liveGraph(), candidateA(unscheduled), NOW);
    expect(summary(result.breaks)).toEqual(["freshness a.rates → b.sales (team-b)"]);
  });

  it("refuses what cerebro would refuse field by field", () => {
    const result = compareDeclarations(
      liveGraph(),
      candidateA([...unchangedA, { id: "a.bad", owner: teamA, schedule: { cron: "99 * * * *" } }]),
      NOW,
    );
    expect(summary(result.breaks)).toEqual(["invalid a.bad → a.bad (team-a)"]);
    expect(result.breaks[0]?.message).toMatch(
      /^cerebro would refuse the whole declaration: task a.bad: schedule: invalid cron expression/,
    );
  });
});

describe("keepsFresh", () => {
  const day = 24 * 3600_000;
  it("judges by the longest gap between ticks, such as a weekend", () => {
    const weekdays = { cron: "0 6 * * 1-5", timeZone: "UTC" };
    expect(keepsFresh(weekdays, day, NOW)).toBe(false);
    expect(keepsFresh(weekdays, 3 * day - 1, NOW)).toBe(false);
    expect(keepsFresh(weekdays, 3 * day, NOW)).toBe(true);
    // A yearly tick is never within a day of the next.
    expect(keepsFresh({ cron: "0 0 1 1 *", timeZone: "UTC" }, 300 * day, NOW)).toBe(false);
  });

  it("follows the schedule's time zone through a daylight-saving change", () => {
    // 25 hours between 06:00 on either side of the fall-back night in Berlin.
    const daily = { cron: "0 6 * * *", timeZone: "Europe/Berlin" };
    expect(keepsFresh(daily, day + 3600_000, NOW)).toBe(true);
    expect(keepsFresh(daily, day, NOW)).toBe(false);
    expect(keepsFresh({ cron: "0 6 * * *", timeZone: "UTC" }, day, NOW)).toBe(true);
  });

  it("keeps nothing fresh without a schedule", () => {
    expect(keepsFresh(undefined, 365 * day, NOW)).toBe(false);
  });
});
