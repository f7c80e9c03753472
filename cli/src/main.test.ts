import { create } from "@bufbuild/protobuf";
import { ListRunsResponseSchema, ListTasksResponseSchema } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { parseParams, UsageError } from "./args.js";
import { COMMANDS, runCli, splitCommand } from "./main.js";
import { fakeCli } from "./test-support.js";

describe("usage errors exit with 2", () => {
  it("a --param without '=' names the bad argument", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["run", "a.x", "--param", "day"], overrides)).toBe(2);
    expect(io.stderr.join("\n")).toContain("bad --param 'day': expected key=value");
  });

  it("an unknown flag is named", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["runs", "--bogus"], overrides)).toBe(2);
    expect(io.stderr.join("\n")).toContain('unknown flag --bogus for "dyna runs"');
    expect(io.stderr.join("\n")).toContain('Run "dyna runs --help" for usage.');
  });

  it("an unknown flag comes with the command's flags closest to it", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["run", "a.x", "--params", "day=1"], overrides)).toBe(2);
    expect(io.stderr[0]).toBe('dyna: unknown flag --params for "dyna run"; did you mean --param?');
    const before = fakeCli();
    expect(await runCli(["runs", "--cerebr", "h:1"], before.overrides)).toBe(2);
    expect(before.io.stderr[0]).toBe(
      'dyna: unknown flag --cerebr for "dyna runs"; did you mean --cerebro?',
    );
    const unlike = fakeCli();
    expect(await runCli(["runs", "--bogus"], unlike.overrides)).toBe(2);
    expect(unlike.io.stderr[0]).toBe('dyna: unknown flag --bogus for "dyna runs"');
  });

  it("an unknown command or help topic comes with the commands closest to it", async () => {
    for (const [argv, expected] of [
      [["rnus"], "dyna: unknown command 'rnus'; did you mean runs?"],
      [["hisotry", "a.x"], "dyna: unknown command 'hisotry'; did you mean history?"],
      [["help", "servrs"], "dyna: unknown command 'servrs'; did you mean servers?"],
      [["frobnicate"], "dyna: unknown command 'frobnicate'"],
    ] as const) {
      const { io, overrides } = fakeCli();
      expect(await runCli(argv, overrides), argv.join(" ")).toBe(2);
      expect(io.stderr[0]).toBe(expected);
    }
  });

  it("commands that do not call cerebro's API refuse --profile", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["dev", "--profile", "prod"], overrides)).toBe(2);
    expect(io.stderr[0]).toBe(
      "dyna: dyna dev takes no --profile: a profile says how to reach cerebro's API",
    );
  });

  it("run without a task says so", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["run", "--downstream"], overrides)).toBe(2);
    expect(io.stderr.join("\n")).toContain("missing task");
  });

  it("an unknown command is named", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["frobnicate"], overrides)).toBe(2);
    expect(io.stderr.join("\n")).toContain("unknown command 'frobnicate'");
  });

  it("a flag missing its value, a bad number, a bad mode, a stray argument", async () => {
    for (const argv of [
      ["runs", "--limit"],
      ["runs", "--limit", "ten"],
      ["run", "a.x", "--mode", "prod"],
      ["tasks", "extra"],
      ["cancel"],
      ["dev", "--port", "99999"],
    ]) {
      const { io, overrides } = fakeCli();
      expect(await runCli(argv, overrides), argv.join(" ")).toBe(2);
      expect(io.stderr[0]).toMatch(/^dyna: /);
    }
  });

  it("dyna dev refuses a Redis key prefix with glob characters, naming the flag", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["dev", "--redis-prefix", "a*"], overrides)).toBe(2);
    expect(io.stderr[0]).toBe('dyna: --redis-prefix: "a*" may not contain * ? [ ] or \\');
  });

  it("no command prints the help to stderr", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli([], overrides)).toBe(2);
    expect(io.stderr.join("\n")).toContain("Commands:");
  });
});

describe("help", () => {
  it("dyna --help lists the commands", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["--help"], overrides)).toBe(0);
    const text = io.stdout.join("\n");
    for (const command of [
      "dev",
      "run",
      "backfill",
      "runs",
      "run-status",
      "cancel",
      "tasks",
      "servers",
      "graph",
    ]) {
      expect(text).toContain(`  ${command}`);
    }
  });

  it("every command has --help", async () => {
    for (const command of Object.keys(COMMANDS).filter((name) => name !== "help")) {
      const { io, overrides } = fakeCli();
      expect(await runCli([command, "--help"], overrides), command).toBe(0);
      expect(io.stdout.join("\n")).toContain(`Usage: dyna ${command}`);
    }
  });
});

describe("dispatch", () => {
  it("finds the command after global flags", () => {
    expect(splitCommand(["--cerebro", "h:1", "runs", "--limit", "3"])).toEqual({
      command: "runs",
      rest: ["--cerebro", "h:1", "--limit", "3"],
    });
  });

  it("connects to the --cerebro address, else CORDYNA_ADDR, else the default", async () => {
    const client = { listRuns: async () => create(ListRunsResponseSchema, {}) };
    const cases: [string[], Record<string, string>, string][] = [
      [["runs", "--cerebro", "flag:1"], { CORDYNA_ADDR: "env:2" }, "flag:1"],
      [["--cerebro", "flag:1", "runs"], { CORDYNA_ADDR: "env:2" }, "flag:1"],
      [["runs"], { CORDYNA_ADDR: "env:2" }, "env:2"],
      [["runs"], {}, "localhost:7070"],
    ];
    for (const [argv, env, expected] of cases) {
      const { addresses, overrides } = fakeCli(client, env);
      expect(await runCli(argv, overrides)).toBe(0);
      expect(addresses).toEqual([expected]);
    }
  });

  it("--json prints the response message as one JSON document", async () => {
    const res = create(ListTasksResponseSchema, {
      tasks: [{ taskId: "a.x", serverName: "s", resolved: true }],
    });
    const { io, overrides } = fakeCli({ listTasks: async () => res });
    expect(await runCli(["tasks", "--json"], overrides)).toBe(0);
    expect(io.stdout).toHaveLength(1);
    expect(JSON.parse(io.stdout[0] ?? "")).toEqual({
      tasks: [{ taskId: "a.x", serverName: "s", resolved: true }],
    });
  });

  it("exits with 3 and the gRPC code when nothing listens at the address", async () => {
    const { io, overrides } = fakeCli();
    // The real transport, against a port where nothing listens.
    delete overrides.connect;
    expect(await runCli(["tasks", "--cerebro", "127.0.0.1:1"], overrides)).toBe(3);
    expect(io.stderr.join("\n")).toContain("cannot reach cerebro at 127.0.0.1:1 (UNAVAILABLE:");
  });
});

describe("parseParams", () => {
  it("splits at the first '='", () => {
    expect(parseParams("run", ["a=1", "b=x=y", "c="])).toEqual({ a: "1", b: "x=y", c: "" });
  });

  it("rejects a value without a key", () => {
    expect(() => parseParams("run", ["=1"])).toThrow(UsageError);
  });
});
