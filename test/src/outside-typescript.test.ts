// The TypeScript packages as a team outside this repository installs them:
// `npm pack` of @cordyna/contract, @cordyna/task-server, @cordyna/cerebro
// and @cordyna/cli, installed by a new project in a temp folder from those
// tarballs alone. The project type-checks a task-server with tsc --strict,
// runs it against `dyna dev` of the installed CLI beside a `dyna serve`
// command server and the seed's team A, on whose task it depends, and
// passes the conformance kit; cerebro also runs as a service from its bin. Everything it runs is the
// packages' built JavaScript, under plain node.
import { once } from "node:events";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createControlClient, RunState, TaskState } from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Child,
  exitCode,
  finishedRun,
  freePort,
  ROOT,
  runToEnd,
  spawnProgram,
  waitUntil,
} from "./processes.js";

const PACKAGES = {
  "@cordyna/contract": "proto",
  "@cordyna/task-server": "task-server-ts",
  "@cordyna/cerebro": "cerebro",
  "@cordyna/cli": "cli",
} as const;
type PackageName = keyof typeof PACKAGES;

/** Eight words, for outside.typescript.count-words. */
const TEXT = "one team with a repository of its own";

// Nothing of this repository's set-up may reach the outside project: not the
// condition that makes our packages resolve to their TypeScript sources
// (.npmrc's node-options), nor npm's settings for `npm test`. This test file
// runs in a process of its own, so the change stays here.
delete process.env.NODE_OPTIONS;
for (const name of Object.keys(process.env)) {
  if (name.toLowerCase().startsWith("npm_")) delete process.env[name];
}

/**
 * Stands in for the registry of the @cordyna scope: any request means npm
 * looked up one of our own packages instead of taking its tarball.
 */
async function scopeRegistry(): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(404, { "content-type": "application/json" });
    response.end('{"error":"not found"}');
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests, server };
}

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** The packages a built file loads or names in its types: `@scope/name` or `name`, never `node:`. */
function packagesNamedIn(source: string): Set<string> {
  const names = new Set<string>();
  const specifiers = [
    // import … from "x", export … from "x", import "x", at the start of a line
    /^(?:import|export)\s(?:[^;]*?\sfrom\s*)?["']([^"'.][^"']*)["']/gms,
    // import("x"), in code and in declarations' types; require("x"), require.resolve("x/…")
    /\b(?:import|require|require\.resolve)\(\s*["']([^"'.][^"']*)["']/g,
  ];
  for (const [, specifier] of specifiers.flatMap((pattern) => [...source.matchAll(pattern)])) {
    if (specifier === undefined || specifier.startsWith("node:")) continue;
    const parts = specifier.split("/");
    names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier));
  }
  return names;
}

describe("the TypeScript packages, installed by a project outside the repository", () => {
  let packDir = "";
  let project = "";
  let registry: Awaited<ReturnType<typeof scopeRegistry>> | undefined;
  const children: Child[] = [];
  const bin = (name: string) => join(project, "node_modules", ".bin", name);

  beforeAll(async () => {
    packDir = await mkdtemp(join(tmpdir(), "cordyna-packs-"));
    project = await mkdtemp(join(tmpdir(), "cordyna-outside-typescript-"));
    registry = await scopeRegistry();
    const since = Date.now();

    // In dependency order: each package's build type-checks against the
    // declarations of those before it.
    const packed = JSON.parse(
      await runToEnd("npm", [
        "pack",
        "--json",
        "--pack-destination",
        packDir,
        ...Object.values(PACKAGES).flatMap((folder) => ["--workspace", folder]),
      ]),
    ) as { name: PackageName; filename: string }[];
    expect(packed.map(({ name }) => name).sort()).toEqual(Object.keys(PACKAGES).sort());

    await cp(join(ROOT, "test/outside/typescript"), project, { recursive: true });
    const tarballsOf = (packs: typeof packed, names: readonly PackageName[]) =>
      Object.fromEntries(
        packs
          .filter(({ name }) => names.includes(name))
          .map(({ name, filename }) => [name, `file:${join(packDir, filename)}`]),
      );
    const ours = async (name: string) =>
      (
        JSON.parse(await readFile(join(ROOT, "node_modules", name, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    await writeFile(
      join(project, "package.json"),
      `${JSON.stringify(
        {
          name: "outside-typescript",
          private: true,
          type: "module",
          // As getting-started.md has it: what the server runs on, and the tools.
          dependencies: tarballsOf(packed, ["@cordyna/contract", "@cordyna/task-server"]),
          // Without these, npm asks the registry for the versions our packages
          // name of each other, even with every tarball at hand.
          overrides: Object.fromEntries(packed.map(({ name }) => [name, `$${name}`])),
          devDependencies: {
            ...tarballsOf(packed, ["@cordyna/cerebro", "@cordyna/cli"]),
            "@types/node": await ours("@types/node"),
            typescript: await ours("typescript"),
          },
        },
        null,
        2,
      )}\n`,
    );
    await runToEnd(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--loglevel=error",
        `--@cordyna:registry=${registry.url}`,
        "--fetch-retries=0",
      ],
      { cwd: project },
    );
    // What packing and installing adds to CI's time, in CI's log.
    console.log(`outside-typescript: packed and installed in ${(Date.now() - since) / 1000} s`);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop()));
    registry?.server.close();
    for (const dir of [packDir, project]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("installs from the tarballs alone: npm never asks a registry for a @cordyna package", async () => {
    expect(registry?.requests).toEqual([]);
    for (const name of Object.keys(PACKAGES)) {
      const installed = JSON.parse(
        await readFile(join(project, "node_modules", name, "package.json"), "utf8"),
      ) as { name: string };
      expect(installed.name).toBe(name);
    }
  });

  it("each package holds its built JavaScript, declarations and source maps, and no tests", async () => {
    for (const name of Object.keys(PACKAGES)) {
      const files = await filesUnder(join(project, "node_modules", name));
      const outsideDist = files.filter(
        (file) => !file.startsWith("dist/") && !["package.json", "README.md"].includes(file),
      );
      // The contract also ships its .proto files, for grpcurl and other languages.
      expect(
        outsideDist.filter((file) => !/^cordyna\/v1\/\w+\.proto$/.test(file)),
        name,
      ).toEqual([]);
      expect(
        files.filter((file) => /\.test\.|\/testing\/|test-support/.test(file)),
        name,
      ).toEqual([]);
      const scripts = files.filter((file) => file.endsWith(".js"));
      expect(scripts.length, name).toBeGreaterThan(0);
      for (const script of scripts) {
        expect(files, `${name}: ${script}`).toContain(script.replace(/\.js$/, ".d.ts"));
        expect(files, `${name}: ${script}`).toContain(`${script}.map`);
      }
    }
  });

  it("each package depends on exactly the packages its built files load or name in their types", async () => {
    for (const name of Object.keys(PACKAGES)) {
      const dir = join(project, "node_modules", name);
      const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
      };
      const used = new Set<string>();
      for (const file of await filesUnder(join(dir, "dist"))) {
        if (!/\.(js|d\.ts)$/.test(file)) continue;
        for (const dependency of packagesNamedIn(await readFile(join(dir, "dist", file), "utf8"))) {
          if (dependency !== name) used.add(dependency);
        }
      }
      expect([...used].sort(), name).toEqual(Object.keys(manifest.dependencies ?? {}).sort());
    }
  });

  it("type-checks the team's task-server with tsc --strict, our declarations included", async () => {
    await runToEnd(bin("tsc"), ["-p", "."], { cwd: project });
    expect(await readdir(join(project, "dist"))).toContain("server.js");
  });

  it("exports the public API only: command tasks under /command, no internals", async () => {
    const probe = `
      const sdk = await import("@cordyna/task-server");
      const command = await import("@cordyna/task-server/command");
      const cerebro = await import("@cordyna/cerebro");
      const refused = [];
      for (const path of ["@cordyna/task-server/dist/runner.js", "@cordyna/cerebro/dist/engine/run-engine.js", "@cordyna/cli/dist/run.js"]) {
        await import(path).catch((error) => refused.push(error.code));
      }
      console.log(JSON.stringify({
        sdk: Object.keys(sdk), command: Object.keys(command), cerebro: Object.keys(cerebro), refused,
      }));`;
    const exported = JSON.parse(
      await runToEnd(process.execPath, ["--input-type=module", "-e", probe], { cwd: project }),
    ) as { sdk: string[]; command: string[]; cerebro: string[]; refused: string[] };
    expect(exported.sdk).toEqual(expect.arrayContaining(["TaskServer", "TaskError"]));
    expect(exported.sdk).not.toContain("paramEnvName");
    expect(exported.sdk).not.toContain("buildInvocation");
    expect(exported.command).toEqual(
      expect.arrayContaining(["createCommandServer", "loadCommandFile", "CommandFileError"]),
    );
    expect(exported.command).not.toContain("buildInvocation");
    expect(exported.cerebro).toEqual(expect.arrayContaining(["startCerebro", "RedisStore"]));
    expect(exported.cerebro).not.toContain("RedisKeys");
    expect(exported.refused).toEqual(Array(3).fill("ERR_PACKAGE_PATH_NOT_EXPORTED"));
  });

  it("runs the task-server and a dyna serve command server against dyna dev of the installed CLI", async () => {
    const port = await freePort();
    const cerebro = spawnProgram(
      "dyna dev",
      [bin("dyna"), "dev", "--port", String(port), "--http-port", "off", "--json"],
      { LOG_LEVEL: "warn" },
      project,
    );
    children.push(cerebro);
    let address = "";
    await waitUntil("dyna dev to say where it listens", async () => {
      if (cerebro.process.exitCode !== null)
        throw new Error(`dyna dev exited:\n${cerebro.output()}`);
      const line = cerebro
        .output()
        .split("\n")
        .find((text) => text.startsWith("{"));
      address = line ? (JSON.parse(line) as { address: string }).address : "";
      return address !== "";
    });
    const env = { CORDYNA_ADDR: address, LOG_LEVEL: "warn" };
    // Another team: the seed's team A, from this repository, with a.fetch-rates.
    children.push(
      spawnProgram(
        "task-server-a",
        [
          process.execPath,
          "--conditions=@cordyna/source",
          "--import",
          "tsx",
          "task-server-ts/servers/task-server-a.ts",
        ],
        env,
      ),
      spawnProgram("outside-typescript", [process.execPath, "dist/server.js"], env, project),
      spawnProgram("dyna serve", [bin("dyna"), "serve", "tasks.yaml"], env, project),
    );
    const control = createControlClient(address);
    await waitUntil("both task-servers connected", async () => {
      const { servers } = await control.listServers({});
      return ["task-server-a", "outside-typescript", "outside-commands"].every((name) =>
        servers.some((server) => server.name === name && server.instances.length > 0),
      );
    });

    // Exits 0 only when the run succeeded.
    const followed = await runToEnd(
      bin("dyna"),
      ["run", "outside.commands.greet", "--param", `text=${TEXT}`, "--json"],
      { cwd: project, env },
    );
    const finished = await finishedRun(control, (JSON.parse(followed) as { id: string }).id);
    expect(finished.state).toBe(RunState.SUCCEEDED);
    const byTask = new Map(finished.taskRuns.map((taskRun) => [taskRun.taskId, taskRun]));
    expect([...byTask.keys()].sort()).toEqual([
      "a.fetch-rates",
      "outside.commands.greet",
      "outside.typescript.count-words",
    ]);
    expect(byTask.get("a.fetch-rates")?.state).toBe(TaskState.COMPLETED);
    expect(byTask.get("outside.typescript.count-words")).toMatchObject({
      state: TaskState.COMPLETED,
      outputs: { words: "8", counted_by: "typescript" },
    });
    expect(byTask.get("outside.commands.greet")).toMatchObject({
      state: TaskState.COMPLETED,
      outputs: { stdout_tail: "hello after 8 words" },
    });
  });

  it("starts cerebro as a service from the installed package's bin, healthy to dyna health", async () => {
    const port = await freePort();
    const cerebro = spawnProgram(
      "cerebro",
      [bin("cerebro")],
      {
        CORDYNA_PORT: String(port),
        CORDYNA_HTTP_PORT: "off",
        CORDYNA_HOST: "127.0.0.1",
        CORDYNA_ADMIN_TOKEN: "an-admin-token-of-at-least-32-characters",
        LOG_LEVEL: "warn",
      },
      project,
    );
    children.push(cerebro);
    // dyna health needs no credential, as a container's probe has none.
    await waitUntil("cerebro to answer its health check", async () => {
      if (cerebro.process.exitCode !== null)
        throw new Error(`cerebro exited:\n${cerebro.output()}`);
      const answer = await runToEnd(bin("dyna"), ["health", "--cerebro", `127.0.0.1:${port}`], {
        cwd: project,
      });
      return answer.trim() === "SERVING";
    });
    expect(await cerebro.stop()).toBe(0);
  });

  it("passes the conformance kit of the installed CLI", async () => {
    const kit = spawnProgram(
      "dyna conformance",
      [
        bin("dyna"),
        "conformance",
        "--server",
        "outside-typescript",
        "--task",
        "outside.typescript.count-words",
        "--slow-task",
        "outside.typescript.slow",
        "--",
        process.execPath,
        "dist/server.js",
      ],
      { LOG_LEVEL: "warn" },
      project,
    );
    expect(await exitCode(kit), kit.output()).toBe(0);
    expect(kit.output()).not.toMatch(/FAIL/);
  });
});
