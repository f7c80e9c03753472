import { create } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import {
  CatchUpPolicy,
  DeadlinesSchema,
  type Dependency,
  DependencyCondition,
  DependencySchema,
  type DurationInput,
  ErrorCause,
  OverlapPolicy,
  parseDuration,
  RetryPolicySchema,
  ScheduleSchema,
  type TaskDeclaration,
  TaskDeclarationSchema,
  TriggerMode,
  UpstreamTriggerSchema,
} from "@cordyna/contract";
import { msToDuration } from "./durations.js";
import { TaskOptionsError } from "./errors.js";
import type { OwnerOptions, RetryCause, ScheduleOptions, TaskOptions } from "./types.js";

/** Global task id rule: 1-128 of [a-z0-9._-], starting with a letter or digit. */
export const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

const UINT32_MAX = 0xffff_ffff;

const RETRY_CAUSES: Readonly<Record<RetryCause, ErrorCause>> = {
  task_failed: ErrorCause.TASK_FAILED,
  ack_timeout: ErrorCause.ACK_TIMEOUT,
  start_timeout: ErrorCause.START_TIMEOUT,
  complete_timeout: ErrorCause.COMPLETE_TIMEOUT,
  server_lost: ErrorCause.SERVER_LOST,
  rejected: ErrorCause.REJECTED,
  heartbeat_timeout: ErrorCause.HEARTBEAT_TIMEOUT,
};

const CATCH_UP: Readonly<Record<NonNullable<ScheduleOptions["catchUp"]>, CatchUpPolicy>> = {
  skip: CatchUpPolicy.SKIP,
  latest: CatchUpPolicy.LATEST,
  all: CatchUpPolicy.ALL,
};

const OVERLAP: Readonly<Record<NonNullable<ScheduleOptions["overlap"]>, OverlapPolicy>> = {
  skip: OverlapPolicy.SKIP,
  "queue-one": OverlapPolicy.QUEUE_ONE,
  allow: OverlapPolicy.ALLOW,
  "cancel-previous": OverlapPolicy.CANCEL_PREVIOUS,
};

const TRIGGER: Readonly<Record<string, TriggerMode>> = {
  all: TriggerMode.ALL,
  any: TriggerMode.ANY,
};

/** True when `id` is a valid global task id. */
export function isValidTaskId(id: unknown): id is string {
  return typeof id === "string" && TASK_ID_PATTERN.test(id);
}

/**
 * Validates task options and converts them into a TaskDeclaration message.
 * `defaultOwner` (the server's team and contact) applies unless the task sets
 * its own owner.
 *
 * @throws TaskOptionsError naming the task and the first invalid field.
 */
export function toTaskDeclaration(
  options: TaskOptions,
  defaultOwner: OwnerOptions,
): TaskDeclaration {
  if (typeof options !== "object" || options === null) {
    throw new TaskOptionsError("", "options", "must be an object");
  }
  const id = options.id;
  const taskId = typeof id === "string" ? id : String(id);
  const fail: (field: string, problem: string) => never = (field, problem) => {
    throw new TaskOptionsError(taskId, field, problem);
  };
  if (!isValidTaskId(id)) {
    fail(
      "id",
      "must be 1-128 characters of lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
    );
  }
  const duration = (field: string, value: DurationInput): Duration => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      return fail(field, (error as Error).message);
    }
    if (ms <= 0) fail(field, "must be longer than zero");
    return msToDuration(ms);
  };
  const uint32 = (field: string, value: unknown): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
      fail(field, "must be a non-negative integer");
    }
    return value as number;
  };

  if (options.description !== undefined && typeof options.description !== "string") {
    fail("description", "must be a string");
  }

  const owner = options.owner ?? defaultOwner;
  const ownerField = options.owner ? "owner" : "owner (server default)";
  if (typeof owner !== "object" || owner === null) fail("owner", "must be {team, contact}");
  if (typeof owner.team !== "string" || owner.team.trim() === "") {
    fail(`${ownerField}.team`, "must be a non-empty string");
  }
  if (owner.contact !== undefined && typeof owner.contact !== "string") {
    fail(`${ownerField}.contact`, "must be a string");
  }

  const dependencies: Dependency[] = [];
  if (options.dependsOn !== undefined) {
    if (!isArray(options.dependsOn)) fail("dependsOn", "must be an array");
    const seen = new Set<string>();
    options.dependsOn.forEach((entry, index) => {
      const field = `dependsOn[${index}]`;
      const upstream = typeof entry === "string" ? entry : entry?.task;
      const upstreamField = typeof entry === "string" ? field : `${field}.task`;
      if (!isValidTaskId(upstream)) {
        fail(upstreamField, `${JSON.stringify(upstream)} is not a valid task id`);
      }
      if (upstream === id) fail(upstreamField, "a task cannot depend on itself");
      if (seen.has(upstream)) fail(upstreamField, `${upstream} is listed twice`);
      seen.add(upstream);
      if (typeof entry === "object" && entry.freshWithin !== undefined) {
        dependencies.push(
          create(DependencySchema, {
            taskId: upstream,
            condition: DependencyCondition.FRESH_WITHIN,
            freshWithin: duration(`${field}.freshWithin`, entry.freshWithin),
          }),
        );
      } else {
        dependencies.push(
          create(DependencySchema, {
            taskId: upstream,
            condition: DependencyCondition.RUN_FIRST,
          }),
        );
      }
    });
  }

  const declaration = create(TaskDeclarationSchema, {
    id,
    description: options.description ?? "",
    owner: { team: owner.team, contact: owner.contact ?? "" },
    dependencies,
  });

  if (options.deadlines !== undefined) {
    const { ack, start, complete, heartbeat } = options.deadlines;
    declaration.deadlines = create(DeadlinesSchema, {
      ...(ack !== undefined && { ack: duration("deadlines.ack", ack) }),
      ...(start !== undefined && { start: duration("deadlines.start", start) }),
      ...(complete !== undefined && { complete: duration("deadlines.complete", complete) }),
      ...(heartbeat !== undefined && { heartbeat: duration("deadlines.heartbeat", heartbeat) }),
    });
  }

  if (options.retry !== undefined) {
    const retry = options.retry;
    const maxAttempts = uint32("retry.maxAttempts", retry.maxAttempts);
    let initialMs: number | undefined;
    let maxMs: number | undefined;
    const policy = create(RetryPolicySchema, { maxAttempts });
    if (retry.initialBackoff !== undefined) {
      policy.initialBackoff = duration("retry.initialBackoff", retry.initialBackoff);
      initialMs = parseDuration(retry.initialBackoff);
    }
    if (retry.maxBackoff !== undefined) {
      policy.maxBackoff = duration("retry.maxBackoff", retry.maxBackoff);
      maxMs = parseDuration(retry.maxBackoff);
    }
    if (initialMs !== undefined && maxMs !== undefined && initialMs > maxMs) {
      fail("retry.maxBackoff", "must not be shorter than retry.initialBackoff");
    }
    if (retry.multiplier !== undefined) {
      if (!Number.isFinite(retry.multiplier) || retry.multiplier < 1) {
        fail("retry.multiplier", "must be a number of at least 1");
      }
      policy.backoffMultiplier = retry.multiplier;
    }
    if (retry.retryOn !== undefined) {
      if (!isArray(retry.retryOn)) fail("retry.retryOn", "must be an array");
      policy.retryOn = retry.retryOn.map((cause, index) => {
        const code = RETRY_CAUSES[cause];
        if (code === undefined) {
          fail(
            `retry.retryOn[${index}]`,
            `unknown cause ${JSON.stringify(cause)}; expected one of ${Object.keys(RETRY_CAUSES).join(", ")}`,
          );
        }
        return code;
      });
    }
    declaration.retry = policy;
  }

  if (options.concurrencyLimit !== undefined) {
    declaration.concurrencyLimit = uint32("concurrencyLimit", options.concurrencyLimit);
  }

  if (options.tags !== undefined) {
    if (!isArray(options.tags)) fail("tags", "must be an array of strings");
    options.tags.forEach((tag, index) => {
      if (typeof tag !== "string" || tag.trim() === "") {
        fail(`tags[${index}]`, "must be a non-empty string");
      }
    });
    declaration.tags = [...options.tags];
  }

  if (options.schedule !== undefined) {
    const schedule = options.schedule;
    if (typeof schedule.cron !== "string") fail("schedule.cron", "must be a string");
    const fields = schedule.cron.trim().split(/\s+/).filter(Boolean);
    if (fields.length !== 5 && fields.length !== 6) {
      fail("schedule.cron", `expected 5 fields (or 6 with seconds), got ${fields.length}`);
    }
    const proto = create(ScheduleSchema, {
      cron: fields.join(" "),
    });
    if (schedule.timeZone !== undefined) {
      if (!isValidTimeZone(schedule.timeZone)) {
        fail("schedule.timeZone", `${JSON.stringify(schedule.timeZone)} is not an IANA time zone`);
      }
      proto.timeZone = schedule.timeZone;
    }
    if (schedule.catchUp !== undefined) {
      const policy = CATCH_UP[schedule.catchUp];
      if (policy === undefined) {
        fail("schedule.catchUp", `expected one of ${Object.keys(CATCH_UP).join(", ")}`);
      }
      proto.catchUp = policy;
    }
    if (schedule.catchUpMax !== undefined) {
      proto.catchUpMax = uint32("schedule.catchUpMax", schedule.catchUpMax);
    }
    if (schedule.overlap !== undefined) {
      const policy = OVERLAP[schedule.overlap];
      if (policy === undefined) {
        fail("schedule.overlap", `expected one of ${Object.keys(OVERLAP).join(", ")}`);
      }
      proto.overlap = policy;
    }
    if (schedule.expectedWithin !== undefined) {
      const expectedWithin = duration("schedule.expectedWithin", schedule.expectedWithin);
      if (
        Number(expectedWithin.seconds) * 1000 + expectedWithin.nanos / 1e6 >
        MAX_EXPECTED_WITHIN_MS
      ) {
        fail("schedule.expectedWithin", "must be at most 7 days");
      }
      proto.expectedWithin = expectedWithin;
    }
    declaration.schedule = proto;
  }

  if (options.trigger !== undefined) {
    const mode = TRIGGER[options.trigger.mode];
    if (mode === undefined) fail("trigger.mode", 'expected "all" or "any"');
    declaration.trigger = create(UpstreamTriggerSchema, {
      mode,
      ...(options.trigger.debounce !== undefined && {
        debounce: duration("trigger.debounce", options.trigger.debounce),
      }),
    });
    if (dependencies.length === 0) fail("trigger", "needs at least one upstream in dependsOn");
  }

  return declaration;
}

/** The longest schedule.expectedWithin cerebro accepts. */
const MAX_EXPECTED_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;

function isValidTimeZone(timeZone: unknown): boolean {
  if (typeof timeZone !== "string" || timeZone === "") return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Array.isArray without narrowing readonly arrays to any[]. */
function isArray(value: unknown): boolean {
  return Array.isArray(value);
}
