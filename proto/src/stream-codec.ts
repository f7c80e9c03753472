// The session stream's frequent messages, encoded and decoded by hand.
//
// protobuf-es reads and writes any message by reflection; for a task-state
// update, an invoke or an ack that costs more CPU than everything else a
// task-server does for a short task. These functions handle those messages
// directly and produce exactly what toBinary writes and fromBinary returns
// (stream-codec.test.ts checks that on random messages); anything else, or
// anything unusual (unknown fields, a message field repeated, bad input),
// goes to protobuf-es itself.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { Deadlines } from "../gen/ts/cordyna/v1/task_pb.js";
import {
  type Ack,
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
  type Invoke,
  type TaskStateUpdate,
} from "../gen/ts/cordyna/v1/task_server_pb.js";
import {
  HAND_OVER,
  handFirst,
  plain,
  writeBool,
  writeInt32,
  writeSecondsAndNanos,
  writeString,
  writeStringMap,
  writeUint32,
  writeUint64,
} from "./hand-codec.js";
import { WireWriter } from "./wire-writer.js";

/** The field numbers handled here, per message, so that a test notices a field added to the proto. */
export const HANDLED_FIELDS = {
  "cordyna.v1.TaskStateUpdate": [1, 2, 3, 4, 5, 6, 7],
  "cordyna.v1.TaskStateUpdates": [1],
  "cordyna.v1.Invoke": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  "cordyna.v1.Invokes": [1],
  "cordyna.v1.Ack": [1],
  "cordyna.v1.Deadlines": [1, 2, 3],
  "google.protobuf.Timestamp": [1, 2],
  "google.protobuf.Duration": [1, 2],
} as const;

export const encodeConnectRequest = handFirst(handEncodeConnectRequest, (request) =>
  toBinary(ConnectRequestSchema, request),
);
export const decodeConnectRequest = handFirst(handDecodeConnectRequest, (bytes) =>
  fromBinary(ConnectRequestSchema, bytes),
);
export const encodeConnectResponse = handFirst(handEncodeConnectResponse, (response) =>
  toBinary(ConnectResponseSchema, response),
);
export const decodeConnectResponse = handFirst(handDecodeConnectResponse, (bytes) =>
  fromBinary(ConnectResponseSchema, bytes),
);

// The hand-written halves throw whenever protobuf-es must take over; they are
// exported so that tests can check they handle every usual message alone.

export function handEncodeConnectRequest(request: ConnectRequest): Uint8Array {
  if (request.$unknown) throw HAND_OVER;
  const { message } = request;
  const writer = new WireWriter();
  switch (message.case) {
    case "taskState":
      writeTaskStateUpdate(writer.tag(3, WireType.LengthDelimited).fork(), message.value).join();
      return writer.finish();
    case "taskStates":
      plain(message.value);
      writer.tag(7, WireType.LengthDelimited).fork();
      for (const update of message.value.updates) {
        writeTaskStateUpdate(writer.tag(1, WireType.LengthDelimited).fork(), update).join();
      }
      return writer.join().finish();
    default:
      throw HAND_OVER;
  }
}

export function handDecodeConnectRequest(bytes: Uint8Array): ConnectRequest {
  const reader = new BinaryReader(bytes);
  const { fieldNo, end } = onlyField(reader);
  let message: ConnectRequest["message"];
  if (fieldNo === 3) message = { case: "taskState", value: readTaskStateUpdate(reader, end) };
  else if (fieldNo === 7) {
    const updates: TaskStateUpdate[] = [];
    while (reader.pos < end) {
      updates.push(readTaskStateUpdate(reader, nested(reader, 1)));
    }
    message = { case: "taskStates", value: { $typeName: "cordyna.v1.TaskStateUpdates", updates } };
  } else throw HAND_OVER;
  finished(reader, end);
  return { $typeName: "cordyna.v1.ConnectRequest", message };
}

export function handEncodeConnectResponse(response: ConnectResponse): Uint8Array {
  if (response.$unknown) throw HAND_OVER;
  const { message } = response;
  const writer = new WireWriter();
  switch (message.case) {
    case "invoke":
      writeInvoke(writer.tag(3, WireType.LengthDelimited).fork(), message.value).join();
      return writer.finish();
    case "invokes":
      plain(message.value);
      writer.tag(8, WireType.LengthDelimited).fork();
      for (const invoke of message.value.invokes) {
        writeInvoke(writer.tag(1, WireType.LengthDelimited).fork(), invoke).join();
      }
      return writer.join().finish();
    case "ack":
      writer.tag(5, WireType.LengthDelimited).fork();
      writeUint64(writer, 1, plain(message.value).throughSeq);
      return writer.join().finish();
    default:
      throw HAND_OVER;
  }
}

export function handDecodeConnectResponse(bytes: Uint8Array): ConnectResponse {
  const reader = new BinaryReader(bytes);
  const { fieldNo, end } = onlyField(reader);
  let message: ConnectResponse["message"];
  if (fieldNo === 3) message = { case: "invoke", value: readInvoke(reader, end) };
  else if (fieldNo === 8) {
    const invokes: Invoke[] = [];
    while (reader.pos < end) invokes.push(readInvoke(reader, nested(reader, 1)));
    message = { case: "invokes", value: { $typeName: "cordyna.v1.Invokes", invokes } };
  } else if (fieldNo === 5) message = { case: "ack", value: readAck(reader, end) };
  else throw HAND_OVER;
  finished(reader, end);
  return { $typeName: "cordyna.v1.ConnectResponse", message };
}

// --- writing: fields in number order, zero values left out, as toBinary does

function writeTaskStateUpdate(writer: WireWriter, update: TaskStateUpdate): WireWriter {
  plain(update);
  writeUint64(writer, 1, update.seq);
  writeString(writer, 2, update.attemptId);
  writeInt32(writer, 3, update.state);
  writeString(writer, 4, update.errorDescription);
  writeBool(writer, 5, update.nonRetryable);
  writeSecondsAndNanos(writer, 6, update.time);
  writeStringMap(writer, 7, update.outputs);
  return writer;
}

function writeInvoke(writer: WireWriter, invoke: Invoke): WireWriter {
  plain(invoke);
  writeString(writer, 1, invoke.runId);
  writeString(writer, 2, invoke.taskRunId);
  writeString(writer, 3, invoke.attemptId);
  writeUint32(writer, 4, invoke.attemptNumber);
  writeString(writer, 5, invoke.taskId);
  writeStringMap(writer, 6, invoke.params);
  const deadlines = invoke.deadlines;
  if (deadlines !== undefined) {
    writer.tag(7, WireType.LengthDelimited).fork();
    writeSecondsAndNanos(writer, 1, plain(deadlines).ack);
    writeSecondsAndNanos(writer, 2, deadlines.start);
    writeSecondsAndNanos(writer, 3, deadlines.complete);
    writer.join();
  }
  writeInt32(writer, 8, invoke.mode);
  writeStringMap(writer, 9, invoke.traceContext);
  writeSecondsAndNanos(writer, 10, invoke.logicalTime);
  return writer;
}

// --- reading: known fields with their expected wire types only. Node.js has
// BigInt, so the 64-bit readers return bigint, as in what fromBinary gives.

/** Reads the one length-delimited field a ConnectRequest or ConnectResponse holds. */
function onlyField(reader: BinaryReader): { fieldNo: number; end: number } {
  const [fieldNo, wireType] = reader.tag();
  if (wireType !== WireType.LengthDelimited) throw HAND_OVER;
  const length = reader.uint32();
  return { fieldNo, end: reader.pos + length };
}

/** Reads the tag and length of a nested message that must be field `fieldNo`; returns where it ends. */
function nested(reader: BinaryReader, fieldNo: number): number {
  const [no, wireType] = reader.tag();
  if (no !== fieldNo || wireType !== WireType.LengthDelimited) throw HAND_OVER;
  const length = reader.uint32();
  return reader.pos + length;
}

function finished(reader: BinaryReader, end: number): void {
  if (reader.pos !== end || end !== reader.len) throw HAND_OVER;
}

/** The next field of a message that ends at `end`, checked to have the wire type it must have. */
function field(reader: BinaryReader, wireTypes: readonly WireType[]): number {
  const [fieldNo, wireType] = reader.tag();
  if (wireTypes[fieldNo] !== wireType) throw HAND_OVER;
  return fieldNo;
}

const VARINT = WireType.Varint;
const BYTES = WireType.LengthDelimited;
// Index = field number.
const UPDATE_WIRE = [-1, VARINT, BYTES, VARINT, BYTES, VARINT, BYTES, BYTES];
const INVOKE_WIRE = [-1, BYTES, BYTES, BYTES, VARINT, BYTES, BYTES, BYTES, VARINT, BYTES, BYTES];
const ACK_WIRE = [-1, VARINT];
const SECONDS_NANOS_WIRE = [-1, VARINT, VARINT];
const DEADLINES_WIRE = [-1, BYTES, BYTES, BYTES];
const MAP_ENTRY_WIRE = [-1, BYTES, BYTES];
const DEADLINE_KEYS = [undefined, "ack", "start", "complete"] as const;

function readTaskStateUpdate(reader: BinaryReader, end: number): TaskStateUpdate {
  const update: TaskStateUpdate = {
    $typeName: "cordyna.v1.TaskStateUpdate",
    seq: 0n,
    attemptId: "",
    state: 0,
    errorDescription: "",
    nonRetryable: false,
    outputs: {},
  };
  while (reader.pos < end) {
    switch (field(reader, UPDATE_WIRE)) {
      case 1:
        update.seq = reader.uint64() as bigint;
        break;
      case 2:
        update.attemptId = reader.string();
        break;
      case 3:
        update.state = reader.int32();
        break;
      case 4:
        update.errorDescription = reader.string();
        break;
      case 5:
        update.nonRetryable = reader.bool();
        break;
      case 6:
        if (update.time !== undefined) throw HAND_OVER;
        update.time = readSecondsAndNanos(reader, "google.protobuf.Timestamp");
        break;
      default:
        readStringMapEntry(reader, update.outputs);
    }
  }
  if (reader.pos !== end) throw HAND_OVER;
  return update;
}

function readInvoke(reader: BinaryReader, end: number): Invoke {
  const invoke: Invoke = {
    $typeName: "cordyna.v1.Invoke",
    runId: "",
    taskRunId: "",
    attemptId: "",
    attemptNumber: 0,
    taskId: "",
    params: {},
    mode: 0,
    traceContext: {},
  };
  while (reader.pos < end) {
    switch (field(reader, INVOKE_WIRE)) {
      case 1:
        invoke.runId = reader.string();
        break;
      case 2:
        invoke.taskRunId = reader.string();
        break;
      case 3:
        invoke.attemptId = reader.string();
        break;
      case 4:
        invoke.attemptNumber = reader.uint32();
        break;
      case 5:
        invoke.taskId = reader.string();
        break;
      case 6:
        readStringMapEntry(reader, invoke.params);
        break;
      case 7:
        if (invoke.deadlines !== undefined) throw HAND_OVER;
        invoke.deadlines = readDeadlines(reader);
        break;
      case 8:
        invoke.mode = reader.int32();
        break;
      case 9:
        readStringMapEntry(reader, invoke.traceContext);
        break;
      default:
        if (invoke.logicalTime !== undefined) throw HAND_OVER;
        invoke.logicalTime = readSecondsAndNanos(reader, "google.protobuf.Timestamp");
    }
  }
  if (reader.pos !== end) throw HAND_OVER;
  return invoke;
}

function readAck(reader: BinaryReader, end: number): Ack {
  const ack: Ack = { $typeName: "cordyna.v1.Ack", throughSeq: 0n };
  while (reader.pos < end) {
    field(reader, ACK_WIRE);
    ack.throughSeq = reader.uint64() as bigint;
  }
  if (reader.pos !== end) throw HAND_OVER;
  return ack;
}

function readDeadlines(reader: BinaryReader): Deadlines {
  const end = reader.uint32() + reader.pos;
  const deadlines: Deadlines = { $typeName: "cordyna.v1.Deadlines" };
  while (reader.pos < end) {
    const key = DEADLINE_KEYS[field(reader, DEADLINES_WIRE)]!;
    if (deadlines[key] !== undefined) throw HAND_OVER;
    deadlines[key] = readSecondsAndNanos(reader, "google.protobuf.Duration");
  }
  if (reader.pos !== end) throw HAND_OVER;
  return deadlines;
}

function readSecondsAndNanos<T extends "google.protobuf.Timestamp" | "google.protobuf.Duration">(
  reader: BinaryReader,
  typeName: T,
): { $typeName: T; seconds: bigint; nanos: number } {
  const end = reader.uint32() + reader.pos;
  const value = { $typeName: typeName, seconds: 0n, nanos: 0 };
  while (reader.pos < end) {
    if (field(reader, SECONDS_NANOS_WIRE) === 1) value.seconds = reader.int64() as bigint;
    else value.nanos = reader.int32();
  }
  if (reader.pos !== end) throw HAND_OVER;
  return value;
}

function readStringMapEntry(reader: BinaryReader, map: { [key: string]: string }): void {
  const end = reader.uint32() + reader.pos;
  let key = "";
  let value = "";
  while (reader.pos < end) {
    if (field(reader, MAP_ENTRY_WIRE) === 1) key = reader.string();
    else value = reader.string();
  }
  if (reader.pos !== end) throw HAND_OVER;
  map[key] = value;
}
