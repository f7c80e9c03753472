// Teams and where they are told: ListTeams and SetTeamNotifications.

import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import {
  type ListTeamsResponse,
  ListTeamsResponseSchema,
  type NotificationRoute,
  NotificationRouteSchema,
  type SetTeamNotificationsRequest,
  type SetTeamNotificationsResponse,
  SetTeamNotificationsResponseSchema,
  type TeamInfo,
  TeamInfoSchema,
} from "@cordyna/contract";
import type { AccessControl } from "../access/access-control.js";
import { CordynaError, ErrorCode } from "../domain/errors.js";
import type { TaskGraph } from "../graph/task-graph.js";
import type { Route } from "../notify/notification.js";
import {
  formatRoute,
  isEmailAddress,
  MAX_TEAM_ROUTES,
  type StoredRoute,
} from "../notify/routes.js";
import type { NotificationStore } from "../store/notification-store.js";
import type { Caller } from "./control-api.js";

/** Bytes of a webhook route's signing secret. */
const WEBHOOK_SECRET_BYTES = 32;

export interface TeamsApi {
  setTeamNotifications(
    request: SetTeamNotificationsRequest,
    caller: Caller,
  ): Promise<SetTeamNotificationsResponse>;
  listTeams(): Promise<ListTeamsResponse>;
}

export function teamsApi(options: {
  readonly graph: TaskGraph;
  readonly notifications: NotificationStore;
  readonly access: AccessControl;
}): TeamsApi {
  const { graph, notifications, access } = options;

  /** The team's declared tasks: their ids and contacts. */
  function tasksOf(team: string) {
    const tasks = graph.all().filter(({ definition }) => definition.owner.team === team);
    return {
      taskIds: tasks.map(({ definition }) => definition.id).sort(),
      contacts: [...new Set(tasks.map(({ definition }) => definition.owner.contact))]
        .filter((contact) => contact !== "")
        .sort(),
    };
  }

  function teamInfo(team: string, routes: readonly StoredRoute[], shown: "whole" | "listed") {
    const { taskIds, contacts } = tasksOf(team);
    return create(TeamInfoSchema, {
      team,
      routes: routes.map(({ route }) => routeToProto(route, shown)),
      defaultRoutes:
        routes.length > 0
          ? []
          : contacts
              .filter(isEmailAddress)
              .map((address) => routeToProto({ kind: "email", address }, shown)),
      contacts,
      taskIds,
    });
  }

  return {
    async setTeamNotifications(request, caller) {
      const { team } = request;
      const given = dedupe(request.routes.map(routeFromProto));
      const call = {
        action: "ControlService/SetTeamNotifications",
        target: `${team}: ${request.clear ? "clear, " : ""}add ${given.map((route) => formatRoute(listed(route))).join(", ") || "nothing"}`,
        peer: caller.peer,
      };
      await access.require(caller.principal, { kind: "set-routes", team }, call);
      const current = request.clear ? [] : await notifications.getRoutes(team);
      const kept = new Set(current.map(({ route }) => formatRoute(route)));
      const added: StoredRoute[] = given
        .filter((route) => !kept.has(formatRoute(route)))
        .map((route) =>
          route.kind === "webhook"
            ? { route, secret: randomBytes(WEBHOOK_SECRET_BYTES).toString("hex") }
            : { route },
        );
      const routes = [...current, ...added];
      if (routes.length > MAX_TEAM_ROUTES) {
        throw new CordynaError(
          ErrorCode.FAILED_PRECONDITION,
          `team ${team} would have ${routes.length} routes (it has ${current.length}, ${added.length} new): at most ${MAX_TEAM_ROUTES}; remove some with clear (dyna teams set --clear)`,
        );
      }
      await notifications.setRoutes(team, routes);
      await access.audit(caller.principal, call);
      return create(SetTeamNotificationsResponseSchema, {
        team: teamInfo(team, routes, "whole"),
        newSecrets: added.flatMap(({ route, secret }) =>
          route.kind === "webhook" && secret ? [{ webhookUrl: route.url, secret }] : [],
        ),
      });
    },

    async listTeams() {
      const withRoutes = new Map(
        (await notifications.listRoutes()).map(({ team, routes }) => [team, routes]),
      );
      const teams = new Set([
        ...graph.all().map(({ definition }) => definition.owner.team),
        ...withRoutes.keys(),
      ]);
      return create(ListTeamsResponseSchema, {
        teams: [...teams]
          .filter((team) => team !== "")
          .sort()
          .map((team): TeamInfo => teamInfo(team, withRoutes.get(team) ?? [], "listed")),
      });
    },
  };
}

/**
 * A route as anyone who may read may see it: a Slack incoming webhook's URL
 * is its only secret (whoever has it may post to the channel), so only its
 * origin is shown. A webhook's URL is not: its requests are signed.
 */
function listed(route: Route): Route {
  return route.kind === "slack" ? { kind: "slack", url: `${new URL(route.url).origin}/…` } : route;
}

function routeToProto(route: Route, shown: "whole" | "listed"): NotificationRoute {
  const visible = shown === "whole" ? route : listed(route);
  return create(NotificationRouteSchema, {
    target:
      visible.kind === "email"
        ? { case: "emailAddress", value: visible.address }
        : visible.kind === "slack"
          ? { case: "slackUrl", value: visible.url }
          : { case: "webhookUrl", value: visible.url },
  });
}

function routeFromProto(route: NotificationRoute): Route {
  switch (route.target.case) {
    case "webhookUrl":
      return { kind: "webhook", url: route.target.value };
    case "slackUrl":
      return { kind: "slack", url: route.target.value };
    case "emailAddress":
      return { kind: "email", address: route.target.value };
    default:
      // The contract requires one; a request reaching here without is a bug.
      throw new CordynaError(
        ErrorCode.INVALID_ARGUMENT,
        "a route needs a webhook, Slack or email target",
      );
  }
}

/** The routes in order, each once. */
function dedupe(routes: readonly Route[]): Route[] {
  const seen = new Set<string>();
  return routes.filter((route) => {
    const key = formatRoute(route);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
