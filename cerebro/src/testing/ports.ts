import { once } from "node:events";
import { createServer, type Server } from "node:net";

/** A port held by a listener of the test, so that whatever else tries it finds it taken. */
export interface OccupiedPort {
  readonly port: number;
  release(): Promise<void>;
}

async function listenOnLoopback(port: number): Promise<Server> {
  const server = createServer();
  server.listen(port, "127.0.0.1");
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => Promise.reject(error)),
  ]);
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("not listening on a TCP port");
  return address.port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Opens a listener on a loopback port (by default a free one) and keeps it
 * until released; fails if the port is taken.
 */
export async function occupyPort(port = 0): Promise<OccupiedPort> {
  const server = await listenOnLoopback(port);
  return { port: portOf(server), release: () => close(server) };
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  const { port, release } = await occupyPort();
  await release();
  return port;
}
