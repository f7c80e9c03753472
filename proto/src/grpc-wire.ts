// The gRPC wire format over HTTP/2 (github.com/grpc/grpc, doc/PROTOCOL-HTTP2.md),
// the part both of our HTTP/2 ends share: length-prefixed messages, the
// grpc-timeout header and the grpc-message trailer. Cerebro's server and the
// SDK's stream speak it on node:http2 directly because, measured between two
// processes of a 2-core machine, @grpc/grpc-js added about 0.1 ms and 100 µs
// of CPU to every message each way (docs/performance.md).
import { gunzipSync, inflateSync } from "node:zlib";

export const GRPC_CONTENT_TYPE = "application/grpc";

/** Encodings we can read; we never compress what we send. */
export const ACCEPTED_ENCODINGS = "identity,deflate,gzip";

/** gRPC's default limit on a received message, as grpc-js and grpc-java have it. */
export const DEFAULT_MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

const PREFIX_BYTES = 5;
const COMPRESSED_FLAG = 1;

/** The status codes this package uses, with gRPC's numbers. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status other than OK. */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${codeName(code)}: ${details}`);
    this.name = "GrpcStatusError";
  }
}

function codeName(code: number): string {
  return Object.entries(GrpcCode).find(([, value]) => value === code)?.[0] ?? `code ${code}`;
}

/** One message as it goes on the wire: a flag byte, its length, its bytes. */
export function frameMessage(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(PREFIX_BYTES + message.byteLength);
  framed[0] = 0;
  framed.writeUInt32BE(message.byteLength, 1);
  framed.set(message, PREFIX_BYTES);
  return framed;
}

/**
 * Cuts the DATA of one direction of a stream into messages, whatever the
 * chunks: a message may span chunks and a chunk may hold many messages.
 */
export class MessageReader {
  readonly #maxBytes: number;
  readonly #encoding: string;
  #pending: Buffer | undefined;

  /**
   * @param encoding the sender's grpc-encoding header (compressed messages are read with it)
   * @param maxBytes the largest message accepted
   */
  constructor(encoding: string | undefined, maxBytes = DEFAULT_MAX_RECEIVE_BYTES) {
    this.#encoding = encoding ?? "identity";
    this.#maxBytes = maxBytes;
  }

  /**
   * The messages completed by this chunk. Throws a {@link GrpcStatusError}
   * for a message over the limit or in an encoding we cannot read.
   */
  push(chunk: Buffer): Uint8Array[] {
    let bytes = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    const messages: Uint8Array[] = [];
    while (bytes.length >= PREFIX_BYTES) {
      const length = bytes.readUInt32BE(1);
      if (length > this.#maxBytes) {
        throw new GrpcStatusError(
          GrpcCode.RESOURCE_EXHAUSTED,
          `received message larger than max (${length} vs. ${this.#maxBytes})`,
        );
      }
      if (bytes.length < PREFIX_BYTES + length) break;
      const body = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + length);
      messages.push(bytes[0] === COMPRESSED_FLAG ? this.#decompress(body) : body);
      bytes = bytes.subarray(PREFIX_BYTES + length);
    }
    this.#pending = bytes.length > 0 ? bytes : undefined;
    return messages;
  }

  /** True when the bytes read so far end inside a message. */
  get midMessage(): boolean {
    return this.#pending !== undefined;
  }

  #decompress(body: Buffer): Uint8Array {
    const options = { maxOutputLength: this.#maxBytes };
    try {
      if (this.#encoding === "gzip") return gunzipSync(body, options);
      if (this.#encoding === "deflate") return inflateSync(body, options);
    } catch (error) {
      throw new GrpcStatusError(
        GrpcCode.INTERNAL,
        `cannot decompress a ${this.#encoding} message: ${(error as Error).message}`,
      );
    }
    throw new GrpcStatusError(
      GrpcCode.UNIMPLEMENTED,
      `a compressed message in encoding "${this.#encoding}", which is not supported (supported: ${ACCEPTED_ENCODINGS})`,
    );
  }
}

const TIMEOUT_UNITS_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * The grpc-timeout header in milliseconds; undefined when absent. Throws
 * for a value that is not 1–8 digits and a unit.
 */
export function parseGrpcTimeout(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(header);
  if (!match) {
    throw new GrpcStatusError(
      GrpcCode.INVALID_ARGUMENT,
      `grpc-timeout "${header}" is not 1 to 8 digits followed by H, M, S, m, u or n`,
    );
  }
  return Number(match[1]) * TIMEOUT_UNITS_MS[match[2]!]!;
}

/** A status message as the grpc-message trailer carries it: percent-encoded outside printable ASCII. */
export function encodeStatusMessage(message: string): string {
  let encoded = "";
  for (const byte of Buffer.from(message, "utf8")) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/** The grpc-message trailer read back; malformed escapes are kept as they are. */
export function decodeStatusMessage(trailer: string): string {
  try {
    return decodeURIComponent(trailer);
  } catch {
    return trailer;
  }
}
