// Typed tasks: params and outputs checked by any Standard Schema, over a
// real gRPC stream to a stand-in cerebro.
import { RunMode, TaskState, type TaskStateUpdate } from "@cordyna/contract";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  INVALID_OUTPUTS,
  INVALID_PARAMS,
  type TaskContext,
  TaskError,
  TaskOptionsError,
  TaskServer,
} from "./index.js";
import { FakeCerebro, type FakeSession } from "./testing/fake-cerebro.js";

let cerebro: FakeCerebro;
let server: TaskServer;
let session: FakeSession;
let attempts = 0;

beforeEach(async () => {
  cerebro = await FakeCerebro.start();
  server = new TaskServer({
    name: "typed-server",
    team: "team-t",
    contact: "t@example.com",
    cerebro: cerebro.address,
    logger: pino({ level: "silent" }),
    handleSignals: false,
  });
});

afterEach(() => {
  server.stop();
  cerebro.close();
});

async function connect(): Promise<void> {
  const started = server.start();
  session = await cerebro.nextSession();
  await session.next("hello");
  session.welcome();
  await started;
}

/** Invokes the task with the params and returns its final update. */
async function attempt(taskId: string, params: Record<string, string> = {}) {
  const attemptId = `att-${++attempts}`;
  session.invoke({
    runId: "run-1",
    taskRunId: `tr-${attempts}`,
    attemptId,
    attemptNumber: 1,
    taskId,
    params,
    mode: RunMode.NORMAL,
  });
  return session.next(
    "taskState",
    (update: TaskStateUpdate) =>
      update.attemptId === attemptId &&
      (update.state === TaskState.COMPLETED || update.state === TaskState.ERROR),
  );
}

/** A Standard Schema written by hand: no library at all. */
const evenNumber: StandardSchemaV1<unknown, { n: number }> = {
  "~standard": {
    version: 1,
    vendor: "by-hand",
    validate(value) {
      const n = Number((value as { n?: string }).n);
      return Number.isInteger(n) && n % 2 === 0
        ? { value: { n } }
        : { issues: [{ message: "must be an even integer", path: [{ key: "n" }] }] };
    },
  },
};

describe("typed params", () => {
  it("gives the handler what the schema made of the string params", async () => {
    const seen: unknown[] = [];
    server.task(
      {
        id: "t.report",
        params: z.object({
          day: z.iso.date(),
          limit: z.coerce.number().int().max(100).default(10),
          dryRun: z.stringbool().optional(),
        }),
      },
      ({ params }) => {
        expectTypeOf(params.limit).toEqualTypeOf<number>();
        expectTypeOf(params.day).toEqualTypeOf<string>();
        seen.push(params);
      },
    );
    await connect();
    expect((await attempt("t.report", { day: "2026-06-01", limit: "25" })).state).toBe(
      TaskState.COMPLETED,
    );
    expect((await attempt("t.report", { day: "2026-06-02", dryRun: "true" })).state).toBe(
      TaskState.COMPLETED,
    );
    expect(seen).toEqual([
      { day: "2026-06-01", limit: 25 },
      { day: "2026-06-02", limit: 10, dryRun: true },
    ]);
  });

  it("ends the attempt ERROR, non-retryable, naming each bad field, without running the handler", async () => {
    let ran = false;
    server.task(
      {
        id: "t.report",
        retry: { maxAttempts: 5 },
        params: z.object({ day: z.iso.date(), limit: z.coerce.number().int().max(100) }),
      },
      () => {
        ran = true;
      },
    );
    await connect();
    const failed = await attempt("t.report", { day: "yesterday", limit: "1000" });
    expect(ran).toBe(false);
    expect(failed.state).toBe(TaskState.ERROR);
    expect(failed.nonRetryable).toBe(true);
    expect(failed.errorType).toBe(INVALID_PARAMS);
    expect(failed.errorDescription).toMatch(/^invalid params: day: .*date.*; limit: .*100/i);
    expect(Object.keys(failed.errorDetails).sort()).toEqual(["day", "limit"]);
    expect(failed.errorDetails.limit).toMatch(/100/);

    const missing = await attempt("t.report", {});
    expect(missing.errorDescription).toMatch(/day: .*; limit: /);
  });

  it("takes any Standard Schema, also one written without a library, sync or async", async () => {
    server.task({ id: "t.even", params: evenNumber }, ({ params }) => ({ half: params.n / 2 }));
    const slow: StandardSchemaV1<unknown, { who: string }> = {
      "~standard": {
        version: 1,
        vendor: "by-hand",
        validate: async (value) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const who = (value as { who?: string }).who;
          return who ? { value: { who } } : { issues: [{ message: "is required", path: ["who"] }] };
        },
      },
    };
    server.task({ id: "t.greet", params: slow }, ({ params }) => ({ hello: params.who }));
    await connect();
    expect((await attempt("t.even", { n: "8" })).outputs).toEqual({ half: "4" });
    const odd = await attempt("t.even", { n: "7" });
    expect([odd.errorType, odd.errorDescription]).toEqual([
      INVALID_PARAMS,
      "invalid params: n: must be an even integer",
    ]);
    expect((await attempt("t.greet", { who: "team b" })).outputs).toEqual({ hello: "team b" });
    expect((await attempt("t.greet")).errorDescription).toBe("invalid params: who: is required");
  });

  it("refuses at task() a params or outputs option that is not a Standard Schema", () => {
    expect(() =>
      server.task({ id: "t.bad", params: { day: "string" } as never }, () => {}),
    ).toThrow(TaskOptionsError);
    expect(() => server.task({ id: "t.bad", outputs: (() => true) as never }, () => {})).toThrow(
      /outputs: must be a Standard Schema/,
    );
  });
});

describe("typed outputs", () => {
  it("checks what the handler returns, then reports the schema's output as text", async () => {
    server.task(
      {
        id: "t.count",
        outputs: z.object({ rows: z.number().int(), ok: z.boolean(), at: z.date() }),
      },
      () => ({ rows: 1204, ok: true, at: new Date(Date.UTC(2026, 5, 1)) }),
    );
    server.task(
      { id: "t.wrong", outputs: z.object({ rows: z.number().int() }) },
      // A handler that lies about its result, as untyped code can.
      () => ({ rows: "many" }) as unknown as { rows: number },
    );
    server.task({ id: "t.nothing", outputs: z.object({ rows: z.number() }) }, () => {});
    await connect();
    expect((await attempt("t.count")).outputs).toEqual({
      rows: "1204",
      ok: "true",
      at: "2026-06-01T00:00:00.000Z",
    });
    const wrong = await attempt("t.wrong");
    expect(wrong.state).toBe(TaskState.ERROR);
    expect([wrong.nonRetryable, wrong.errorType]).toEqual([true, INVALID_OUTPUTS]);
    expect(wrong.errorDescription).toMatch(/^invalid outputs: rows: .*number/i);
    expect(Object.keys(wrong.errorDetails)).toEqual(["rows"]);
    const nothing = await attempt("t.nothing");
    expect(nothing.errorDescription).toMatch(/^invalid outputs: /);
  });

  it("without a schema, encodes what the handler returns, and refuses what cannot be text", async () => {
    server.task({ id: "t.loose" }, () => ({ rows: 3, files: ["a", "b"], note: "as is" }));
    server.task({ id: "t.fn" }, () => ({ callback: () => 1 }));
    await connect();
    expect((await attempt("t.loose")).outputs).toEqual({
      rows: "3",
      files: '["a","b"]',
      note: "as is",
    });
    const fn = await attempt("t.fn");
    expect([fn.state, fn.errorType, fn.errorDescription]).toEqual([
      TaskState.ERROR,
      INVALID_OUTPUTS,
      "invalid outputs: callback: a function cannot be encoded as text",
    ]);
  });
});

describe("errors with a type and details", () => {
  it("reports a TaskError's type and details, and any error's class name as its type", async () => {
    server.task({ id: "t.smtp" }, () => {
      throw new TaskError("relay refused", {
        type: "SmtpRefused",
        details: { host: "smtp.example.com", reply: 554 },
      });
    });
    server.task({ id: "t.bug" }, () => {
      (undefined as unknown as () => void)();
    });
    server.task({ id: "t.plain" }, () => {
      throw new Error("disk full");
    });
    await connect();
    const smtp = await attempt("t.smtp");
    expect([smtp.errorDescription, smtp.errorType, smtp.nonRetryable]).toEqual([
      "relay refused",
      "SmtpRefused",
      false,
    ]);
    expect(smtp.errorDetails).toEqual({ host: "smtp.example.com", reply: "554" });
    expect((await attempt("t.bug")).errorType).toBe("TypeError");
    const plain = await attempt("t.plain");
    expect([plain.errorType, plain.errorDetails]).toEqual(["", {}]);
  });
});

describe("types", () => {
  it("default to strings without a schema, and require a schema for any other Params", () => {
    // Only type-checked: the test is that this file compiles.
    const check = (s: TaskServer) => {
      s.task({ id: "t.plain" }, ({ params }) => {
        expectTypeOf(params).toEqualTypeOf<Readonly<Record<string, string>>>();
        return { rows: "1" };
      });
      s.task<{ day: string }>({ id: "t.strings" }, ({ params }) => {
        expectTypeOf(params.day).toEqualTypeOf<string>();
      });
      // @ts-expect-error -- a Params type other than strings needs a params schema
      s.task<{ n: number }>({ id: "t.lie" }, () => {});
      s.task<{ n: number }>({ id: "t.honest", params: evenNumber }, ({ params }) => {
        expectTypeOf(params.n).toEqualTypeOf<number>();
      });
      s.task(
        { id: "t.out", outputs: z.object({ rows: z.number() }) },
        // @ts-expect-error -- the outputs schema says rows is a number
        () => ({ rows: "1" }),
      );
      const handler = (ctx: TaskContext) => ({ seen: ctx.params.day ?? "" });
      s.task({ id: "t.annotated" }, handler);
    };
    expect(check).toBeTypeOf("function");
  });
});
