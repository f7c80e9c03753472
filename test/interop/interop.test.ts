// Cerebro with task-servers in four languages in one graph: the Rust, Java and
// Python examples (clients/<lang>/example) and a TypeScript server, each a real
// child process on real gRPC over loopback. Dependencies cross a language at
// every step:
//
//   rust.import → python.clean → rust.verify → java.mail → java.archive ──→ ts.publish
//                                                      └──→ python.sheet ──┘
//
// Cerebro runs with authentication on: each server connects with a server
// credential of its own team and server name (CORDYNA_TOKEN), and the test
// starts runs as an operator of team-ts. Then the same graph over mTLS:
// cerebro requires client certificates, and every server reads
// CORDYNA_TLS_CA and CORDYNA_TLS_CLIENT_CERT/_KEY.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  createAccessClient,
  createControlClient,
  Role,
  type Run,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  type ControlClient,
  exitCode,
  finishedRun,
  spawnProgram,
  spawnTs,
  startCerebroProcess,
  waitForServers,
} from "../src/processes.js";

/** Each task: the server that declares it, its team, and its upstream tasks. */
const GRAPH = {
  "rust.import": { server: "rust-example", team: "team-rust", upstream: [] },
  "python.clean": { server: "python-example", team: "team-python", upstream: ["rust.import"] },
  "rust.verify": { server: "rust-example", team: "team-rust", upstream: ["python.clean"] },
  "java.mail": { server: "java-example", team: "team-java", upstream: ["rust.verify"] },
  "java.archive": { server: "java-example", team: "team-java", upstream: ["java.mail"] },
  "python.sheet": { server: "python-example", team: "team-python", upstream: ["java.mail"] },
  "ts.publish": {
    server: "ts-example",
    team: "team-ts",
    upstream: ["java.archive", "python.sheet"],
  },
} as const satisfies Record<string, { server: string; team: string; upstream: readonly string[] }>;

type TaskId = keyof typeof GRAPH;
const TASK_IDS = Object.keys(GRAPH) as TaskId[];

/** Every task that depends on `failed`, directly or not. */
function dependantsOf(failed: TaskId): Set<TaskId> {
  const found = new Set<TaskId>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const id of TASK_IDS) {
      const upstream: readonly string[] = GRAPH[id].upstream;
      if (found.has(id) || !upstream.some((u) => u === failed || found.has(u as TaskId))) continue;
      found.add(id);
      grew = true;
    }
  }
  return found;
}

const EXAMPLE_ENV = { CORDYNA_EXAMPLE_WORK_MS: "100", LOG_LEVEL: "warn" };
const EXAMPLES = ["rust", "java", "python"] as const;
/** The team of each server name. */
const TEAMS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(GRAPH).map(({ server, team }) => [server, team]),
);

let cerebro: Child;
let control: ControlClient;
let address: string;
/** Each server name's own server credential. */
const serverTokens: Record<string, string> = {};
const servers: Child[] = [];

/**
 * Starts the three examples and the TypeScript server, each with `env` and
 * the variables `envOf` gives for its server name; resolves once all are
 * connected.
 */
async function startServers(
  via: ControlClient,
  env: Record<string, string>,
  started: Child[],
  envOf: (server: string) => Record<string, string> = () => ({}),
): Promise<void> {
  for (const lang of EXAMPLES) {
    const name = `${lang}-example`;
    started.push(
      spawnProgram(name, ["bash", `clients/${lang}/run-example.sh`], { ...env, ...envOf(name) }),
    );
  }
  started.push(
    spawnTs("ts-example", "test/interop/ts-server.ts", [], { ...env, ...envOf("ts-example") }),
  );
  try {
    await waitForServers(via, ["rust-example", "java-example", "python-example", "ts-example"]);
  } catch (error) {
    throw new Error(
      `${String(error)}\n${started.map((s) => `--- ${s.name}\n${s.output()}`).join("\n")}`,
    );
  }
}

/**
 * Starts every example under its own server name with `envOf` its language's
 * variables, and expects each to be refused before its Welcome and to exit
 * 1 at once, saying why.
 */
async function expectEveryExampleRefused(
  label: string,
  envOf: (lang: (typeof EXAMPLES)[number]) => Record<string, string>,
  reason: RegExp,
): Promise<void> {
  const refused = EXAMPLES.map((lang) =>
    spawnProgram(`${lang}-${label}`, ["bash", `clients/${lang}/run-example.sh`], envOf(lang)),
  );
  try {
    // Bounded, so that one retrying forever fails with its output rather than a timeout.
    const codes = await Promise.all(
      refused.map((child) =>
        Promise.race([exitCode(child), sleep(20_000, "still running", { ref: false })]),
      ),
    );
    for (const [i, child] of refused.entries()) {
      expect(codes[i], child.output()).toBe(1);
      expect(child.output()).toMatch(reason);
    }
  } finally {
    await Promise.all(refused.map((child) => child.stop()));
  }
}

beforeAll(async () => {
  // CORDYNA_ADMIN_TOKEN turns authentication on, even for dyna dev on loopback.
  const adminToken = randomBytes(32).toString("hex");
  ({ child: cerebro, address } = await startCerebroProcess(
    { LOG_LEVEL: "warn", CORDYNA_ADMIN_TOKEN: adminToken },
    { token: adminToken },
  ));
  const admin = createAccessClient(address, { token: adminToken });
  for (const [server, team] of Object.entries(TEAMS)) {
    const created = await admin.createToken({ team, role: Role.SERVER, serverNames: [server] });
    serverTokens[server] = created.token;
  }
  // ts.publish, the target of every run, is team-ts's: its operator may start them.
  const operator = await admin.createToken({ team: "team-ts", role: Role.OPERATOR });
  control = createControlClient(address, { token: operator.token });
  await startServers(control, { ...EXAMPLE_ENV, CORDYNA_ADDR: address }, servers, (server) => ({
    CORDYNA_TOKEN: serverTokens[server]!,
  }));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await cerebro?.stop();
});

async function runToEnd(params: Record<string, string> = {}, via = control): Promise<Run> {
  const { run } = await via.startRun({ targets: ["ts.publish"], params });
  return finishedRun(via, run?.id ?? "");
}

/** Milliseconds since the epoch; NaN (which fails every comparison) when absent. */
const ms = (t: Timestamp | undefined) => (t ? timestampMs(t) : Number.NaN);

function statesOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.taskRuns.map((t) => [t.taskId, TaskState[t.state]]));
}

describe("task-servers in Rust, Java, Python and TypeScript in one graph", () => {
  it("declares every language's tasks into one graph, each owned by its team", async () => {
    const { tasks } = await control.listTasks({});
    const declared = Object.fromEntries(
      tasks
        .filter((t) => t.taskId in GRAPH)
        .map((t) => [
          t.taskId,
          {
            server: t.serverName,
            team: t.declaration?.owner?.team,
            upstream: t.declaration?.dependencies.map((d) => d.taskId).sort(),
          },
        ]),
    );
    expect(declared).toEqual(
      Object.fromEntries(
        TASK_IDS.map((id) => [
          id,
          {
            server: GRAPH[id].server,
            team: GRAPH[id].team,
            upstream: [...GRAPH[id].upstream].sort(),
          },
        ]),
      ),
    );
  });

  it("completes a run in dependency order, each task once on its own language's server", async () => {
    const run = await runToEnd();
    expect(statesOf(run)).toEqual(Object.fromEntries(TASK_IDS.map((id) => [id, "COMPLETED"])));
    expect(run.state).toBe(RunState.SUCCEEDED);

    const byTask = new Map(run.taskRuns.map((t) => [t.taskId, t]));
    for (const id of TASK_IDS) {
      const taskRun = byTask.get(id);
      expect(taskRun?.serverName, id).toBe(GRAPH[id].server);
      expect(taskRun?.attempts, id).toHaveLength(1);
      const startedAt = ms(taskRun?.attempts[0]?.startedAt);
      for (const upstream of GRAPH[id].upstream) {
        const upstreamDone = ms(byTask.get(upstream)?.attempts.at(-1)?.finishedAt);
        expect(startedAt, `${id} starts after ${upstream} finished`).toBeGreaterThanOrEqual(
          upstreamDone,
        );
      }
    }
  });

  it("keeps a line each language's task logged, read back with GetTaskRunLogs", async () => {
    const run = await runToEnd();
    const logged = async (taskId: string) => {
      const { logs } = await control.getTaskRunLogs({ runId: run.id, taskId });
      return logs?.lines.map((l) => l.line?.text);
    };
    expect(await logged("rust.import")).toEqual([
      expect.stringMatching(/^rust\.import: working on \d+ params$/),
    ]);
    expect(await logged("python.clean")).toEqual([`cleaning the rows of run ${run.id}`]);
    expect(await logged("java.mail")).toEqual([`mailing the figures of run ${run.id}`]);
    expect(await logged("ts.publish")).toEqual([`publishing the report of run ${run.id}`]);
  });

  it.each(["rust.import", "python.clean", "java.mail", "ts.publish"] as const)(
    "a failure of %s blocks only its dependants, in every language",
    async (failing) => {
      const run = await runToEnd({ fail: failing });
      const blocked = dependantsOf(failing);
      expect(statesOf(run)).toEqual(
        Object.fromEntries(
          TASK_IDS.map((id) => [
            id,
            id === failing ? "ERROR" : blocked.has(id) ? "BLOCKED" : "COMPLETED",
          ]),
        ),
      );
      const failed = run.taskRuns.find((t) => t.taskId === failing);
      expect(failed?.errorDescription).toContain("failed on purpose");
      expect(run.summary?.failed.map((f) => [f.taskId, f.owner?.team])).toEqual([
        [failing, GRAPH[failing].team],
      ]);
      expect(run.state).toBe(RunState.FAILED);
    },
  );

  it("an example without a token is refused as unauthenticated and exits 1", async () => {
    await expectEveryExampleRefused(
      "without-token",
      (lang) => ({
        ...EXAMPLE_ENV,
        CORDYNA_ADDR: address,
        CORDYNA_SERVER_NAME: `${lang}-example`,
        // Empty counts as unset, also when the shell running the test has a token.
        CORDYNA_TOKEN: "",
      }),
      /cerebro refused this task-server: no credential: send `authorization: Bearer <token>`/,
    );
  });

  it("an example with the token of another server name is refused and exits 1", async () => {
    // Each example shows the credential of the next language's server.
    const other = { rust: "java-example", java: "python-example", python: "rust-example" };
    await expectEveryExampleRefused(
      "with-another-token",
      (lang) => ({
        ...EXAMPLE_ENV,
        CORDYNA_ADDR: address,
        CORDYNA_SERVER_NAME: `${lang}-example`,
        CORDYNA_TOKEN: serverTokens[other[lang]]!,
      }),
      /cerebro refused this task-server: token \w+ \(team-\w+ server\) may not serve \w+-example/,
    );
  });

  it("every server drains on SIGTERM and exits 0", async () => {
    const codes = await Promise.all(servers.map(async (s) => [s.name, await s.stop()] as const));
    expect(Object.fromEntries(codes)).toEqual(Object.fromEntries(servers.map((s) => [s.name, 0])));
  });
});

describe("over mTLS: cerebro with a client CA, every server with a certificate it signed", () => {
  let pki: TestPki;
  let tlsCerebro: Child | undefined;
  let tlsControl: ControlClient;
  let tlsAddress: string;
  const tlsServers: Child[] = [];

  beforeAll(async () => {
    pki = createTestPki();
    ({
      child: tlsCerebro,
      control: tlsControl,
      address: tlsAddress,
    } = await startCerebroProcess(
      {
        LOG_LEVEL: "warn",
        CORDYNA_TLS_CERT: pki.path("server.pem"),
        CORDYNA_TLS_KEY: pki.path("server.key"),
        CORDYNA_TLS_CLIENT_CA: pki.path("ca.pem"),
      },
      { tls: { ca: pki.read("ca.pem") } },
    ));
    await startServers(
      tlsControl,
      {
        ...EXAMPLE_ENV,
        CORDYNA_ADDR: tlsAddress,
        CORDYNA_TLS_CA: pki.path("ca.pem"),
        CORDYNA_TLS_CLIENT_CERT: pki.path("client.pem"),
        CORDYNA_TLS_CLIENT_KEY: pki.path("client.key"),
      },
      tlsServers,
    );
  });

  afterAll(async () => {
    await Promise.all(tlsServers.map((server) => server.stop()));
    await tlsCerebro?.stop();
    pki?.remove();
  });

  it("completes a run with tasks of every language", async () => {
    const run = await runToEnd({}, tlsControl);
    expect(statesOf(run)).toEqual(Object.fromEntries(TASK_IDS.map((id) => [id, "COMPLETED"])));
    expect(run.state).toBe(RunState.SUCCEEDED);
  });

  it("an example without a client certificate is refused by name and exits 1", async () => {
    await expectEveryExampleRefused(
      "without-certificate",
      (lang) => ({
        ...EXAMPLE_ENV,
        CORDYNA_ADDR: tlsAddress,
        CORDYNA_TLS_CA: pki.path("ca.pem"),
        CORDYNA_SERVER_NAME: `${lang}-without-certificate`,
      }),
      /cerebro refused this task-server: .*presented no client certificate/,
    );
  });
});
