import type { Duration } from "@bufbuild/protobuf/wkt";
import {
  DependencyCondition,
  CatchUpPolicy as ProtoCatchUpPolicy,
  OverlapPolicy as ProtoOverlapPolicy,
  type Schedule as ProtoSchedule,
  type UpstreamTrigger as ProtoUpstreamTrigger,
  type TaskDeclaration,
} from "@cordyna/contract";
import {
  DEFAULT_CATCH_UP_MAX,
  type Dependency,
  type ErrorCause,
  MAX_EXPECTED_WITHIN_MS,
  type Schedule,
  type TaskDefinition,
  type UpstreamTrigger,
} from "../domain/model.js";
import { NO_RETRY } from "../engine/policies.js";
import { type DeclarationIssue, IssueCode } from "../graph/issues.js";
import { checkCron, UTC } from "../schedule/cron.js";
import { pausePoints, type SlicedWork } from "../slices.js";
import {
  catchUpFromProto,
  errorCauseFromProto,
  overlapFromProto,
  triggerModeFromProto,
} from "./enums.js";

/** The result of checking one server's declarations field by field. */
export interface ConvertedDeclarations {
  readonly definitions: TaskDefinition[];
  readonly issues: DeclarationIssue[];
}

/**
 * Turns declarations from the wire into task definitions, naming every
 * malformed field (one issue per problem, each naming its task); sliced, as
 * a declaration may hold tens of thousands of tasks. What the proto's
 * buf.validate annotations say (ids, sizes, counts, enum values) is checked
 * before, at the edge; this checks what they cannot express.
 */
export function* convertDeclarations(
  declarations: readonly TaskDeclaration[],
): SlicedWork<ConvertedDeclarations> {
  const definitions: TaskDefinition[] = [];
  const issues: DeclarationIssue[] = [];
  const pausePoint = pausePoints();
  for (const [index, declaration] of declarations.entries()) {
    if (pausePoint()) yield;
    const taskId = declaration.id;
    const label = taskId ? `task ${taskId}` : `task #${index + 1}`;
    const problems: string[] = [];
    if (!declaration.owner?.team)
      problems.push("owner.team is required: name the team answerable for it");

    const dependencies: Dependency[] = [];
    for (const dependency of declaration.dependencies) {
      if (dependency.taskId === taskId) {
        problems.push("it depends on itself");
        continue;
      }
      if (dependency.condition === DependencyCondition.FRESH_WITHIN) {
        const freshWithinMs = durationMs(dependency.freshWithin);
        if (freshWithinMs === undefined || freshWithinMs <= 0) {
          problems.push(
            `dependency ${dependency.taskId}: fresh_within must be a positive duration`,
          );
          continue;
        }
        dependencies.push({ taskId: dependency.taskId, freshWithinMs });
      } else {
        dependencies.push({ taskId: dependency.taskId });
      }
    }

    const deadlines: Record<
      "ackMs" | "startMs" | "completeMs" | "heartbeatMs",
      number | undefined
    > = {
      ackMs: durationMs(declaration.deadlines?.ack),
      startMs: durationMs(declaration.deadlines?.start),
      completeMs: durationMs(declaration.deadlines?.complete),
      heartbeatMs: durationMs(declaration.deadlines?.heartbeat),
    };
    for (const [field, value] of Object.entries(deadlines)) {
      if (value !== undefined && value < 0)
        problems.push(`deadlines.${field} must not be negative`);
    }

    const retry = declaration.retry;
    const retryOn: ErrorCause[] = [];
    for (const cause of retry?.retryOn ?? []) {
      // UNSPECIFIED and unknown numbers are refused at the edge (buf.validate).
      const converted = errorCauseFromProto(cause);
      if (converted) retryOn.push(converted);
    }
    const initialBackoffMs = durationMs(retry?.initialBackoff) ?? NO_RETRY.initialBackoffMs;
    const maxBackoffMs = durationMs(retry?.maxBackoff) ?? NO_RETRY.maxBackoffMs;
    if (initialBackoffMs < 0 || maxBackoffMs < 0)
      problems.push("retry backoffs must not be negative");
    if ((retry?.backoffMultiplier ?? 0) < 0)
      problems.push("retry.backoff_multiplier must not be negative");
    const schedule = convertSchedule(declaration.schedule, problems);
    const trigger = convertTrigger(declaration.trigger, dependencies.length, problems);

    for (const problem of problems) {
      issues.push({ taskId, code: IssueCode.INVALID, message: `${label}: ${problem}` });
    }
    if (problems.length > 0) continue;

    const definition: TaskDefinition = {
      id: taskId,
      description: declaration.description,
      owner: { team: declaration.owner?.team ?? "", contact: declaration.owner?.contact ?? "" },
      dependencies,
      deadlines: Object.fromEntries(
        Object.entries(deadlines).filter(
          (entry): entry is [string, number] => entry[1] !== undefined && entry[1] > 0,
        ),
      ),
      retry: {
        maxAttempts: Math.max(1, retry?.maxAttempts ?? 1),
        initialBackoffMs,
        maxBackoffMs: Math.max(maxBackoffMs, initialBackoffMs),
        multiplier: retry?.backoffMultiplier || NO_RETRY.multiplier,
        retryOn,
      },
      concurrencyLimit: declaration.concurrencyLimit,
      tags: [...declaration.tags],
      ...(schedule && { schedule }),
      ...(trigger && { trigger }),
    };
    definitions.push(definition);
  }
  return { definitions, issues };
}

/**
 * The schedule of a declaration, or undefined when it has none; what is wrong
 * with it goes to problems. An empty time zone means UTC.
 */
function convertSchedule(
  schedule: ProtoSchedule | undefined,
  problems: string[],
): Schedule | undefined {
  if (!schedule) return undefined;
  if (!schedule.cron) {
    const configured =
      schedule.timeZone !== "" ||
      schedule.catchUp !== ProtoCatchUpPolicy.UNSPECIFIED ||
      schedule.catchUpMax !== 0 ||
      schedule.overlap !== ProtoOverlapPolicy.UNSPECIFIED;
    if (schedule.expectedWithin) {
      problems.push(
        "schedule.expectedWithin needs schedule.cron: only a cron schedule has ticks to complete by",
      );
    } else if (configured) {
      problems.push("schedule: cron is required when a schedule is given");
    }
    return undefined;
  }
  const timeZone = schedule.timeZone || UTC;
  const before = problems.length;
  const cronProblem = checkCron(schedule.cron, timeZone);
  if (cronProblem) problems.push(`schedule: ${cronProblem}`);
  const expectedWithinMs = durationMs(schedule.expectedWithin);
  if (
    expectedWithinMs !== undefined &&
    (expectedWithinMs <= 0 || expectedWithinMs > MAX_EXPECTED_WITHIN_MS)
  ) {
    problems.push(
      `schedule.expectedWithin must be more than 0 and at most 7 days, not ${expectedWithinMs} ms`,
    );
  }
  if (problems.length > before) return undefined;
  return {
    cron: schedule.cron,
    timeZone,
    catchUp: catchUpFromProto(schedule.catchUp),
    catchUpMax: schedule.catchUpMax > 0 ? schedule.catchUpMax : DEFAULT_CATCH_UP_MAX,
    overlap: overlapFromProto(schedule.overlap),
    ...(expectedWithinMs === undefined ? {} : { expectedWithinMs }),
  };
}

/**
 * The upstream trigger of a declaration, or undefined when it has none (absent
 * or mode UNSPECIFIED); what is wrong with it goes to problems.
 */
function convertTrigger(
  trigger: ProtoUpstreamTrigger | undefined,
  dependencyCount: number,
  problems: string[],
): UpstreamTrigger | undefined {
  const mode = trigger && triggerModeFromProto(trigger.mode);
  if (!mode) return undefined;
  const debounceMs = durationMs(trigger.debounce) ?? 0;
  if (debounceMs < 0) {
    problems.push("trigger.debounce must not be negative");
    return undefined;
  }
  if (dependencyCount === 0) {
    problems.push("trigger: an upstream trigger needs at least one dependency to wait for");
    return undefined;
  }
  return { mode, debounceMs };
}

/** Milliseconds of a protobuf Duration; undefined when absent. */
export function durationMs(duration: Duration | undefined): number | undefined {
  if (!duration) return undefined;
  return Number(duration.seconds) * 1000 + Math.trunc(duration.nanos / 1_000_000);
}
