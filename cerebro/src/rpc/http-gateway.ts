import { createServer } from "node:http";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ControlService, type WatchEventsResponse } from "@cordyna/contract";
import type { Logger } from "pino";
import { CordynaError, type ErrorCode } from "../domain/errors.js";
import type { ControlApi } from "./control-api.js";
import { type ListeningServer, listenFailure } from "./server.js";

const CONNECT_CODES: Record<ErrorCode, Code> = {
  INVALID_ARGUMENT: Code.InvalidArgument,
  NOT_FOUND: Code.NotFound,
  ALREADY_EXISTS: Code.AlreadyExists,
  FAILED_PRECONDITION: Code.FailedPrecondition,
  UNAVAILABLE: Code.Unavailable,
  INTERNAL: Code.Internal,
};

/**
 * The ControlService over plain HTTP with JSON (the Connect protocol), for
 * curl and anything else that speaks HTTP/1.1: `POST /cordyna.v1.ControlService/StartRun`
 * with a JSON body; the read-only methods also answer GET.
 */
export async function listenHttp(
  api: ControlApi,
  host: string,
  port: number,
  logger: Logger,
): Promise<ListeningServer> {
  const call =
    <Request, Response>(method: (request: Request) => Promise<Response>) =>
    async (request: Request): Promise<Response> => {
      try {
        return await method(request);
      } catch (reason) {
        const error = CordynaError.from(reason);
        if (error.code === "INTERNAL") logger.error({ err: reason }, "control call failed");
        throw new ConnectError(error.rawMessage, CONNECT_CODES[error.code]);
      }
    };
  const implementation: ServiceImpl<typeof ControlService> = {
    startRun: call(api.startRun),
    getRun: call(api.getRun),
    listRuns: call(api.listRuns),
    cancelRun: call(api.cancelRun),
    listTasks: call(api.listTasks),
    listServers: call(api.listServers),
    getGraph: call(api.getGraph),
    async *watchEvents(request, context) {
      const pending: WatchEventsResponse[] = [];
      let wake: (() => void) | undefined;
      const stop = api.watchEvents(request, (response) => {
        pending.push(response);
        wake?.();
      });
      const aborted = new Promise<void>((resolve) =>
        context.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      try {
        while (!context.signal.aborted) {
          const next = pending.shift();
          if (next) {
            yield next;
            continue;
          }
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
        }
      } finally {
        stop();
      }
    },
  };
  const server = createServer(
    connectNodeAdapter({ routes: (router) => router.service(ControlService, implementation) }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(listenFailure(error, "HTTP/JSON gateway", host, port)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
