import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { RunMode, RunState, type TaskInfoSchema, TriggerKind } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { backfillKey, DEFAULT_MAX_TICKS, formatInTimeZone, parseTime } from "./backfill.js";
import { COMMAND_HELP } from "./help.js";
import { runCli } from "./main.js";
import { type FakeCerebroOptions, fakeCerebro, fakeCli } from "./test-support.js";

const at = (iso: string): number => Date.parse(iso);

function scheduled(
  taskId: string,
  cron: string,
  timeZone = "",
): MessageInitShape<typeof TaskInfoSchema> {
  return {
    taskId,
    serverName: "sa",
    resolved: true,
    instances: 1,
    declaration: { id: taskId, schedule: { cron, timeZone } },
  };
}

const TASKS = [
  scheduled("a.hourly", "0 * * * *"),
  scheduled("a.berlin", "0 9 * * *", "Europe/Berlin"),
  scheduled("a.night", "30 2 * * *", "Europe/Berlin"),
  { taskId: "a.adhoc", serverName: "sa", resolved: true, declaration: { id: "a.adhoc" } },
];

async function backfill(argv: string[], options: FakeCerebroOptions = {}) {
  const cerebro = fakeCerebro({ tasks: TASKS, ...options });
  const { io, overrides } = fakeCli(cerebro.client);
  const code = await runCli(["backfill", ...argv], overrides);
  return {
    code,
    cerebro,
    out: io.stdout.join("\n"),
    err: io.stderr.join("\n"),
    io,
    logicalTimes: cerebro.requests.map((r) =>
      r.logicalTime === undefined ? "" : new Date(timestampMs(r.logicalTime)).toISOString(),
    ),
  };
}

describe("parseTime", () => {
  it("reads dates as midnight UTC and date-times with their offset", () => {
    expect(parseTime("2026-06-01")).toBe(at("2026-06-01T00:00:00Z"));
    expect(parseTime("2026-06-01T00:00:00Z")).toBe(at("2026-06-01T00:00:00Z"));
    expect(parseTime("2026-06-01t00:00z")).toBe(at("2026-06-01T00:00:00Z"));
    expect(parseTime("2026-06-01 02:00:00+02:00")).toBe(at("2026-06-01T00:00:00Z"));
    expect(parseTime("2026-06-01T02:00:00+0200")).toBe(at("2026-06-01T00:00:00Z"));
    expect(parseTime("2026-05-31T19:00:00-05")).toBe(at("2026-06-01T00:00:00Z"));
    expect(parseTime("2026-06-01T00:00:00.25Z")).toBe(at("2026-06-01T00:00:00.250Z"));
    expect(parseTime("2024-02-29")).toBe(at("2024-02-29T00:00:00Z"));
  });

  it("rejects what is not a time, dates that do not exist, and local times without an offset", () => {
    for (const bad of [
      "",
      "yesterday",
      "2026-02-30",
      "2025-02-29",
      "2026-13-01",
      "2026-06-01T24:00:00Z",
      "2026-06-01T12:60:00Z",
      "2026-06-01T00:00:00",
      "2026-06-01T00:00:00+25:00",
      "1748736000000",
      "06/01/2026",
    ]) {
      expect(parseTime(bad), bad).toBeUndefined();
    }
  });
});

describe("formatInTimeZone", () => {
  it("shows the zone's wall clock with its offset", () => {
    expect(formatInTimeZone(at("2026-03-29T01:30:00Z"), "Europe/Berlin")).toBe(
      "2026-03-29T03:30:00+02:00",
    );
    expect(formatInTimeZone(at("2026-01-05T08:00:00Z"), "Europe/Berlin")).toBe(
      "2026-01-05T09:00:00+01:00",
    );
    expect(formatInTimeZone(at("2026-11-01T05:30:00Z"), "America/New_York")).toBe(
      "2026-11-01T01:30:00-04:00",
    );
    expect(formatInTimeZone(at("2026-06-01T00:00:00.5Z"), "UTC")).toBe("2026-06-01T00:00:00.500Z");
    expect(formatInTimeZone(at("2026-01-05T00:00:00Z"), "Europe/London")).toBe(
      "2026-01-05T00:00:00+00:00",
    );
  });
});

describe("dyna backfill: ticks", () => {
  it("starts one BACKFILL run per tick, both bounds included, with a stable key", async () => {
    const r = await backfill([
      "a.hourly",
      "--from",
      "2026-06-01T01:00:00Z",
      "--to",
      "2026-06-01T03:00:00Z",
      "--param",
      "region=eu",
      "--mode",
      "test",
    ]);
    expect(r.code).toBe(0);
    expect(r.logicalTimes).toEqual([
      "2026-06-01T01:00:00.000Z",
      "2026-06-01T02:00:00.000Z",
      "2026-06-01T03:00:00.000Z",
    ]);
    const first = r.cerebro.requests[0];
    expect(first?.targets).toEqual(["a.hourly"]);
    expect(first?.trigger).toBe(TriggerKind.BACKFILL);
    expect(first?.mode).toBe(RunMode.TEST);
    expect(first?.params).toEqual({ region: "eu" });
    expect(first?.idempotencyKey).toBe(`backfill:a.hourly:${at("2026-06-01T01:00:00Z")}`);
    expect(first?.idempotencyKey).toBe(backfillKey("a.hourly", at("2026-06-01T01:00:00Z")));
    expect(r.out).toContain(
      'Backfilling a.hourly: 3 ticks of "0 * * * *" (UTC) from 2026-06-01T01:00:00Z to 2026-06-01T03:00:00Z, 1 at a time',
    );
    expect(r.out).toMatch(/^2026-06-01T02:00:00Z {2}run_2 {2}SUCCEEDED$/m);
    expect(r.out).toContain("Backfill of a.hourly: 3 runs, 3 SUCCEEDED");
  });

  it("excludes ticks just outside the bounds; a date means midnight UTC", async () => {
    const r = await backfill([
      "a.hourly",
      "--from",
      "2026-06-01T00:00:00.001Z",
      "--to",
      "2026-06-01T02:59:59Z",
    ]);
    expect(r.logicalTimes).toEqual(["2026-06-01T01:00:00.000Z", "2026-06-01T02:00:00.000Z"]);
    const dates = await backfill(["a.hourly", "--from", "2026-06-01", "--to", "2026-06-01"]);
    expect(dates.logicalTimes).toEqual(["2026-06-01T00:00:00.000Z"]);
  });

  it("computes ticks in the schedule's time zone, across a daylight saving change", async () => {
    // 09:00 Berlin: 08:00Z in winter, 07:00Z from 2026-03-29 on.
    const r = await backfill(["a.berlin", "--from", "2026-03-28", "--to", "2026-03-30T07:00:00Z"]);
    expect(r.logicalTimes).toEqual([
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
    ]);
    expect(r.out).toContain("2026-03-29T09:00:00+02:00  run_2");
  });

  it("on the spring-forward day, a wall-clock time that does not exist fires once, an hour later", async () => {
    const r = await backfill(["a.night", "--from", "2026-03-28", "--to", "2026-03-30"]);
    expect(r.logicalTimes).toEqual(["2026-03-28T01:30:00.000Z", "2026-03-29T01:30:00.000Z"]);
    expect(r.out).toContain("2026-03-29T03:30:00+02:00");
  });

  it("says so and exits 0 when the range holds no tick", async () => {
    const r = await backfill([
      "a.hourly",
      "--from",
      "2026-06-01T00:10:00Z",
      "--to",
      "2026-06-01T00:50:00Z",
    ]);
    expect(r.code).toBe(0);
    expect(r.cerebro.requests).toHaveLength(0);
    expect(r.out).toContain("nothing to backfill");
  });
});

describe("dyna backfill: argument errors exit 2", () => {
  const hourly = ["a.hourly", "--from", "2026-06-01", "--to", "2026-06-02"];
  it.each([
    [["a.hourly", "--to", "2026-06-02"], "missing --from"],
    [["a.hourly", "--from", "2026-06-01"], "missing --to"],
    [["--from", "2026-06-01", "--to", "2026-06-02"], "missing task"],
    [["a.hourly", "a.berlin", "--from", "2026-06-01", "--to", "2026-06-02"], "unexpected argument"],
    [["a.hourly", "--from", "June 1st", "--to", "2026-06-02"], "bad --from 'June 1st'"],
    [["a.hourly", "--from", "2026-06-01", "--to", "2026-06-01T12:00"], "bad --to"],
    [
      ["a.hourly", "--from", "2026-06-02", "--to", "2026-06-01"],
      "--from 2026-06-02 is after --to 2026-06-01",
    ],
    [[...hourly, "--parallel", "0"], "bad --parallel '0'"],
    [[...hourly, "--max-ticks", "many"], "bad --max-ticks 'many'"],
    [[...hourly, "--mode", "prod"], "bad --mode 'prod'"],
    [[...hourly, "--param", "x"], "bad --param 'x'"],
  ])("%j", async (argv, message) => {
    const r = await backfill(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('Run "dyna backfill --help" for usage.');
    expect(r.cerebro.requests).toHaveLength(0);
  });

  it("names an unknown task", async () => {
    const r = await backfill(["x.nope", "--from", "2026-06-01", "--to", "2026-06-02"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown task 'x.nope'");
  });

  it("names a task without a cron schedule", async () => {
    const r = await backfill(["a.adhoc", "--from", "2026-06-01", "--to", "2026-06-02"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("task 'a.adhoc' has no cron schedule");
  });

  it(`refuses more than ${DEFAULT_MAX_TICKS} ticks, naming the count, unless --max-ticks allows them`, async () => {
    // Hourly from 2026-01-01 to 2026-03-01, both included: 59 days of 24 ticks, plus one.
    const r = await backfill(["a.hourly", "--from", "2026-01-01", "--to", "2026-03-01"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("would start 1417 runs");
    expect(r.err).toContain(`more than --max-ticks ${DEFAULT_MAX_TICKS}`);
    expect(r.cerebro.requests).toHaveLength(0);

    const few = ["a.hourly", "--from", "2026-06-01T01:00:00Z", "--to", "2026-06-01T03:00:00Z"];
    const refused = await backfill([...few, "--max-ticks", "2"]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("would start 3 runs");
    const allowed = await backfill([...few, "--max-ticks", "3"]);
    expect(allowed.code).toBe(0);
    expect(allowed.cerebro.requests).toHaveLength(3);
  });
});

describe("dyna backfill: running", () => {
  const day = ["a.hourly", "--from", "2026-06-01T00:00:00Z", "--to", "2026-06-01T09:00:00Z"];

  it("keeps at most --parallel runs unfinished at once", async () => {
    const three = await backfill([...day, "--parallel", "3"]);
    expect(three.code).toBe(0);
    expect(three.cerebro.runs.size).toBe(10);
    expect(three.cerebro.unfinished.max).toBe(3);
    expect(three.cerebro.unfinished.now).toBe(0);

    const one = await backfill(day);
    expect(one.cerebro.unfinished.max).toBe(1);
    // One at a time, the lines come in tick order.
    const times = one.io.stdout.filter((l) => /^2026-/.test(l)).map((l) => l.slice(0, 20));
    expect(times).toEqual([...times].sort());
    expect(times).toHaveLength(10);

    const more = await backfill([...day, "--parallel", "50"]);
    expect(more.cerebro.unfinished.max).toBe(10);
  });

  it("exits 1 when a run did not succeed, naming it in the summary", async () => {
    const failAt = at("2026-06-01T04:00:00Z");
    const r = await backfill([...day, "--parallel", "2"], {
      outcome: (req) =>
        req.logicalTime !== undefined && timestampMs(req.logicalTime) === failAt
          ? RunState.FAILED
          : RunState.SUCCEEDED,
    });
    expect(r.code).toBe(1);
    expect(r.cerebro.runs.size).toBe(10);
    expect(r.out).toContain("Backfill of a.hourly: 10 runs, 9 SUCCEEDED, 1 FAILED");
    expect(r.out).toMatch(
      /Not succeeded:\n {2}2026-06-01T04:00:00Z {2}run_5 {2}FAILED {5}a\.hourly ERROR\(TASK_FAILED\)/,
    );
  });

  it("a second backfill of the same range gets the existing runs back", async () => {
    const cerebro = fakeCerebro({ tasks: TASKS });
    const first = fakeCli(cerebro.client);
    expect(await runCli(["backfill", ...day, "--parallel", "4"], first.overrides)).toBe(0);
    expect(cerebro.runs.size).toBe(10);

    const again = fakeCli(cerebro.client);
    expect(await runCli(["backfill", ...day], again.overrides)).toBe(0);
    expect(cerebro.runs.size).toBe(10);
    expect(cerebro.requests).toHaveLength(20);
    const keys = cerebro.requests.map((r) => r.idempotencyKey);
    expect(keys.slice(10)).toEqual(keys.slice(0, 10));
    const out = again.io.stdout.join("\n");
    expect(out).toMatch(/^2026-06-01T00:00:00Z {2}run_1 {2}SUCCEEDED {2}existing run$/m);
    expect(out).toContain("10 SUCCEEDED (10 started by an earlier backfill)");
  });

  it("--json prints the final runs in tick order", async () => {
    const r = await backfill([...day, "--parallel", "3", "--json"]);
    expect(r.code).toBe(0);
    expect(r.io.stdout).toHaveLength(1);
    const runs = JSON.parse(r.io.stdout[0] ?? "") as { logicalTime: string; state: string }[];
    expect(runs).toHaveLength(10);
    expect(runs.map((run) => run.logicalTime)).toEqual(
      Array.from({ length: 10 }, (_, h) => `2026-06-01T0${h}:00:00Z`),
    );
    expect(new Set(runs.map((run) => run.state))).toEqual(new Set(["RUN_STATE_SUCCEEDED"]));
  });

  it("exits 3 when cerebro refuses a run, and starts no further tick", async () => {
    const r = await backfill([...day, "--parallel", "2"], {
      refuse: {
        at: 3,
        error: new ConnectError("task a.hourly is unresolved", Code.FailedPrecondition),
      },
    });
    expect(r.code).toBe(3);
    expect(r.err).toContain("FAILED_PRECONDITION: task a.hourly is unresolved");
    expect(r.err).toContain("running the same backfill again picks up the runs already started");
    expect(r.cerebro.runs.size).toBe(3);
  });

  it("exits 3 when cerebro is unreachable", async () => {
    const { io, overrides } = fakeCli({
      listTasks: async () => {
        throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
      },
    });
    expect(await runCli(["backfill", ...day], overrides)).toBe(3);
    expect(io.stderr.join("\n")).toContain("cannot reach cerebro");
  });
});

describe("dyna backfill --help", () => {
  it("explains the re-run and the default limit", () => {
    const help = COMMAND_HELP.backfill ?? "";
    expect(help).toContain("returns the runs already started");
    expect(help).toContain(`(default ${DEFAULT_MAX_TICKS})`);
  });
});
