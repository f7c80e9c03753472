import type { DescMessage } from "@bufbuild/protobuf";
import { expect } from "vitest";

/**
 * Checks that a hand-written codec lists exactly the fields each message has
 * in the proto, so that a field added there fails a test until the codec
 * writes it too.
 */
export function expectEveryFieldHandled(
  schemas: readonly DescMessage[],
  handled: Readonly<Record<string, readonly number[]>>,
): void {
  for (const schema of schemas) {
    expect(
      schema.fields.map((field) => field.number),
      schema.typeName,
    ).toEqual(handled[schema.typeName]);
  }
}
