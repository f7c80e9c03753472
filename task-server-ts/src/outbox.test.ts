import { create } from "@bufbuild/protobuf";
import { TaskState, type TaskStateUpdate, TaskStateUpdateSchema } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { Outbox } from "./outbox.js";

function update(attemptId: string, state = TaskState.STARTED): TaskStateUpdate {
  return create(TaskStateUpdateSchema, { attemptId, state });
}

const seqs = (updates: (TaskStateUpdate | undefined)[]) => updates.map((u) => u?.seq);
const ids = (updates: TaskStateUpdate[]) => updates.map((u) => u.attemptId);

describe("Outbox", () => {
  it("holds updates while no stream is open", () => {
    const outbox = new Outbox();
    expect(outbox.push(update("a"))).toBeUndefined();
    expect(outbox.size).toBe(1);
  });

  it("numbers updates per stream from 1, sending held ones first", () => {
    const outbox = new Outbox();
    outbox.push(update("a"));
    outbox.push(update("b"));
    const resent = outbox.open();
    expect(ids(resent)).toEqual(["a", "b"]);
    expect(seqs(resent)).toEqual([1n, 2n]);
    expect(outbox.push(update("c"))?.seq).toBe(3n);
    expect(outbox.push(update("d"))?.seq).toBe(4n);
  });

  it("drops acknowledged updates and resends the rest, renumbered, on the next stream", () => {
    const outbox = new Outbox();
    outbox.open();
    for (const id of ["a", "b", "c", "d"]) outbox.push(update(id));
    expect(outbox.ack(2n)).toBe(2);
    expect(outbox.size).toBe(2);
    outbox.close();
    outbox.push(update("e"));
    const resent = outbox.open();
    expect(ids(resent)).toEqual(["c", "d", "e"]);
    expect(seqs(resent)).toEqual([1n, 2n, 3n]);
    expect(outbox.push(update("f"))?.seq).toBe(4n);
  });

  it("ignores acknowledgements for updates not sent on the current stream", () => {
    const outbox = new Outbox();
    outbox.open();
    outbox.push(update("a"));
    outbox.close();
    outbox.push(update("b"));
    expect(outbox.ack(5n)).toBe(0);
    expect(outbox.size).toBe(2);
  });

  it("treats a refused update as acknowledged", () => {
    const outbox = new Outbox();
    outbox.open();
    outbox.push(update("a"));
    outbox.push(update("b"));
    expect(outbox.settle(1n)?.attemptId).toBe("a");
    expect(outbox.settle(9n)).toBeUndefined();
    outbox.close();
    expect(ids(outbox.open())).toEqual(["b"]);
  });

  it("does not mutate the stored update when stamping", () => {
    const outbox = new Outbox();
    const original = update("a");
    outbox.push(original);
    outbox.open();
    expect(original.seq).toBe(0n);
  });

  it("resolves whenEmpty once everything is acknowledged", async () => {
    const outbox = new Outbox();
    await outbox.whenEmpty();
    outbox.open();
    outbox.push(update("a"));
    outbox.push(update("b"));
    let empty = false;
    const waiting = outbox.whenEmpty().then(() => {
      empty = true;
    });
    outbox.ack(1n);
    await Promise.resolve();
    expect(empty).toBe(false);
    outbox.ack(2n);
    await waiting;
    expect(empty).toBe(true);
  });
});
