// What the hand-written codecs share: the hand-over to protobuf-es, and
// fields written as toBinary writes them (in the order called, zero values
// of implicit-presence fields left out).
import { WireType } from "@bufbuild/protobuf/wire";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import type { WireWriter } from "./wire-writer.js";

/** Thrown by a hand-written codec when protobuf-es must take over. */
export const HAND_OVER = Symbol("hand over to protobuf-es");

/** Tries the hand-written function and lets protobuf-es redo whatever it hands over. */
export function handFirst<I, O>(
  hand: (input: I) => O,
  protobufEs: (input: I) => O,
): (input: I) => O {
  return (input) => {
    try {
      return hand(input);
    } catch {
      return protobufEs(input);
    }
  };
}

/** The message, unless it carries unknown fields, which only protobuf-es writes back. */
export function plain<T extends { $unknown?: unknown }>(message: T): T {
  if (message.$unknown) throw HAND_OVER;
  return message;
}

export function writeString(writer: WireWriter, fieldNo: number, value: string): void {
  if (value !== "") writer.tag(fieldNo, WireType.LengthDelimited).string(value);
}

export function writeStrings(writer: WireWriter, fieldNo: number, values: readonly string[]): void {
  for (const value of values) writer.tag(fieldNo, WireType.LengthDelimited).string(value);
}

export function writeUint64(writer: WireWriter, fieldNo: number, value: bigint): void {
  if (value !== 0n) writer.tag(fieldNo, WireType.Varint).uint64(value);
}

/** An int32 or an enum. */
export function writeInt32(writer: WireWriter, fieldNo: number, value: number): void {
  if (value !== 0) writer.tag(fieldNo, WireType.Varint).int32(value);
}

export function writeUint32(writer: WireWriter, fieldNo: number, value: number): void {
  if (value !== 0) writer.tag(fieldNo, WireType.Varint).uint32(value);
}

export function writeBool(writer: WireWriter, fieldNo: number, value: boolean): void {
  if (value) writer.tag(fieldNo, WireType.Varint).bool(true);
}

/** A Timestamp or a Duration: both are int64 seconds (1) and int32 nanos (2). */
export function writeSecondsAndNanos(
  writer: WireWriter,
  fieldNo: number,
  value: Timestamp | Duration | undefined,
): void {
  if (value === undefined) return;
  writer.tag(fieldNo, WireType.LengthDelimited).fork();
  if (plain(value).seconds !== 0n) writer.tag(1, WireType.Varint).int64(value.seconds);
  writeInt32(writer, 2, value.nanos);
  writer.join();
}

export function writeStringMap(
  writer: WireWriter,
  fieldNo: number,
  map: { readonly [key: string]: string },
): void {
  for (const key in map) {
    writer.tag(fieldNo, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(key);
    writer.tag(2, WireType.LengthDelimited).string(map[key] ?? "");
    writer.join();
  }
}

/** A nested message, written by `write` (which checks it for unknown fields). */
export function writeMessage<T>(
  writer: WireWriter,
  fieldNo: number,
  message: T | undefined,
  write: (writer: WireWriter, message: T) => void,
): void {
  if (message === undefined) return;
  writer.tag(fieldNo, WireType.LengthDelimited).fork();
  write(writer, message);
  writer.join();
}
