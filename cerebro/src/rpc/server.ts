import { ControlService, grpcServiceDefinition, TaskServerService } from "@cordyna/contract";
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { createReflectionService } from "./reflection.js";

/** Keepalive that task-servers may use without being told "too many pings". */
const SERVER_CHANNEL_OPTIONS = {
  "grpc.keepalive_time_ms": 20_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 5_000,
  "grpc.http2.max_pings_without_data": 0,
};

export interface GrpcServerHandlers {
  readonly taskServer: UntypedServiceImplementation;
  readonly control: UntypedServiceImplementation;
}

/** A listening gRPC server and how to stop it. */
export interface ListeningServer {
  readonly port: number;
  /** Stops accepting, ends open streams, and resolves once closed. */
  stop(): Promise<void>;
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
): Promise<ListeningServer> {
  const server = new Server(SERVER_CHANNEL_OPTIONS);
  server.addService(grpcServiceDefinition(TaskServerService), handlers.taskServer);
  server.addService(grpcServiceDefinition(ControlService), handlers.control);

  const health = new HealthImplementation({
    "": "SERVING",
    [TaskServerService.typeName]: "SERVING",
    [ControlService.typeName]: "SERVING",
  });
  health.addToServer(server);

  createReflectionService().addToServer(server);

  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    port: boundPort,
    stop: () =>
      new Promise<void>((resolve) => {
        health.setStatus("", "NOT_SERVING");
        server.tryShutdown(() => resolve());
        // Long-lived streams never end by themselves: give them a moment, then cut them.
        setTimeout(() => server.forceShutdown(), 1_000).unref();
      }),
  };
}
