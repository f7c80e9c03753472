import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ConnectResponse, ConnectResponseSchema } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import type { InvokeCommand } from "../engine/dispatch.js";
import { Session, type SessionInfo } from "./sessions.js";

function sessionSpeaking(minor: number): { session: Session; sent: ConnectResponse[] } {
  const info: SessionInfo = {
    serverName: "task-server-a",
    instanceId: "a-1",
    sessionId: "ses_1",
    connectedAt: 0,
    maxConcurrency: 0,
    agent: "test",
    peer: "test",
    principal: "anonymous",
    protocolMinor: minor,
  };
  const sent: ConnectResponse[] = [];
  return { session: new Session(info, (message) => sent.push(message)), sent };
}

function command(n: number, params: Record<string, string> = {}): InvokeCommand {
  return {
    runId: "run_1",
    taskRunId: `tr_${n}`,
    attemptId: `att_${n}`,
    attemptNumber: 1,
    taskId: `a.t${n}`,
    params,
    deadlines: { ackMs: 10_000, startMs: 600_000, completeMs: 1_800_000 },
    mode: "normal",
    logicalTime: 0,
    upstream: [],
    traceContext: {},
  };
}

/** The attempt ids sent, message by message. */
function attemptsPerMessage(sent: readonly ConnectResponse[]): string[][] {
  return sent.map(({ message }) => {
    if (message.case === "invoke") return [message.value.attemptId];
    if (message.case === "invokes") return message.value.invokes.map((i) => i.attemptId);
    return [message.case ?? "empty"];
  });
}

const turnOver = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Session invokes", () => {
  it("sends invokes that are the messages protobuf-es reads back from their bytes", () => {
    const { session, sent } = sessionSpeaking(0);
    session.invoke({
      ...command(1, { day: "2026-11-27" }),
      mode: "test",
      logicalTime: 1_700_000_000_123,
    });
    const message = sent[0]!;
    expect(message.message.case).toBe("invoke");
    expect(message).toEqual(
      fromBinary(ConnectResponseSchema, toBinary(ConnectResponseSchema, message)),
    );
    expect(message.message.value).toMatchObject({
      params: { day: "2026-11-27" },
      deadlines: { ack: { seconds: 10n }, start: { seconds: 600n }, complete: { seconds: 1_800n } },
      logicalTime: { seconds: 1_700_000_000n, nanos: 123_000_000 },
    });
  });

  it("sends a 1.0 instance each invoke at once, in its own message", () => {
    const { session, sent } = sessionSpeaking(0);
    session.invoke(command(1));
    session.invoke(command(2));
    expect(attemptsPerMessage(sent)).toEqual([["att_1"], ["att_2"]]);
  });

  it("sends a 1.1 instance the invokes of one turn in one message once the turn is over", async () => {
    const { session, sent } = sessionSpeaking(1);
    for (let n = 1; n <= 3; n++) session.invoke(command(n));
    expect(sent).toEqual([]);
    await turnOver();
    expect(attemptsPerMessage(sent)).toEqual([["att_1", "att_2", "att_3"]]);
    expect(session.assigned.size).toBe(3);
  });

  it("cuts a large turn into messages of at most 500 invokes, in order", async () => {
    const { session, sent } = sessionSpeaking(1);
    for (let n = 1; n <= 1_201; n++) session.invoke(command(n));
    await turnOver();
    const perMessage = attemptsPerMessage(sent);
    expect(perMessage.map((ids) => ids.length)).toEqual([500, 500, 201]);
    expect(perMessage.flat()).toEqual(Array.from({ length: 1_201 }, (_, i) => `att_${i + 1}`));
  });

  it("keeps every message far below gRPC's 4 MiB when params are large", async () => {
    const { session, sent } = sessionSpeaking(1);
    const params = { payload: "é".repeat(100_000) };
    for (let n = 1; n <= 30; n++) session.invoke(command(n, params));
    await turnOver();
    expect(attemptsPerMessage(sent).flat()).toHaveLength(30);
    expect(sent.length).toBeGreaterThan(1);
    for (const message of sent)
      expect(toBinary(ConnectResponseSchema, message).length).toBeLessThan(1.5 * 2 ** 20);
  });

  it("sends waiting invokes before a cancel, so a cancel never overtakes its invoke", () => {
    const { session, sent } = sessionSpeaking(1);
    session.invoke(command(1));
    session.invoke(command(2));
    session.cancel("att_2", "run cancelled");
    expect(attemptsPerMessage(sent)).toEqual([["att_1", "att_2"], ["cancel"]]);
  });
});
