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

/**
 * A free loopback port whose next port is free too, for what listens on
 * a port and the one after it.
 */
export async function freePortPair(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const first = await occupyPort();
    const second = await occupyPort(first.port + 1).catch(() => undefined);
    await first.release();
    if (second) {
      await second.release();
      return first.port;
    }
  }
  throw new Error("found no two free ports in a row");
}
