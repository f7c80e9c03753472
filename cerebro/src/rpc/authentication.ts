import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { AccessService, ControlService, TaskServerService } from "@cordyna/contract";
import type { AccessControl } from "../access/access-control.js";
import { type Action, decideRole } from "../access/policy.js";
import type { Principal } from "../access/principal.js";
import { CordynaError } from "../domain/errors.js";
import { peerOf } from "./call-context.js";

const PRINCIPAL = createContextKey<Principal | undefined>(undefined);

/**
 * The principal cerebro took the caller for. Every call to cerebro's own
 * services passes the authentication interceptor first; a handler reached
 * without one is a bug, refused rather than trusted.
 */
export function principalOf(context: Pick<HandlerContext, "values">): Principal {
  const principal = context.values.get(PRINCIPAL);
  if (!principal) throw new ConnectError("the call was not authenticated", Code.Internal);
  return principal;
}

/**
 * What a method asks for at least, whatever its request says: the role gate
 * every call passes before its handler, which checks the rest (whose tasks,
 * which server name). Methods not listed are for admins only.
 */
const METHOD_ACTIONS: Readonly<Record<string, Action["kind"]>> = {
  [`${TaskServerService.typeName}/Connect`]: "serve",
  [`${ControlService.typeName}/StartRun`]: "start-run",
  [`${ControlService.typeName}/CancelRun`]: "cancel-run",
  [`${ControlService.typeName}/GetRun`]: "read",
  [`${ControlService.typeName}/ListRuns`]: "read",
  [`${ControlService.typeName}/ListTasks`]: "read",
  [`${ControlService.typeName}/GetCandidate`]: "read",
  [`${ControlService.typeName}/ListServers`]: "read",
  [`${ControlService.typeName}/GetGraph`]: "read",
  [`${ControlService.typeName}/WatchEvents`]: "read",
  [`${ControlService.typeName}/GetTaskRunLogs`]: "read",
  [`${ControlService.typeName}/FollowTaskRunLogs`]: "read",
  [`${ControlService.typeName}/ListTaskRuns`]: "read",
  [`${ControlService.typeName}/ForgetServer`]: "administer",
  [`${ControlService.typeName}/ListTeams`]: "read",
  [`${ControlService.typeName}/SetTeamNotifications`]: "set-routes",
  [`${AccessService.typeName}/ListAudit`]: "read-audit",
  [`${AccessService.typeName}/WhoAmI`]: "who-am-i",
};

/** Services anyone may call: health checks (load balancers) and reflection (grpcurl list). */
const OPEN_SERVICES = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

/**
 * Authenticates every call to cerebro's services and lets through only the
 * roles its method is for; refusals are audited. The principal reaches the
 * handlers through principalOf.
 */
export function authenticateCalls(access: AccessControl): Interceptor {
  return (next) => async (request) => {
    if (OPEN_SERVICES.has(request.service.typeName)) return next(request);
    const method = `${request.service.typeName}/${request.method.name}`;
    const { address, certificate } = peerOf({ values: request.contextValues });
    const call = { action: shortName(method), target: "", peer: address };
    let principal: Principal;
    try {
      principal = access.authenticate(request.header.get("authorization"), certificate);
    } catch (error) {
      const refusal = CordynaError.from(error);
      await access.audit(undefined, call, { code: refusal.code, message: refusal.rawMessage });
      throw new ConnectError(refusal.rawMessage, Code.Unauthenticated);
    }
    const decision = decideRole(principal, METHOD_ACTIONS[method] ?? "administer");
    if (!decision.allowed) {
      const message = `${principal.name} may not call ${call.action}: it lacks ${decision.lacks}`;
      await access.audit(principal, call, { code: "PERMISSION_DENIED", message });
      throw new ConnectError(message, Code.PermissionDenied);
    }
    request.contextValues.set(PRINCIPAL, principal);
    return next(request);
  };
}

/** "cordyna.v1.ControlService/StartRun" → "ControlService/StartRun". */
function shortName(method: string): string {
  return method.replace(/^cordyna\.v1\./, "");
}
