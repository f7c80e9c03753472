import { describe, expect, it } from "vitest";
import { NonRetryableError } from "../errors.js";
import {
  type AttemptInfo,
  buildInvocation,
  paramEnvName,
  SHELL,
  shellQuote,
  upstreamEnvName,
} from "./invocation.js";
import type { CommandSpec } from "./spec.js";

const attempt: AttemptInfo = {
  taskId: "r.render",
  runId: "run-1",
  taskRunId: "tr-1",
  attemptId: "at-1",
  attemptNumber: 2,
  mode: "test",
  params: { day: "2026-06-01", "report-date": "x y", logical_time: "2026-06-01T06:00:00Z" },
  logicalTime: new Date("2026-06-01T06:00:00Z"),
  upstream: {},
};

function spec(overrides: Partial<CommandSpec> = {}): CommandSpec {
  return {
    taskId: "r.render",
    exec: { kind: "argv", argv: ["python3", "render.py", "--day", "{{day}}"] },
    cwd: "/srv/jobs",
    env: {},
    keepBytes: 1024,
    killGraceMs: 1000,
    ...overrides,
  };
}

describe("paramEnvName", () => {
  it("upper-cases and replaces every non-alphanumeric with _", () => {
    expect(paramEnvName("day")).toBe("CORDYNA_PARAM_DAY");
    expect(paramEnvName("report-date")).toBe("CORDYNA_PARAM_REPORT_DATE");
    expect(paramEnvName("a.b c/d")).toBe("CORDYNA_PARAM_A_B_C_D");
    expect(paramEnvName("x9")).toBe("CORDYNA_PARAM_X9");
  });
});

describe("upstreamEnvName", () => {
  it("names the task and the key as a param's variable names its param", () => {
    expect(upstreamEnvName("a.fetch-rates", "rows")).toBe("CORDYNA_UPSTREAM_A_FETCH_RATES_ROWS");
    expect(upstreamEnvName("b.x", "stdout tail")).toBe("CORDYNA_UPSTREAM_B_X_STDOUT_TAIL");
  });
});

describe("buildInvocation with upstream outputs", () => {
  it("sets one variable per output; of two that share a name the first is kept and the other named", () => {
    const invocation = buildInvocation(
      spec(),
      {
        ...attempt,
        upstream: {
          "a.fetch-rates": { outputs: { rows: "1204", path: "/data/rates" }, omitted: false },
          "a.fetch": { outputs: { rates_rows: "7" }, omitted: false },
          "a.huge": { outputs: {}, omitted: true },
        },
      },
      { CORDYNA_UPSTREAM_STALE_X: "from the parent", HOME: "/home/x" },
    );
    expect(
      Object.fromEntries(
        Object.entries(invocation.env).filter(([name]) => name.startsWith("CORDYNA_UPSTREAM_")),
      ),
    ).toEqual({
      CORDYNA_UPSTREAM_A_FETCH_RATES_PATH: "/data/rates",
      CORDYNA_UPSTREAM_A_FETCH_RATES_ROWS: "1204",
    });
    expect(invocation.warnings).toEqual([
      "CORDYNA_UPSTREAM_A_FETCH_RATES_ROWS holds output rows of a.fetch-rates; output rates_rows of a.fetch is not in the environment",
      "the outputs of a.huge did not fit in the invoke and are not in the environment",
    ]);
  });
});

describe("shellQuote", () => {
  it("leaves plain words alone and single-quotes the rest", () => {
    expect(shellQuote("2026-06-01")).toBe("2026-06-01");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's $HOME")).toBe(`'it'"'"'s $HOME'`);
    expect(shellQuote("")).toBe("''");
  });
});

describe("buildInvocation", () => {
  it("substitutes params in argv, without a shell", () => {
    const invocation = buildInvocation(
      spec({ exec: { kind: "argv", argv: ["{{ day }}.sh", "--day={{day}}", "{{report-date}}"] } }),
      attempt,
      {},
    );
    expect(invocation.file).toBe("2026-06-01.sh");
    expect(invocation.args).toEqual(["--day=2026-06-01", "x y"]);
    expect(invocation.cwd).toBe("/srv/jobs");
  });

  it("runs a shell script with /bin/sh -c, params quoted as one word and the task id as $0", () => {
    const invocation = buildInvocation(
      spec({ exec: { kind: "shell", script: "echo {{report-date}} > out-{{day}}.txt" } }),
      attempt,
      {},
    );
    expect(invocation.file).toBe(SHELL);
    expect(invocation.args).toEqual(["-c", "echo 'x y' > out-2026-06-01.txt", "r.render"]);
  });

  it("builds the environment: base, then the task's env, then the attempt's CORDYNA_* variables", () => {
    const { env } = buildInvocation(
      spec({ env: { MODE: "fast", OUT: "/data/{{day}}.csv", PATH: "/opt/bin" } }),
      attempt,
      {
        PATH: "/usr/bin",
        HOME: "/home/r",
        UNSET: undefined,
        CORDYNA_PARAM_STALE: "from the parent",
        CORDYNA_LOGICAL_TIME: "from the parent",
      },
    );
    expect(env).toEqual({
      PATH: "/opt/bin",
      HOME: "/home/r",
      MODE: "fast",
      OUT: "/data/2026-06-01.csv",
      CORDYNA_TASK_ID: "r.render",
      CORDYNA_RUN_ID: "run-1",
      CORDYNA_TASK_RUN_ID: "tr-1",
      CORDYNA_ATTEMPT_ID: "at-1",
      CORDYNA_ATTEMPT_NUMBER: "2",
      CORDYNA_MODE: "test",
      CORDYNA_LOGICAL_TIME: "2026-06-01T06:00:00.000Z",
      CORDYNA_PARAM_DAY: "2026-06-01",
      CORDYNA_PARAM_REPORT_DATE: "x y",
      CORDYNA_PARAM_LOGICAL_TIME: "2026-06-01T06:00:00Z",
    });
  });

  it("sets no CORDYNA_LOGICAL_TIME without a logical time", () => {
    const { env } = buildInvocation(spec(), { ...attempt, logicalTime: undefined }, {});
    expect(env).not.toHaveProperty("CORDYNA_LOGICAL_TIME");
  });

  it("inherits this process's environment by default", () => {
    const { env } = buildInvocation(spec(), attempt);
    expect(env.PATH).toBe(process.env.PATH);
  });

  it("fails for good naming every missing param", () => {
    const build = () =>
      buildInvocation(
        spec({
          exec: { kind: "argv", argv: ["run", "{{day}}", "{{region}}"] },
          env: { KEY: "{{api_key}}" },
        }),
        attempt,
        {},
      );
    expect(build).toThrow(NonRetryableError);
    expect(build).toThrow(
      'missing params "region", "api_key" used by the command of r.render; start the run with --param region=… --param api_key=…',
    );
    expect(() =>
      buildInvocation(spec({ exec: { kind: "shell", script: "echo {{x}}" } }), attempt, {}),
    ).toThrow('missing param "x" used by the command of r.render');
  });

  it("does not take inherited object properties for params", () => {
    expect(() =>
      buildInvocation(spec({ exec: { kind: "argv", argv: ["{{constructor}}"] } }), attempt, {}),
    ).toThrow('missing param "constructor"');
  });
});
