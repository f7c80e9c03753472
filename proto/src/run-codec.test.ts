import { create, type DescMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AttemptSchema,
  GetRunResponseSchema,
  RunLinksSchema,
  RunSchema,
  RunSummarySchema,
  StartRunResponseSchema,
  TaskRunOutcomeSchema,
  TaskRunSchema,
} from "../gen/ts/cordyna/v1/control_pb.js";
import { CompletionSchema, OwnerSchema } from "../gen/ts/cordyna/v1/task_pb.js";
import {
  encodeStartRunResponse,
  HANDLED_RUN_FIELDS,
  handEncodeGetRunResponse,
  handEncodeStartRunResponse,
} from "./run-codec.js";
import { compact, secondsAndNanos, text } from "./testing/arbitraries.js";
import { expectEveryFieldHandled } from "./testing/handled-fields.js";

const texts = fc.array(text, { maxLength: 3 });
const enumValue = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 9 }));
const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
const owner = fc.option(fc.record({ team: text, contact: text }), { nil: undefined });

const attempt = fc
  .record({
    id: text,
    number: count,
    state: enumValue,
    instanceId: text,
    errorCause: enumValue,
    errorDescription: text,
    invokedAt: secondsAndNanos,
    queuedAt: secondsAndNanos,
    startedAt: secondsAndNanos,
    finishedAt: secondsAndNanos,
  })
  .map(compact);

const taskRun = fc
  .record({
    id: text,
    taskId: text,
    serverName: text,
    owner,
    state: enumValue,
    errorCause: enumValue,
    errorDescription: text,
    blockedBy: texts,
    reused: fc.option(
      fc
        .record({ taskId: text, runId: text, taskRunId: text, completedAt: secondsAndNanos })
        .map(compact),
      { nil: undefined },
    ),
    upstream: texts,
    attempts: fc.array(attempt, { maxLength: 2 }),
    updatedAt: secondsAndNanos,
    waitingReason: text,
  })
  .map(compact);

const outcome = fc
  .record({
    taskId: text,
    owner,
    serverName: text,
    errorCause: enumValue,
    errorDescription: text,
    blockedBy: texts,
  })
  .map(compact);

const run = fc
  .record({
    id: text,
    state: enumValue,
    trigger: enumValue,
    targets: texts,
    params: fc.dictionary(text, text, { maxKeys: 2 }),
    mode: enumValue,
    createdAt: secondsAndNanos,
    finishedAt: secondsAndNanos,
    taskRuns: fc.array(taskRun, { maxLength: 3 }),
    summary: fc.option(
      fc.record({
        failed: fc.array(outcome, { maxLength: 2 }),
        blocked: fc.array(outcome, { maxLength: 2 }),
        completed: count,
        skipped: count,
        cancelled: count,
      }),
      { nil: undefined },
    ),
    idempotencyKey: text,
    logicalTime: secondsAndNanos,
  })
  .map((value) => create(RunSchema, compact(value)));

describe("the hand-written encoder of runs", () => {
  it("writes exactly the bytes protobuf-es writes for StartRun and GetRun responses, without its help", () => {
    const links = fc.option(fc.record({ cli: text, grpc: text, http: text }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.option(run, { nil: undefined }),
        fc.boolean(),
        links,
        (value, existing, follow) => {
          const started = create(StartRunResponseSchema, compact({ run: value, existing, follow }));
          expect(handEncodeStartRunResponse(started)).toEqual(
            toBinary(StartRunResponseSchema, started),
          );
          const got = create(GetRunResponseSchema, compact({ run: value }));
          expect(handEncodeGetRunResponse(got)).toEqual(toBinary(GetRunResponseSchema, got));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("hands a run with unknown fields to protobuf-es, which keeps them", () => {
    const bytes = new Uint8Array([
      ...toBinary(RunSchema, create(RunSchema, { id: "run_1" })),
      ...new BinaryWriter().tag(99, WireType.Varint).uint32(1).finish(),
    ]);
    const response = create(StartRunResponseSchema, { run: fromBinary(RunSchema, bytes) });
    expect(() => handEncodeStartRunResponse(response)).toThrow();
    expect(encodeStartRunResponse(response)).toEqual(toBinary(StartRunResponseSchema, response));
  });

  it("knows every field of the messages it writes: a field added to the proto must be added here", () => {
    const schemas: DescMessage[] = [
      StartRunResponseSchema,
      RunLinksSchema,
      GetRunResponseSchema,
      RunSchema,
      TaskRunSchema,
      AttemptSchema,
      RunSummarySchema,
      TaskRunOutcomeSchema,
      CompletionSchema,
      OwnerSchema,
    ];
    expectEveryFieldHandled(schemas, HANDLED_RUN_FIELDS);
  });
});
