import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ControlService, WatchEventsResponse } from "@cordyna/contract";
import type { Logger } from "pino";
import type { AccessControl } from "../access/access-control.js";
import { CordynaError, type ErrorCode } from "../domain/errors.js";
import type { OpenStreams } from "../metrics/open-streams.js";
import { principalOf } from "./authentication.js";
import { peerOf, resetCall } from "./call-context.js";
import type { Caller, ControlApi } from "./control-api.js";
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
    listServers: unary(api.listServers),
    forgetServer: unary(api.forgetServer),
    getGraph: unary(api.getGraph),
    async *watchEvents(request, context) {
      const outbound = new Outbound<WatchEventsResponse>(
        { maxBufferedBytes: watchBufferBytes, sizeOf: eventSize, what: "the event stream" },
        (error) => {
          logger.warn({ runId: request.runId || undefined }, error.rawMessage);
          stop();
          resetCall(context);
        },
      );
      const stop = api.watchEvents(request, (response) => outbound.push(response));
      // A revoked or expired credential ends the watch it opened at once.
      const stopWatchingCredential = access.onRevoked(principalOf(context), (reason) =>
        outbound.end(new ConnectError(reason, Code.Unauthenticated)),
      );
      const closeStream = streams?.open("watch-events", outbound);
      try {
        yield* outbound.messages(context.signal);
      } finally {
        closeStream?.();
        stopWatchingCredential();
        stop();
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
function eventSize(response: WatchEventsResponse): number {
  const event = response.event;
  if (!event) return 16;
  return 96 + event.message.length + event.detail.length + event.runId.length + event.taskId.length;
}
