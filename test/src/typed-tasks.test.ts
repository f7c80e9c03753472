// Typed tasks, errors with a type and details, hooks and run(), over real
// processes: a TypeScript task-server written with zod schemas, and cerebro
// on each store; read back as a user does, with GetRun, the events and
// `dyna runs <id>`.

import { type Event, EventKind, RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServerProcess } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  type ControlClient,
  exitCode,
  finishedRun,
  freePort,
  spawnTs,
  startCerebroService,
  waitForServers,
} from "./processes.js";

/** What `dyna <args>` printed, run as a user runs it, against `address`. */
async function dyna(address: string, args: string[]): Promise<string> {
  const child = spawnTs("dyna", "cli/src/bin.ts", [...args, "--cerebro", address], {
    NO_COLOR: "1",
  });
  await exitCode(child);
  return child.output();
}

/** Every event of a finished run, replayed. */
async function eventsOf(control: ControlClient, runId: string): Promise<Event[]> {
  const events: Event[] = [];
  for await (const response of control.watchEvents({ runId })) {
    if (response.event) events.push(response.event);
  }
  return events;
}

/** The hook lines the server printed, parsed. */
function hookCalls(server: Child, hook: string): Array<Record<string, unknown>> {
  return server
    .output()
    .split("\n")
    .filter((line) => line.startsWith(`hook ${hook} `))
    .map((line) => JSON.parse(line.slice(`hook ${hook} `.length)) as Record<string, unknown>);
}

describe.each(["memory", "redis"] as const)("typed tasks, cerebro on %s", (storeKind) => {
  let redis: RedisServerProcess | undefined;
  let cerebro: { child: Child; address: string; control: ControlClient };
  let control: ControlClient;
  let server: Child;

  beforeAll(async () => {
    if (storeKind === "redis") redis = await RedisServerProcess.start();
    cerebro = await startCerebroService(await freePort(), redis?.url ?? "memory");
    control = cerebro.control;
    server = spawnTs("typed-server", "test/src/fixtures/typed-server.ts", [], {
      CORDYNA_ADDR: cerebro.address,
      LOG_LEVEL: "warn",
    });
    await waitForServers(control, ["typed-server"]);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await cerebro?.child.stop();
    await redis?.stop();
  });

  async function run(target: string, params: Record<string, string> = {}) {
    const { run } = await control.startRun({ targets: [target], params });
    return finishedRun(control, run?.id ?? "");
  }

  it("the handler gets params its schema converted; its outputs are checked and reported as text", async () => {
    const done = await run("t.count-orders", { day: "2026-06-01", limit: "40" });
    expect(done.state, server.output()).toBe(RunState.SUCCEEDED);
    expect(done.taskRuns[0]?.outputs).toEqual({ rows: "100", capped: "true", day: "2026-06-01" });
  });

  it("a bad param ends the task-run in ERROR at once, naming each field, in GetRun, the events and dyna runs", async () => {
    const done = await run("t.count-orders", { day: "yesterday", limit: "0" });
    expect(done.state).toBe(RunState.FAILED);
    const taskRun = done.taskRuns[0];
    expect(taskRun?.state).toBe(TaskState.ERROR);
    // The retry policy allows 3 attempts; a refused param is not worth a second.
    expect(taskRun?.attempts).toHaveLength(1);
    expect(taskRun?.errorType).toBe("InvalidParams");
    expect(taskRun?.errorDescription).toMatch(/^invalid params: day: .+; limit: .+/);
    expect(Object.keys(taskRun?.errorDetails ?? {}).sort()).toEqual(["day", "limit"]);
    expect(taskRun?.attempts[0]?.errorType).toBe("InvalidParams");
    expect(taskRun?.attempts[0]?.errorDetails).toEqual(taskRun?.errorDetails);

    const failed = (await eventsOf(control, done.id)).find(
      (event) => event.kind === EventKind.TASK_RUN_CHANGED && event.state === TaskState.ERROR,
    );
    expect(failed?.detail).toMatch(/^InvalidParams: invalid params: day: /);

    const shown = await dyna(cerebro.address, ["runs", done.id]);
    expect(shown).toMatch(/t\.count-orders .*TASK_FAILED: InvalidParams: invalid params: day: /);
    expect(shown).toMatch(
      /Error details:\n {2}t\.count-orders #1: InvalidParams\n {4}day: .+\n {4}limit: .+/,
    );
  });

  it("outputs that break their schema end the task-run in ERROR, naming the output", async () => {
    const done = await run("t.broken-outputs");
    const taskRun = done.taskRuns[0];
    expect(taskRun?.state).toBe(TaskState.ERROR);
    expect(taskRun?.errorType).toBe("InvalidOutputs");
    expect(taskRun?.errorDescription).toMatch(/^invalid outputs: rows: /);
  });

  it("a TaskError's type and details are kept with every attempt, and the retry's event says the type", async () => {
    const done = await run("t.mail");
    const taskRun = done.taskRuns[0];
    expect(taskRun?.attempts.map((a) => [a.errorType, a.errorDetails])).toEqual([
      ["SmtpRefused", { host: "smtp.example.com", reply: "554" }],
      ["SmtpRefused", { host: "smtp.example.com", reply: "554" }],
    ]);
    expect([taskRun?.errorType, taskRun?.errorDescription]).toEqual([
      "SmtpRefused",
      "relay refused the connection",
    ]);
    const events = await eventsOf(control, done.id);
    const retry = events.find(
      (event) => event.kind === EventKind.TASK_RUN_CHANGED && event.state === TaskState.PENDING,
    );
    expect(retry?.detail).toMatch(
      /^retry 2 of 2 in \d+ ms after TASK_FAILED: SmtpRefused: relay refused the connection$/,
    );
    const shown = await dyna(cerebro.address, ["runs", done.id]);
    expect(shown).toContain("t.mail #1  ERROR(TASK_FAILED) on ");
    expect(shown).toMatch(/t\.mail #2: SmtpRefused\n {4}host: smtp\.example\.com\n {4}reply: 554/);
  });

  it("hooks hear of each attempt's end, with whether a retry follows", async () => {
    const done = await run("t.unknown-customer");
    expect(done.taskRuns[0]?.attempts).toHaveLength(1);
    const failed = hookCalls(server, "onAttemptFailed");
    const mail = failed.filter((call) => call.taskId === "t.mail");
    expect(mail.map((call) => [call.attemptNumber, call.retryable, call.willRetry])).toEqual([
      [1, true, true],
      [2, true, false],
    ]);
    expect(failed.find((call) => call.taskId === "t.unknown-customer")).toMatchObject({
      errorType: "UnknownCustomer",
      errorDetails: { customer: "c-17" },
      retryable: false,
      willRetry: false,
    });
    expect(hookCalls(server, "onAttemptCompleted")).toContainEqual(
      expect.objectContaining({ taskId: "t.count-orders", outputs: expect.any(Object) }),
    );
    expect(hookCalls(server, "onAttemptStarted").length).toBeGreaterThanOrEqual(6);
  });

  it("SIGTERM drains the server: run() resolves and the process ends by itself, with code 0", async () => {
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain("run() resolved: drained");
  });
});
