// The completion scripts, checked by the shells themselves: valid syntax,
// and the words bash (and zsh, where installed) offers for a prefix.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const hasZsh = spawnSync("zsh", ["-c", "true"]).status === 0;

let dir: string;
/** A stand-in for dyna on the command line: lists ids and writes down how it was asked. */
let fakeDyna: string;

async function script(shell: string): Promise<string> {
  const io = recordingIo();
  expect(await runCli(["completion", shell], { io })).toBe(0);
  const file = join(dir, `dyna.${shell}`);
  writeFileSync(file, `${io.stdout.join("\n")}\n`);
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cordyna-completion-"));
  fakeDyna = join(dir, "dyna");
  writeFileSync(
    fakeDyna,
    `#!/bin/sh
echo "$*" >> "${join(dir, "asked")}"
case "$1" in
  tasks) printf 'b.sales-report\\nb.sales-summary\\na.clean\\n' ;;
  runs) printf 'run_00mk2aaaa\\nrun_00mk2bbbb\\n' ;;
esac
`,
  );
  chmodSync(fakeDyna, 0o755);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The words bash's completion function offers with the cursor at the end of `line`. */
function bashComplete(file: string, line: string[]): string[] {
  const words = line.map((word) => `'${word}'`).join(" ");
  const output = execFileSync(
    "bash",
    [
      "-c",
      `source '${file}'; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _dyna; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: "utf8" },
  );
  return output.split("\n").filter((word) => word !== "");
}

/** The words zsh's completion function offers, with compadd standing in for the real one. */
function zshComplete(file: string, line: string[]): string[] {
  const words = line.map((word) => `'${word}'`).join(" ");
  const output = execFileSync(
    "zsh",
    [
      "-c",
      `compdef() { :; }
compadd() { [[ $1 == -a ]] && print -rl -- \${(P)2}; }
_files() { print -r -- '<files>'; }
source '${file}'
words=(${words}); CURRENT=${line.length}
_dyna`,
    ],
    { encoding: "utf8" },
  );
  return output.split("\n").filter((word) => word !== "");
}

const cases: [string, string[], string[]][] = [
  ["commands", ["dyna", "ru"], ["run", "run-status", "runs"]],
  ["a command's flags", ["dyna", "run", "--par"], ["--param"]],
  ["common flags", ["dyna", "tasks", "--pro"], ["--profile"]],
  ["dyna's own flags", ["dyna", "--ver"], ["--version"]],
  ["words of a subcommand", ["dyna", "auth", ""], ["token", "whoami"]],
  ["the next word", ["dyna", "auth", "token", "c"], ["create"]],
  ["a flag's values", ["dyna", "run", "a.x", "--mode", ""], ["test", "normal"]],
  ["check's output formats", ["dyna", "check", "--format", "g"], ["github"]],
  ["shells", ["dyna", "completion", ""], ["bash", "zsh"]],
  ["help topics", ["dyna", "help", "ba"], ["backfill"]],
  ["the command after global flags", ["dyna", "--cerebro", "h:1", "tas"], ["tasks"]],
];

describe("dyna completion bash", () => {
  it("prints a script bash accepts", async () => {
    const file = await script("bash");
    expect(spawnSync("bash", ["-n", file]).status).toBe(0);
  });

  it.each(cases)("completes %s", async (_, line, expected) => {
    expect(bashComplete(await script("bash"), line).sort()).toEqual([...expected].sort());
  });

  it("completes task and run ids through dyna, with the command line's --cerebro and --profile", async () => {
    const file = await script("bash");
    const asked = join(dir, "asked");
    writeFileSync(asked, "");
    expect(bashComplete(file, [fakeDyna, "run", "b.s"])).toEqual([
      "b.sales-report",
      "b.sales-summary",
    ]);
    expect(
      bashComplete(file, [fakeDyna, "--cerebro", "h:1", "run", "a.clean", "b.sales-r"]),
    ).toEqual(["b.sales-report"]);
    expect(bashComplete(file, [fakeDyna, "logs", "--profile", "ci", "run_00mk2a"])).toEqual([
      "run_00mk2aaaa",
    ]);
    expect(readFileSync(asked, "utf8").split("\n")).toEqual([
      "tasks --quiet",
      "tasks --quiet --cerebro h:1",
      "runs --quiet --profile ci",
      "",
    ]);
  });

  it("refuses a shell it has no script for", async () => {
    const io = recordingIo();
    expect(await runCli(["completion", "fish"], { io })).toBe(2);
    expect(io.stderr[0]).toBe("dyna: no completion for fish: bash or zsh");
  });
});

// Outside CI, a machine without zsh skips these, saying why; in CI, which
// installs zsh, they fail instead.
const inCi = process.env.CI === "true";
describe.skipIf(!hasZsh && !inCi)(
  `dyna completion zsh${hasZsh ? "" : " (skipped: zsh is not installed)"}`,
  () => {
    it("prints a script zsh accepts", async () => {
      const file = await script("zsh");
      expect(spawnSync("zsh", ["-n", file]).status).toBe(0);
    });

    it.each(cases)("completes %s", async (_, line, expected) => {
      const offered = zshComplete(await script("zsh"), line);
      // compadd filters by the prefix itself; offered are all candidates.
      const prefix = line[line.length - 1] ?? "";
      expect(offered.filter((word) => word.startsWith(prefix)).sort()).toEqual(
        [...expected].sort(),
      );
    });

    it("completes task ids through dyna", async () => {
      const offered = zshComplete(await script("zsh"), [
        fakeDyna,
        "--cerebro",
        "h:1",
        "history",
        "",
      ]);
      expect(offered).toEqual(["b.sales-report", "b.sales-summary", "a.clean"]);
    });
  },
);
