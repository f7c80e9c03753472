import type { WatchEventsRequest, WatchEventsResponse } from "@cordyna/contract";
import {
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import { CordynaError, type ErrorCode } from "../domain/errors.js";
import type { ControlApi } from "./control-api.js";

const GRPC_CODES: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** The ControlService over gRPC (grpc-js): what the CLI, grpcurl and CI jobs call. */
export function controlService(api: ControlApi, logger: Logger): UntypedServiceImplementation {
  /** Domain errors become gRPC statuses with their message. */
  function unary<Request, Response>(handler: (request: Request) => Promise<Response>) {
    return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => {
      handler(call.request).then(
        (response) => callback(null, response),
        (reason: unknown) => {
          const error = CordynaError.from(reason);
          if (error.code === "INTERNAL") logger.error({ err: reason }, "control call failed");
          callback({ code: GRPC_CODES[error.code], details: error.rawMessage });
        },
      );
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
    watchEvents(call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>) {
      const stop = api.watchEvents(call.request, (response) => call.write(response));
      call.on("cancelled", stop);
      call.on("close", stop);
      call.on("error", stop);
    },
  };
}
