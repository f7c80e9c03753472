import {
  CatchUpPolicy,
  DependencyCondition,
  ErrorCause,
  OverlapPolicy,
  TriggerMode,
} from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { toTaskDeclaration } from "./declaration.js";
import { durationToMs } from "./durations.js";
import { TaskOptionsError } from "./errors.js";
import { TaskRegistry } from "./registry.js";
import type { TaskOptions } from "./types.js";

const owner = { team: "team-a", contact: "a@example.com" };

function declare(options: Partial<TaskOptions> & Record<string, unknown>) {
  return toTaskDeclaration(
    { id: "a.import", description: "Import", ...options } as TaskOptions,
    owner,
  );
}

function expectInvalid(options: Record<string, unknown>, field: string, taskId = "a.import"): void {
  let caught: unknown;
  try {
    declare(options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TaskOptionsError);
  const error = caught as TaskOptionsError;
  expect(error.field).toBe(field);
  expect(error.taskId).toBe(taskId);
  expect(error.message).toContain(JSON.stringify(taskId));
  expect(error.message).toContain(field);
}

describe("toTaskDeclaration", () => {
  it("converts a minimal task with the server's default owner", () => {
    const declaration = declare({});
    expect(declaration.id).toBe("a.import");
    expect(declaration.description).toBe("Import");
    expect(declaration.owner).toMatchObject(owner);
    expect(declaration.dependencies).toEqual([]);
    expect(declaration.deadlines).toBeUndefined();
    expect(declaration.retry).toBeUndefined();
    expect(declaration.schedule).toBeUndefined();
  });

  it("converts every option", () => {
    const declaration = declare({
      owner: { team: "team-b", contact: "#b" },
      dependsOn: ["x.y", { task: "z.w", freshWithin: "1h" }, { task: "q.r" }],
      deadlines: { ack: "10s", start: "10m", complete: 1_800_000 },
      retry: {
        maxAttempts: 3,
        initialBackoff: "1s",
        maxBackoff: "1m",
        multiplier: 2,
        retryOn: ["task_failed", "server_lost"],
      },
      concurrencyLimit: 2,
      tags: ["nightly", "orders"],
      schedule: {
        cron: "0  2 * * *",
        timeZone: "Europe/Berlin",
        catchUp: "all",
        catchUpMax: 3,
        overlap: "queue-one",
        expectedWithin: "2h",
      },
      trigger: { mode: "any", debounce: "30s" },
    });
    expect(declaration.owner).toMatchObject({ team: "team-b", contact: "#b" });
    expect(
      declaration.dependencies.map((d) => [d.taskId, d.condition, durationToMs(d.freshWithin)]),
    ).toEqual([
      ["x.y", DependencyCondition.RUN_FIRST, undefined],
      ["z.w", DependencyCondition.FRESH_WITHIN, 3_600_000],
      ["q.r", DependencyCondition.RUN_FIRST, undefined],
    ]);
    expect(durationToMs(declaration.deadlines?.ack)).toBe(10_000);
    expect(durationToMs(declaration.deadlines?.start)).toBe(600_000);
    expect(durationToMs(declaration.deadlines?.complete)).toBe(1_800_000);
    expect(declaration.retry?.maxAttempts).toBe(3);
    expect(durationToMs(declaration.retry?.initialBackoff)).toBe(1_000);
    expect(durationToMs(declaration.retry?.maxBackoff)).toBe(60_000);
    expect(declaration.retry?.backoffMultiplier).toBe(2);
    expect(declaration.retry?.retryOn).toEqual([ErrorCause.TASK_FAILED, ErrorCause.SERVER_LOST]);
    expect(declaration.concurrencyLimit).toBe(2);
    expect(declaration.tags).toEqual(["nightly", "orders"]);
    expect(declaration.schedule).toMatchObject({
      cron: "0 2 * * *",
      timeZone: "Europe/Berlin",
      catchUp: CatchUpPolicy.ALL,
      catchUpMax: 3,
      overlap: OverlapPolicy.QUEUE_ONE,
    });
    expect(durationToMs(declaration.schedule?.expectedWithin)).toBe(7_200_000);
    expect(declaration.trigger?.mode).toBe(TriggerMode.ANY);
    expect(durationToMs(declaration.trigger?.debounce)).toBe(30_000);
  });

  it("accepts a 6-field cron and sets only the given deadlines", () => {
    const declaration = declare({ schedule: { cron: "*/30 * * * * *" }, deadlines: { ack: "1s" } });
    expect(declaration.schedule?.cron).toBe("*/30 * * * * *");
    expect(declaration.deadlines?.ack).toBeDefined();
    expect(declaration.deadlines?.start).toBeUndefined();
  });

  it("declares a heartbeat deadline, and heartbeat_timeout among the causes retried", () => {
    const declaration = declare({
      deadlines: { heartbeat: "30s" },
      retry: { maxAttempts: 2, retryOn: ["heartbeat_timeout"] },
    });
    expect(durationToMs(declaration.deadlines?.heartbeat)).toBe(30_000);
    expect(declaration.deadlines?.complete).toBeUndefined();
    expect(declaration.retry?.retryOn).toEqual([ErrorCause.HEARTBEAT_TIMEOUT]);
  });

  describe("rejects, naming the task and the field:", () => {
    it.each<[string, Record<string, unknown>, string]>([
      ["an empty id", { id: "" }, "id"],
      ["an upper-case id", { id: "A.Import" }, "id"],
      ["an id starting with a dot", { id: ".import" }, "id"],
      ["an id over 128 characters", { id: `a${"b".repeat(128)}` }, "id"],
      ["a description that is not a string", { description: 42 }, "description"],
      ["an owner without team", { owner: { team: " ", contact: "x" } }, "owner.team"],
      [
        "an owner contact that is not a string",
        { owner: { team: "t", contact: 1 } },
        "owner.contact",
      ],
      ["dependsOn that is not an array", { dependsOn: "x.y" }, "dependsOn"],
      ["an invalid upstream id", { dependsOn: ["ok", "Bad Id"] }, "dependsOn[1]"],
      ["an invalid upstream object", { dependsOn: [{ task: "" }] }, "dependsOn[0].task"],
      ["a self-dependency", { dependsOn: ["a.import"] }, "dependsOn[0]"],
      ["a duplicate upstream", { dependsOn: ["x.y", { task: "x.y" }] }, "dependsOn[1].task"],
      [
        "a bad freshWithin",
        { dependsOn: [{ task: "x.y", freshWithin: "1 hour" }] },
        "dependsOn[0].freshWithin",
      ],
      [
        "a zero freshWithin",
        { dependsOn: [{ task: "x.y", freshWithin: 0 }] },
        "dependsOn[0].freshWithin",
      ],
      ["a bad ack deadline", { deadlines: { ack: "10x" } }, "deadlines.ack"],
      ["a negative start deadline", { deadlines: { start: -1 } }, "deadlines.start"],
      ["a bad complete deadline", { deadlines: { complete: "soon" } }, "deadlines.complete"],
      ["a zero heartbeat deadline", { deadlines: { heartbeat: 0 } }, "deadlines.heartbeat"],
      ["a fractional maxAttempts", { retry: { maxAttempts: 1.5 } }, "retry.maxAttempts"],
      ["a negative maxAttempts", { retry: { maxAttempts: -1 } }, "retry.maxAttempts"],
      [
        "a bad initialBackoff",
        { retry: { maxAttempts: 2, initialBackoff: "1y" } },
        "retry.initialBackoff",
      ],
      ["a bad maxBackoff", { retry: { maxAttempts: 2, maxBackoff: "x" } }, "retry.maxBackoff"],
      [
        "maxBackoff below initialBackoff",
        { retry: { maxAttempts: 2, initialBackoff: "1m", maxBackoff: "1s" } },
        "retry.maxBackoff",
      ],
      ["a multiplier below 1", { retry: { maxAttempts: 2, multiplier: 0.5 } }, "retry.multiplier"],
      [
        "an unknown retry cause",
        { retry: { maxAttempts: 2, retryOn: ["oops"] } },
        "retry.retryOn[0]",
      ],
      ["a negative concurrencyLimit", { concurrencyLimit: -2 }, "concurrencyLimit"],
      ["tags that are not an array", { tags: "x" }, "tags"],
      ["an empty tag", { tags: ["ok", ""] }, "tags[1]"],
      ["a cron that is not a string", { schedule: { cron: 5 } }, "schedule.cron"],
      ["a cron with 3 fields", { schedule: { cron: "* * *" } }, "schedule.cron"],
      [
        "an unknown time zone",
        { schedule: { cron: "* * * * *", timeZone: "Mars/Base" } },
        "schedule.timeZone",
      ],
      [
        "an unknown catch-up policy",
        { schedule: { cron: "* * * * *", catchUp: "some" } },
        "schedule.catchUp",
      ],
      [
        "a bad catchUpMax",
        { schedule: { cron: "* * * * *", catchUpMax: -1 } },
        "schedule.catchUpMax",
      ],
      [
        "an expectedWithin of zero",
        { schedule: { cron: "* * * * *", expectedWithin: 0 } },
        "schedule.expectedWithin",
      ],
      [
        "an expectedWithin over 7 days",
        { schedule: { cron: "* * * * *", expectedWithin: "8d" } },
        "schedule.expectedWithin",
      ],
      [
        "an unknown overlap policy",
        { schedule: { cron: "* * * * *", overlap: "x" } },
        "schedule.overlap",
      ],
      [
        "an unknown trigger mode",
        { dependsOn: ["x.y"], trigger: { mode: "some" } },
        "trigger.mode",
      ],
      [
        "a bad debounce",
        { dependsOn: ["x.y"], trigger: { mode: "all", debounce: "x" } },
        "trigger.debounce",
      ],
      ["a trigger without upstream", { trigger: { mode: "all" } }, "trigger"],
    ])("%s", (_name, options, field) => {
      expectInvalid(options, field, typeof options.id === "string" ? options.id : "a.import");
    });

    it("a server default owner without team", () => {
      expect(() =>
        toTaskDeclaration({ id: "a.b", description: "" }, { team: "", contact: "" }),
      ).toThrow(/owner \(server default\)\.team/);
    });

    it("keeps working without a description", () => {
      expect(toTaskDeclaration({ id: "a.b" }, owner).description).toBe("");
    });

    it("options that are not an object", () => {
      expect(() => toTaskDeclaration(null as unknown as TaskOptions, owner)).toThrow(
        TaskOptionsError,
      );
    });
  });
});

describe("TaskRegistry", () => {
  const handler = async () => undefined;

  it("keeps tasks in registration order and bumps its version", () => {
    const registry = new TaskRegistry(owner);
    const before = registry.version;
    registry.add({ id: "b.one", description: "" }, handler);
    registry.add({ id: "a.two", description: "" }, handler);
    expect(registry.declarations().map((d) => d.id)).toEqual(["b.one", "a.two"]);
    expect(registry.version).toBeGreaterThan(before);
    expect(registry.get("a.two")?.handler).toBe(handler);
  });

  it("rejects a duplicate id, naming the task and the field", () => {
    const registry = new TaskRegistry(owner);
    registry.add({ id: "a.b", description: "" }, handler);
    expect(() => registry.add({ id: "a.b", description: "again" }, handler)).toThrow(
      expect.objectContaining({ name: "TaskOptionsError", taskId: "a.b", field: "id" }),
    );
    expect(registry.size).toBe(1);
  });

  it("rejects a handler that is not a function", () => {
    const registry = new TaskRegistry(owner);
    expect(() =>
      registry.add({ id: "a.b", description: "" }, "nope" as unknown as typeof handler),
    ).toThrow(expect.objectContaining({ field: "handler" }));
  });
});
