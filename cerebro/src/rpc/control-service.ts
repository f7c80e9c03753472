import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ControlService } from "@cordyna/contract";
import type { Logger } from "pino";
import type { AccessControl } from "../access/access-control.js";
import { CordynaError, type ErrorCode } from "../domain/errors.js";
import type { OpenStreams } from "../metrics/open-streams.js";
import type { LoggedEvent } from "../store/event-store.js";
import { principalOf } from "./authentication.js";
import { peerOf, resetCall } from "./call-context.js";
import type { Caller, ControlApi, EventWatch } from "./control-api.js";
import { Outbound } from "./outbound.js";

const CODES: Record<ErrorCode, Code> = {
  INVALID_ARGUMENT: Code.InvalidArgument,
  NOT_FOUND: Code.NotFound,
  ALREADY_EXISTS: Code.AlreadyExists,
  FAILED_PRECONDITION: Code.FailedPrecondition,
  UNAUTHENTICATED: Code.Unauthenticated,
  PERMISSION_DENIED: Code.PermissionDenied,
  RESOURCE_EXHAUSTED: Code.ResourceExhausted,
  UNAVAILABLE: Code.Unavailable,
  INTERNAL: Code.Internal,
};

/** A cerebro error as the status a caller gets, whatever protocol it speaks. */
export function toConnectError(reason: unknown, logger: Logger, what: string): ConnectError {
  if (reason instanceof ConnectError) return reason;
  const error = CordynaError.from(reason);
  if (error.code === "INTERNAL") logger.error({ err: reason }, `${what} failed`);
  return new ConnectError(error.rawMessage, CODES[error.code]);
}

/**
 * The ControlService's handlers: what the CLI, grpcurl, curl and CI jobs
 * call, over gRPC, gRPC-Web and Connect (JSON over HTTP/1.1 or HTTP/2) alike.
 */
export function controlService(
  api: ControlApi,
  access: AccessControl,
  logger: Logger,
  watchBufferBytes: number,
  /** Where open watches are counted (metrics). */
  streams?: OpenStreams,
): ServiceImpl<typeof ControlService> {
  const unary =
    <Request, Response>(method: (request: Request, caller: Caller) => Promise<Response>) =>
    async (request: Request, context: HandlerContext): Promise<Response> => {
      try {
        const traceContext = traceContextOf(context.requestHeader);
        return await method(request, {
          principal: principalOf(context),
          peer: peerOf(context).address,
          ...(traceContext ? { traceContext } : {}),
        });
      } catch (reason) {
        throw toConnectError(reason, logger, "control call");
      }
    };
  return {
    startRun: unary(api.startRun),
    getRun: unary(api.getRun),
    listRuns: unary(api.listRuns),
    cancelRun: unary(api.cancelRun),
    listTasks: unary(api.listTasks),
    getCandidate: unary(api.getCandidate),
    listServers: unary(api.listServers),
    forgetServer: unary(api.forgetServer),
    setTeamNotifications: unary(api.setTeamNotifications),
    listTeams: unary(api.listTeams),
    getGraph: unary(api.getGraph),
    getTaskRunLogs: unary(api.getTaskRunLogs),
    async *followTaskRunLogs(request, context) {
      const stop = new AbortController();
      const onAbort = (): void => stop.abort();
      context.signal.addEventListener("abort", onAbort, { once: true });
      // A revoked or expired credential ends the follow it opened at once.
      let revoked: string | undefined;
      const stopWatchingCredential = access.onRevoked(principalOf(context), (reason) => {
        revoked = reason;
        stop.abort();
      });
      // Pages are read from the store only as the caller takes them: a slow
      // reader holds one page, not a growing buffer.
      const closeStream = streams?.open("follow-logs", { bufferedBytes: 0 });
      try {
        yield* api.followTaskRunLogs(request, stop.signal);
        if (revoked !== undefined) throw new ConnectError(revoked, Code.Unauthenticated);
      } catch (reason) {
        throw toConnectError(reason, logger, "following logs");
      } finally {
        closeStream?.();
        stopWatchingCredential();
        context.signal.removeEventListener("abort", onAbort);
      }
    },
    listTaskRuns: unary(api.listTaskRuns),
    async *watchEvents(request, context) {
      let watch: EventWatch | undefined;
      const live = new Outbound<LoggedEvent>(
        { maxBufferedBytes: watchBufferBytes, sizeOf: eventSize, what: "the event stream" },
        (error) => {
          logger.warn({ runId: request.runId || undefined }, error.rawMessage);
          watch?.stop();
          resetCall(context);
        },
      );
      // A revoked or expired credential ends the watch it opened at once.
      const stopWatchingCredential = access.onRevoked(principalOf(context), (reason) =>
        live.end(new ConnectError(reason, Code.Unauthenticated)),
      );
      const closeStream = streams?.open("watch-events", live);
      try {
        watch = await api.watchEvents(request, live);
        yield* watch.responses(context.signal);
      } catch (reason) {
        throw toConnectError(reason, logger, "event watch");
      } finally {
        closeStream?.();
        stopWatchingCredential();
        watch?.stop();
      }
    },
  };
}

/** The caller's W3C trace context headers, for a run to join the caller's trace. */
function traceContextOf(headers: Headers): Record<string, string> | undefined {
  const traceparent = headers.get("traceparent");
  if (!traceparent) return undefined;
  const tracestate = headers.get("tracestate");
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** An event's size on the wire, about: its texts and some fixed fields. */
function eventSize(event: LoggedEvent): number {
  return (
    128 +
    event.message.length +
    (event.detail?.length ?? 0) +
    (event.runId?.length ?? 0) +
    (event.taskId?.length ?? 0)
  );
}
