import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CommandFileError,
  DEFAULT_KEEP_BYTES,
  DEFAULT_KILL_GRACE_MS,
  loadCommandFile,
  parseCommandFile,
} from "./spec.js";

const SERVER = `server:
  name: reports-server
  team: team-r
  contact: r@example.com
`;

/** A file with the standard server block and the given tasks (YAML list items). */
function withTasks(tasks: string): string {
  return `${SERVER}tasks:\n${tasks}`;
}

function parse(text: string) {
  return parseCommandFile(text, "tasks.yaml", { baseDir: "/srv/jobs" });
}

/** Every issue's message for an invalid file. */
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof CommandFileError) return error.issues.map((issue) => issue.message);
    throw error;
  }
  throw new Error("the file was accepted");
}

/** The single issue of a file with one task whose body is `body` (indented by 4). */
function taskProblem(body: string): string {
  const found = problems(withTasks(`  - id: r.x\n${body}`));
  expect(found).toHaveLength(1);
  return found[0] as string;
}

describe("parseCommandFile: a valid file", () => {
  it("turns the server block and every task into options and commands", () => {
    const file = parse(
      `server:
  name: reports-server
  team: team-r
  contact: r@example.com
  concurrency: 2
  drainTimeout: 1m
tasks:
  - id: r.render
    description: Render the report
    owner: { team: team-x, contact: x@example.com }
    dependsOn: [a.import-orders, { task: a.fetch-rates, freshWithin: 1h }]
    deadlines: { ack: 5s, start: 1m, complete: 10m }
    retry: { maxAttempts: 2, initialBackoff: 1s, maxBackoff: 10s, multiplier: 3, retryOn: [task_failed] }
    concurrencyLimit: 1
    tags: [reports]
    command: ["python3", "render.py", "--day", "{{day}}", "--limit", 10, true]
    cwd: ./reports
    env: { MODE: fast, LEVEL: 3 }
    log: { keepBytes: 1024 }
    killGrace: 2s
  - id: r.cleanup
    shell: "rm -f out/*.tmp"
    cwd: /var/tmp
    schedule: { cron: "0 6 * * *", timeZone: Europe/Berlin, catchUp: all, catchUpMax: 3, overlap: allow, expectedWithin: 2h }
  - id: r.notify
    dependsOn: [r.render]
    trigger: { mode: any, debounce: 30s }
    command: [notify]
`,
    );
    expect(file.file).toBe("tasks.yaml");
    expect(file.server).toEqual({
      name: "reports-server",
      team: "team-r",
      contact: "r@example.com",
      concurrency: 2,
      drainTimeoutMs: 60_000,
    });
    const [render, cleanup, notify] = file.tasks;
    expect(render?.options).toEqual({
      id: "r.render",
      description: "Render the report",
      owner: { team: "team-x", contact: "x@example.com" },
      dependsOn: ["a.import-orders", { task: "a.fetch-rates", freshWithin: "1h" }],
      deadlines: { ack: "5s", start: "1m", complete: "10m" },
      retry: {
        maxAttempts: 2,
        initialBackoff: "1s",
        maxBackoff: "10s",
        multiplier: 3,
        retryOn: ["task_failed"],
      },
      concurrencyLimit: 1,
      tags: ["reports"],
    });
    expect(render?.command).toEqual({
      taskId: "r.render",
      exec: {
        kind: "argv",
        argv: ["python3", "render.py", "--day", "{{day}}", "--limit", "10", "true"],
      },
      cwd: "/srv/jobs/reports",
      env: { MODE: "fast", LEVEL: "3" },
      keepBytes: 1024,
      killGraceMs: 2_000,
    });
    expect(cleanup?.command.exec).toEqual({ kind: "shell", script: "rm -f out/*.tmp" });
    expect(cleanup?.command.cwd).toBe("/var/tmp");
    expect(cleanup?.options.schedule).toEqual({
      cron: "0 6 * * *",
      timeZone: "Europe/Berlin",
      catchUp: "all",
      catchUpMax: 3,
      overlap: "allow",
      expectedWithin: "2h",
    });
    expect(notify?.options.trigger).toEqual({ mode: "any", debounce: "30s" });
    expect(notify?.command).toMatchObject({
      cwd: "/srv/jobs",
      env: {},
      keepBytes: DEFAULT_KEEP_BYTES,
      killGraceMs: DEFAULT_KILL_GRACE_MS,
    });
  });

  it("resolves a relative cwd from the file's directory by default", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cordyna-spec-"));
    try {
      const path = join(dir, "tasks.yaml");
      await writeFile(path, withTasks("  - id: r.x\n    command: [true]\n    cwd: sub\n"));
      const file = await loadCommandFile(path);
      expect(file.file).toBe(path);
      expect(file.tasks[0]?.command.cwd).toBe(join(dir, "sub"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("parseCommandFile: the whole file", () => {
  it("names an unreadable file", async () => {
    await expect(loadCommandFile("/nonexistent/tasks.yaml")).rejects.toThrow(
      /^\/nonexistent\/tasks\.yaml: cannot read the file: ENOENT/,
    );
  });

  it("reports YAML syntax errors with their line", () => {
    expect(problems(`${SERVER}tasks: [1, 2\nmore: 3\n`)).toEqual([
      expect.stringMatching(/^tasks\.yaml:6: invalid YAML: /),
    ]);
    expect(problems(`${SERVER}server: {}\n`)).toEqual([
      "tasks.yaml:5: invalid YAML: Map keys must be unique",
    ]);
  });

  it("refuses an empty file and one that is not a mapping", () => {
    expect(problems("")).toEqual([
      "tasks.yaml: the file is empty: expected a server: block and a tasks: list",
    ]);
    expect(problems("- a\n- b\n")).toEqual([
      "tasks.yaml:1: expected a mapping with server: and tasks:, not a list",
    ]);
  });

  it("refuses unknown top-level keys, a missing server and missing tasks", () => {
    expect(problems("task: []\n")).toEqual([
      "tasks.yaml:1: task: unknown key (did you mean tasks?); expected one of server, tasks",
      "tasks.yaml:1: server: is required",
      "tasks.yaml:1: tasks: is required: a list of tasks",
    ]);
  });

  it("refuses tasks that are not a non-empty list", () => {
    expect(problems(`${SERVER}tasks: {a: 1}\n`)).toEqual([
      "tasks.yaml:5: tasks: must be a list of tasks, not a mapping",
    ]);
    expect(problems(`${SERVER}tasks: []\n`)).toEqual([
      "tasks.yaml:5: tasks: must list at least one task",
    ]);
  });

  it("reports every problem of every task at once, in the order of the file", () => {
    expect(
      problems(
        withTasks(`  - id: r.a
    comand: [x]
  - id: r.b
    command: [x]
    killGrace: forever
`),
      ),
    ).toEqual([
      expect.stringMatching(/^tasks\.yaml:6: task r\.a: command: is required/),
      expect.stringMatching(
        /^tasks\.yaml:7: task r\.a: comand: unknown key \(did you mean command\?\)/,
      ),
      'tasks.yaml:10: task r.b: killGrace: invalid duration "forever": expected e.g. "500ms", "30s", "10m", "2h", "1d"',
    ]);
  });
});

describe("parseCommandFile: the server block", () => {
  it("refuses a server that is not a mapping", () => {
    expect(problems("server: x\ntasks: [{id: r.x, command: [x]}]\n")).toEqual([
      'tasks.yaml:1: server: must be a mapping of name, team, contact, concurrency, drainTimeout, not string "x"',
    ]);
  });

  it("names each missing, mistyped or unknown field", () => {
    expect(
      problems(`server:
  name: ""
  contact: 3
  concurrency: -1
  drainTimeout: 30
  colour: blue
tasks: [{id: r.x, command: [x]}]
`),
    ).toEqual([
      "tasks.yaml:1: server.team: is required",
      "tasks.yaml:2: server.name: must not be empty",
      "tasks.yaml:3: server.contact: must be a string, not number 3",
      "tasks.yaml:4: server.concurrency: must be a whole number from 0 to 4294967295, not number -1",
      'tasks.yaml:5: server.drainTimeout: must be a duration with a unit, e.g. "30s", "10m", "1h", not number 30',
      "tasks.yaml:6: server.colour: unknown key; expected one of name, team, contact, concurrency, drainTimeout",
    ]);
  });
});

describe("parseCommandFile: a task", () => {
  it("refuses an entry that is not a mapping", () => {
    expect(problems(withTasks("  - r.x\n"))).toEqual([
      'tasks.yaml:6: tasks[0]: each task must be a mapping with id and command, not string "r.x"',
    ]);
  });

  it("needs a valid id, once per file", () => {
    expect(problems(withTasks("  - command: [x]\n"))).toEqual([
      "tasks.yaml:6: tasks[0]: id: is required",
    ]);
    expect(problems(withTasks("  - id: Bad Id\n    command: [x]\n"))).toEqual([
      `tasks.yaml:6: tasks[0]: id: "Bad Id" must be 1-128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`,
    ]);
    expect(
      problems(withTasks("  - id: r.x\n    command: [x]\n  - id: r.x\n    shell: x\n")),
    ).toEqual(["tasks.yaml:8: task r.x: id: is declared twice in this file (first as tasks[0])"]);
  });

  it("names unknown keys, suggesting the nearest", () => {
    expect(taskProblem("    command: [x]\n    dependson: [a.b]\n")).toBe(
      "tasks.yaml:8: task r.x: dependson: unknown key (did you mean dependsOn?); expected one of id, description, owner, dependsOn, deadlines, retry, concurrencyLimit, tags, schedule, trigger, command, shell, cwd, env, log, killGrace",
    );
  });

  it.each([
    ["    description: 3\n", "description: must be a string, not number 3"],
    ["    owner: team-x\n", 'owner: must be a mapping of team, contact, not string "team-x"'],
    ["    owner: { contact: x }\n", "owner.team: is required"],
    ["    owner: { team: t, contact: x, pager: y }\n", "owner.pager: unknown key"],
    ["    dependsOn: a.b\n", 'dependsOn: must be a list, not string "a.b"'],
    [
      "    dependsOn: [3]\n",
      "dependsOn[0]: must be a task id or {task, freshWithin}, not number 3",
    ],
    ["    dependsOn: [A]\n", 'dependsOn[0]: "A" is not a valid task id'],
    ["    dependsOn: [{ freshWithin: 1h }]\n", "dependsOn[0].task: is required"],
    ["    dependsOn: [{ task: A }]\n", 'dependsOn[0].task: "A" is not a valid task id'],
    ["    dependsOn: [{ task: a.b, fresh: 1h }]\n", "dependsOn[0].fresh: unknown key"],
    [
      "    dependsOn: [{ task: a.b, freshWithin: 1y }]\n",
      'dependsOn[0].freshWithin: invalid duration "1y"',
    ],
    ["    dependsOn: [r.x]\n", "dependsOn[0]: a task cannot depend on itself"],
    ["    dependsOn: [a.b, a.b]\n", "dependsOn[1]: a.b is listed twice"],
    ["    deadlines: 10m\n", "deadlines: must be a mapping of ack, start, complete"],
    ["    deadlines: { finish: 1m }\n", "deadlines.finish: unknown key"],
    ["    deadlines: { complete: 0s }\n", "deadlines.complete: must be longer than zero"],
    ["    deadlines: { ack: 10 }\n", "deadlines.ack: must be a duration with a unit"],
    ["    retry: { initialBackoff: 1s }\n", "retry.maxAttempts: is required"],
    ["    retry: { maxAttempts: 1.5 }\n", "retry.maxAttempts: must be a whole number"],
    [
      "    retry: { maxAttempts: 2, multiplier: 0.5 }\n",
      "retry.multiplier: must be a number of at least 1",
    ],
    ["    retry: { maxAttempts: 2, retryOn: timeout }\n", "retry.retryOn: must be a list"],
    [
      "    retry: { maxAttempts: 2, retryOn: [timeout] }\n",
      'retry.retryOn[0]: must be one of task_failed, ack_timeout, start_timeout, complete_timeout, server_lost, rejected, not string "timeout"',
    ],
    [
      "    retry: { maxAttempts: 2, initialBackoff: 1m, maxBackoff: 1s }\n",
      "retry.maxBackoff: must not be shorter than retry.initialBackoff",
    ],
    ["    retry: { maxAttempts: 2, backoff: 1s }\n", "retry.backoff: unknown key"],
    ["    concurrencyLimit: -1\n", "concurrencyLimit: must be a whole number from 0 to 4294967295"],
    ["    tags: [ok, '']\n", "tags[1]: must be a non-empty string"],
    ["    schedule: { timeZone: UTC }\n", "schedule.cron: is required"],
    ["    schedule: { expectedWithin: 2h }\n", "schedule.cron: is required"],
    [
      "    schedule: { cron: '0 6 * * *', expectedWithin: 8d }\n",
      "schedule.expectedWithin: must be at most 7d, not 8d",
    ],
    [
      "    schedule: { cron: '0 6 * * *', expectedWithin: 0s }\n",
      "schedule.expectedWithin: must be longer than zero",
    ],
    [
      "    schedule: { cron: '* * *' }\n",
      "schedule.cron: expected 5 fields (or 6 with seconds), got 3",
    ],
    [
      "    schedule: { cron: '0 6 * * *', timeZone: Mars/Base }\n",
      'schedule.timeZone: "Mars/Base" is not an IANA time zone',
    ],
    [
      "    schedule: { cron: '0 6 * * *', catchUp: some }\n",
      'schedule.catchUp: must be one of skip, latest, all, not string "some"',
    ],
    [
      "    schedule: { cron: '0 6 * * *', overlap: queue }\n",
      "schedule.overlap: must be one of skip, queue-one, allow, cancel-previous",
    ],
    [
      "    schedule: { cron: '0 6 * * *', catchUpMax: x }\n",
      "schedule.catchUpMax: must be a whole number",
    ],
    ["    schedule: { cron: '0 6 * * *', tz: UTC }\n", "schedule.tz: unknown key"],
    ["    trigger: { debounce: 1m }\n", "trigger.mode: is required"],
    ["    trigger: { mode: some }\n", 'trigger.mode: must be one of all, any, not string "some"'],
    ["    trigger: { mode: any, debounce: soon }\n", 'trigger.debounce: invalid duration "soon"'],
    ["    trigger: { mode: any }\n", "trigger: needs at least one upstream in dependsOn"],
  ])("declaration %j: %s", (field, expected) => {
    const found = taskProblem(`    command: [x]\n${field}`);
    expect(found).toMatch(/^tasks\.yaml:\d+: task r\.x: /);
    expect(found).toContain(expected);
  });

  it.each([
    ["", "command: is required: an argument list such as"],
    [
      "    command: [x]\n    shell: x\n",
      "shell: give either command (an argument list, no shell) or shell, not both",
    ],
    [
      "    command: python3 job.py\n",
      'command: must be a list of arguments such as ["python3", "job.py"] (for a shell command line use shell:), not string "python3 job.py"',
    ],
    ["    command: []\n", "command: must name at least the program to run"],
    ["    command: ['  ', x]\n", "command[0]: the program to run must not be empty"],
    ["    command: [x, { a: 1 }]\n", "command[1]: must be a string, not a mapping"],
    [
      "    command: [x, '{{ two words }}']\n",
      "command[1]: placeholder {{ two words }} must name a param",
    ],
    ["    shell: ''\n", "shell: must not be empty"],
    ["    shell: [x]\n", "shell: must be a string, not a list"],
    ["    shell: 'echo {{}}'\n", "shell: placeholder {{}} must name a param"],
    ["    command: [x]\n    cwd: ''\n", "cwd: must not be empty"],
    ["    command: [x]\n    cwd: [a]\n", "cwd: must be a string, not a list"],
    [
      "    command: [x]\n    env: [A=1]\n",
      "env: must be a mapping of variable names to values, not a list",
    ],
    ["    command: [x]\n    env: { 1A: x }\n", "env.1A: is not a valid variable name"],
    [
      "    command: [x]\n    env: { CORDYNA_RUN_ID: x }\n",
      "env.CORDYNA_RUN_ID: is set by Cordyna for every attempt",
    ],
    [
      "    command: [x]\n    env: { CORDYNA_PARAM_DAY: x }\n",
      "env.CORDYNA_PARAM_DAY: is set by Cordyna for every attempt",
    ],
    [
      "    command: [x]\n    env: { A: [1] }\n",
      "env.A: must be a string, number or boolean, not a list",
    ],
    [
      "    command: [x]\n    env: { A: '{{a b}}' }\n",
      "env.A: placeholder {{a b}} must name a param",
    ],
    ["    command: [x]\n    log: 1024\n", "log: must be a mapping of keepBytes, not number 1024"],
    [
      "    command: [x]\n    log: { keepByte: 1 }\n",
      "log.keepByte: unknown key (did you mean keepBytes?)",
    ],
    [
      "    command: [x]\n    log: { keepBytes: 100000000 }\n",
      "log.keepBytes: must be a whole number from 0 to 67108864",
    ],
    ["    command: [x]\n    killGrace: 5\n", "killGrace: must be a duration with a unit"],
  ])("command %j: %s", (body, expected) => {
    const found = taskProblem(body);
    expect(found).toMatch(/^tasks\.yaml:\d+: task r\.x: /);
    expect(found).toContain(expected);
  });

  it("points at the line of the offending entry", () => {
    expect(taskProblem("    command:\n      - x\n      - {a: 1}\n")).toBe(
      "tasks.yaml:9: task r.x: command[1]: must be a string, not a mapping",
    );
  });

  it("accepts a zero kill grace and zero kept bytes", () => {
    const file = parse(
      withTasks("  - id: r.x\n    command: [x]\n    killGrace: 0s\n    log: { keepBytes: 0 }\n"),
    );
    expect(file.tasks[0]?.command).toMatchObject({ killGraceMs: 0, keepBytes: 0 });
  });

  it("gives every issue's parts separately", () => {
    try {
      parse(withTasks("  - id: r.x\n    command: [x]\n    deadlines: { complete: 10x }\n"));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CommandFileError);
      expect((error as CommandFileError).issues).toEqual([
        {
          file: "tasks.yaml",
          line: 8,
          task: "r.x",
          field: "deadlines.complete",
          problem: 'invalid duration "10x": expected e.g. "500ms", "30s", "10m", "2h", "1d"',
          message:
            'tasks.yaml:8: task r.x: deadlines.complete: invalid duration "10x": expected e.g. "500ms", "30s", "10m", "2h", "1d"',
        },
      ]);
    }
  });
});
