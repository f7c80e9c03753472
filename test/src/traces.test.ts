// One trace per run across servers in four languages, as a real Jaeger
// stores it: cerebro, a TypeScript task-server and the Rust, Java and Python
// examples export over OTLP; the test reads the trace back through Jaeger's
// query API.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RunState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onPath } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  type ControlClient,
  finishedRun,
  freePort,
  ROOT,
  spawnProgram,
  spawnTs,
  startCerebroProcess,
  waitForServers,
  waitUntil,
} from "./processes.js";

/** jaeger from the PATH, else where scripts/install-jaeger.sh puts it. */
function findJaeger(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v jaeger"], { encoding: "utf8" }).trim();
  } catch {
    try {
      const gopath = execFileSync("go", ["env", "GOPATH"], { encoding: "utf8" }).trim();
      const installed = join(gopath, "bin", "jaeger");
      return existsSync(installed) ? installed : undefined;
    } catch {
      return undefined;
    }
  }
}

const jaeger = findJaeger();
const inCi = process.env.CI === "true";
/** Why the test cannot run here: jaeger, or a tool that builds an example, is missing. */
const MISSING = [
  ...(jaeger
    ? []
    : [
        "jaeger is not installed: run scripts/install-jaeger.sh (it builds jaeger v1.75.0 into $(go env GOPATH)/bin)",
      ]),
  ...["cargo", "mvn", "java", "python3"]
    .filter((tool) => !onPath(tool))
    .map((tool) => `${tool} is not on the PATH (scripts/build-examples.sh needs it)`),
].join("; ");

/** Each task the test runs: the server that runs it, and the span its handler starts. */
const TASKS: Record<string, { service: string; ownSpan: string }> = {
  "ts.publish": { service: "ts-traced-server", ownSpan: "publish rows" },
  "python.clean": { service: "python-example", ownSpan: "clean rows" },
  "rust.import": { service: "rust-example", ownSpan: "import records" },
  "java.mail": { service: "java-example", ownSpan: "mail figures" },
};
/** The examples, each failed once on purpose through the run's params. */
const EXAMPLE_TASKS = ["python.clean", "rust.import", "java.mail"];

interface JaegerSpan {
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly { refType: string; spanID: string }[];
  readonly processID: string;
  readonly tags: readonly { key: string; value: unknown }[];
}
interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Record<string, { serviceName: string }>;
}

/** A trace read back from Jaeger, with the lookups the checks need. */
interface ReadTrace {
  readonly spans: readonly JaegerSpan[];
  byId(spanId: string): JaegerSpan | undefined;
  parentOf(span: JaegerSpan): JaegerSpan | undefined;
  childrenOf(span: JaegerSpan): JaegerSpan[];
  serviceOf(span: JaegerSpan): string | undefined;
}

function tag(span: JaegerSpan | undefined, key: string): unknown {
  return span?.tags.find((t) => t.key === key)?.value;
}

// Outside CI, a machine without jaeger or the examples' toolchains skips it,
// saying why; in CI it fails.
describe.skipIf(MISSING !== "" && !inCi)(
  `traces in Jaeger${MISSING ? ` (skipped: ${MISSING})` : ""}`,
  () => {
    const children: Child[] = [];
    let queryUrl = "";
    let control: ControlClient;

    /** Waits until Jaeger holds at least `spans` spans of the trace, and reads it. */
    async function readTrace(traceId: string, spans: number): Promise<ReadTrace> {
      let found: JaegerTrace | undefined;
      await waitUntil(`trace ${traceId} with all ${spans} spans in jaeger`, async () => {
        const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
        if (!response.ok) return false;
        found = ((await response.json()) as { data: JaegerTrace[] }).data[0];
        return (found?.spans.length ?? 0) >= spans;
      });
      const all = found!.spans;
      const byId = new Map(all.map((span) => [span.spanID, span]));
      const parentOf = (span: JaegerSpan) =>
        byId.get(span.references.find((r) => r.refType === "CHILD_OF")?.spanID ?? "");
      return {
        spans: all,
        byId: (spanId) => byId.get(spanId),
        parentOf,
        childrenOf: (span) => all.filter((child) => parentOf(child) === span),
        serviceOf: (span) => found!.processes[span.processID]?.serviceName,
      };
    }

    beforeAll(async () => {
      if (!jaeger || MISSING) throw new Error(MISSING);
      // Quick once they are built, as in CI, which builds them before the tests;
      // a first build of the Rust example takes minutes on a small machine.
      execFileSync("bash", ["scripts/build-examples.sh"], { cwd: ROOT, stdio: "inherit" });
      const [otlpPort, queryPort, queryGrpcPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const jaegerChild = spawnProgram("jaeger", [jaeger, "--config", "test/jaeger/config.yaml"], {
        JAEGER_OTLP_HTTP_PORT: String(otlpPort),
        JAEGER_QUERY_HTTP_PORT: String(queryPort),
        JAEGER_QUERY_GRPC_PORT: String(queryGrpcPort),
      });
      children.push(jaegerChild);
      queryUrl = `http://127.0.0.1:${queryPort}`;
      await waitUntil("jaeger's query API", async () => {
        if (jaegerChild.process.exitCode !== null) {
          throw new Error(`jaeger exited:\n${jaegerChild.output()}`);
        }
        return (await fetch(`${queryUrl}/api/services`)).ok;
      });

      const otel = {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      };
      const cerebro = await startCerebroProcess({ ...otel, LOG_LEVEL: "warn" });
      children.push(cerebro.child);
      control = cerebro.control;
      const servers = { CORDYNA_ADDR: cerebro.address, LOG_LEVEL: "warn", ...otel };
      children.push(spawnTs("ts-traced-server", "test/src/fixtures/traced-server.ts", [], servers));
      for (const lang of ["python", "rust", "java"]) {
        children.push(
          spawnProgram(`${lang}-example`, ["bash", `clients/${lang}/run-example.sh`], servers),
        );
      }
      await waitForServers(
        control,
        Object.values(TASKS).map((task) => task.service),
      );
    }, 600_000);

    afterAll(async () => {
      await Promise.all(children.reverse().map((child) => child.stop()));
    });

    it("holds the run, every task-run and attempt, and each language's handler span in one trace with the right parents", async () => {
      const caller = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };
      const { run: started } = await control.startRun(
        { targets: Object.keys(TASKS), withoutUpstream: true },
        { headers: { traceparent: `00-${caller.traceId}-${caller.spanId}-01` } },
      );
      // The caller's trace, which the run joined.
      expect(started?.traceId).toBe(caller.traceId);
      // Four runtimes take their first task here, each starting its
      // OpenTelemetry exporter: on a CI machine busy with other test files
      // that can take longer than the usual 20 s.
      const run = await finishedRun(control, started!.id, 60_000);
      expect(run.state).toBe(RunState.SUCCEEDED);

      const attempts = run.taskRuns.flatMap((taskRun) => taskRun.attempts);
      // Each task once, except ts.publish: it failed once and completed on its retry.
      expect(attempts).toHaveLength(Object.keys(TASKS).length + 1);
      // The run, its task-runs, and for each attempt its span, the handler's and the handler's own.
      const trace = await readTrace(caller.traceId, 1 + run.taskRuns.length + 3 * attempts.length);

      const [runSpan] = trace.spans.filter((span) => span.operationName === "run");
      expect(runSpan?.references).toEqual([
        expect.objectContaining({ refType: "CHILD_OF", spanID: caller.spanId }),
      ]);
      expect(trace.serviceOf(runSpan!)).toBe("cerebro");
      expect(tag(runSpan, "cordyna.run.id")).toBe(run.id);

      for (const taskRun of run.taskRuns) {
        const task = TASKS[taskRun.taskId]!;
        const taskRunSpan = trace.byId(taskRun.spanId);
        expect(taskRunSpan?.operationName).toBe(`task-run ${taskRun.taskId}`);
        expect(trace.parentOf(taskRunSpan!)).toBe(runSpan);
        expect(tag(taskRunSpan, "cordyna.team")).toBe(taskRun.owner?.team);
        for (const attempt of taskRun.attempts) {
          const attemptSpan = trace.byId(attempt.spanId);
          expect(attemptSpan?.operationName).toBe(`attempt ${taskRun.taskId}`);
          expect(trace.parentOf(attemptSpan!)).toBe(taskRunSpan);
          expect(tag(attemptSpan, "cordyna.attempt.id")).toBe(attempt.id);
          expect(tag(attemptSpan, "cordyna.instance.id")).toBe(attempt.instanceId);
          // The task-server's own span for the attempt, in its own language,
          // with the same attributes whatever the language.
          const handlers = trace.childrenOf(attemptSpan!);
          expect(handlers.map((span) => span.operationName)).toEqual([`handle ${taskRun.taskId}`]);
          const handler = handlers[0]!;
          expect(trace.serviceOf(handler), taskRun.taskId).toBe(task.service);
          expect(tag(handler, "span.kind")).toBe("consumer");
          expect(tag(handler, "cordyna.run.id")).toBe(run.id);
          expect(tag(handler, "cordyna.task_run.id")).toBe(taskRun.id);
          expect(tag(handler, "cordyna.task.id")).toBe(taskRun.taskId);
          expect(tag(handler, "cordyna.attempt.id")).toBe(attempt.id);
          expect(Number(tag(handler, "cordyna.attempt.number"))).toBe(attempt.number);
          // The handler's own span nests under it, in the same service.
          const own = trace.childrenOf(handler);
          expect(own.map((span) => span.operationName)).toEqual([task.ownSpan]);
          expect(trace.serviceOf(own[0]!)).toBe(task.service);
        }
      }
    }, 120_000);

    it("marks a failed handler's span as an error in every example", async () => {
      const runs = await Promise.all(
        EXAMPLE_TASKS.map(async (taskId) => {
          const { run } = await control.startRun({
            targets: [taskId],
            withoutUpstream: true,
            params: { fail: taskId },
          });
          return finishedRun(control, run!.id);
        }),
      );
      for (const run of runs) {
        expect(run.state).toBe(RunState.FAILED);
        const [taskRun] = run.taskRuns;
        const attempts = taskRun!.attempts;
        const trace = await readTrace(run.traceId, 1 + 1 + 2 * attempts.length);
        for (const attempt of attempts) {
          const [handler] = trace.childrenOf(trace.byId(attempt.spanId)!);
          expect(handler?.operationName).toBe(`handle ${taskRun!.taskId}`);
          expect(trace.serviceOf(handler!)).toBe(TASKS[taskRun!.taskId]!.service);
          expect(tag(handler, "otel.status_code")).toBe("ERROR");
          // Python's SDK puts the exception's type first: "TaskFailed: failed on purpose".
          expect(tag(handler, "otel.status_description")).toMatch(/failed on purpose$/);
        }
      }
    });
  },
);
