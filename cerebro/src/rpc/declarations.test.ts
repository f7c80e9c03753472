import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  CatchUpPolicy,
  OverlapPolicy,
  OwnerSchema,
  TaskDeclarationSchema,
  TriggerMode,
} from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { runWhole } from "../slices.js";
import { convertDeclarations } from "./declarations.js";

type Init = MessageInitShape<typeof TaskDeclarationSchema>;

function declaration(init: Init) {
  const message = create(TaskDeclarationSchema, init);
  message.owner ??= create(OwnerSchema, { team: "team-a" });
  return message;
}

function convert(init: Init) {
  return runWhole(convertDeclarations([declaration(init)]));
}

describe("convertDeclarations: schedule", () => {
  it("takes a cron schedule with its policies", () => {
    const { definitions, issues } = convert({
      id: "a.nightly",
      schedule: {
        cron: "30 2 * * *",
        timeZone: "Europe/Berlin",
        catchUp: CatchUpPolicy.ALL,
        catchUpMax: 5,
        overlap: OverlapPolicy.QUEUE_ONE,
        expectedWithin: durationFromMs(2 * 3_600_000),
      },
    });
    expect(issues).toEqual([]);
    expect(definitions[0]?.schedule).toEqual({
      cron: "30 2 * * *",
      timeZone: "Europe/Berlin",
      catchUp: "all",
      catchUpMax: 5,
      overlap: "queue_one",
      expectedWithinMs: 2 * 3_600_000,
    });
  });

  it("fills the defaults: UTC, catch-up latest, at most 100, overlap skip; seconds are fine", () => {
    const { definitions, issues } = convert({ id: "a.poll", schedule: { cron: "*/10 * * * * *" } });
    expect(issues).toEqual([]);
    expect(definitions[0]?.schedule).toEqual({
      cron: "*/10 * * * * *",
      timeZone: "UTC",
      catchUp: "latest",
      catchUpMax: 100,
      overlap: "skip",
    });
  });

  it("maps every policy", () => {
    const policies = [
      [CatchUpPolicy.SKIP, OverlapPolicy.ALLOW, "skip", "allow"],
      [CatchUpPolicy.LATEST, OverlapPolicy.CANCEL_PREVIOUS, "latest", "cancel_previous"],
      [CatchUpPolicy.ALL, OverlapPolicy.SKIP, "all", "skip"],
    ] as const;
    for (const [catchUp, overlap, domainCatchUp, domainOverlap] of policies) {
      const { definitions } = convert({
        id: "a.job",
        schedule: { cron: "@daily", catchUp, overlap },
      });
      expect(definitions[0]?.schedule).toMatchObject({
        catchUp: domainCatchUp,
        overlap: domainOverlap,
      });
    }
  });

  it("has no schedule without a cron expression", () => {
    const { definitions, issues } = convert({ id: "a.job", schedule: {} });
    expect(issues).toEqual([]);
    expect(definitions[0]?.schedule).toBeUndefined();
    expect(definitions[0] && "schedule" in definitions[0]).toBe(false);
  });

  it("refuses an invalid cron expression, naming the task and the reason", () => {
    const { definitions, issues } = convert({ id: "a.broken", schedule: { cron: "61 * * * *" } });
    expect(definitions).toEqual([]);
    expect(issues).toEqual([
      {
        taskId: "a.broken",
        code: "INVALID",
        message: expect.stringMatching(
          /^task a\.broken: schedule: invalid cron expression "61 \* \* \* \*": .*minute/,
        ),
      },
    ]);
  });

  it("refuses an unknown time zone, naming the task", () => {
    const { definitions, issues } = convert({
      id: "a.mars",
      schedule: { cron: "0 3 * * *", timeZone: "Mars/Olympus_Mons" },
    });
    expect(definitions).toEqual([]);
    expect(issues.map((issue) => issue.message)).toEqual([
      'task a.mars: schedule: unknown time zone "Mars/Olympus_Mons"',
    ]);
  });

  it("refuses expressions that never fire or are not cron at all", () => {
    const messages = (init: Init) => convert(init).issues.map((issue) => issue.message);
    expect(messages({ id: "a.x", schedule: { cron: "0 0 30 2 *" } })).toEqual([
      'task a.x: schedule: cron expression "0 0 30 2 *" never fires',
    ]);
    expect(messages({ id: "a.x", schedule: { cron: "2026-05-01T00:00:00" } })[0]).toMatch(
      /invalid cron expression/,
    );
    expect(messages({ id: "a.x", schedule: { cron: "* * * * * * *" } })[0]).toMatch(/five or six/);
    expect(messages({ id: "a.x", schedule: { timeZone: "Europe/Berlin" } })).toEqual([
      "task a.x: schedule: cron is required when a schedule is given",
    ]);
  });

  it("refuses an expectedWithin without a cron, or outside (0, 7 days]", () => {
    const messages = (init: Init) => convert(init).issues.map((issue) => issue.message);
    expect(
      messages({ id: "a.x", schedule: { expectedWithin: durationFromMs(3_600_000) } }),
    ).toEqual([
      "task a.x: schedule.expectedWithin needs schedule.cron: only a cron schedule has ticks to complete by",
    ]);
    const week = 7 * 24 * 3_600_000;
    const within = (ms: number) =>
      messages({ id: "a.x", schedule: { cron: "0 3 * * *", expectedWithin: durationFromMs(ms) } });
    expect(within(week)).toEqual([]);
    expect(within(week + 1000)).toEqual([
      `task a.x: schedule.expectedWithin must be more than 0 and at most 7 days, not ${week + 1000} ms`,
    ]);
    expect(within(0)).toEqual([
      "task a.x: schedule.expectedWithin must be more than 0 and at most 7 days, not 0 ms",
    ]);
  });

  it("refuses only the bad task of a batch", () => {
    const { definitions, issues } = runWhole(
      convertDeclarations([
        declaration({ id: "a.good", schedule: { cron: "0 3 * * *" } }),
        declaration({ id: "a.bad", schedule: { cron: "not a cron" } }),
      ]),
    );
    expect(definitions.map((definition) => definition.id)).toEqual(["a.good"]);
    expect(issues.map((issue) => issue.taskId)).toEqual(["a.bad"]);
  });
});

describe("convertDeclarations: upstream trigger", () => {
  it("takes the mode and the debounce", () => {
    const { definitions, issues } = convert({
      id: "b.load",
      dependencies: [{ taskId: "a.extract" }, { taskId: "a.rates" }],
      trigger: { mode: TriggerMode.ALL, debounce: { seconds: 30n, nanos: 0 } },
    });
    expect(issues).toEqual([]);
    expect(definitions[0]?.trigger).toEqual({ mode: "all", debounceMs: 30_000 });

    const any = convert({
      id: "b.load",
      dependencies: [{ taskId: "a.extract" }],
      trigger: { mode: TriggerMode.ANY },
    });
    expect(any.definitions[0]?.trigger).toEqual({ mode: "any", debounceMs: 0 });
  });

  it("has no trigger with mode UNSPECIFIED", () => {
    const { definitions, issues } = convert({ id: "b.load", trigger: {} });
    expect(issues).toEqual([]);
    expect(definitions[0]?.trigger).toBeUndefined();
  });

  it("refuses a trigger without dependencies, naming the task", () => {
    const { definitions, issues } = convert({ id: "b.load", trigger: { mode: TriggerMode.ANY } });
    expect(definitions).toEqual([]);
    expect(issues).toEqual([
      {
        taskId: "b.load",
        code: "INVALID",
        message:
          "task b.load: trigger: an upstream trigger needs at least one dependency to wait for",
      },
    ]);
  });

  it("refuses a negative debounce", () => {
    const messages = (init: Init) => convert(init).issues.map((issue) => issue.message);
    const dependencies = [{ taskId: "a.extract" }];
    expect(
      messages({
        id: "b.load",
        dependencies,
        trigger: { mode: TriggerMode.ANY, debounce: { seconds: -1n, nanos: 0 } },
      }),
    ).toEqual(["task b.load: trigger.debounce must not be negative"]);
  });
});
