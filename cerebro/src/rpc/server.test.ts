import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient, type ServiceImpl } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { AccessService, ControlService, TaskServerService } from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { occupyPort } from "../testing/ports.js";
import { cerebroRoutes } from "./routes.js";
import { type ListeningServer, serve } from "./server.js";
import { ReflectionServices } from "./standard-services.js";

interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
  watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
}

const HealthClientConstructor = grpc.makeGenericClientConstructor(
  healthService as grpc.ServiceDefinition,
  "Health",
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => HealthClient;

let server: ListeningServer;
let health: HealthClient;
let routes: ReturnType<typeof cerebroRoutes>;

/** Cerebro's routes with handlers that are never called here. */
function idleRoutes() {
  return cerebroRoutes({
    taskServer: {} as ServiceImpl<typeof TaskServerService>,
    control: {} as ServiceImpl<typeof ControlService>,
    access: {} as ServiceImpl<typeof AccessService>,
  });
}

beforeEach(async () => {
  routes = idleRoutes();
  server = await serve({
    routes: routes.routes,
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
  });
  health = new HealthClientConstructor(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
  );
});

afterEach(async () => {
  health.close();
  await server.stop();
});

function check(service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    health.check({ service }, (error, response) =>
      error ? reject(error) : resolve(response!.status),
    ),
  );
}

describe("the standard health service, as probes call it (grpc-js)", () => {
  it("answers a health check for the server and for each of our services", async () => {
    expect(await check("")).toBe("SERVING");
    expect(await check("cordyna.v1.ControlService")).toBe("SERVING");
    expect(await check("cordyna.v1.TaskServerService")).toBe("SERVING");
  });

  it("answers NOT_FOUND for a service it does not know", async () => {
    await expect(check("no.such.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("streams a watched status as it changes, and ends on the client's cancel", async () => {
    const watch = health.watch({ service: "" });
    const statuses: string[] = [];
    const seen = (count: number) =>
      new Promise<void>((resolve) => {
        const listener = (message: { status: string }) => {
          statuses.push(message.status);
          if (statuses.length >= count) {
            watch.off("data", listener);
            resolve();
          }
        };
        watch.on("data", listener);
      });
    await seen(1);
    routes.health.stopServing();
    await seen(2);
    expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);
    const ended = new Promise<grpc.StatusObject>((resolve) => watch.once("status", resolve));
    watch.on("error", () => {});
    watch.cancel();
    expect((await ended).code).toBe(grpc.status.CANCELLED);
  });

  it("answers UNIMPLEMENTED for a method nobody serves", async () => {
    const Client = grpc.makeGenericClientConstructor(
      {
        nothing: {
          path: "/no.such.Service/Nothing",
          requestStream: false,
          responseStream: false,
          requestSerialize: (bytes: Buffer) => bytes,
          requestDeserialize: (bytes: Buffer) => bytes,
          responseSerialize: (bytes: Buffer) => bytes,
          responseDeserialize: (bytes: Buffer) => bytes,
        },
      },
      "Nothing",
    );
    const client = new Client(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      nothing(request: Buffer, callback: (error: grpc.ServiceError | null) => void): void;
    };
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.nothing(Buffer.alloc(0), resolve),
    );
    client.close();
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe("server reflection", () => {
  it("lists every service and returns the file that defines a symbol, with its imports", async () => {
    const [reflection] = ReflectionServices;
    const client = createClient(
      reflection!,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }),
    ) as unknown as {
      serverReflectionInfo(
        requests: AsyncIterable<Record<string, unknown>>,
      ): AsyncIterable<{ messageResponse: { case: string; value: Record<string, unknown> } }>;
    };
    async function* ask() {
      yield { host: "", messageRequest: { case: "listServices", value: "" } };
      yield {
        host: "",
        messageRequest: {
          case: "fileContainingSymbol",
          value: "cordyna.v1.ControlService.StartRun",
        },
      };
      yield { host: "", messageRequest: { case: "fileContainingSymbol", value: "no.Such" } };
    }
    const answers = [];
    for await (const answer of client.serverReflectionInfo(ask())) answers.push(answer);

    expect(answers).toHaveLength(3);
    const [listed, found, missing] = answers as [
      (typeof answers)[0],
      (typeof answers)[0],
      (typeof answers)[0],
    ];
    const services = (listed.messageResponse.value.service as { name: string }[]).map(
      (service) => service.name,
    );
    expect(services).toEqual([
      "cordyna.v1.TaskServerService",
      "cordyna.v1.ControlService",
      "cordyna.v1.AccessService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
    const files = (found.messageResponse.value.fileDescriptorProto as Uint8Array[]).map(
      (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
    );
    expect(files).toContain("cordyna/v1/control.proto");
    expect(files).toContain("google/protobuf/timestamp.proto");
    expect(missing.messageResponse).toMatchObject({
      case: "errorResponse",
      value: { errorCode: 5, errorMessage: "symbol no.Such not found" },
    });
  });
});

describe("a port it cannot listen on", () => {
  it("names the port and the listener when the port is taken", async () => {
    const taken = await occupyPort();
    try {
      await expect(
        serve({
          routes: idleRoutes().routes,
          host: "127.0.0.1",
          port: taken.port,
          logger: pino({ level: "silent" }),
        }),
      ).rejects.toThrow(`port ${taken.port} (gRPC) is already in use`);
    } finally {
      await taken.release();
    }
  });

  it("names the port, the host and the listener for any other failure", async () => {
    // 192.0.2.1 is reserved for documentation: no machine has it.
    await expect(
      serve({
        routes: idleRoutes().routes,
        host: "192.0.2.1",
        port: 7070,
        logger: pino({ level: "silent" }),
      }),
    ).rejects.toThrow(
      /^could not listen on port 7070 of 192\.0\.2\.1 \(gRPC\): listen EADDRNOTAVAIL/,
    );
  });
});
