// The attacks on a cerebro shared by many teams, each now refused with the
// right status, while the honest team keeps working. Real gRPC over
// loopback, a real TypeScript task-server.

import { Code, ConnectError } from "@connectrpc/connect";
import {
  type AccessClient,
  createAccessClient,
  createControlClient,
  EventKind,
  Role,
  RunState,
  TaskState,
} from "@cordyna/contract";
import { TaskServer } from "@cordyna/task-server";
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Cerebro, startCerebro } from "../cerebro.js";
import { MemoryStore } from "../store/memory-store.js";
import { RawSession } from "../testing/raw-session.js";

const silent = pino({ level: "silent" });
const ADMIN_TOKEN = "admin-secret-that-is-long-enough-1234567890";
const teamA = { team: "team-a", contact: "a@example.com" };
const teamB = { team: "team-b", contact: "b@example.com" };

let cerebro: Cerebro;
let store: MemoryStore;
const cleanups: Array<() => unknown> = [];
let admin: AccessClient;

beforeEach(async () => {
  store = new MemoryStore();
  cerebro = await startCerebro({
    port: 0,
    httpPort: 0,
    logger: silent,
    store,
    serverLostGraceMs: 5_000,
    auth: { required: true, adminToken: ADMIN_TOKEN },
  });
  admin = createAccessClient(cerebro.address, { token: ADMIN_TOKEN });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await cerebro.stop();
  await store.close();
});

async function token(
  role: Role,
  team: string,
  serverNames: string[] = [],
  expiresInSeconds?: number,
): Promise<{ token: string; id: string }> {
  const created = await admin.createToken({
    team,
    role,
    serverNames,
    ...(expiresInSeconds ? { expiresIn: { seconds: BigInt(expiresInSeconds) } } : {}),
  });
  return { token: created.token, id: created.info!.id };
}

function control(tokenValue?: string) {
  return createControlClient(cerebro.address, tokenValue ? { token: tokenValue } : {});
}

function raw(tokenValue?: string): RawSession {
  const session = new RawSession(cerebro.address, tokenValue);
  cleanups.push(() => session.cancel());
  return session;
}

/** Team A's honest task-server: a.import-orders echoes its `secret` param; a.slow waits to be released. */
async function teamAServer(serverToken: string, instanceId = "a-1") {
  const releases: Array<() => void> = [];
  const server = new TaskServer({
    name: "task-server-a",
    ...teamA,
    cerebro: cerebro.address,
    token: serverToken,
    instanceId,
    logger: silent,
    handleSignals: false,
    reconnectBackoff: { initialMs: 20, maxMs: 50 },
  });
  server.task({ id: "a.import-orders" }, async (ctx) => ({ got: ctx.params.secret ?? "" }));
  server.task({ id: "a.slow" }, () => new Promise<void>((resolve) => releases.push(resolve)));
  cleanups.push(() => server.stop());
  await server.start();
  return { server, releaseSlow: () => releases.shift()?.() };
}

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

async function runToEnd(client: ReturnType<typeof control>, runId: string) {
  for (;;) {
    const { run } = await client.getRun({ runId });
    if (run && run.state !== RunState.RUNNING) return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a cerebro with authentication, attacked from the same network", () => {
  it("refuses a hello without credentials, and one under another team's server name, while team A's runs go on", async () => {
    const a = await token(Role.SERVER, "team-a", ["task-server-a"]);
    const b = await token(Role.SERVER, "team-b", ["task-server-b"]);
    const operatorA = await token(Role.OPERATOR, "team-a");
    await teamAServer(a.token);

    const anonymous = raw();
    anonymous.hello("task-server-a", [{ id: "a.import-orders", owner: teamA }], {
      instanceId: "evil-1",
    });
    const unauthenticated = await anonymous.closed();
    expect(unauthenticated !== "ended" && unauthenticated.code).toBe(status.UNAUTHENTICATED);
    expect(anonymous.describeStatus()).toContain("no credential");

    const otherTeam = raw(b.token);
    otherTeam.hello("task-server-a", [{ id: "a.import-orders", owner: teamA }], {
      instanceId: "evil-2",
    });
    const denied = await otherTeam.closed();
    expect(denied !== "ended" && denied.code).toBe(status.PERMISSION_DENIED);
    expect(otherTeam.describeStatus()).toContain(
      `token ${b.id} (team-b server) may not serve task-server-a: it lacks the right to serve task-server-a (its credential names task-server-b)`,
    );

    // Every invoke still goes to team A's own instance, with its secret.
    const client = control(operatorA.token);
    for (let i = 0; i < 4; i++) {
      const { run } = await client.startRun({
        targets: ["a.import-orders"],
        params: { secret: `s${i}` },
      });
      const done = await runToEnd(client, run!.id);
      expect(done.state).toBe(RunState.SUCCEEDED);
      expect(done.taskRuns[0]?.attempts[0]?.instanceId).toBe("a-1");
    }
    expect(cerebro.graph.tasksOf("task-server-a")).toEqual(["a.import-orders", "a.slow"]);
  });

  it("refuses a server credential declaring another team's tasks under its own name", async () => {
    const b = await token(Role.SERVER, "team-b", ["task-server-b"]);
    const session = raw(b.token);
    session.hello("task-server-b", [
      { id: "b.load", owner: teamB },
      { id: "a.import-orders", owner: teamA },
    ]);
    await session.closed();
    expect(session.describeStatus()).toBe(
      `${status.PERMISSION_DENIED} token ${b.id} (team-b server) may not declare these tasks: it lacks the right to declare tasks owned by team-a (it acts for team team-b)`,
    );
    expect(cerebro.graph.tasksOf("task-server-b")).toEqual([]);
  });

  it("refuses a redeclaration of another team's tasks and keeps the declaration it had", async () => {
    const b = await token(Role.SERVER, "team-b", ["task-server-b"]);
    const session = raw(b.token);
    session.hello("task-server-b", [{ id: "b.load", owner: teamB }]);
    await session.next("welcome");
    session.send({ case: "redeclare", value: { tasks: [{ id: "b.load", owner: teamA }] } });
    await session.closed();
    expect(session.describeStatus()).toContain("may not declare these tasks");
    expect(cerebro.graph.get("b.load")?.definition.owner.team).toBe("team-b");
  });

  it("refuses a hello that reuses a victim's instance id under another server name, leaving the victim's attempt alone", async () => {
    const a = await token(Role.SERVER, "team-a", ["task-server-a"]);
    // The attacker holds a credential of its own, for a name of its own.
    const b = await token(Role.SERVER, "team-b", ["task-server-b"]);
    const operatorA = await token(Role.OPERATOR, "team-a");
    const { releaseSlow } = await teamAServer(a.token, "victim-1");
    const client = control(operatorA.token);
    const { run } = await client.startRun({ targets: ["a.slow"] });
    let attemptId = "";
    for (;;) {
      const current = (await client.getRun({ runId: run!.id })).run!;
      const attempt = current.taskRuns[0]?.attempts[0];
      if (attempt?.state === TaskState.STARTED) {
        attemptId = attempt.id;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const attacker = raw(b.token);
    attacker.hello("task-server-b", [{ id: "b.load", owner: teamB }], {
      instanceId: "victim-1",
      runningAttemptIds: [attemptId],
    });
    await attacker.closed();
    expect(attacker.describeStatus()).toBe(
      `${status.PERMISSION_DENIED} instance id victim-1 belongs to another task-server (another credential or server name) while it is connected and for the grace period after: give every instance an id of its own`,
    );
    expect(cerebro.graph.tasksOf("task-server-b")).toEqual([]);

    releaseSlow();
    const done = await runToEnd(client, run!.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(done.taskRuns[0]?.attempts).toHaveLength(1);
  });

  it("refuses StartRun and CancelRun without credentials, and names what each principal lacks", async () => {
    const a = await token(Role.SERVER, "team-a", ["task-server-a"]);
    const operatorA = await token(Role.OPERATOR, "team-a");
    const operatorB = await token(Role.OPERATOR, "team-b");
    const viewer = await token(Role.VIEWER, "team-a");
    await teamAServer(a.token);

    const anonymous = await refusal(control().startRun({ targets: ["a.import-orders"] }));
    expect(anonymous.code).toBe(Code.Unauthenticated);
    expect(anonymous.rawMessage).toBe(
      "no credential: send `authorization: Bearer <token>` (CORDYNA_TOKEN) or a client certificate that a credential names",
    );
    const forged = await refusal(control(`cdy_0123456789abcdef_${"x".repeat(43)}`).listRuns({}));
    expect(forged.code).toBe(Code.Unauthenticated);
    expect(forged.rawMessage).toBe(
      "token 0123456789abcdef is unknown or its secret does not match",
    );

    const { run, follow } = await control(operatorA.token).startRun({ targets: ["a.slow"] });
    // The ways to follow the run it returns pass the token, as every call must.
    expect(follow?.grpc).toContain(
      `grpcurl -plaintext -H "authorization: Bearer $CORDYNA_TOKEN" -d`,
    );
    expect(follow?.http).toMatch(/ with header "authorization: Bearer \$CORDYNA_TOKEN"$/);
    const foreignCancel = await refusal(control(operatorB.token).cancelRun({ runId: run!.id }));
    expect(foreignCancel.code).toBe(Code.PermissionDenied);
    expect(foreignCancel.rawMessage).toBe(
      `token ${operatorB.id} (team-b operator) may not cancel this run: it lacks the right to run targets owned by team-a (it acts for team team-b)`,
    );
    const foreignStart = await refusal(
      control(operatorB.token).startRun({ targets: ["a.import-orders"] }),
    );
    expect(foreignStart.code).toBe(Code.PermissionDenied);
    const viewerStart = await refusal(
      control(viewer.token).startRun({ targets: ["a.import-orders"] }),
    );
    expect(viewerStart.rawMessage).toBe(
      `token ${viewer.id} (team-a viewer) may not call ControlService/StartRun: it lacks the operator or admin role (it is viewer)`,
    );
    const serverReads = await refusal(control(a.token).listRuns({}));
    expect(serverReads.code).toBe(Code.PermissionDenied);
    const serverHistory = await refusal(control(a.token).listTaskRuns({ taskId: "a.slow" }));
    expect(serverHistory.code).toBe(Code.PermissionDenied);

    // The viewer reads; team A's operator cancels its own run.
    expect((await control(viewer.token).getRun({ runId: run!.id })).run?.id).toBe(run!.id);
    const history = await control(viewer.token).listTaskRuns({ taskId: "a.slow" });
    expect(history.taskRuns.map((entry) => entry.runId)).toEqual([run!.id]);
    const cancelled = await control(operatorA.token).cancelRun({ runId: run!.id });
    expect(cancelled.run?.state).toBe(RunState.CANCELLED);
  });

  it("lets an operator include other teams' downstream tasks with --downstream, but not target them", async () => {
    const a = await token(Role.SERVER, "team-a", ["task-server-a"]);
    const b = await token(Role.SERVER, "team-b", ["task-server-b"]);
    const operatorA = await token(Role.OPERATOR, "team-a");
    await teamAServer(a.token);
    const consumer = new TaskServer({
      name: "task-server-b",
      ...teamB,
      cerebro: cerebro.address,
      token: b.token,
      logger: silent,
      handleSignals: false,
    });
    consumer.task({ id: "b.report", dependsOn: ["a.import-orders"] }, async () => {});
    cleanups.push(() => consumer.stop());
    await consumer.start();

    const client = control(operatorA.token);
    const { run } = await client.startRun({ targets: ["a.import-orders"], withDownstream: true });
    const done = await runToEnd(client, run!.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(done.taskRuns.map((taskRun) => taskRun.taskId).sort()).toEqual([
      "a.import-orders",
      "b.report",
    ]);
    const direct = await refusal(client.startRun({ targets: ["b.report"] }));
    expect(direct.code).toBe(Code.PermissionDenied);
  });

  it("leaves credentials to admins, keeps only their hashes, and revokes at once, ending the streams they opened", async () => {
    const a = await token(Role.SERVER, "team-a", ["task-server-a"]);
    const operatorA = await token(Role.OPERATOR, "team-a");
    const notAdmin = await refusal(
      createAccessClient(cerebro.address, { token: operatorA.token }).createToken({
        team: "team-a",
        role: Role.ADMIN,
      }),
    );
    expect(notAdmin.code).toBe(Code.PermissionDenied);
    expect(notAdmin.rawMessage).toContain("it lacks the admin role (it is operator)");

    const { tokens } = await admin.listTokens({});
    expect(tokens.map((t) => t.id).sort()).toEqual([a.id, operatorA.id].sort());
    const stored = JSON.stringify(await store.access.loadCredentials());
    expect(stored).toContain(a.id);
    expect(stored).not.toContain(a.token.slice(-43));

    const session = raw(a.token);
    session.hello("task-server-a", [{ id: "a.import-orders", owner: teamA }]);
    await session.next("welcome");
    const watch = control(operatorA.token).watchEvents({ kinds: [EventKind.RUN_STARTED] });
    const watching = (async () => {
      try {
        for await (const _ of watch);
        return undefined;
      } catch (error) {
        return error as ConnectError;
      }
    })();
    // The watch is open once the server answers a call made after it.
    await control(operatorA.token).listServers({});

    await admin.revokeToken({ tokenId: a.id });
    await admin.revokeToken({ tokenId: operatorA.id });
    await session.closed();
    expect(session.describeStatus()).toBe(
      `${status.UNAUTHENTICATED} credential ${a.id} was revoked by bootstrap admin (CORDYNA_ADMIN_TOKEN)`,
    );
    const watchEnd = await watching;
    expect(watchEnd?.code).toBe(Code.Unauthenticated);
    expect(watchEnd?.rawMessage).toContain(`credential ${operatorA.id} was revoked`);
    const after = await refusal(control(operatorA.token).listRuns({}));
    expect(after.rawMessage).toMatch(new RegExp(`^credential ${operatorA.id} was revoked at `));
    expect(cerebro.graph.tasksOf("task-server-a")).toEqual(["a.import-orders"]);
  });

  it("refuses credential requests that break the proto's limits, naming the field", async () => {
    const bad = await refusal(
      admin.createToken({ team: "team-a", role: Role.SERVER, serverNames: ["no spaces"] }),
    );
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(
      /^server_names\[0\]: does not match regex pattern .* \[string.pattern\]$/,
    );
    const noRole = await refusal(admin.createToken({ team: "team-a" }));
    expect(noRole.rawMessage).toContain("role: ");
    const badId = await refusal(admin.revokeToken({ tokenId: "../../etc" }));
    expect(badId.rawMessage).toMatch(/^token_id: does not match regex pattern/);
  });

  it("writes mutating calls and refusals to an audit trail each team reads its own part of", async () => {
    const a = await token(Role.SERVER, "team-a", ["task-server-a"]);
    const operatorA = await token(Role.OPERATOR, "team-a");
    const operatorB = await token(Role.OPERATOR, "team-b");
    await teamAServer(a.token);
    const { run } = await control(operatorA.token).startRun({ targets: ["a.import-orders"] });
    await refusal(control(operatorB.token).cancelRun({ runId: run!.id }));
    await refusal(control().listRuns({}));

    const everything = (await admin.listAudit({})).entries;
    const lines = everything.map(
      (e) => `${e.allowed ? "allowed" : e.code} ${e.action} ${e.principal}`,
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        `allowed AccessService/CreateToken bootstrap admin (CORDYNA_ADMIN_TOKEN)`,
        `allowed TaskServerService/Hello token ${a.id} (team-a server)`,
        `allowed ControlService/StartRun token ${operatorA.id} (team-a operator)`,
        `PERMISSION_DENIED ControlService/CancelRun token ${operatorB.id} (team-b operator)`,
        "UNAUTHENTICATED ControlService/ListRuns unauthenticated",
      ]),
    );
    // Newest first.
    expect(lines[0]).toBe("UNAUTHENTICATED ControlService/ListRuns unauthenticated");

    const teamBAudit = createAccessClient(cerebro.address, { token: operatorB.token });
    expect((await teamBAudit.listAudit({})).entries.map((e) => e.team)).toEqual(["team-b"]);
    const foreign = await refusal(teamBAudit.listAudit({ team: "team-a" }));
    expect(foreign.code).toBe(Code.PermissionDenied);
    expect(foreign.rawMessage).toContain(
      "it lacks the admin role to read the audit trail of team-a",
    );
  });
});

describe("the HTTP/JSON gateway with authentication", () => {
  it("answers curl with the bearer token, and 401 naming what is missing without it", async () => {
    const operator = await token(Role.OPERATOR, "team-a");
    const url = `http://${cerebro.httpAddress}/cordyna.v1.ControlService/ListServers`;
    const call = (headers: Record<string, string>) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: "{}",
      });
    const anonymous = await call({});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({
      code: "unauthenticated",
      message: expect.stringMatching(/^no credential/),
    });
    const allowed = await call({ authorization: `Bearer ${operator.token}` });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({});
  });
});

describe("a cerebro without authentication", () => {
  it("refuses to listen on an address the network reaches unless told it is insecure", async () => {
    await expect(startCerebro({ port: 0, host: "0.0.0.0", logger: silent })).rejects.toThrow(
      "cerebro will not listen on 0.0.0.0 without authentication",
    );
    const insecure = await startCerebro({
      port: 0,
      host: "0.0.0.0",
      logger: silent,
      auth: { required: false, insecure: true },
    });
    cleanups.push(() => insecure.stop());
    const me = await createAccessClient(`127.0.0.1:${insecure.port}`).whoAmI({});
    expect(me).toMatchObject({ role: Role.ADMIN, authenticated: false });
  });
});
