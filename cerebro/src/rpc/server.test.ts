import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { occupyPort } from "../testing/ports.js";
import { type ListeningServer, listen } from "./server.js";

// The services cerebro takes from grpc-js (health, reflection) reach it
// through our HTTP/2 server, relayed in process: these tests call them as
// probes and grpcurl do, with a grpc-js client.

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

const noHandlers = new Proxy({}, { get: () => () => {} });
let server: ListeningServer;
let health: HealthClient;

beforeEach(async () => {
  server = await listen(
    { taskServer: noHandlers, control: noHandlers },
    "127.0.0.1",
    0,
    pino({ level: "silent" }),
  );
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

describe("health and unknown methods, relayed to grpc-js", () => {
  it("answers a health check for the server and for each of our services", async () => {
    expect(await check("")).toBe("SERVING");
    expect(await check("cordyna.v1.ControlService")).toBe("SERVING");
    expect(await check("cordyna.v1.TaskServerService")).toBe("SERVING");
  });

  it("relays a status other than OK", async () => {
    await expect(check("no.such.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("relays a server stream message by message, and the client's cancel", async () => {
    const watch = health.watch({ service: "" });
    const first = await new Promise<{ status: string }>((resolve) => watch.once("data", resolve));
    expect(first.status).toBe("SERVING");
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
    expect(error?.details).toContain("/no.such.Service/Nothing");
  });
});

describe("a port it cannot listen on", () => {
  it("names the port and the listener when the port is taken", async () => {
    const taken = await occupyPort();
    try {
      await expect(
        listen(
          { taskServer: noHandlers, control: noHandlers },
          "127.0.0.1",
          taken.port,
          pino({ level: "silent" }),
        ),
      ).rejects.toThrow(`port ${taken.port} (gRPC) is already in use`);
    } finally {
      await taken.release();
    }
  });

  it("names the port, the host and the listener for any other failure", async () => {
    // 192.0.2.1 is reserved for documentation: no machine has it.
    await expect(
      listen(
        { taskServer: noHandlers, control: noHandlers },
        "192.0.2.1",
        7070,
        pino({ level: "silent" }),
      ),
    ).rejects.toThrow(
      /^could not listen on port 7070 of 192\.0\.2\.1 \(gRPC\): listen EADDRNOTAVAIL/,
    );
  });
});
