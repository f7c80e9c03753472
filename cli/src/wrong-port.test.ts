// dyna pointed at a port that is not cerebro's gRPC port: real listeners on
// free loopback ports, each named for what it is.

import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttp2Server, type Http2Session } from "node:http2";
import type { AddressInfo, Server } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Server as GrpcServer, ServerCredentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../cerebro/src/testing/certificates.js";
import { loopbackCerebros } from "../../cerebro/src/testing/loopback-cerebros.js";
import { freePortPair } from "../../cerebro/src/testing/ports.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const cerebros = loopbackCerebros();
let pki: TestPki;

beforeAll(() => {
  pki = createTestPki();
});

afterAll(() => pki.remove());

/** Listens on a free loopback port until the test ends; its address. */
async function listening(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cerebros.onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function dyna(address: string, args: string[] = ["tasks"]) {
  const io = recordingIo({ CORDYNA_ADDR: address });
  const code = await runCli(args, { io });
  return { code, err: io.stderr.join("\n") };
}

const POINT = "Point --cerebro, CORDYNA_ADDR or the profile's address at cerebro's gRPC port.";

describe("dyna at the wrong port", () => {
  it("a TLS port: says it expects TLS", async () => {
    const server = createTlsServer(
      { cert: pki.read("server.pem"), key: pki.read("server.key") },
      (socket) => socket.end(),
    );
    const address = await listening(server);
    expect(await dyna(address)).toEqual({
      code: 3,
      err:
        `dyna: ${address} expects TLS, but dyna connected without it: set CORDYNA_TLS=on ` +
        "(and CORDYNA_TLS_CA to the CA that signed cerebro's certificate, unless a public CA did), " +
        "or tls = true in the profile.",
    });
  });

  it("cerebro serving TLS: says it expects TLS", async () => {
    const cerebro = await cerebros.start({
      tls: { cert: pki.read("server.pem"), key: pki.read("server.key") },
    });
    const { code, err } = await dyna(cerebro.address);
    expect(code).toBe(3);
    expect(err).toContain(`dyna: ${cerebro.address} expects TLS, but dyna connected without it`);
  });

  it("an HTTP/1.1 server: says it answers HTTP/1.1, not gRPC", async () => {
    const server = createHttpServer((_request, response) => response.end("hello"));
    const address = await listening(server);
    expect(await dyna(address)).toEqual({
      code: 3,
      err:
        `dyna: ${address} answers HTTP/1.1, not gRPC: it is not cerebro's gRPC port ` +
        `(nor its HTTP/JSON port, which would say so). ${POINT}`,
    });
  });

  it("cerebro's HTTP/JSON port: says so and names cerebro's gRPC port", async () => {
    const port = await freePortPair();
    const cerebro = await cerebros.start({ port, httpPort: port + 1 });
    expect(cerebro.address).toBe(`127.0.0.1:${port}`);
    const http = `127.0.0.1:${port + 1}`;
    expect(await dyna(http)).toEqual({
      code: 3,
      err:
        `dyna: ${http} is cerebro's HTTP/JSON port (for curl and browsers), not its gRPC port: ` +
        `cerebro's gRPC port is 127.0.0.1:${port}. ${POINT}`,
    });
  });

  it("cerebro's HTTP/JSON port, with the gRPC port elsewhere: says where it usually is", async () => {
    // The gRPC port after the HTTP port: the one before is not cerebro's.
    const port = await freePortPair();
    await cerebros.start({ port: port + 1, httpPort: port });
    const http = `127.0.0.1:${port}`;
    const { code, err } = await dyna(http);
    expect(code).toBe(3);
    expect(err).toBe(
      `dyna: ${http} is cerebro's HTTP/JSON port (for curl and browsers), not its gRPC port: ` +
        `by default the port before this one. ${POINT}`,
    );
  });

  it("an HTTP/2 server that is not gRPC: says it is not cerebro", async () => {
    const server = createHttp2Server((_request, response) => {
      response.writeHead(404).end();
    });
    const sessions = new Set<Http2Session>();
    server.on("session", (session) => sessions.add(session));
    const address = await listening(server as unknown as Server);
    // Closing waits for the sessions the client keeps open: ended first.
    cerebros.onCleanup(() => {
      for (const session of sessions) session.destroy();
    });
    expect(await dyna(address)).toEqual({
      code: 3,
      err: `dyna: ${address} is not a cordyna cerebro (no cordyna.v1 service): it answered UNIMPLEMENTED: HTTP 404. ${POINT}`,
    });
  });

  it("a gRPC server that is not cerebro: says so", async () => {
    const server = new GrpcServer();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    cerebros.onCleanup(() => server.forceShutdown());
    const address = `127.0.0.1:${port}`;
    const { code, err } = await dyna(address);
    expect(code).toBe(3);
    expect(err).toMatch(
      new RegExp(
        `^dyna: ${address} is not a cordyna cerebro \\(no cordyna.v1 service\\): it answered UNIMPLEMENTED: .*ListTasks`,
      ),
    );
  });

  it("nothing listening: says cerebro cannot be reached, as before", async () => {
    const server = createHttpServer();
    const address = await listening(server);
    server.close();
    await once(server, "close");
    const { code, err } = await dyna(address);
    expect(code).toBe(3);
    expect(err).toContain(`dyna: cannot reach cerebro at ${address} (UNAVAILABLE:`);
  });
});
