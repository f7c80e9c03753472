// dyna auth, audit and health against a real cerebro with authentication on.

import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from "./context.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const ADMIN_TOKEN = "bootstrap-admin-token-for-the-cli-test-000";
let cerebro: Cerebro;

beforeAll(async () => {
  cerebro = await startCerebro({
    port: 0,
    logger: pino({ level: "silent" }),
    auth: { required: true, adminToken: ADMIN_TOKEN },
  });
});

afterAll(async () => {
  await cerebro.stop();
});

async function dyna(args: string[], token?: string) {
  const io = recordingIo({
    CORDYNA_ADDR: cerebro.address,
    ...(token === undefined ? {} : { CORDYNA_TOKEN: token }),
  });
  const code = await runCli(args, { io, now: () => Date.UTC(2026, 11, 7) });
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("dyna auth and audit", () => {
  it("creates a token shown once, lists it without its secret, and revokes it", async () => {
    const created = await dyna(
      [
        "auth",
        "token",
        "create",
        "--team",
        "team-a",
        "--role",
        "operator",
        "--expires",
        "90d",
        "--description",
        "nightly CI",
      ],
      ADMIN_TOKEN,
    );
    expect(created.code).toBe(EXIT_OK);
    const token = created.out.trim();
    expect(token).toMatch(/^cdy_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = token.slice(4, 20);
    expect(created.err).toContain(`Created credential ${id} (team-a operator "nightly CI")`);

    const me = await dyna(["auth", "whoami"], token);
    expect(me.out).toBe(`token ${id} (team-a operator): operator of team-a`);

    const listed = await dyna(["auth", "token", "list"], ADMIN_TOKEN);
    expect(listed.out).toContain(`${id}  team-a operator "nightly CI"  expires 20`);
    expect(listed.out).not.toContain(token.slice(21));

    expect((await dyna(["auth", "token", "revoke", id], ADMIN_TOKEN)).out).toBe(
      `Credential ${id} is revoked; streams it opened were ended.`,
    );
    const refused = await dyna(["runs"], token);
    expect(refused.code).toBe(EXIT_UNREACHABLE);
    expect(refused.err).toContain(`UNAUTHENTICATED: credential ${id} was revoked at`);
    expect(refused.err).toContain("Pass a token with CORDYNA_TOKEN or a profile's token_file.");
  });

  it("says what is wrong with a token request before sending it", async () => {
    const badRole = await dyna(["auth", "token", "create", "--role", "root"], ADMIN_TOKEN);
    expect(badRole.code).toBe(EXIT_USAGE);
    expect(badRole.err).toContain("--role must be server, viewer, operator or admin");
    const badExpiry = await dyna(
      ["auth", "token", "create", "--role", "viewer", "--team", "t", "--expires", "soon"],
      ADMIN_TOKEN,
    );
    expect(badExpiry.err).toContain('--expires "soon" is not like 90d, 12h or 30m');
    const serverless = await dyna(
      ["auth", "token", "create", "--role", "server", "--team", "t"],
      ADMIN_TOKEN,
    );
    expect(serverless.code).toBe(EXIT_UNREACHABLE);
    expect(serverless.err).toContain(
      "INVALID_ARGUMENT: a server credential needs the server names it may serve (--server NAME)",
    );
  });

  it("shows the audit trail, refusals with their reason", async () => {
    await dyna(["runs"]);
    const audit = await dyna(["audit", "--since", "1h", "--limit", "5"], ADMIN_TOKEN);
    expect(audit.code).toBe(EXIT_OK);
    expect(audit.out.split("\n")[0]).toMatch(
      /^\S+Z {2}REFUSED UNAUTHENTICATED {2}ControlService\/ListRuns {2}by unauthenticated from 127\.0\.0\.1:\d+: no credential/,
    );
    const badSince = await dyna(["audit", "--since", "yesterday"], ADMIN_TOKEN);
    expect(badSince.code).toBe(EXIT_USAGE);
  });

  it("checks health without a credential", async () => {
    const health = await dyna(["health"]);
    expect(health).toMatchObject({ code: EXIT_OK, out: "SERVING" });
    const unknown = await dyna(["health", "--service", "no.Such"]);
    expect(unknown.code).toBe(EXIT_UNREACHABLE);
    expect(unknown.err).toContain("NOT_FOUND");
  });
});
