import type { WatchEventsRequest, WatchEventsResponse } from "@cordyna/contract";
import { GrpcCode, GrpcStatusError } from "@cordyna/contract";
import type { Logger } from "pino";
import { CordynaError, type ErrorCode } from "../domain/errors.js";
import type { ControlApi } from "./control-api.js";
import type { ServerStreamCall, ServiceHandlers } from "./grpc-server.js";

const GRPC_CODES: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: GrpcCode.INVALID_ARGUMENT,
  NOT_FOUND: GrpcCode.NOT_FOUND,
  ALREADY_EXISTS: GrpcCode.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcCode.FAILED_PRECONDITION,
  UNAVAILABLE: GrpcCode.UNAVAILABLE,
  INTERNAL: GrpcCode.INTERNAL,
};

/** The ControlService over gRPC: what the CLI, grpcurl and CI jobs call. */
export function controlService(api: ControlApi, logger: Logger): ServiceHandlers {
  /** Domain errors become gRPC statuses with their message. */
  function unary<Request, Response>(handler: (request: Request) => Promise<Response>) {
    return async (request: Request): Promise<Response> => {
      try {
        return await handler(request);
      } catch (reason) {
        const error = CordynaError.from(reason);
        if (error.code === "INTERNAL") logger.error({ err: reason }, "control call failed");
        throw new GrpcStatusError(GRPC_CODES[error.code], error.rawMessage);
      }
    };
  }

  return {
    startRun: unary(api.startRun),
    getRun: unary(api.getRun),
    listRuns: unary(api.listRuns),
    cancelRun: unary(api.cancelRun),
    listTasks: unary(api.listTasks),
    listServers: unary(api.listServers),
    getGraph: unary(api.getGraph),
    watchEvents(request: WatchEventsRequest, call: ServerStreamCall) {
      const stop = api.watchEvents(request, (response: WatchEventsResponse) =>
        call.write(response),
      );
      call.onCancel(stop);
    },
  };
}
