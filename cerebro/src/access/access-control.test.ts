import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { CordynaError } from "../domain/errors.js";
import { MemoryAccessStore } from "../store/memory-access-store.js";
import {
  AccessControl,
  MAX_AUDITED_REFUSALS_PER_SECOND,
  MAX_CREDENTIALS,
  MAX_UNWRITTEN_AUDIT,
} from "./access-control.js";
import { ANONYMOUS_ADMIN, BOOTSTRAP_ADMIN } from "./principal.js";

const HOUR = 3_600_000;
const ADMIN_TOKEN = "a-bootstrap-admin-token-of-40-characters";

async function guarded(clock = new ManualClock(), store = new MemoryAccessStore()) {
  const access = await AccessControl.open({
    mode: { required: true, adminToken: ADMIN_TOKEN },
    store,
    clock,
    logger: pino({ level: "silent" }),
  });
  return { access, clock, store };
}

function refusalOf(work: () => unknown): CordynaError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(CordynaError);
    return error as CordynaError;
  }
  throw new Error("expected a refusal");
}

describe("AccessControl", () => {
  it("takes the bearer token to its principal, and refuses anything else by name", async () => {
    const { access } = await guarded();
    const { token, credential } = await access.createCredential(BOOTSTRAP_ADMIN, {
      team: "team-a",
      role: "operator",
      serverNames: [],
      description: "CI",
    });
    expect(access.authenticate(`Bearer ${token}`, undefined)).toMatchObject({
      team: "team-a",
      role: "operator",
      name: `token ${credential.id} (team-a operator)`,
    });
    expect(access.authenticate(`bearer ${ADMIN_TOKEN}`, undefined)).toBe(BOOTSTRAP_ADMIN);
    expect(refusalOf(() => access.authenticate(token!, undefined)).rawMessage).toBe(
      "the authorization header must be `Bearer <token>`",
    );
    expect(refusalOf(() => access.authenticate("Bearer hunter2", undefined)).rawMessage).toBe(
      "the bearer token is not a Cordyna token (cdy_<id>_<secret>)",
    );
    const wrongSecret = `${token!.slice(0, -1)}${token!.endsWith("A") ? "B" : "A"}`;
    expect(refusalOf(() => access.authenticate(`Bearer ${wrongSecret}`, undefined)).code).toBe(
      "UNAUTHENTICATED",
    );
    expect(refusalOf(() => access.authenticate(null, undefined)).code).toBe("UNAUTHENTICATED");
  });

  it("takes a verified client certificate to the credential naming its common name, never an unverified one", async () => {
    const { access } = await guarded();
    await access.createCredential(BOOTSTRAP_ADMIN, {
      team: "team-a",
      role: "server",
      serverNames: ["task-server-a"],
      description: "",
      certificateCommonName: "task-server-a",
    });
    const certificate = { commonName: "task-server-a", subjectAltName: "", verified: true };
    expect(access.authenticate(null, certificate)).toMatchObject({
      role: "server",
      serverNames: ["task-server-a"],
    });
    expect(
      refusalOf(() => access.authenticate(null, { ...certificate, verified: false })).rawMessage,
    ).toMatch(/^no credential/);
    expect(
      refusalOf(() => access.authenticate(null, { ...certificate, commonName: "intruder" }))
        .rawMessage,
    ).toBe(
      "client certificate CN=intruder is named by no credential: an admin maps it with dyna auth token create --certificate-cn intruder --team <team> --role <role>",
    );
  });

  it("refuses an expired credential, and tells the streams it opened when it expires", async () => {
    const { access, clock } = await guarded();
    const { token, credential } = await access.createCredential(BOOTSTRAP_ADMIN, {
      team: "team-a",
      role: "viewer",
      serverNames: [],
      description: "",
      expiresInMs: HOUR,
    });
    const principal = access.authenticate(`Bearer ${token}`, undefined);
    const ended: string[] = [];
    access.onRevoked(principal, (reason) => ended.push(reason));
    clock.advance(HOUR - 1);
    expect(ended).toEqual([]);
    clock.advance(1);
    expect(ended).toEqual([
      `credential ${credential.id} expired at ${new Date(credential.expiresAt!).toISOString()}`,
    ]);
    expect(refusalOf(() => access.authenticate(`Bearer ${token}`, undefined)).rawMessage).toMatch(
      /expired at/,
    );
  });

  it("stops telling a stream that stopped listening", async () => {
    const { access } = await guarded();
    const { token, credential } = await access.createCredential(BOOTSTRAP_ADMIN, {
      team: "team-a",
      role: "viewer",
      serverNames: [],
      description: "",
    });
    const principal = access.authenticate(`Bearer ${token}`, undefined);
    const heard: string[] = [];
    const stop = access.onRevoked(principal, (reason) => heard.push(reason));
    stop();
    await access.revoke(BOOTSTRAP_ADMIN, credential.id);
    expect(heard).toEqual([]);
  });

  it("keeps credentials across a restart, as hashes", async () => {
    const store = new MemoryAccessStore();
    const first = await guarded(new ManualClock(), store);
    const { token } = await first.access.createCredential(BOOTSTRAP_ADMIN, {
      team: "team-b",
      role: "operator",
      serverNames: [],
      description: "",
    });
    const second = await guarded(new ManualClock(), store);
    expect(second.access.authenticate(`Bearer ${token}`, undefined).team).toBe("team-b");
  });

  it("refuses credentials that make no sense, naming why", async () => {
    const { access } = await guarded();
    const create = (request: Partial<Parameters<AccessControl["createCredential"]>[1]>) =>
      access
        .createCredential(BOOTSTRAP_ADMIN, {
          team: "team-a",
          role: "viewer",
          serverNames: [],
          description: "",
          ...request,
        })
        .then(
          () => "created",
          (error: CordynaError) => error.rawMessage,
        );
    expect(await create({ team: "" })).toBe("a viewer credential needs a team");
    expect(await create({ role: "server" })).toBe(
      "a server credential needs the server names it may serve (--server NAME)",
    );
    expect(await create({ serverNames: ["x"] })).toBe(
      "only a server credential names server names",
    );
    expect(await create({ expiresInMs: 0 })).toBe("expires_in must be positive");
    expect(await create({ role: "admin", team: "" })).toBe("created");
  });

  it(`keeps at most ${MAX_CREDENTIALS} credentials`, async () => {
    const { access } = await guarded();
    const request = { team: "t", role: "viewer" as const, serverNames: [], description: "" };
    for (let i = 0; i < MAX_CREDENTIALS; i++)
      await access.createCredential(BOOTSTRAP_ADMIN, request);
    await expect(access.createCredential(BOOTSTRAP_ADMIN, request)).rejects.toThrow(
      `cerebro keeps at most ${MAX_CREDENTIALS} credentials, revoked ones included`,
    );
  });

  it(`audits at most ${MAX_AUDITED_REFUSALS_PER_SECOND} refusals a second and counts the rest`, async () => {
    const { access, clock, store } = await guarded();
    const call = { action: "ControlService/ListRuns", target: "", peer: "10.0.0.9:4000" };
    const refusal = { code: "UNAUTHENTICATED", message: "no credential" };
    for (let i = 0; i < MAX_AUDITED_REFUSALS_PER_SECOND + 50; i++) {
      await access.audit(undefined, call, refusal);
    }
    expect(await store.listAudit({ limit: 1_000 })).toHaveLength(MAX_AUDITED_REFUSALS_PER_SECOND);
    // Allowed calls are always written.
    await access.audit(BOOTSTRAP_ADMIN, { ...call, action: "ControlService/StartRun" });
    clock.advance(1_000);
    await access.audit(undefined, call, refusal);
    const [latest, summary] = await store.listAudit({ limit: 2 });
    expect(latest?.message).toBe("no credential");
    expect(summary?.message).toBe(
      `50 more refusals in the second before were not recorded: at most ${MAX_AUDITED_REFUSALS_PER_SECOND} a second are (cerebro's log has each)`,
    );
  });

  it(`lets at most ${MAX_UNWRITTEN_AUDIT} audit entries be on their way before calls wait for the store`, async () => {
    const written: Array<() => void> = [];
    const slow = new MemoryAccessStore();
    const append = slow.appendAudit.bind(slow);
    slow.appendAudit = (entry) =>
      new Promise<void>((resolve) => written.push(() => void append(entry).then(resolve)));
    const { access } = await guarded(new ManualClock(), slow);
    const call = { action: "ControlService/StartRun", target: "run_1", peer: "127.0.0.1:1" };
    for (let i = 0; i < MAX_UNWRITTEN_AUDIT; i++) await access.audit(BOOTSTRAP_ADMIN, call);
    let waited = false;
    const next = access.audit(BOOTSTRAP_ADMIN, call).then(() => {
      waited = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(waited).toBe(false);
    const flushed = access.flush();
    for (const write of written) write();
    await Promise.all([next, flushed]);
    expect(await slow.listAudit({ limit: 2_000 })).toHaveLength(MAX_UNWRITTEN_AUDIT + 1);
  });

  it("takes every caller for an admin when authentication is off", async () => {
    const access = await AccessControl.open({
      mode: { required: false },
      store: new MemoryAccessStore(),
      clock: new ManualClock(),
      logger: pino({ level: "silent" }),
    });
    expect(access.authenticate(null, undefined)).toBe(ANONYMOUS_ADMIN);
    expect(access.authenticate("Bearer whatever", undefined)).toBe(ANONYMOUS_ADMIN);
  });
});
