import type { WireType } from "@bufbuild/protobuf/wire";

/** Scratch space shared by every writer: a message is written whole, then copied out. */
let scratch = new Uint8Array(64 * 1024);
/** Larger scratch space, once needed, is kept up to this size. */
const KEPT_SCRATCH_BYTES = 1 << 20;
const utf8 = new TextEncoder();

/**
 * Writes protobuf wire format into one buffer, for the hand-written codec.
 * It does what @bufbuild/protobuf's BinaryWriter does for the types the
 * codec needs, several times faster: a nested message reserves one byte for
 * its length and moves its bytes only when it turns out to be 128 bytes or
 * longer, where BinaryWriter keeps a list of chunks per nested message.
 */
export class WireWriter {
  #pos = 0;
  readonly #nested: number[] = [];

  tag(fieldNo: number, wireType: WireType): this {
    return this.uint32(((fieldNo << 3) | wireType) >>> 0);
  }

  /** Starts a length-delimited nested message; `join()` ends it. */
  fork(): this {
    this.#room(1);
    this.#nested.push(this.#pos);
    this.#pos += 1;
    return this;
  }

  join(): this {
    const start = this.#nested.pop();
    if (start === undefined) throw new Error("join() without fork()");
    const length = this.#pos - start - 1;
    const extra = varint32Size(length) - 1;
    if (extra > 0) {
      this.#room(extra);
      scratch.copyWithin(start + 1 + extra, start + 1, this.#pos);
      this.#pos += extra;
    }
    let at = start;
    let value = length;
    while (value > 0x7f) {
      scratch[at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    scratch[at] = value;
    return this;
  }

  uint32(value: number): this {
    this.#room(5);
    let rest = value >>> 0;
    while (rest > 0x7f) {
      scratch[this.#pos++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    scratch[this.#pos++] = rest;
    return this;
  }

  /** Negative values take ten bytes, sign-extended to 64 bits, as the wire format says. */
  int32(value: number): this {
    return value >= 0 ? this.uint32(value) : this.uint64(BigInt(value) & UINT64_MASK);
  }

  uint64(value: bigint): this {
    if (value <= 0xffffffffn) return this.uint32(Number(value));
    this.#room(10);
    let rest = value;
    while (rest > 0x7fn) {
      scratch[this.#pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    scratch[this.#pos++] = Number(rest);
    return this;
  }

  int64(value: bigint): this {
    return this.uint64(value & UINT64_MASK);
  }

  bool(value: boolean): this {
    return this.uint32(value ? 1 : 0);
  }

  /** UTF-8, with the length first; lone surrogates become U+FFFD, as TextEncoder makes them. */
  string(value: string): this {
    const length = value.length;
    // An ASCII string is as long in bytes as in UTF-16 units: write it in place.
    let ascii = length < 0x80;
    for (let i = 0; ascii && i < length; i++) ascii = value.charCodeAt(i) < 0x80;
    if (ascii) {
      this.#room(1 + length);
      scratch[this.#pos++] = length;
      for (let i = 0; i < length; i++) scratch[this.#pos++] = value.charCodeAt(i);
      return this;
    }
    const bytes = utf8.encode(value);
    this.uint32(bytes.length);
    this.#room(bytes.length);
    scratch.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }

  /** The bytes written, copied out of the scratch space. */
  finish(): Uint8Array {
    if (this.#nested.length > 0) throw new Error("finish() inside a fork()");
    const bytes = scratch.slice(0, this.#pos);
    this.#pos = 0;
    if (scratch.length > KEPT_SCRATCH_BYTES) scratch = new Uint8Array(64 * 1024);
    return bytes;
  }

  #room(bytes: number): void {
    if (this.#pos + bytes <= scratch.length) return;
    const grown = new Uint8Array(Math.max(scratch.length * 2, this.#pos + bytes));
    grown.set(scratch.subarray(0, this.#pos));
    scratch = grown;
  }
}

const UINT64_MASK = (1n << 64n) - 1n;

function varint32Size(value: number): number {
  let size = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) size++;
  return size;
}
