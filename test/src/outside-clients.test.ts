// The Python, Rust and Java clients used as a team outside this repository
// uses them, as each client's README says under "Use it from your own
// project": the wheel installed into a fresh venv, the crate as
// `cargo package` packs it, the Java client from the local Maven repository
// after `mvn install`. For each language, a new project made in a temp folder
// from test/outside/<lang> (a task-server of one task, on the package alone)
// builds, connects to a real cerebro and runs its task, which needs the
// seed's team A task a.fetch-rates fetched within the hour, as
// docs/getting-started.md shows.
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onPath } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  type ControlClient,
  finishedRun,
  ROOT,
  runToEnd as run,
  spawnProgram,
  startCerebroProcess,
  waitUntil,
} from "./processes.js";

const inCi = process.env.CI === "true";
const TEMPLATES = join(ROOT, "test/outside");
/** The param every outside task counts the words of: eight words. */
const TEXT = "one team with a repository of its own";
/** Team A's task every outside task depends on, and what it returns. */
const RATES = "a.fetch-rates";
const RATES_OUTPUTS = { currencies: "31" };

/**
 * One cerebro for every language, with the seed's task-server-a (another
 * team, from this repository) connected, started by the first test that
 * needs them.
 */
let cerebro:
  | Promise<{ child: Child; teamA: Child; address: string; control: ControlClient }>
  | undefined;
function sharedCerebro() {
  cerebro ??= (async () => {
    const started = await startCerebroProcess({ LOG_LEVEL: "warn" });
    const teamA = spawnProgram(
      "task-server-a",
      [
        process.execPath,
        "--conditions=@cordyna/source",
        "--import",
        "tsx",
        "task-server-ts/servers/task-server-a.ts",
      ],
      { CORDYNA_ADDR: started.address, LOG_LEVEL: "warn" },
    );
    await waitUntil("task-server-a connected to cerebro", async () => {
      if (teamA.process.exitCode !== null) {
        throw new Error(`task-server-a exited:\n${teamA.output()}`);
      }
      const { servers } = await started.control.listServers({});
      return servers.some((s) => s.name === "task-server-a" && s.instances.length > 0);
    });
    return { ...started, teamA };
  })();
  return cerebro;
}
afterAll(async () => {
  const started = await cerebro?.catch(() => undefined);
  await started?.teamA.stop();
  await started?.child.stop();
});

/**
 * The task-run of a.fetch-rates that the first run to hold one completed.
 * The languages share one cerebro, so every later run falls within the hour
 * and reuses that very completion instead of fetching again.
 */
let ratesFetched: { runId: string; taskRunId: string } | undefined;

/**
 * The test of one language's outside project: `build` makes it in a fresh
 * temp folder and returns the command that starts its task-server, which
 * declares `outside.<lang>.count-words`, after a.fetch-rates, as server
 * `outside-<lang>`. Outside CI, a machine without one of `tools` skips it,
 * saying why; in CI it fails.
 */
function outsideProject(
  lang: string,
  tools: readonly string[],
  build: (dir: string) => Promise<{ command: string[]; cwd: string }>,
): void {
  const missing = tools
    .filter((tool) => !onPath(tool))
    .map((tool) => `${tool} is not on the PATH`)
    .join("; ");
  const serverName = `outside-${lang}`;
  const taskId = `outside.${lang}.count-words`;

  describe.skipIf(missing !== "" && !inCi)(
    `a ${lang} project outside the repository${missing ? ` (skipped: ${missing})` : ""}`,
    () => {
      let dir = "";
      let started: { command: string[]; cwd: string };
      let server: Child | undefined;

      beforeAll(async () => {
        if (missing) throw new Error(missing);
        dir = await mkdtemp(join(tmpdir(), `cordyna-outside-${lang}-`));
        const since = Date.now();
        started = await build(dir);
        // What the language adds to CI's time, in CI's log.
        console.log(`${serverName}: package and project built in ${(Date.now() - since) / 1000} s`);
      }, 900_000);

      afterAll(async () => {
        await server?.stop();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      it(`runs ${taskId} after team A's ${RATES}, or on a fetch of it within the hour, and gets the rates`, async () => {
        const { address, control } = await sharedCerebro();
        const child = spawnProgram(
          serverName,
          started.command,
          { CORDYNA_ADDR: address },
          started.cwd,
        );
        server = child;
        await waitUntil(`${serverName} connected to cerebro`, async () => {
          if (child.process.exitCode !== null) {
            throw new Error(`${serverName} exited:\n${child.output()}`);
          }
          const { servers } = await control.listServers({});
          return servers.some((s) => s.name === serverName && s.instances.length > 0);
        });

        const { run: begun } = await control.startRun({
          targets: [taskId],
          params: { text: TEXT },
        });
        const finished = await finishedRun(control, begun!.id);

        const byTask = new Map(finished.taskRuns.map((taskRun) => [taskRun.taskId, taskRun]));
        expect([...byTask.keys()].sort()).toEqual([RATES, taskId]);
        const rates = byTask.get(RATES)!;
        if (ratesFetched === undefined) {
          // Recorded before the assertions below, so that a later language
          // expects the reuse even when this language's own task failed.
          if (rates.state === TaskState.COMPLETED) {
            ratesFetched = { runId: finished.id, taskRunId: rates.id };
          }
          expect(rates).toMatchObject({
            state: TaskState.COMPLETED,
            serverName: "task-server-a",
            outputs: RATES_OUTPUTS,
          });
        } else {
          expect(rates).toMatchObject({
            state: TaskState.SKIPPED,
            reused: { taskId: RATES, ...ratesFetched },
            outputs: RATES_OUTPUTS,
          });
        }
        expect(finished.state, child.output()).toBe(RunState.SUCCEEDED);
        expect(byTask.get(taskId)).toMatchObject({
          serverName,
          owner: { team: "team-outside" },
          state: TaskState.COMPLETED,
          upstream: [RATES],
          // currencies: what the invoke carried from team A's rates.
          outputs: { words: "8", counted_by: lang, ...RATES_OUTPUTS },
        });
      });
    },
  );
}

// The wheel, built by pip from clients/python; the project's venv installs it
// and its dependencies from PyPI, and the task-server runs from the project's
// folder, where nothing of the repository is importable.
const python = process.env.PYTHON ?? "python3";
outsideProject("python", [python], async (dir) => {
  await cp(join(TEMPLATES, "python"), dir, { recursive: true });
  await run(python, ["-m", "venv", join(dir, ".venv")]);
  const venvPython = join(dir, ".venv", "bin", "python");
  const pip = ["-m", "pip", "--disable-pip-version-check", "--quiet"];
  const dist = join(dir, "dist");
  await run(venvPython, [
    ...pip,
    "wheel",
    "--no-deps",
    "--wheel-dir",
    dist,
    join(ROOT, "clients/python"),
  ]);
  const wheels = (await readdir(dist)).filter((file) => file.endsWith(".whl"));
  expect(wheels).toEqual([expect.stringMatching(/^cordyna_client-.*\.whl$/)]);
  await run(venvPython, [...pip, "install", join(dist, wheels[0]!)]);
  return { command: [venvPython, "count_words.py"], cwd: dir };
});

// `cargo package` packs the crate and checks that the package builds on its
// own; the new crate depends by path on the package unpacked into its
// vendor/ folder, as the client's README says, so it builds from what the
// .crate holds. It builds into the client's target dir with the client's lock
// file, and its tokio has the features tonic enables anyway, so it reuses the
// dependencies cargo package compiled: only the client itself compiles again.
outsideProject("rust", ["cargo", "tar"], async (dir) => {
  const client = join(ROOT, "clients/rust");
  const metadata = JSON.parse(
    await run("cargo", ["metadata", "--format-version", "1", "--no-deps", "--locked"], {
      cwd: client,
    }),
  ) as { target_directory: string; packages: { name: string; version: string }[] };
  const targetDir = metadata.target_directory;
  const version = metadata.packages.find((p) => p.name === "cordyna-client")?.version;
  await run("cargo", ["package", "-p", "cordyna-client", "--locked", "--quiet"], { cwd: client });

  await cp(join(TEMPLATES, "rust"), dir, { recursive: true });
  const unpacked = `vendor/cordyna-client-${version}`;
  expect(
    await readFile(join(dir, "Cargo.toml"), "utf8"),
    `test/outside/rust/Cargo.toml must depend on ${unpacked}, the client's version`,
  ).toContain(`path = "${unpacked}"`);
  await mkdir(join(dir, "vendor"));
  const crate = join(targetDir, "package", `cordyna-client-${version}.crate`);
  await run("tar", ["-xzf", crate, "-C", join(dir, "vendor")]);
  await copyFile(join(client, "Cargo.lock"), join(dir, "Cargo.lock"));
  await run("cargo", ["build", "--quiet"], {
    cwd: dir,
    env: { CARGO_TARGET_DIR: targetDir },
  });
  return { command: [join(targetDir, "debug", "outside-rust")], cwd: dir };
});

// `mvn install` of the client (and the parent POM it inherits) into the local
// Maven repository, the default one, which already holds what the example's
// build downloaded; the new project depends on it by coordinates.
outsideProject("java", ["mvn", "java"], async (dir) => {
  await run("mvn", [
    "-B",
    "-q",
    "-f",
    join(ROOT, "clients/java/pom.xml"),
    "-pl",
    "client",
    "-am",
    "install",
    "-DskipTests",
  ]);
  await cp(join(TEMPLATES, "java"), dir, { recursive: true });
  await run("mvn", ["-B", "-q", "package"], { cwd: dir });
  return { command: ["java", "-jar", join(dir, "target", "outside-java.jar")], cwd: dir };
});
