import { ControlService, TaskServerService } from "@cordyna/contract";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import { GrpcJsFallback } from "./grpc-js-fallback.js";
import { GrpcServer, type ServiceHandlers } from "./grpc-server.js";
import { createReflectionService } from "./reflection.js";

export interface GrpcServerHandlers {
  readonly taskServer: ServiceHandlers;
  readonly control: ServiceHandlers;
}

/** A listening gRPC server and how to stop it. */
export interface ListeningServer {
  readonly port: number;
  /** Stops accepting, ends open streams, and resolves once closed. */
  stop(): Promise<void>;
}

/** How long open streams get to end once the server stops, before they are cut. */
const STOP_GRACE_MS = 1_000;

/**
 * The error to report when a listener of cerebro could not bind its port:
 * node's own message says neither which listener it was nor, for a taken
 * port, what to do, and operators look for the port number.
 */
export function listenFailure(error: unknown, listener: string, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message =
    code === "EADDRINUSE"
      ? `port ${port} (${listener}) is already in use`
      : `could not listen on port ${port} of ${host} (${listener}): ${error instanceof Error ? error.message : String(error)}`;
  return new Error(message, { cause: error });
}

/**
 * Serves the TaskServerService and the ControlService, plus the standard
 * health service and server reflection so that `grpcurl -plaintext host:port
 * list` works without proto files.
 */
export async function listen(
  handlers: GrpcServerHandlers,
  host: string,
  port: number,
  logger: Logger,
): Promise<ListeningServer> {
  const health = new HealthImplementation({
    "": "SERVING",
    [TaskServerService.typeName]: "SERVING",
    [ControlService.typeName]: "SERVING",
  });
  const fallback = new GrpcJsFallback((server) => {
    health.addToServer(server);
    createReflectionService().addToServer(server);
  });
  const server = new GrpcServer({ logger, fallback: fallback.relay });
  server.addService(TaskServerService, handlers.taskServer);
  server.addService(ControlService, handlers.control);
  let boundPort: number;
  try {
    boundPort = await server.listen(host, port);
  } catch (error) {
    fallback.close();
    throw listenFailure(error, "gRPC", host, port);
  }
  return {
    port: boundPort,
    stop: async () => {
      health.setStatus("", "NOT_SERVING");
      await server.stop(STOP_GRACE_MS);
      fallback.close();
    },
  };
}
