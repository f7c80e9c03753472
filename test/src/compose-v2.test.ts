// docker-compose.yml as Docker Compose v2 reads it: test/compose-check loads
// it with compose-go, the loader inside Docker Compose v2, the way `docker
// compose config` does, and prints the normalized project as JSON. These
// tests read that project, not the YAML: what they see is what `docker
// compose up` would run. Outside CI, a machine without Go skips them, saying
// why; in CI they fail instead.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onPath } from "../../cerebro/src/testing/index.js";
import { ROOT } from "./processes.js";

const run = promisify(execFile);
const inCi = process.env.CI === "true";
const CHECK = join(ROOT, "test/compose-check");
const COMPOSE_FILE = join(ROOT, "docker-compose.yml");
const missing = onPath("go") ? "" : "go is not on the PATH";

/** The parts of a service of the normalized project that these tests read. */
interface Service {
  readonly image?: string;
  readonly build?: {
    readonly context: string;
    readonly dockerfile: string;
    readonly target?: string;
  };
  readonly environment?: Readonly<Record<string, string | null>>;
  readonly healthcheck?: {
    readonly test: readonly string[];
    readonly retries?: number;
    readonly start_period?: string;
  };
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly ports?: readonly { readonly host_ip?: string; readonly target: number }[];
}

interface Project {
  readonly name: string;
  readonly services: Readonly<Record<string, Service>>;
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe.skipIf(missing !== "" && !inCi)(
  `docker-compose.yml, loaded by Docker Compose v2's loader${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let work = "";
    let emptyEnvFile = "";

    /**
     * `docker compose config` with exactly these shell variables: none of
     * this machine's CORDYNA_* or COMPOSE_* variables, and an empty
     * --env-file, so that no .env file in the checkout changes the outcome.
     */
    async function composeConfig(shell: Readonly<Record<string, string>>): Promise<Outcome> {
      const env: NodeJS.ProcessEnv = {};
      for (const [key, value] of Object.entries(process.env)) {
        if (!/^(CORDYNA|COMPOSE)_/.test(key)) env[key] = value;
      }
      try {
        const { stdout, stderr } = await run(
          "go",
          ["run", ".", "-f", COMPOSE_FILE, "--env-file", emptyEnvFile],
          // -mod=readonly: a go.sum that does not match go.mod fails, rather than being rewritten.
          { cwd: CHECK, env: { ...env, GOFLAGS: "-mod=readonly", ...shell } },
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code?: unknown; stdout?: string; stderr?: string };
        if (typeof failed.code !== "number") throw error;
        return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
      }
    }

    const ADMIN_TOKEN = randomBytes(32).toString("hex");
    const TOKEN_A = randomBytes(32).toString("hex");
    let project: Project;

    function service(name: string): Service {
      const found = project.services[name];
      if (!found) throw new Error(`the project has no service ${name}`);
      return found;
    }

    beforeAll(async () => {
      if (missing) throw new Error(`${missing}: CI needs Go to check docker-compose.yml`);
      work = await mkdtemp(join(tmpdir(), "cordyna-compose-v2-"));
      emptyEnvFile = join(work, "empty.env");
      await writeFile(emptyEnvFile, "");
      const since = Date.now();
      // The first run downloads compose-go and builds the program; later ones reuse Go's cache.
      const loaded = await composeConfig({
        CORDYNA_ADMIN_TOKEN: ADMIN_TOKEN,
        CORDYNA_TOKEN_A: TOKEN_A,
      });
      console.log(`compose-check: built and loaded in ${(Date.now() - since) / 1000} s`);
      expect(loaded, "Docker Compose v2 refuses docker-compose.yml").toMatchObject({ code: 0 });
      project = JSON.parse(loaded.stdout) as Project;
    }, 600_000);

    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("names the project cordyna, with the seed's four services", () => {
      expect(project.name).toBe("cordyna");
      expect(Object.keys(project.services).sort()).toEqual([
        "cerebro",
        "redis",
        "task-server-a",
        "task-server-b",
      ]);
    });

    it("builds cerebro and the seed's servers from docker/Dockerfile, each from the target of its name, in the repository's root", () => {
      for (const name of ["cerebro", "task-server-a", "task-server-b"]) {
        expect(service(name).build, name).toEqual({
          context: resolve(ROOT),
          dockerfile: "docker/Dockerfile",
          target: name,
        });
      }
      expect(service("redis").build).toBeUndefined();
      expect(service("redis").image).toBe("redis:7-alpine");
    });

    it("checks the health of redis and of cerebro, whose check asks cerebro's own gRPC port", () => {
      expect(service("redis").healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
      const cerebro = service("cerebro");
      expect(cerebro.healthcheck?.test).toEqual([
        "CMD",
        "node",
        "dyna.mjs",
        "health",
        "--cerebro",
        `127.0.0.1:${cerebro.environment?.CORDYNA_PORT}`,
      ]);
      // A cerebro still restoring from Redis is not counted as failing.
      expect(cerebro.healthcheck?.start_period).toBeDefined();
      for (const name of ["redis", "cerebro"]) {
        expect(service(name).healthcheck?.retries, name).toBeGreaterThan(0);
      }
    });

    it("starts cerebro once redis is healthy, and the task-servers once cerebro is", () => {
      expect(service("cerebro").depends_on).toEqual({
        redis: expect.objectContaining({ condition: "service_healthy" }),
      });
      for (const name of ["task-server-a", "task-server-b"]) {
        expect(service(name).depends_on, name).toEqual({
          cerebro: expect.objectContaining({ condition: "service_healthy" }),
        });
      }
    });

    it("publishes cerebro's two ports on the host's loopback only", () => {
      const ports = service("cerebro").ports ?? [];
      expect(ports.map((port) => port.target).sort()).toEqual([7070, 7071]);
      for (const port of ports) expect(port.host_ip, `port ${port.target}`).toBe("127.0.0.1");
    });

    it("gives cerebro the admin token of the shell, and each task-server its own token, else the admin's", () => {
      expect(service("cerebro").environment?.CORDYNA_ADMIN_TOKEN).toBe(ADMIN_TOKEN);
      expect(service("task-server-a").environment?.CORDYNA_TOKEN).toBe(TOKEN_A);
      expect(service("task-server-b").environment?.CORDYNA_TOKEN).toBe(ADMIN_TOKEN);
    });

    it.each([
      ["unset", {}],
      ["empty", { CORDYNA_ADMIN_TOKEN: "" }],
    ])("refuses to load with CORDYNA_ADMIN_TOKEN %s, saying how to set it", async (_, shell) => {
      const outcome = await composeConfig(shell);
      expect(outcome.code).not.toBe(0);
      expect(outcome.stdout).toBe("");
      expect(outcome.stderr).toContain(
        "required variable CORDYNA_ADMIN_TOKEN is missing a value: " +
          "set CORDYNA_ADMIN_TOKEN to 32 or more random characters (docs/deploy.md)",
      );
    });
  },
);
