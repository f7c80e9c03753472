import { create, type DescMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeadlinesSchema } from "../gen/ts/cordyna/v1/task_pb.js";
import {
  AckSchema,
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
  InvokeSchema,
  InvokesSchema,
  TaskStateUpdateSchema,
  TaskStateUpdatesSchema,
} from "../gen/ts/cordyna/v1/task_server_pb.js";
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  HANDLED_FIELDS,
  handDecodeConnectRequest,
  handDecodeConnectResponse,
  handEncodeConnectRequest,
  handEncodeConnectResponse,
} from "./stream-codec.js";
import { compact, int32, secondsAndNanos, text } from "./testing/arbitraries.js";
import { expectEveryFieldHandled } from "./testing/handled-fields.js";

const smallMap = fc.dictionary(text, text, { maxKeys: 3 });
const uint64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

const taskStateUpdate = fc
  .record({
    seq: uint64,
    attemptId: text,
    state: fc.oneof(fc.integer({ min: 0, max: 9 }), int32),
    errorDescription: text,
    nonRetryable: fc.boolean(),
    time: secondsAndNanos,
    outputs: smallMap,
  })
  .map((update) => create(TaskStateUpdateSchema, compact(update)));

const invoke = fc
  .record({
    runId: text,
    taskRunId: text,
    attemptId: text,
    attemptNumber: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    taskId: text,
    params: smallMap,
    deadlines: fc.option(
      fc
        .record({ ack: secondsAndNanos, start: secondsAndNanos, complete: secondsAndNanos })
        .map(compact),
      { nil: undefined },
    ),
    mode: fc.integer({ min: 0, max: 2 }),
    traceContext: smallMap,
    logicalTime: secondsAndNanos,
  })
  .map((value) => create(InvokeSchema, compact(value)));

const request = fc.oneof(
  taskStateUpdate.map((value) =>
    create(ConnectRequestSchema, { message: { case: "taskState", value } }),
  ),
  fc
    .array(taskStateUpdate, { maxLength: 4 })
    .map((updates) =>
      create(ConnectRequestSchema, { message: { case: "taskStates", value: { updates } } }),
    ),
);

const response = fc.oneof(
  invoke.map((value) => create(ConnectResponseSchema, { message: { case: "invoke", value } })),
  fc
    .array(invoke, { maxLength: 4 })
    .map((invokes) =>
      create(ConnectResponseSchema, { message: { case: "invokes", value: { invokes } } }),
    ),
  uint64.map((throughSeq) =>
    create(ConnectResponseSchema, { message: { case: "ack", value: { throughSeq } } }),
  ),
);

/** Bytes with an unknown field (number 99) appended to a message's own fields. */
function withUnknownField(bytes: Uint8Array): Uint8Array {
  const extra = new BinaryWriter().tag(99, WireType.Varint).uint32(7).finish();
  return new Uint8Array([...bytes, ...extra]);
}

describe("the session stream's hand-written codec", () => {
  it("writes exactly the bytes protobuf-es writes, and reads them back as protobuf-es does, without its help", () => {
    fc.assert(
      fc.property(request, (message: ConnectRequest) => {
        const bytes = toBinary(ConnectRequestSchema, message);
        expect(handEncodeConnectRequest(message)).toEqual(bytes);
        expect(handDecodeConnectRequest(bytes)).toStrictEqual(
          fromBinary(ConnectRequestSchema, bytes),
        );
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(response, (message: ConnectResponse) => {
        const bytes = toBinary(ConnectResponseSchema, message);
        expect(handEncodeConnectResponse(message)).toEqual(bytes);
        expect(handDecodeConnectResponse(bytes)).toStrictEqual(
          fromBinary(ConnectResponseSchema, bytes),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("writes long strings and nested messages of any size as protobuf-es does", () => {
    const long = fc.string({ unit: "binary", minLength: 100, maxLength: 400 });
    const longInvoke = fc
      .record({ runId: long, taskId: long, params: fc.dictionary(long, long, { maxKeys: 2 }) })
      .map((value) => create(InvokeSchema, value));
    fc.assert(
      fc.property(fc.array(longInvoke, { maxLength: 3 }), (invokes) => {
        const message = create(ConnectResponseSchema, {
          message: { case: "invokes", value: { invokes } },
        });
        expect(handEncodeConnectResponse(message)).toEqual(
          toBinary(ConnectResponseSchema, message),
        );
      }),
      { numRuns: 100 },
    );
    const huge = create(ConnectResponseSchema, {
      message: {
        case: "invoke",
        value: { taskId: "a.x", params: { blob: "é".repeat(1_500_000) } },
      },
    });
    // Three megabytes: compared as buffers, which toEqual would do byte by byte for a minute.
    const written = Buffer.from(handEncodeConnectResponse(huge));
    const expected = Buffer.from(toBinary(ConnectResponseSchema, huge));
    expect(written.length).toBe(expected.length);
    expect(written.equals(expected)).toBe(true);
  });

  it("hands every other message to protobuf-es, both ways", () => {
    const hello = create(ConnectRequestSchema, {
      message: { case: "hello", value: { serverName: "a", tasks: [{ id: "a.x" }] } },
    });
    const welcome = create(ConnectResponseSchema, {
      message: { case: "welcome", value: { sessionId: "ses_1" } },
    });
    const helloBytes = toBinary(ConnectRequestSchema, hello);
    const welcomeBytes = toBinary(ConnectResponseSchema, welcome);
    expect(encodeConnectRequest(hello)).toEqual(helloBytes);
    expect(decodeConnectRequest(helloBytes)).toStrictEqual(hello);
    expect(encodeConnectResponse(welcome)).toEqual(welcomeBytes);
    expect(decodeConnectResponse(welcomeBytes)).toStrictEqual(welcome);
    expect(decodeConnectRequest(new Uint8Array())).toStrictEqual(create(ConnectRequestSchema, {}));
  });

  it("keeps unknown fields of a newer peer, as protobuf-es does", () => {
    const update = create(ConnectRequestSchema, {
      message: { case: "taskState", value: { seq: 3n, attemptId: "att_1", state: 4 } },
    });
    const bytes = withUnknownField(toBinary(ConnectRequestSchema, update));
    const decoded = decodeConnectRequest(bytes);
    expect(decoded).toStrictEqual(fromBinary(ConnectRequestSchema, bytes));
    expect(decoded.$unknown).toHaveLength(1);
    expect(encodeConnectRequest(decoded)).toEqual(bytes);
  });

  it("merges a message field sent twice, as protobuf-es does", () => {
    const timestamp = (seconds: bigint, nanos: number) =>
      toBinary(TimestampSchema, create(TimestampSchema, { seconds, nanos }));
    const update = new BinaryWriter()
      .tag(2, WireType.LengthDelimited)
      .string("att_1")
      .tag(6, WireType.LengthDelimited)
      .bytes(timestamp(5n, 0))
      .tag(6, WireType.LengthDelimited)
      .bytes(timestamp(0n, 9))
      .finish();
    const bytes = new BinaryWriter().tag(3, WireType.LengthDelimited).bytes(update).finish();
    const decoded = decodeConnectRequest(bytes);
    expect(decoded).toStrictEqual(fromBinary(ConnectRequestSchema, bytes));
    expect(decoded.message.case === "taskState" && decoded.message.value.time).toMatchObject({
      seconds: 5n,
      nanos: 9,
    });
  });

  it("fails on broken bytes with protobuf-es's own error", () => {
    const bytes = toBinary(
      ConnectResponseSchema,
      create(ConnectResponseSchema, {
        message: { case: "invoke", value: { runId: "run_1", taskId: "a.x" } },
      }),
    );
    const truncated = bytes.subarray(0, bytes.length - 2);
    const expected = captureError(() => fromBinary(ConnectResponseSchema, truncated));
    expect(expected).toBeInstanceOf(Error);
    expect(() => decodeConnectResponse(truncated)).toThrow(expected!.message);
  });

  it("knows every field of the messages it handles: a field added to the proto must be added to the codec", () => {
    const schemas: DescMessage[] = [
      TaskStateUpdateSchema,
      TaskStateUpdatesSchema,
      InvokeSchema,
      InvokesSchema,
      AckSchema,
      DeadlinesSchema,
      TimestampSchema,
      DurationSchema,
    ];
    expectEveryFieldHandled(schemas, HANDLED_FIELDS);
  });
});

function captureError(fn: () => unknown): Error | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
