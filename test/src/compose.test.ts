// docker-compose.yml and docker/Dockerfile, checked without Docker: their
// shape; the same four services started as local processes from the same
// bundles the images ship, with the same environment the compose file sets;
// the cli image's bundle run as that image runs it; and the base image of a
// team's task-server against the Dockerfile docs/deploy.md builds FROM it.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  bearerToken,
  ControlService,
  PROTOCOL_VERSION_TEXT,
  type Run,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { onPath, RedisServerProcess } from "../../cerebro/src/testing/index.js";
import {
  type ControlClient,
  finishedRun,
  freePort,
  ROOT,
  waitForServers,
  waitUntil,
} from "./processes.js";

const run = promisify(execFile);

// ---------------------------------------------------------------------------
// Reading docker-compose.yml and the Dockerfiles it builds from.

interface ComposeService {
  readonly name: string;
  readonly image?: string;
  readonly build?: {
    readonly context: string;
    readonly dockerfile: string;
    readonly target: string;
  };
  readonly command?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly healthcheck?: readonly string[];
  /** Service name → condition. */
  readonly dependsOn: Readonly<Record<string, string>>;
  readonly volumes: readonly string[];
}

function map(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`docker-compose.yml: ${where} must be a map`);
  }
  return value as Record<string, unknown>;
}

function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`docker-compose.yml: ${where} must be a list of strings`);
  }
  return value;
}

function readCompose(text: string): {
  services: Map<string, ComposeService>;
  volumes: Record<string, unknown>;
} {
  const doc = map(parse(text), "the document");
  const services = new Map<string, ComposeService>();
  for (const [name, raw] of Object.entries(map(doc.services, "services"))) {
    const where = `services.${name}`;
    const service = map(raw, where);
    const environment: Record<string, string> = {};
    if (service.environment !== undefined) {
      for (const [key, value] of Object.entries(map(service.environment, `${where}.environment`))) {
        // A quoted string: YAML turns unquoted 5000, yes or on into numbers and booleans.
        if (typeof value !== "string") {
          throw new Error(
            `docker-compose.yml: ${where}.environment.${key} must be a quoted string`,
          );
        }
        environment[key] = value;
      }
    }
    const dependsOn: Record<string, string> = {};
    if (service.depends_on !== undefined) {
      for (const [other, spec] of Object.entries(map(service.depends_on, `${where}.depends_on`))) {
        const condition = map(spec, `${where}.depends_on.${other}`).condition;
        dependsOn[other] = typeof condition === "string" ? condition : "";
      }
    }
    let build: ComposeService["build"];
    if (service.build !== undefined) {
      const b = map(service.build, `${where}.build`);
      build = {
        context: String(b.context ?? "."),
        dockerfile: String(b.dockerfile ?? "Dockerfile"),
        target: String(b.target ?? ""),
      };
    }
    const healthcheck =
      service.healthcheck === undefined
        ? undefined
        : strings(
            map(service.healthcheck, `${where}.healthcheck`).test,
            `${where}.healthcheck.test`,
          );
    services.set(name, {
      name,
      ...(typeof service.image === "string" ? { image: service.image } : {}),
      ...(build ? { build } : {}),
      ...(service.command === undefined
        ? {}
        : {
            command:
              typeof service.command === "string"
                ? service.command.split(/\s+/)
                : strings(service.command, `${where}.command`),
          }),
      environment,
      ...(healthcheck ? { healthcheck } : {}),
      dependsOn,
      volumes: service.volumes === undefined ? [] : strings(service.volumes, `${where}.volumes`),
    });
  }
  return { services, volumes: doc.volumes === undefined ? {} : map(doc.volumes, "volumes") };
}

interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  readonly name: string | undefined;
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

/** The stages of a Dockerfile, continuation lines joined and comments dropped. */
function readDockerfile(text: string): Stage[] {
  const stages: { name: string | undefined; base: string; instructions: Instruction[] }[] = [];
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const line of logical) {
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === "FROM") {
      const [, base = "", name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name, base, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: upper, args });
    }
  }
  return stages;
}

/** A target stage and the stages it is built FROM, nearest first. */
function stageChain(stages: readonly Stage[], target: string): Stage[] {
  const chain: Stage[] = [];
  let name: string | undefined = target;
  while (name !== undefined) {
    const stage = stages.find((s) => s.name === name);
    if (!stage) break;
    chain.push(stage);
    name = stage.base;
  }
  return chain;
}

/** An exec-form instruction's words (`CMD ["node", "x.mjs"]`). */
function execForm(op: string, args: string, target: string): string[] {
  let words: unknown;
  try {
    words = JSON.parse(args);
  } catch {
    words = undefined;
  }
  if (!Array.isArray(words) || !words.every((word) => typeof word === "string")) {
    // In shell form, /bin/sh is the container's first process and gets SIGTERM, not node.
    throw new Error(`target ${target}: ${op} ${args} is not in exec form (a JSON array)`);
  }
  return words;
}

/** The variables an ENV instruction sets: `K=V [K2=V2 …]`, or the legacy `K V`. */
function envVariables(args: string): Record<string, string> {
  const unquote = (value: string) => value.replace(/^"(.*)"$/, "$1");
  if (!/^\S+=/.test(args)) {
    const [, key = "", value = ""] = /^(\S+)\s+(.*)$/.exec(args) ?? [];
    return { [key]: unquote(value) };
  }
  return Object.fromEntries(
    args.split(/\s+/).map((pair) => {
      const at = pair.indexOf("=");
      return [pair.slice(0, at), unquote(pair.slice(at + 1))];
    }),
  );
}

/** How an image target runs, from its stage and the stages it is built FROM. */
interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly user: string | undefined;
  /** The absolute working directory. */
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stopSignal: string | undefined;
  readonly exposes: readonly string[];
}

function imageConfig(stages: readonly Stage[], target: string): ImageConfig {
  const chain = stageChain(stages, target);
  if (chain.length === 0) throw new Error(`the Dockerfile has no stage ${target}`);
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let user: string | undefined;
  let workdir = "/";
  const env: Record<string, string> = {};
  let stopSignal: string | undefined;
  const exposes: string[] = [];
  // The stage built FROM first: a later instruction wins over an earlier one.
  for (const { op, args } of [...chain].reverse().flatMap((stage) => stage.instructions)) {
    if (op === "ENTRYPOINT") {
      entrypoint = execForm(op, args, target);
      // As in Docker: an ENTRYPOINT drops the CMD set before it.
      cmd = [];
    } else if (op === "CMD") cmd = execForm(op, args, target);
    else if (op === "USER") user = args;
    else if (op === "WORKDIR") workdir = posix.resolve(workdir, args);
    else if (op === "ENV") Object.assign(env, envVariables(args));
    else if (op === "STOPSIGNAL") stopSignal = args;
    else if (op === "EXPOSE") exposes.push(...args.split(/\s+/));
  }
  return { entrypoint, cmd, user, workdir, env, stopSignal, exposes };
}

/** An image target of ours: how it runs, and the folder under dist/ it holds. */
interface ImageEntry extends ImageConfig {
  /** The bundle folder under dist/ the image copies to its working directory. */
  readonly folder: string;
}

function imageEntry(stages: readonly Stage[], target: string): ImageEntry {
  const chain = stageChain(stages, target);
  const build = stages.find((s) => s.name === "build");
  const workdir = build?.instructions.find((i) => i.op === "WORKDIR")?.args ?? "/";
  const copy = chain[0]?.instructions.find((i) => i.op === "COPY" && i.args.includes("--from="));
  const source = copy?.args.split(/\s+/)[1] ?? "";
  const distPrefix = `${posix.join(workdir, "dist")}/`;
  if (!source.startsWith(distPrefix)) {
    throw new Error(`target ${target} copies ${source || "nothing"}, not a bundle folder`);
  }
  return {
    ...imageConfig(stages, target),
    folder: source.slice(distPrefix.length).replace(/\/$/, ""),
  };
}

/** Where a file of the image's working directory is in a folder of bundles on this machine. */
function localPath(entry: ImageEntry, bundles: string, imagePath: string): string {
  const inside = posix.relative(entry.workdir, posix.resolve(entry.workdir, imagePath));
  if (inside.startsWith("..")) {
    throw new Error(`${imagePath} is outside the image's working directory ${entry.workdir}`);
  }
  return join(bundles, entry.folder, inside);
}

function isRoot(user: string | undefined): boolean {
  return user === undefined || ["root", "0"].includes(user.split(":")[0] ?? "");
}

const DOCKERFILE = join(ROOT, "docker/Dockerfile");
const dockerfile = readDockerfile(readFileSync(DOCKERFILE, "utf8"));

const composeText = readFileSync(join(ROOT, "docker-compose.yml"), "utf8");
const compose = readCompose(composeText);
const SEED_SERVICES = ["cerebro", "redis", "task-server-a", "task-server-b"];
const BUILT = ["cerebro", "task-server-a", "task-server-b"];

function service(name: string): ComposeService {
  const found = compose.services.get(name);
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function entryOf(name: string): ImageEntry {
  const build = service(name).build;
  if (!build) throw new Error(`${name} is not built from a Dockerfile`);
  const path = join(ROOT, build.context, build.dockerfile);
  return imageEntry(readDockerfile(readFileSync(path, "utf8")), build.target);
}

describe("docker-compose.yml", () => {
  it("has exactly the seed's four services", () => {
    expect([...compose.services.keys()].sort()).toEqual(SEED_SERVICES);
  });

  it.each(BUILT)("builds %s from a Dockerfile target that exists, as a non-root user", (name) => {
    const build = service(name).build;
    expect(build, `${name} has no build section`).toBeDefined();
    if (!build) return;
    const path = join(ROOT, build.context, build.dockerfile);
    expect(existsSync(path), `${build.dockerfile} is missing`).toBe(true);
    const stages = readDockerfile(readFileSync(path, "utf8"));
    expect(
      stages.map((s) => s.name),
      `${build.dockerfile} has no stage ${build.target}`,
    ).toContain(build.target);
    const entry = imageEntry(stages, build.target);
    expect(entry.cmd[0]).toBe("node");
    expect(entry.cmd[1]).toMatch(/\.mjs$/);
    expect(isRoot(entry.user), `${build.target} runs as root`).toBe(false);
  });

  it("runs redis from the redis:7 image, persisting with AOF on a named volume", () => {
    const redis = service("redis");
    expect(redis.build).toBeUndefined();
    expect(redis.image).toMatch(/^redis:7(-|$)/);
    const command = redis.command ?? [];
    expect(command[command.indexOf("--appendonly") + 1]).toBe("yes");
    const data = redis.volumes.find((v) => v.endsWith(":/data"));
    expect(data, "no volume mounted on /data").toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(data?.split(":")[0]);
    expect(redis.healthcheck).toBeDefined();
  });

  it("puts cerebro on the Redis store and starts each service once what it needs is healthy", () => {
    const cerebro = service("cerebro");
    expect(cerebro.environment.CORDYNA_STORE).toBe("redis://redis:6379");
    expect(entryOf("cerebro").exposes).toContain(cerebro.environment.CORDYNA_PORT ?? "7070");
    expect(cerebro.healthcheck).toBeDefined();
    expect(cerebro.dependsOn).toEqual({ redis: "service_healthy" });
    for (const name of ["task-server-a", "task-server-b"]) {
      expect(service(name).environment.CORDYNA_ADDR).toBe("cerebro:7070");
      expect(service(name).dependsOn).toEqual({ cerebro: "service_healthy" });
    }
  });

  it("runs cerebro with authentication on, refusing to start without an admin token", () => {
    const cerebro = service("cerebro").environment;
    expect(cerebro.CORDYNA_AUTH ?? "on").toBe("on");
    expect(cerebro.CORDYNA_INSECURE_NO_AUTH).toBeUndefined();
    expect(() => interpolate(cerebro.CORDYNA_ADMIN_TOKEN ?? "", {})).toThrow(
      "docker-compose.yml needs CORDYNA_ADMIN_TOKEN: set CORDYNA_ADMIN_TOKEN to 32 or more random characters (docs/deploy.md)",
    );
    for (const [name, own] of [
      ["task-server-a", "CORDYNA_TOKEN_A"],
      ["task-server-b", "CORDYNA_TOKEN_B"],
    ] as const) {
      const token = service(name).environment.CORDYNA_TOKEN ?? "";
      expect(interpolate(token, { CORDYNA_ADMIN_TOKEN: "admin" })).toBe("admin");
      expect(interpolate(token, { CORDYNA_ADMIN_TOKEN: "admin", [own]: "own" })).toBe("own");
    }
  });
});

// ---------------------------------------------------------------------------
// The images beside the compose file's: the CLI, and the base image of a
// team's TypeScript task-server.

describe("docker/Dockerfile's cli image", () => {
  it("runs dyna from its own bundle folder through an absolute path, as a non-root user", () => {
    const cli = imageEntry(dockerfile, "cli");
    expect(cli.folder).toBe("cli");
    const [program, script = ""] = cli.entrypoint;
    expect(program).toBe("node");
    // Absolute, so that `docker run -w <folder of mounted files>` still finds it.
    expect(posix.isAbsolute(script), script).toBe(true);
    expect(posix.basename(script)).toBe("dyna.mjs");
    expect(isRoot(cli.user)).toBe(false);
  });
});

/** The fenced blocks of a Markdown page in one language. */
function codeBlocks(markdown: string, language: string): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, "gm");
  return [...markdown.matchAll(fence)].map(([, text]) => text ?? "");
}

/** What each match of `pattern` in a page captures (a page may show a command more than once). */
function shown(page: string, text: string, pattern: RegExp, what: string): string[][] {
  const matches = [...text.matchAll(new RegExp(pattern, "g"))].map(([, ...groups]) => groups);
  if (matches.length === 0) throw new Error(`${page} shows no ${what}`);
  return matches;
}

describe("the base image of a team's TypeScript task-server, and docs/deploy.md's Dockerfile FROM it", () => {
  const DEPLOY = "docs/deploy.md";
  const GETTING_STARTED = "docs/getting-started.md";
  const base = imageConfig(dockerfile, "task-server-node");
  const deploy = readFileSync(join(ROOT, DEPLOY), "utf8");
  const dockerfiles = codeBlocks(deploy, "dockerfile");
  if (dockerfiles.length !== 1) {
    throw new Error(`${DEPLOY} shows ${dockerfiles.length} Dockerfiles, not a team's one`);
  }
  const [teamStage, ...more] = readDockerfile(dockerfiles[0] ?? "");
  if (!teamStage || more.length > 0)
    throw new Error(`${DEPLOY}: the team's Dockerfile has one stage`);
  const team = teamStage.instructions;

  it("runs node dist/server.js in production mode as a non-root user, stopped by SIGTERM", () => {
    expect(base.cmd).toEqual(["node", "dist/server.js"]);
    expect(base.entrypoint).toEqual([]);
    expect(base.env.NODE_ENV).toBe("production");
    expect(base.stopSignal).toBe("SIGTERM");
    expect(isRoot(base.user)).toBe(false);
  });

  it("is the image the team's Dockerfile builds FROM, under the tag the page's build command gives it", () => {
    const tags = shown(
      DEPLOY,
      deploy,
      /docker build -f docker\/Dockerfile --target task-server-node\s+-t (\S+) \./,
      "build command of the base image",
    );
    for (const [tag] of tags) expect(teamStage.base).toBe(tag);
  });

  it("gets the team's server, compiled as getting-started.md's tsconfig.json says, where the base image's CMD runs it", () => {
    // The page shows this file word for word (getting-started.test.ts).
    const tsconfig = JSON.parse(
      readFileSync(join(ROOT, "test/outside/typescript/tsconfig.json"), "utf8"),
    ) as { compilerOptions: { rootDir: string; outDir: string } };
    const { rootDir, outDir } = tsconfig.compilerOptions;
    expect(existsSync(join(ROOT, "test/outside/typescript", rootDir, "server.ts"))).toBe(true);
    expect(base.cmd[1]).toBe(posix.join(outDir, "server.js"));
    const copies = team
      .filter((i) => i.op === "COPY")
      .map((i) => i.args.split(/\s+/).map((path) => posix.resolve(base.workdir, path)));
    expect(copies).toContainEqual([
      posix.resolve(base.workdir, outDir),
      posix.resolve(base.workdir, outDir),
    ]);
  });

  it("installs the production dependencies with the @cordyna tarballs mounted where getting-started.md's package.json finds them", () => {
    const gettingStarted = readFileSync(join(ROOT, GETTING_STARTED), "utf8");
    const packageJson = codeBlocks(gettingStarted, "json")
      .map((text) => JSON.parse(text) as { dependencies?: Record<string, string> })
      .find((json) => json.dependencies !== undefined);
    const tarballs = Object.values(packageJson?.dependencies ?? {}).filter((spec) =>
      spec.startsWith("file:"),
    );
    expect(
      tarballs.length,
      `${GETTING_STARTED} shows no package.json of file: tarballs`,
    ).toBeGreaterThan(0);
    // Relative to the team's project, which is the build context.
    const folders = new Set(tarballs.map((spec) => posix.dirname(spec.slice("file:".length))));
    expect(folders.size).toBe(1);
    const [folder = ""] = folders;

    const install = team.find((i) => i.op === "RUN" && /\bnpm ci\b/.test(i.args));
    expect(install?.args).toMatch(/\bnpm ci --omit=dev\b/);
    const [, mount = ""] = /--mount=(\S+)/.exec(install?.args ?? "") ?? [];
    const options = Object.fromEntries(mount.split(",").map((option) => option.split("=")));
    expect(options.type).toBe("bind");
    expect(options.target).toBe(posix.resolve(base.workdir, folder));
    const contexts = shown(
      DEPLOY,
      deploy,
      /docker build --build-context (\S+?)=(\S+)/,
      "build command of a team's image",
    );
    for (const [name, path] of contexts)
      expect({ name, path }).toEqual({ name: options.from, path: folder });
  });

  it("runs the team's server as a non-root user", () => {
    const user = team.filter((i) => i.op === "USER").at(-1)?.args ?? base.user;
    expect(isRoot(user), `the team's image runs as ${user ?? "root"}`).toBe(false);
  });
});

/** The images' build step, run at most once for this file, into a folder of its own. */
let bundling: Promise<string> | undefined;
let bundleWork = "";
function bundled(): Promise<string> {
  bundling ??= (async () => {
    bundleWork = mkdtempSync(join(tmpdir(), "cordyna-bundles-"));
    const outdir = join(bundleWork, "dist");
    await run(process.execPath, [join(ROOT, "scripts/bundle.mjs"), "--outdir", outdir], {
      cwd: ROOT,
    });
    return outdir;
  })();
  return bundling;
}
afterAll(() => {
  if (bundleWork) rmSync(bundleWork, { recursive: true, force: true });
});

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe("the cli image's bundle, run with plain node as the image runs it", () => {
  const cli = imageEntry(dockerfile, "cli");
  let bundles = "";
  /** The image user's home: nothing of this machine's dyna configuration. */
  let home = "";
  /** A folder of the user's own files, the working directory (`docker run -w`). */
  let files = "";

  beforeAll(async () => {
    bundles = await bundled();
    home = mkdtempSync(join(tmpdir(), "cordyna-cli-home-"));
    files = mkdtempSync(join(tmpdir(), "cordyna-cli-files-"));
    copyFileSync(join(ROOT, "test/outside/typescript/tasks.yaml"), join(files, "tasks.yaml"));
  }, 60_000);

  afterAll(() => {
    for (const dir of [home, files]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `docker run cordyna/cli [args]`: the entry point, then the arguments, else the image's CMD. */
  function dynaCommand(args: readonly string[] | undefined): string[] {
    const [program, script = "", ...fixed] = cli.entrypoint;
    expect(program).toBe("node");
    return [localPath(cli, bundles, script), ...fixed, ...(args ?? cli.cmd)];
  }

  function dyna(
    args: readonly string[] | undefined,
    options: { cwd?: string; env?: Record<string, string> } = {},
  ): ChildProcess {
    return spawn(process.execPath, dynaCommand(args), {
      cwd: options.cwd ?? files,
      // Like a container: nothing from this machine's environment but PATH.
      env: { PATH: process.env.PATH ?? "", HOME: home, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  function outcome(child: ChildProcess): Promise<Outcome> {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve) =>
      child.once("close", (code) => resolve({ code, stdout, stderr })),
    );
  }

  const versionLine = (name: string, version: string) =>
    `${name} ${version} (protocol ${PROTOCOL_VERSION_TEXT})`;
  const packageVersion = (folder: string) =>
    (JSON.parse(readFileSync(join(ROOT, folder, "package.json"), "utf8")) as { version: string })
      .version;

  it("prints dyna's help and exits 0 when given no command, as the image's CMD says", async () => {
    const done = await outcome(dyna(undefined));
    expect(done).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("Usage: dyna <command>"),
    });
  });

  it("version: prints dyna's version and protocol, and that no cerebro answers", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const done = await outcome(dyna(["version", "--cerebro", address]));
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout.split("\n").slice(0, 2)).toEqual([
      versionLine("dyna", packageVersion("cli")),
      expect.stringMatching(new RegExp(`^cerebro at ${address}: no answer \\(UNAVAILABLE`)),
    ]);
  });

  it("serve --check: checks a tasks.yaml of the working directory", async () => {
    const done = await outcome(dyna(["serve", "tasks.yaml", "--check"]));
    expect(done).toMatchObject({
      code: 0,
      stdout:
        "tasks.yaml: server outside-commands (team team-outside) with 1 task: outside.commands.greet\n",
    });
  });

  it("dev: runs a cerebro that dyna version finds, and stops it with exit code 0 on SIGTERM", async () => {
    const dev = dyna(["dev", "--port", "0", "--http-port", "0", "--json"]);
    const done = outcome(dev);
    try {
      let greeting = "";
      dev.stdout?.on("data", (chunk: Buffer) => {
        greeting += chunk.toString();
      });
      await waitUntil("dyna dev to listen", async () => {
        if (dev.exitCode !== null) throw new Error(`dyna dev exited: ${(await done).stderr}`);
        return greeting.includes("\n");
      });
      const { address } = JSON.parse(greeting) as { address: string };
      const version = await outcome(dyna(["version", "--cerebro", address]));
      expect(version.stdout).toContain(
        `${versionLine("cerebro", packageVersion("cerebro"))} at ${address}`,
      );
    } finally {
      dev.kill("SIGTERM");
    }
    // Killed by the signal, it would have no exit code: 0 says it stopped cerebro and ended.
    expect((await done).code).toBe(0);
  });

  it("conformance: the kit passes a task-server that keeps the protocol", async () => {
    const server = [
      process.execPath,
      "--conditions=@cordyna/source",
      "--import",
      "tsx",
      "test/src/fixtures/conformance-server.ts",
    ];
    const done = await outcome(
      dyna(
        [
          "conformance",
          "--server",
          "conformance-server",
          "--task",
          "conformance.quick",
          "--slow-task",
          "conformance.slow",
          "--",
          ...server,
        ],
        // Where tsx is found for the fixture, which is TypeScript.
        { cwd: ROOT, env: { LOG_LEVEL: "warn" } },
      ),
    );
    expect(done.code, `${done.stdout}${done.stderr}`).toBe(0);
    expect(done.stdout).toMatch(/^conformance-server: all \d+ rules passed/m);
  }, 60_000);
});

// ---------------------------------------------------------------------------
// The same four as processes.

/** Where each service of the compose file is reached from this machine. */
interface LocalAddresses {
  readonly redisPort: number;
  readonly cerebroPort: number;
  readonly cerebroHttpPort: number;
}

/**
 * A service's compose environment as it must read on this machine: the
 * hostnames `redis` and `cerebro` become 127.0.0.1 with their local ports, and
 * cerebro listens on loopback at its local port.
 */
function localEnvironment(name: string, local: LocalAddresses): Record<string, string> {
  const cerebroPort = service("cerebro").environment.CORDYNA_PORT ?? "7070";
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(service(name).environment)) {
    const value = interpolate(raw, SHELL);
    env[key] = value
      .replace(/(^|\/\/)redis:6379(?=$|\/)/, `$1127.0.0.1:${local.redisPort}`)
      .replace(
        new RegExp(`(^|//)cerebro:${cerebroPort}(?=$|/)`),
        `$1127.0.0.1:${local.cerebroPort}`,
      );
    if (/(^|\/\/)(redis|cerebro)(:\d|\/|$)/.test(env[key] ?? "")) {
      throw new Error(`cannot map ${name}'s ${key}="${value}" to this machine`);
    }
  }
  if (name === "cerebro") {
    env.CORDYNA_PORT = String(local.cerebroPort);
    if (env.CORDYNA_HTTP_PORT !== undefined) env.CORDYNA_HTTP_PORT = String(local.cerebroHttpPort);
    env.CORDYNA_HOST = "127.0.0.1";
  }
  return env;
}

/** What the shell that runs `docker compose up` exports, as docker-compose.yml asks. */
const SHELL: Readonly<Record<string, string>> = {
  CORDYNA_ADMIN_TOKEN: randomBytes(32).toString("hex"),
};

/**
 * A compose value with its `${NAME}`, `${NAME:-default}` and `${NAME:?error}`
 * replaced as docker compose does, innermost first (defaults may nest).
 */
function interpolate(value: string, shell: Readonly<Record<string, string>>): string {
  const innermost = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^${}]*))?\}/;
  let result = value;
  for (let match = innermost.exec(result); match; match = innermost.exec(result)) {
    const [whole, name = "", operator, argument = ""] = match;
    const set = shell[name];
    let replacement: string;
    if (set !== undefined && set !== "") replacement = set;
    else if (operator === ":-") replacement = argument;
    else throw new Error(`docker-compose.yml needs ${name}: ${argument || "unset"}`);
    result = result.replace(whole, replacement);
  }
  return result;
}

/**
 * The compose variables that a service's entry point never read: each a
 * message naming the variable, so that the compose file and the code stay in step.
 */
function unreadVariables(
  name: string,
  entry: string,
  environment: Readonly<Record<string, string>>,
  read: ReadonlySet<string>,
): string[] {
  return Object.keys(environment)
    .filter((key) => !read.has(key))
    .map(
      (key) =>
        `docker-compose.yml sets services.${name}.environment.${key}, but ${entry} never reads ${key}: ` +
        "remove it from the compose file, or make the code read it",
    );
}

// Preloaded into each service: notes, once each, every environment variable the process reads.
const ENV_PROBE = `
import { appendFileSync } from "node:fs";
const out = process.env.CORDYNA_ENV_READS_FILE;
const seen = new Set();
const note = (key) => {
  if (typeof key !== "string" || seen.has(key)) return;
  seen.add(key);
  appendFileSync(out, key + "\\n");
};
process.env = new Proxy(process.env, {
  get(target, key) { note(key); return Reflect.get(target, key); },
  has(target, key) { note(key); return Reflect.has(target, key); },
});
`;
/** Set for every service and read by none: proves the probe does not see everything as read. */
const UNREAD_CONTROL = "CORDYNA_COMPOSE_TEST_NEVER_READ";

interface ServiceProcess {
  readonly name: string;
  readonly process: ChildProcess;
  readonly readsFile: string;
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

// A private Redis of our own: cerebro's Redis store has no key prefix setting,
// so the tests' shared Redis is not for it. The global setup puts a
// redis-server on the PATH unless REDIS_URL names a Redis.
describe.skipIf(!onPath("redis-server"))("the compose services as local processes", () => {
  let work: string;
  let bundles: string;
  let redis: RedisServerProcess | undefined;
  let local: LocalAddresses;
  let control: ControlClient;
  const running = new Map<string, ServiceProcess>();
  const finished: ServiceProcess[] = [];
  let started = 0;

  /** Starts a service's image entry point with plain node, as its container would. */
  function start(name: string): ServiceProcess {
    const entry = entryOf(name);
    const readsFile = join(work, `${name}-${++started}.env-reads`);
    writeFileSync(readsFile, "");
    const child = spawn(
      process.execPath,
      ["--import", join(work, "env-probe.mjs"), ...entry.cmd.slice(1)],
      {
        cwd: join(bundles, entry.folder),
        // Like a container: nothing from this machine's environment but PATH.
        env: {
          PATH: process.env.PATH ?? "",
          ...localEnvironment(name, local),
          [UNREAD_CONTROL]: "1",
          CORDYNA_ENV_READS_FILE: readsFile,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const chunks: string[] = [];
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const proc: ServiceProcess = {
      name,
      process: child,
      readsFile,
      output: () => chunks.join(""),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          const code = await exited;
          clearTimeout(timer);
          return code;
        }
        return exited;
      },
    };
    running.set(name, proc);
    return proc;
  }

  async function stop(name: string): Promise<number | null> {
    const proc = running.get(name);
    if (!proc) throw new Error(`${name} is not running`);
    running.delete(name);
    finished.push(proc);
    return proc.stop();
  }

  /** Runs the compose healthcheck of cerebro, mapped to this machine, until it passes. */
  async function waitForCerebroHealthy(): Promise<void> {
    const [kind, command, ...args] = service("cerebro").healthcheck ?? [];
    expect([kind, command]).toEqual(["CMD", "node"]);
    const cerebroPort = service("cerebro").environment.CORDYNA_PORT ?? "7070";
    const localArgs = args.map((arg) =>
      arg.replace(
        new RegExp(`^(127\\.0\\.0\\.1|localhost):${cerebroPort}$`),
        `127.0.0.1:${local.cerebroPort}`,
      ),
    );
    const cwd = join(bundles, entryOf("cerebro").folder);
    await waitUntil("cerebro's compose healthcheck to pass", async () => {
      const proc = running.get("cerebro");
      if (proc?.process.exitCode !== null) {
        throw new Error(`cerebro exited: ${proc?.output()}`);
      }
      await run(process.execPath, localArgs, { cwd, env: { PATH: process.env.PATH ?? "" } });
      return true;
    });
  }

  /** Runs the compose healthcheck of redis against the local one (when redis-cli is here). */
  async function redisHealthcheck(port: number): Promise<void> {
    const [kind, command, ...args] = service("redis").healthcheck ?? [];
    expect([kind, command]).toEqual(["CMD", "redis-cli"]);
    if (!onPath("redis-cli")) return;
    const { stdout } = await run("redis-cli", ["-p", String(port), ...args]);
    expect(stdout.trim()).toBe("PONG");
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "cordyna-compose-"));
    writeFileSync(join(work, "env-probe.mjs"), ENV_PROBE);
    bundles = await bundled();
    // redis: like the compose service, persisting with AOF.
    redis = await RedisServerProcess.start({ appendOnly: true });
    local = {
      redisPort: redis.port,
      cerebroPort: await freePort(),
      cerebroHttpPort: await freePort(),
    };
    await redisHealthcheck(redis.port);
    control = createClient(
      ControlService,
      createGrpcTransport({
        baseUrl: `http://127.0.0.1:${local.cerebroPort}`,
        interceptors: [bearerToken(SHELL.CORDYNA_ADMIN_TOKEN!)],
      }),
    );
    // In the order the compose file's depends_on conditions impose.
    start("cerebro");
    await waitForCerebroHealthy();
    start("task-server-a");
    start("task-server-b");
    await waitForServers(control, ["task-server-a", "task-server-b"]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...running.keys()].map((name) => stop(name)));
    await redis?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let first: Run;

  it("runs the seed graph to its expected end", async () => {
    const { run: started } = await control.startRun({
      targets: ["b.sales-report", "b.archive-digest"],
    });
    first = await finishedRun(control, started?.id ?? "");
    const states = Object.fromEntries(first.taskRuns.map((t) => [t.taskId, TaskState[t.state]]));
    expect(states).toEqual({
      "a.fetch-rates": "COMPLETED",
      "a.import-customers": "COMPLETED",
      "a.import-orders": "COMPLETED",
      "b.archive-digest": "BLOCKED",
      "b.mail-digest": "ERROR",
      "b.sales-report": "COMPLETED",
      "b.transform-sales": "COMPLETED",
    });
    expect(first.state).toBe(RunState.FAILED);
    expect(first.summary?.failed.map((f) => [f.taskId, f.owner?.team])).toEqual([
      ["b.mail-digest", "team-b"],
    ]);
  });

  it("keeps the run in Redis across a restart of cerebro, which stops with exit code 0", async () => {
    expect(first, "the seed run did not finish").toBeDefined();
    expect(await stop("cerebro")).toBe(0);
    start("cerebro");
    await waitForCerebroHealthy();
    const restored = (await control.getRun({ runId: first.id })).run;
    expect(restored?.state).toBe(RunState.FAILED);
    expect(restored?.taskRuns.map((t) => [t.taskId, t.state]).sort()).toEqual(
      first.taskRuns.map((t) => [t.taskId, t.state]).sort(),
    );
    // The task-servers come back to the new cerebro by themselves.
    await waitForServers(control, ["task-server-a", "task-server-b"]);
  });

  it("exits 2 from the bundled cerebro on a bad variable, naming it", async () => {
    const entry = entryOf("cerebro");
    const result = run(process.execPath, entry.cmd.slice(1), {
      cwd: join(bundles, entry.folder),
      env: { PATH: process.env.PATH ?? "", CORDYNA_PORT: "seventy" },
    });
    await expect(result).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('CORDYNA_PORT: "seventy" is not a TCP port'),
    });
  });

  it("stops the bundled cerebro with exit code 0 on SIGTERM while it still waits for Redis", async () => {
    const entry = entryOf("cerebro");
    const child = spawn(process.execPath, entry.cmd.slice(1), {
      cwd: join(bundles, entry.folder),
      env: {
        PATH: process.env.PATH ?? "",
        CORDYNA_PORT: String(await freePort()),
        CORDYNA_HOST: "127.0.0.1",
        CORDYNA_HTTP_PORT: "off",
        // Nothing listens there.
        CORDYNA_STORE: `redis://127.0.0.1:${await freePort()}`,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let output = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await waitUntil("cerebro to start waiting for Redis", async () =>
        output.includes("starting cerebro"),
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).not.toContain("cerebro listening");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("stops every service with exit code 0, and each read every variable the compose file sets", async () => {
    for (const name of ["task-server-a", "task-server-b", "cerebro"]) {
      expect(await stop(name), `${name} exit code`).toBe(0);
    }
    const problems: string[] = [];
    for (const name of BUILT) {
      const entry = entryOf(name);
      const files = finished.filter((p) => p.name === name).map((p) => p.readsFile);
      const read = new Set(
        files.flatMap((file) => readFileSync(file, "utf8").split("\n").filter(Boolean)),
      );
      // Without this, a process that reads its whole environment would pass any compose file.
      expect(
        read.has(UNREAD_CONTROL),
        `${name} reads every variable: the check proves nothing`,
      ).toBe(false);
      problems.push(
        ...unreadVariables(
          name,
          `${entry.folder}/${entry.cmd[1]}`,
          service(name).environment,
          read,
        ),
      );
    }
    // redis-server reads no environment variables.
    problems.push(
      ...unreadVariables("redis", "redis-server", service("redis").environment, new Set()),
    );
    expect(problems).toEqual([]);
  });
});

describe("unreadVariables", () => {
  it("names each variable the compose file sets and the entry point does not read", () => {
    expect(
      unreadVariables(
        "task-server-a",
        "task-server-a/task-server-a.mjs",
        { CORDYNA_ADDR: "cerebro:7070", CORDYNA_ADRESS: "cerebro:7070" },
        new Set(["CORDYNA_ADDR", "LOG_LEVEL"]),
      ),
    ).toEqual([
      "docker-compose.yml sets services.task-server-a.environment.CORDYNA_ADRESS, but " +
        "task-server-a/task-server-a.mjs never reads CORDYNA_ADRESS: remove it from the compose file, " +
        "or make the code read it",
    ]);
  });
});

describe("localEnvironment", () => {
  it("maps the compose hostnames and cerebro's listening address to this machine", () => {
    const local = { redisPort: 16379, cerebroPort: 17070, cerebroHttpPort: 17071 };
    expect(localEnvironment("cerebro", local)).toMatchObject({
      CORDYNA_STORE: "redis://127.0.0.1:16379",
      CORDYNA_PORT: "17070",
      CORDYNA_HTTP_PORT: "17071",
      CORDYNA_HOST: "127.0.0.1",
    });
    expect(localEnvironment("task-server-a", local).CORDYNA_ADDR).toBe("127.0.0.1:17070");
  });
});
