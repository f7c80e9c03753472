// dyna teams and dyna teams set against a real cerebro with authentication on.

import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from "./context.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const ADMIN_TOKEN = "bootstrap-admin-token-for-the-teams-test-0";
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

async function dyna(args: string[], token: string) {
  const io = recordingIo({ CORDYNA_ADDR: cerebro.address, CORDYNA_TOKEN: token });
  const code = await runCli(args, { io, now: () => Date.UTC(2026, 11, 7) });
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

async function tokenFor(role: string, team: string): Promise<string> {
  const created = await dyna(
    ["auth", "token", "create", "--team", team, "--role", role],
    ADMIN_TOKEN,
  );
  return created.out.trim();
}

describe("dyna teams", () => {
  it("sets a team's routes, printing a new webhook's secret once, and lists them without it", async () => {
    const operator = await tokenFor("operator", "team-a");
    const set = await dyna(
      [
        "teams",
        "set",
        "team-a",
        "--notify",
        "webhook:https://hooks.example.com/a",
        "--notify",
        "email:a@example.com",
      ],
      operator,
    );
    expect(set.code).toBe(EXIT_OK);
    const [line, secretLine] = set.out.split("\n");
    expect(line).toBe(
      "Team team-a is told at: webhook:https://hooks.example.com/a, email:a@example.com",
    );
    const secret = secretLine?.split("  ")[1] ?? "";
    expect(secretLine).toMatch(/^https:\/\/hooks\.example\.com\/a {2}[0-9a-f]{64}$/);
    expect(set.err).toContain("shown this once");

    const listed = await dyna(["teams"], await tokenFor("viewer", "team-b"));
    expect(listed.out).toBe(
      [
        "TEAM    ROUTES                                                    DEFAULT ROUTE  CONTACTS",
        "team-a  webhook:https://hooks.example.com/a, email:a@example.com  -              -",
      ].join("\n"),
    );
    const json = await dyna(["teams", "--json"], operator);
    expect(JSON.parse(json.out).teams[0].team).toBe("team-a");
    expect(json.out).not.toContain(secret);

    const cleared = await dyna(["teams", "set", "team-a", "--clear"], operator);
    expect(cleared.out).toBe("Team team-a is told at: no route (its contacts)");
  });

  it("suggests the kind meant for a mistyped one, and refuses another team's routes naming the rule", async () => {
    const operator = await tokenFor("operator", "team-a");
    const typo = await dyna(
      ["teams", "set", "team-a", "--notify", "emial:a@example.com"],
      operator,
    );
    expect(typo.code).toBe(EXIT_USAGE);
    expect(typo.err).toContain(
      "--notify emial:a@example.com: expected webhook:<URL>, slack:<URL> or email:<address>",
    );
    expect(typo.err).toContain("email:a@example.com");
    const nothing = await dyna(["teams", "set", "team-a"], operator);
    expect(nothing.code).toBe(EXIT_USAGE);

    const other = await dyna(
      ["teams", "set", "team-b", "--notify", "email:b@example.com"],
      operator,
    );
    expect(other.code).toBe(EXIT_UNREACHABLE);
    expect(other.err).toContain("PERMISSION_DENIED");
    expect(other.err).toContain("it lacks the right to set the notification routes of team-b");
  });
});
