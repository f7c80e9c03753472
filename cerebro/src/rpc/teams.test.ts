// Setting and listing teams' notification routes through a real cerebro
// with authentication on: who may set whose, the contract's limits, secrets
// shown once, and a failing task told at the route just set.

import { createHmac } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  createAccessClient,
  createControlClient,
  type NotificationRoute,
  Role,
  RunState,
} from "@cordyna/contract";
import { TaskServer } from "@cordyna/task-server";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Cerebro, startCerebro } from "../cerebro.js";
import { Receiver } from "../notify/notify-test-support.js";
import { MAX_TEAM_ROUTES } from "../notify/routes.js";
import { MemoryStore } from "../store/memory-store.js";

const silent = pino({ level: "silent" });
const ADMIN_TOKEN = "admin-secret-that-is-long-enough-1234567890";

let cerebro: Cerebro;
let store: MemoryStore;
const cleanups: Array<() => unknown> = [];

beforeEach(async () => {
  store = new MemoryStore();
  cerebro = await startCerebro({
    port: 0,
    httpPort: 0,
    logger: silent,
    store,
    auth: { required: true, adminToken: ADMIN_TOKEN },
  });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await cerebro.stop();
  await store.close();
});

async function control(role: Role, team: string) {
  const admin = createAccessClient(cerebro.address, { token: ADMIN_TOKEN });
  const { token } = await admin.createToken({ team, role });
  return createControlClient(cerebro.address, { token });
}

const webhook = (url: string): NotificationRoute =>
  ({ target: { case: "webhookUrl", value: url } }) as NotificationRoute;
const slack = (url: string): NotificationRoute =>
  ({ target: { case: "slackUrl", value: url } }) as NotificationRoute;
const email = (address: string): NotificationRoute =>
  ({ target: { case: "emailAddress", value: address } }) as NotificationRoute;

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe("who may set a team's routes", () => {
  it("lets an admin set any team's, an operator its own team's only, and no viewer; refusals are audited", async () => {
    const admin = createControlClient(cerebro.address, { token: ADMIN_TOKEN });
    await admin.setTeamNotifications({ team: "team-b", routes: [email("b@example.com")] });
    const operator = await control(Role.OPERATOR, "team-a");
    const set = await operator.setTeamNotifications({
      team: "team-a",
      routes: [email("a@example.com")],
    });
    expect(set.team?.routes).toEqual([expect.objectContaining(email("a@example.com"))]);

    const other = await refusal(
      operator.setTeamNotifications({ team: "team-b", routes: [email("x@example.com")] }),
    );
    expect(other.code).toBe(Code.PermissionDenied);
    expect(other.rawMessage).toMatch(
      /\(team-a operator\) may not set this team's notification routes: it lacks the right to set the notification routes of team-b \(it acts for team team-a\)/,
    );
    const viewer = await control(Role.VIEWER, "team-a");
    const denied = await refusal(
      viewer.setTeamNotifications({ team: "team-a", routes: [email("x@example.com")] }),
    );
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.rawMessage).toContain("it lacks the operator or admin role (it is viewer)");

    // Nothing the refused calls asked for was set; the viewer may list.
    const { teams } = await viewer.listTeams({});
    expect(teams.map((t) => [t.team, t.routes.map((r) => r.target.value)])).toEqual([
      ["team-a", ["a@example.com"]],
      ["team-b", ["b@example.com"]],
    ]);
    const audit = await createAccessClient(cerebro.address, { token: ADMIN_TOKEN }).listAudit({});
    const entries = audit.entries.filter((e) => e.action === "ControlService/SetTeamNotifications");
    expect(entries.map((e) => [e.allowed, e.target])).toEqual(
      expect.arrayContaining([
        [true, "team-a: add email:a@example.com"],
        [false, "team-b: add email:x@example.com"],
      ]),
    );
  });
});

describe("the limits of a team's routes", () => {
  it("refuses plain http:// but to a loopback address, over-long URLs and addresses, malformed addresses, and more than the most routes", async () => {
    const admin = createControlClient(cerebro.address, { token: ADMIN_TOKEN });
    const invalid = async (routes: NotificationRoute[], field: string, team = "team-a") => {
      const error = await refusal(admin.setTeamNotifications({ team, routes }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(field);
    };
    await invalid([webhook("http://hooks.example.com/x")], "webhook_url");
    await invalid([slack("http://127.0.0.1.example.com/x")], "slack_url");
    await invalid([webhook(`https://hooks.example.com/${"x".repeat(2048)}`)], "webhook_url");
    await invalid([email(`${"a".repeat(250)}@example.com`)], "email_address");
    await invalid([email("two@example.com, three@example.com")], "email_address");
    await invalid([], "give routes to add, or clear");
    await invalid([email("a@example.com")], "team", "");
    await invalid([email("a@example.com")], "team", "x".repeat(129));
    const eleven = Array.from({ length: MAX_TEAM_ROUTES + 1 }, (_, i) =>
      email(`o${i}@example.com`),
    );
    await invalid(eleven, "routes");

    // Loopback http:// is for local receivers and tests.
    for (const url of ["http://127.0.0.1:8080/h", "http://localhost/h", "http://[::1]:9/h"])
      await admin.setTeamNotifications({ team: "team-a", routes: [webhook(url)] });
    // The most routes a team has counts those it has already.
    const tooMany = await refusal(
      admin.setTeamNotifications({ team: "team-a", routes: eleven.slice(0, 8) }),
    );
    expect(tooMany.code).toBe(Code.FailedPrecondition);
    expect(tooMany.rawMessage).toContain("team team-a would have 11 routes");
    const cleared = await admin.setTeamNotifications({
      team: "team-a",
      routes: eleven.slice(0, MAX_TEAM_ROUTES),
      clear: true,
    });
    expect(cleared.team?.routes).toHaveLength(MAX_TEAM_ROUTES);
    const none = await admin.setTeamNotifications({ team: "team-a", clear: true });
    expect(none.team?.routes).toEqual([]);
  });
});

describe("secrets and routes", () => {
  it("shows a new webhook's secret once, keeps it when the route is given again, never lists it, and lists a Slack URL by its origin only", async () => {
    const operator = await control(Role.OPERATOR, "team-a");
    const hook = "https://hooks.example.com/team-a";
    const first = await operator.setTeamNotifications({
      team: "team-a",
      routes: [webhook(hook), slack("https://hooks.slack.com/services/T0/B0/secret")],
    });
    expect(first.newSecrets).toEqual([
      expect.objectContaining({
        webhookUrl: hook,
        secret: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    const again = await operator.setTeamNotifications({ team: "team-a", routes: [webhook(hook)] });
    expect(again.newSecrets).toEqual([]);
    expect(await store.notifications.getRoutes("team-a")).toContainEqual({
      route: { kind: "webhook", url: hook },
      secret: first.newSecrets[0]!.secret,
    });

    const listed = await (await control(Role.VIEWER, "team-b")).listTeams({});
    const text = JSON.stringify(listed, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    expect(text).not.toContain(first.newSecrets[0]!.secret);
    expect(text).not.toContain("secret");
    expect(listed.teams[0]?.routes.map((r) => r.target.value)).toEqual([
      hook,
      "https://hooks.slack.com/…",
    ]);
  });

  it("lists teams of declared tasks with their contacts and default routes, and tells a failing task's team at the webhook just set, signed with the secret returned", async () => {
    const receiver = await Receiver.start();
    cleanups.push(() => receiver.stop());
    const admin = createAccessClient(cerebro.address, { token: ADMIN_TOKEN });
    const { token: serverToken } = await admin.createToken({
      team: "team-a",
      role: Role.SERVER,
      serverNames: ["server-a"],
    });
    const server = new TaskServer({
      name: "server-a",
      team: "team-a",
      contact: "a-oncall@example.com",
      cerebro: cerebro.address,
      token: serverToken,
      logger: silent,
      handleSignals: false,
    });
    server.task({ id: "a.extract" }, () => {
      throw new Error("orders table is locked");
    });
    cleanups.push(() => server.stop());
    await server.start();
    const operator = await control(Role.OPERATOR, "team-a");

    await expect.poll(async () => (await operator.listTeams({})).teams.length).toBe(1);
    const [before] = (await operator.listTeams({})).teams;
    expect(before).toMatchObject({
      team: "team-a",
      routes: [],
      contacts: ["a-oncall@example.com"],
      taskIds: ["a.extract"],
    });
    expect(before?.defaultRoutes.map((r) => r.target.value)).toEqual(["a-oncall@example.com"]);

    const { newSecrets } = await operator.setTeamNotifications({
      team: "team-a",
      routes: [webhook(receiver.url)],
    });
    const { run } = await operator.startRun({ targets: ["a.extract"] });
    await receiver.waitFor(1);
    const [got] = receiver.taken;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(
      String(got?.headers["x-cordyna-signature"]),
    )!;
    const expected = createHmac("sha256", Buffer.from(newSecrets[0]!.secret, "hex"))
      .update(`${t}.${got?.body}`)
      .digest("hex");
    expect(v1).toBe(expected);
    expect(got?.json).toMatchObject({
      notifications: [{ rule: "failed", team: "team-a", taskId: "a.extract", runId: run!.id }],
    });
    expect((await operator.getRun({ runId: run!.id })).run?.state).toBe(RunState.FAILED);
    expect((await operator.listTeams({})).teams[0]?.defaultRoutes).toEqual([]);
  });
});
