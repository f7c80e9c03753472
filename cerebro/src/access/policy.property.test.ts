// Random principals and calls against the README's table of who may do what.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Action, decide } from "./policy.js";
import { type Principal, ROLES, type Role } from "./principal.js";

/** How a role may take an action of a kind, as the README's table says. */
type Rule = "yes" | "no" | "own team" | "own server";

const TABLE: Record<Role, Record<Action["kind"], Rule>> = {
  server: {
    read: "no",
    serve: "own server",
    declare: "own team",
    "start-run": "no",
    "cancel-run": "no",
    "set-routes": "no",
    "read-audit": "no",
    administer: "no",
    "who-am-i": "yes",
  },
  viewer: {
    read: "yes",
    serve: "no",
    declare: "no",
    "start-run": "no",
    "cancel-run": "no",
    "set-routes": "no",
    "read-audit": "own team",
    administer: "no",
    "who-am-i": "yes",
  },
  operator: {
    read: "yes",
    serve: "no",
    declare: "no",
    "start-run": "own team",
    "cancel-run": "own team",
    "set-routes": "own team",
    "read-audit": "own team",
    administer: "no",
    "who-am-i": "yes",
  },
  admin: {
    read: "yes",
    serve: "yes",
    declare: "yes",
    "start-run": "yes",
    "cancel-run": "yes",
    "set-routes": "yes",
    "read-audit": "yes",
    administer: "yes",
    "who-am-i": "yes",
  },
};

const teams = fc.constantFrom("team-a", "team-b", "team-c");
const servers = fc.constantFrom("server-a", "server-b", "server-c");

const principals: fc.Arbitrary<Principal> = fc.record({
  name: fc.constant("someone"),
  team: teams,
  role: fc.constantFrom(...ROLES),
  serverNames: fc.uniqueArray(servers, { maxLength: 3 }),
  authenticated: fc.boolean(),
});

const actions: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ kind: "read" as const }),
  servers.map((serverName) => ({ kind: "serve" as const, serverName })),
  fc.array(teams, { maxLength: 4 }).map((t) => ({ kind: "declare" as const, teams: t })),
  fc.array(teams, { maxLength: 4 }).map((t) => ({ kind: "start-run" as const, targetTeams: t })),
  fc.array(teams, { maxLength: 4 }).map((t) => ({ kind: "cancel-run" as const, targetTeams: t })),
  teams.map((team) => ({ kind: "set-routes" as const, team })),
  fc.oneof(teams, fc.constant("")).map((team) => ({ kind: "read-audit" as const, team })),
  fc.constant({ kind: "administer" as const }),
  fc.constant({ kind: "who-am-i" as const }),
);

/** The teams an action concerns. */
function teamsOf(action: Action): readonly string[] {
  switch (action.kind) {
    case "declare":
      return action.teams;
    case "start-run":
    case "cancel-run":
      return action.targetTeams;
    case "set-routes":
    case "read-audit":
      return [action.team];
    default:
      return [];
  }
}

function allowedByTable(principal: Principal, action: Action): boolean {
  switch (TABLE[principal.role][action.kind]) {
    case "yes":
      return true;
    case "no":
      return false;
    case "own team":
      return teamsOf(action).every((team) => team === principal.team);
    case "own server":
      return action.kind === "serve" && principal.serverNames.includes(action.serverName);
  }
}

describe("who may do what", () => {
  it("decides every call as the table says, and names what a refused principal lacks", () => {
    fc.assert(
      fc.property(principals, actions, (principal, action) => {
        const decision = decide(principal, action);
        expect(decision.allowed).toBe(allowedByTable(principal, action));
        if (!decision.allowed) expect(decision.lacks).not.toBe("");
      }),
      { numRuns: 5_000 },
    );
  });
});
