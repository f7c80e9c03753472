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
    throw error;
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
