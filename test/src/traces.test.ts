// One trace per run across servers in two languages, as a real Jaeger stores
// it: cerebro, a TypeScript task-server and the Python example export over
// OTLP; the test reads the trace back through Jaeger's query API.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RunState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Child,
  type ControlClient,
  finishedRun,
  freePort,
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
const MISSING =
  "jaeger is not installed: run scripts/install-jaeger.sh (it builds jaeger v1.75.0 into $(go env GOPATH)/bin)";

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

// Outside CI, a machine without jaeger skips it, saying why; in CI it fails.
describe.skipIf(!jaeger && !inCi)(
  `traces in Jaeger${jaeger ? "" : ` (skipped: ${MISSING})`}`,
  () => {
    const children: Child[] = [];
    let queryUrl = "";
    let control: ControlClient;

    beforeAll(async () => {
      if (!jaeger) throw new Error(MISSING);
      execFileSync("bash", ["clients/python/build-example.sh"], {
        cwd: join(import.meta.dirname, "../.."),
        stdio: "inherit",
      });
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
      children.push(
        spawnProgram("python-example", ["bash", "clients/python/run-example.sh"], servers),
      );
      await waitForServers(control, ["ts-traced-server", "python-example"]);
    }, 180_000);

    afterAll(async () => {
      await Promise.all(children.reverse().map((child) => child.stop()));
    });

    it("holds the run, every task-run and attempt, and both languages' handler spans in one trace with the right parents", async () => {
      const caller = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };
      const { run: started } = await control.startRun(
        { targets: ["python.clean", "ts.publish"], withoutUpstream: true },
        { headers: { traceparent: `00-${caller.traceId}-${caller.spanId}-01` } },
      );
      // The caller's trace, which the run joined.
      expect(started?.traceId).toBe(caller.traceId);
      const run = await finishedRun(control, started!.id);
      expect(run.state).toBe(RunState.SUCCEEDED);

      const attempts = run.taskRuns.flatMap((taskRun) => taskRun.attempts);
      // python.clean once; ts.publish failed once and completed on its retry.
      expect(attempts).toHaveLength(3);
      const expectedSpans = 1 + run.taskRuns.length + 2 * attempts.length + 3;
      let found: JaegerTrace | undefined;
      await waitUntil(
        `trace ${caller.traceId} with all ${expectedSpans} spans in jaeger`,
        async () => {
          const response = await fetch(`${queryUrl}/api/traces/${caller.traceId}`);
          if (!response.ok) return false;
          found = ((await response.json()) as { data: JaegerTrace[] }).data[0];
          return (found?.spans.length ?? 0) >= expectedSpans;
        },
      );
      const spans = found!.spans;
      const byId = new Map(spans.map((span) => [span.spanID, span]));
      const parentOf = (span: JaegerSpan) =>
        byId.get(span.references.find((r) => r.refType === "CHILD_OF")?.spanID ?? "");
      const serviceOf = (span: JaegerSpan) => found!.processes[span.processID]?.serviceName;
      const tag = (span: JaegerSpan | undefined, key: string) =>
        span?.tags.find((t) => t.key === key)?.value;

      const [runSpan] = spans.filter((span) => span.operationName === "run");
      expect(runSpan?.references).toEqual([
        expect.objectContaining({ refType: "CHILD_OF", spanID: caller.spanId }),
      ]);
      expect(serviceOf(runSpan!)).toBe("cerebro");
      expect(tag(runSpan, "cordyna.run.id")).toBe(run.id);

      for (const taskRun of run.taskRuns) {
        const taskRunSpan = byId.get(taskRun.spanId);
        expect(taskRunSpan?.operationName).toBe(`task-run ${taskRun.taskId}`);
        expect(parentOf(taskRunSpan!)).toBe(runSpan);
        expect(tag(taskRunSpan, "cordyna.team")).toBe(taskRun.owner?.team);
        for (const attempt of taskRun.attempts) {
          const attemptSpan = byId.get(attempt.spanId);
          expect(attemptSpan?.operationName).toBe(`attempt ${taskRun.taskId}`);
          expect(parentOf(attemptSpan!)).toBe(taskRunSpan);
          expect(tag(attemptSpan, "cordyna.attempt.id")).toBe(attempt.id);
          expect(tag(attemptSpan, "cordyna.instance.id")).toBe(attempt.instanceId);
          // The task-server's own span for the attempt, in its own language.
          const handlers = spans.filter((span) => parentOf(span) === attemptSpan);
          expect(handlers.map((span) => span.operationName)).toEqual([`handle ${taskRun.taskId}`]);
          expect(serviceOf(handlers[0]!)).toBe(
            taskRun.taskId === "ts.publish" ? "ts-traced-server" : "python-example",
          );
          expect(tag(handlers[0], "cordyna.attempt.id")).toBe(attempt.id);
        }
      }
      // The handlers' own spans nest under the handler spans.
      const nested = spans.filter((span) =>
        ["publish rows", "clean rows"].includes(span.operationName),
      );
      expect(nested).toHaveLength(3);
      for (const span of nested) expect(parentOf(span)?.operationName).toMatch(/^handle /);
    });
  },
);
