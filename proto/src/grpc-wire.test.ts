import { deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_RECEIVE_BYTES,
  decodeStatusMessage,
  encodeStatusMessage,
  frameMessage,
  GrpcCode,
  GrpcStatusError,
  MessageReader,
  parseGrpcTimeout,
} from "./grpc-wire.js";

/** A message framed with the compressed flag set, as a peer using `encoding` sends it. */
function compressedFrame(compressed: Uint8Array): Buffer {
  const framed = frameMessage(compressed);
  framed[0] = 1;
  return framed;
}

function statusOf(action: () => unknown): GrpcStatusError {
  try {
    action();
  } catch (error) {
    if (error instanceof GrpcStatusError) return error;
    throw error;
  }
  throw new Error("expected a GrpcStatusError");
}

describe("MessageReader", () => {
  it("reads the messages back however the bytes are cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (messages, cutSizes) => {
          const wire = Buffer.concat(messages.map(frameMessage));
          const reader = new MessageReader(undefined);
          const read: Uint8Array[] = [];
          let offset = 0;
          for (let i = 0; offset < wire.length; i++) {
            const size = cutSizes[i % cutSizes.length]!;
            read.push(...reader.push(wire.subarray(offset, offset + size)));
            offset += size;
          }
          expect(read.map((bytes) => Buffer.from(bytes).toString("hex"))).toEqual(
            messages.map((bytes) => Buffer.from(bytes).toString("hex")),
          );
          expect(reader.midMessage).toBe(false);
        },
      ),
    );
  });

  it("knows when the bytes so far end inside a message", () => {
    const reader = new MessageReader(undefined);
    const framed = frameMessage(Buffer.from("hello"));
    expect(reader.push(framed.subarray(0, 7))).toEqual([]);
    expect(reader.midMessage).toBe(true);
    expect(reader.push(framed.subarray(7)).map((bytes) => Buffer.from(bytes).toString())).toEqual([
      "hello",
    ]);
    expect(reader.midMessage).toBe(false);
  });

  it("refuses a message over the limit as soon as its length is read", () => {
    const reader = new MessageReader(undefined, 10);
    const prefix = frameMessage(new Uint8Array(11)).subarray(0, 5);
    const error = statusOf(() => reader.push(prefix));
    expect(error.code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
    expect(error.details).toBe("received message larger than max (11 vs. 10)");
  });

  it("has gRPC's default limit of 4 MiB", () => {
    expect(DEFAULT_MAX_RECEIVE_BYTES).toBe(4 * 1024 * 1024);
  });

  it("reads gzip and deflate messages of a sender that compresses", () => {
    const text = "a message worth compressing ".repeat(20);
    const gzip = new MessageReader("gzip").push(compressedFrame(gzipSync(text)));
    const deflate = new MessageReader("deflate").push(compressedFrame(deflateSync(text)));
    expect(Buffer.from(gzip[0]!).toString()).toBe(text);
    expect(Buffer.from(deflate[0]!).toString()).toBe(text);
  });

  it("refuses a compressed message in an encoding it cannot read, naming it", () => {
    const error = statusOf(() =>
      new MessageReader("snappy").push(compressedFrame(Buffer.from("x"))),
    );
    expect(error.code).toBe(GrpcCode.UNIMPLEMENTED);
    expect(error.details).toContain('encoding "snappy"');
    expect(error.details).toContain("identity,deflate,gzip");
  });

  it("refuses a compressed message that does not decompress", () => {
    const error = statusOf(() =>
      new MessageReader("gzip").push(compressedFrame(Buffer.from("not gzip"))),
    );
    expect(error.code).toBe(GrpcCode.INTERNAL);
    expect(error.details).toMatch(/^cannot decompress a gzip message: /);
  });

  it("refuses a compressed message that decompresses past the limit", () => {
    const bomb = gzipSync(Buffer.alloc(1000));
    const error = statusOf(() => new MessageReader("gzip", 100).push(compressedFrame(bomb)));
    expect(error.code).toBe(GrpcCode.INTERNAL);
    expect(error.details).toContain("cannot decompress");
  });
});

describe("parseGrpcTimeout", () => {
  it("reads every unit into milliseconds", () => {
    expect(parseGrpcTimeout("2H")).toBe(7_200_000);
    expect(parseGrpcTimeout("3M")).toBe(180_000);
    expect(parseGrpcTimeout("5S")).toBe(5_000);
    expect(parseGrpcTimeout("250m")).toBe(250);
    expect(parseGrpcTimeout("1500u")).toBe(1.5);
    expect(parseGrpcTimeout("2000000n")).toBe(2);
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
  });

  it("refuses a value that is not 1 to 8 digits and a unit", () => {
    for (const bad of ["", "5", "S", "5s", "123456789S", "-5S", "1.5S"]) {
      const error = statusOf(() => parseGrpcTimeout(bad));
      expect(error.code).toBe(GrpcCode.INVALID_ARGUMENT);
      expect(error.details).toContain(`grpc-timeout "${bad}"`);
    }
  });
});

describe("status messages", () => {
  it("survive the trip through the grpc-message trailer, whatever their characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (message) => {
        const encoded = encodeStatusMessage(message);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeStatusMessage(encoded)).toBe(message);
      }),
    );
  });

  it("keep printable ASCII as it is and percent-encode the rest", () => {
    expect(encodeStatusMessage("task a.b: 100% done, état\n")).toBe(
      "task a.b: 100%25 done, %C3%A9tat%0A",
    );
  });

  it("keep a malformed escape of another server as it is", () => {
    expect(decodeStatusMessage("bad %ZZ escape")).toBe("bad %ZZ escape");
  });
});

describe("GrpcStatusError", () => {
  it("names its code in its message", () => {
    expect(new GrpcStatusError(GrpcCode.NOT_FOUND, "no run r-1").message).toBe(
      "NOT_FOUND: no run r-1",
    );
    expect(new GrpcStatusError(99, "odd").message).toBe("code 99: odd");
  });
});
