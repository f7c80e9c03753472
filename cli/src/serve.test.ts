import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loopbackCerebros } from "../../cerebro/src/testing/loopback-cerebros.js";
import { RawSession } from "../../cerebro/src/testing/raw-session.js";
import { runCli } from "./main.js";
import { fakeCli, recordingIo } from "./test-support.js";

const cerebros = loopbackCerebros();

let dir: string;
let good: string;
let bad: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cordyna-serve-cli-"));
  good = join(dir, "tasks.yaml");
  bad = join(dir, "bad.yaml");
  await writeFile(
    good,
    `server: { name: reports-server, team: team-r, contact: r@example.com }
tasks:
  - id: r.render
    command: ["python3", "render.py", "{{day}}"]
  - id: r.clean
    shell: "rm -f out/*.tmp"
`,
  );
  await writeFile(
    bad,
    `server: { name: reports-server, team: team-r }
tasks:
  - id: r.render
    command: python3 render.py
    killGrace: 5
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("dyna serve", () => {
  it("--check accepts a good file and names its server and tasks", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["serve", good, "--check"], overrides)).toBe(0);
    expect(io.stdout).toEqual([
      `${good}: server reports-server (team team-r) with 2 tasks: r.render, r.clean`,
    ]);
    const json = fakeCli();
    expect(await runCli(["serve", good, "--check", "--json"], json.overrides)).toBe(0);
    expect(JSON.parse(json.io.stdout.join(""))).toEqual({
      server: "reports-server",
      tasks: ["r.render", "r.clean"],
    });
  });

  it("exits 2 with one line per problem of a bad file", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["serve", bad], overrides)).toBe(2);
    expect(io.stderr).toEqual([
      `dyna serve: ${bad} has 3 problems:`,
      `  ${bad}:1: server.contact: is required`,
      `  ${bad}:4: task r.render: command: must be a list of arguments such as ["python3", "job.py"] (for a shell command line use shell:), not string "python3 render.py"`,
      `  ${bad}:5: task r.render: killGrace: must be a duration with a unit, e.g. "30s", "10m", "1h", not number 5`,
    ]);
  });

  it("with --json, prints the problems as one document", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["serve", bad, "--json"], overrides)).toBe(2);
    const { errors } = JSON.parse(io.stdout.join("")) as { errors: { field: string }[] };
    expect(errors.map((e) => e.field)).toEqual(["server.contact", "command", "killGrace"]);
  });

  it("exits 2 for a missing file or a missing argument", async () => {
    const missing = fakeCli();
    expect(await runCli(["serve", join(dir, "nope.yaml")], missing.overrides)).toBe(2);
    expect(missing.io.stderr.join("\n")).toContain("nope.yaml: cannot read the file");
    const noFile = fakeCli();
    expect(await runCli(["serve"], noFile.overrides)).toBe(2);
    expect(noFile.io.stderr.join("\n")).toContain("missing the tasks file");
  });

  it("exits 3 when cerebro refuses the tasks, saying each problem once", async () => {
    const cerebro = await cerebros.start();
    const owner = new RawSession(cerebro.address);
    cerebros.onCleanup(() => owner.cancel());
    owner.hello("other-server", [{ id: "r.render", owner: { team: "team-x" } }]);
    await owner.next("welcome");

    const io = recordingIo({ LOG_LEVEL: "silent" });
    const code = await runCli(["serve", good, "--cerebro", cerebro.address], {
      io,
      waitForShutdown: () => new Promise(() => {}),
    });
    expect(code).toBe(3);
    expect(io.stderr.slice(1)).toEqual([
      `dyna serve: cerebro refused the tasks of ${good}:`,
      "  task r.render (team team-r) is already owned by server other-server (team team-x); that server must stop declaring it first",
    ]);
  });

  it("has help", async () => {
    const { io, overrides } = fakeCli();
    expect(await runCli(["serve", "--help"], overrides)).toBe(0);
    expect(io.stdout.join("\n")).toContain("Usage: dyna serve <tasks.yaml>");
    const main = fakeCli();
    expect(await runCli(["--help"], main.overrides)).toBe(0);
    expect(main.io.stdout.join("\n")).toContain("serve <tasks.yaml>");
  });
});
