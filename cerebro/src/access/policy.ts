// Who may do what: the one place cerebro decides it. Pure, so that a
// property test can hold it against the table in the README.

import type { Principal, Role } from "./principal.js";

/** Something a principal asks to do, with what the decision depends on. */
export type Action =
  /** Read runs, tasks, servers, the graph, events. */
  | { readonly kind: "read" }
  /** Say hello as a server name. */
  | { readonly kind: "serve"; readonly serverName: string }
  /** Declare tasks owned by these teams (hello or redeclare). */
  | { readonly kind: "declare"; readonly teams: readonly string[] }
  /** Start a run whose targets are owned by these teams (downstream tasks do not count). */
  | { readonly kind: "start-run"; readonly targetTeams: readonly string[] }
  /** Cancel a run whose targets are owned by these teams. */
  | { readonly kind: "cancel-run"; readonly targetTeams: readonly string[] }
  /** Set where a team is told of its tasks (its notification routes). */
  | { readonly kind: "set-routes"; readonly team: string }
  /** Read the audit trail of a team ("" for every team's). */
  | { readonly kind: "read-audit"; readonly team: string }
  /** Create, list or revoke credentials; forget server names. */
  | { readonly kind: "administer" }
  /** Ask cerebro who it takes the caller for. */
  | { readonly kind: "who-am-i" };

export type Decision =
  | { readonly allowed: true }
  | {
      readonly allowed: false /** What the principal lacked, for the refusal. */;
      readonly lacks: string;
    };

const ALLOWED: Decision = { allowed: true };

function refused(lacks: string): Decision {
  return { allowed: false, lacks };
}

/** The roles that may ask for an action of this kind at all. */
const ROLES_BY_KIND: Record<Action["kind"], readonly Role[]> = {
  read: ["viewer", "operator", "admin"],
  serve: ["server", "admin"],
  declare: ["server", "admin"],
  "start-run": ["operator", "admin"],
  "cancel-run": ["operator", "admin"],
  "set-routes": ["operator", "admin"],
  "read-audit": ["viewer", "operator", "admin"],
  administer: ["admin"],
  "who-am-i": ["server", "viewer", "operator", "admin"],
};

/**
 * Whether the principal's role may ask for actions of this kind at all: the
 * gate in front of every call, before the handler knows whose tasks it
 * concerns.
 */
export function decideRole(principal: Principal, kind: Action["kind"]): Decision {
  const roles = ROLES_BY_KIND[kind];
  return roles.includes(principal.role)
    ? ALLOWED
    : refused(`the ${roles.join(" or ")} role (it is ${principal.role})`);
}

/** Whether the principal may take the action, and if not, what it lacks. */
export function decide(principal: Principal, action: Action): Decision {
  const byRole = decideRole(principal, action.kind);
  if (!byRole.allowed || principal.role === "admin") return byRole;
  switch (action.kind) {
    case "serve":
      return principal.serverNames.includes(action.serverName)
        ? ALLOWED
        : refused(
            `the right to serve ${action.serverName} (its credential names ${principal.serverNames.join(", ") || "no server"})`,
          );
    case "declare":
      return ownTeamOnly(principal, action.teams, "declare tasks owned by");
    case "start-run":
    case "cancel-run":
      return ownTeamOnly(principal, action.targetTeams, "run targets owned by");
    case "set-routes":
      return ownTeamOnly(principal, [action.team], "set the notification routes of");
    case "read-audit":
      return action.team === principal.team
        ? ALLOWED
        : refused(`the admin role to read the audit trail of ${action.team || "every team"}`);
    default:
      return ALLOWED;
  }
}

function ownTeamOnly(principal: Principal, teams: readonly string[], what: string): Decision {
  const others = [...new Set(teams.filter((team) => team !== principal.team))].sort();
  return others.length === 0
    ? ALLOWED
    : refused(`the right to ${what} ${others.join(", ")} (it acts for team ${principal.team})`);
}

/** Names what a refused principal asked for, e.g. "start this run". */
export function describeAction(action: Action): string {
  return action.kind === "serve" ? `serve ${action.serverName}` : ACTION_NAMES[action.kind];
}

const ACTION_NAMES: Record<Action["kind"], string> = {
  read: "read runs, tasks and servers",
  serve: "serve",
  declare: "declare these tasks",
  "start-run": "start this run",
  "cancel-run": "cancel this run",
  "set-routes": "set this team's notification routes",
  "read-audit": "read this audit trail",
  administer: "administer cerebro",
  "who-am-i": "ask who it is",
};
