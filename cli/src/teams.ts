// dyna teams: every team with where it is told; dyna teams set: its routes.

import {
  ListTeamsResponseSchema,
  type NotificationRoute,
  SetTeamNotificationsResponseSchema,
  type TeamInfo,
} from "@cordyna/contract";
import { expectPositionals, type OptionsConfig, parseCommandArgs, UsageError } from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import { renderJson, renderTable } from "./render.js";
import { closeMatches, didYouMean } from "./suggest.js";

/** The flags of `dyna teams` (the common ones come on top). */
export const TEAMS_FLAGS = {
  notify: { type: "string", multiple: true },
  clear: { type: "boolean" },
} as const satisfies OptionsConfig;

/** The kinds a --notify route may be, as `kind:target`. */
const ROUTE_KINDS = {
  webhook: "webhookUrl",
  slack: "slackUrl",
  email: "emailAddress",
} as const;

/** `dyna teams` and `dyna teams set <team> --notify kind:target… [--clear]`. */
export async function teamsCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("teams", args, TEAMS_FLAGS);
  if (values.help) return printHelp(ctx.io, "teams");
  const client = () => ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  if (positionals[0] === "set") {
    expectPositionals("teams", positionals, 2, 2, "set <team>");
    const routes = (values.notify ?? []).map(parseRoute);
    if (routes.length === 0 && !values.clear) {
      throw new UsageError("give --notify kind:target (or --clear to remove every route)", "teams");
    }
    const set = await client().setTeamNotifications(
      { team: positionals[1] ?? "", routes, clear: values.clear ?? false },
      { timeoutMs: UNARY_TIMEOUT_MS },
    );
    if (values.json) {
      ctx.io.out(renderJson(SetTeamNotificationsResponseSchema, set));
      return EXIT_OK;
    }
    const now = set.team?.routes.map(formatRoute) ?? [];
    ctx.io.out(`Team ${set.team?.team} is told at: ${now.join(", ") || "no route (its contacts)"}`);
    for (const { webhookUrl, secret } of set.newSecrets) ctx.io.out(`${webhookUrl}  ${secret}`);
    if (set.newSecrets.length > 0) {
      ctx.io.err(
        "The signing secrets above are shown this once: keep them where the receivers check x-cordyna-signature.",
      );
    }
    return EXIT_OK;
  }
  expectPositionals("teams", positionals, 0, 0, "");
  const listed = await client().listTeams({}, { timeoutMs: UNARY_TIMEOUT_MS });
  if (values.json) ctx.io.out(renderJson(ListTeamsResponseSchema, listed));
  else if (listed.teams.length === 0) ctx.io.out("No teams.");
  else ctx.io.out(renderTeamsTable(listed.teams));
  return EXIT_OK;
}

/** `kind:target` as a route; a usage error says what kinds there are. */
function parseRoute(text: string): NotificationRoute {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  const target = colon < 0 ? "" : text.slice(colon + 1);
  const kinds = Object.keys(ROUTE_KINDS);
  if (!Object.hasOwn(ROUTE_KINDS, kind)) {
    throw new UsageError(
      `--notify ${text}: expected webhook:<URL>, slack:<URL> or email:<address>${didYouMean(closeMatches(kind, kinds).map((k) => `${k}:${target}`))}`,
      "teams",
    );
  }
  if (target === "")
    throw new UsageError(`--notify ${text}: the ${kind} route needs a target`, "teams");
  return {
    target: { case: ROUTE_KINDS[kind as keyof typeof ROUTE_KINDS], value: target },
  } as NotificationRoute;
}

function formatRoute(route: NotificationRoute): string {
  switch (route.target.case) {
    case "webhookUrl":
      return `webhook:${route.target.value}`;
    case "slackUrl":
      return `slack:${route.target.value}`;
    case "emailAddress":
      return `email:${route.target.value}`;
    default:
      return "?";
  }
}

/** One row per team: its routes, where it is told without any, its tasks' contacts. */
export function renderTeamsTable(teams: readonly TeamInfo[]): string {
  return renderTable(
    ["TEAM", "ROUTES", "DEFAULT ROUTE", "CONTACTS"],
    teams.map((team) => [
      team.team,
      team.routes.map(formatRoute).join(", ") || "-",
      team.defaultRoutes.map(formatRoute).join(", ") || "-",
      team.contacts.join(", ") || "-",
    ]),
  );
}
