import { create } from "@bufbuild/protobuf";
import { TaskState, type TaskStateUpdate, TaskStateUpdateSchema } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { type UpdateMessage, UpdateSender } from "./update-sender.js";

const update = (seq: number) =>
  create(TaskStateUpdateSchema, {
    seq: BigInt(seq),
    attemptId: `a-${seq}`,
    state: TaskState.STARTED,
  });

function sender(): { updates: UpdateSender; sent: UpdateMessage[] } {
  const sent: UpdateMessage[] = [];
  return { updates: new UpdateSender((message) => sent.push(message)), sent };
}

const seqsPerMessage = (sent: readonly UpdateMessage[]) =>
  sent.map((message) =>
    (message.case === "taskState" ? [message.value] : message.value.updates).map(
      (u: TaskStateUpdate) => Number(u.seq),
    ),
  );

const turnOver = () => new Promise<void>((resolve) => setImmediate(resolve));
const v1_1 = { $typeName: "cordyna.v1.ProtocolVersion", major: 1, minor: 1 } as const;
const v1_0 = { $typeName: "cordyna.v1.ProtocolVersion", major: 1, minor: 0 } as const;

describe("UpdateSender", () => {
  it("sends each update at once on its own to a 1.0 cerebro, and to one that named no version", () => {
    for (const version of [v1_0, undefined]) {
      const { updates, sent } = sender();
      updates.welcomed(version);
      updates.add(update(1));
      updates.add(update(2));
      expect(sent.map((m) => m.case)).toEqual(["taskState", "taskState"]);
    }
  });

  it("sends the updates of one turn together to a 1.1 cerebro, once the turn is over", async () => {
    const { updates, sent } = sender();
    updates.welcomed(v1_1);
    updates.add(update(1));
    updates.add(update(2));
    expect(sent).toEqual([]);
    await turnOver();
    expect(sent.map((m) => m.case)).toEqual(["taskStates"]);
    expect(seqsPerMessage(sent)).toEqual([[1, 2]]);
  });

  it("sends a lone update as a plain TaskStateUpdate", async () => {
    const { updates, sent } = sender();
    updates.welcomed(v1_1);
    updates.add(update(1));
    await turnOver();
    expect(sent.map((m) => m.case)).toEqual(["taskState"]);
  });

  it("cuts a large turn into messages of at most 500 updates, in seq order", async () => {
    const { updates, sent } = sender();
    updates.welcomed(v1_1);
    for (let seq = 1; seq <= 1_001; seq++) updates.add(update(seq));
    await turnOver();
    const perMessage = seqsPerMessage(sent);
    expect(perMessage.map((seqs) => seqs.length)).toEqual([500, 500, 1]);
    expect(perMessage.flat()).toEqual(Array.from({ length: 1_001 }, (_, i) => i + 1));
  });

  it("flush() sends what waits right away, so a message sent after it keeps its place", () => {
    const { updates, sent } = sender();
    updates.welcomed(v1_1);
    updates.add(update(1));
    updates.add(update(2));
    updates.flush();
    expect(seqsPerMessage(sent)).toEqual([[1, 2]]);
  });

  it("drops what waits when the stream is gone: the outbox resends it on the next one", async () => {
    const { updates, sent } = sender();
    updates.welcomed(v1_1);
    updates.add(update(1));
    updates.disconnected();
    await turnOver();
    expect(sent).toEqual([]);
  });

  it("ignores a newer major's minor: only 1.x minors count", () => {
    const { updates, sent } = sender();
    updates.welcomed({ $typeName: "cordyna.v1.ProtocolVersion", major: 2, minor: 5 });
    updates.add(update(1));
    expect(sent.map((m) => m.case)).toEqual(["taskState"]);
  });
});
