import { once } from "node:events";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FaultProxy } from "./fault-proxy.js";

/** An echo server that counts its connections and can say when one closed. */
class EchoServer {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      socket.on("error", () => {});
      socket.on("data", (chunk) => socket.write(chunk));
    });
  }

  async start(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("no port");
    this.port = address.port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A client connection that collects what it receives and how it ended. */
class Client {
  readonly socket: Socket;
  received = "";
  closed = false;
  error: Error | undefined;
  readonly #waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = createConnection({ host: "127.0.0.1", port });
    this.socket.on("data", (chunk: Buffer) => {
      this.received += chunk.toString();
      this.#wake();
    });
    this.socket.on("error", (error) => {
      this.error = error;
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.#wake();
    });
  }

  async connected(): Promise<void> {
    if (!this.socket.connecting) return;
    await once(this.socket, "connect");
  }

  /** Waits until `check` holds, failing after `timeoutMs`. */
  async until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

let echo: EchoServer;
let proxy: FaultProxy;
const clients: Client[] = [];

function connect(): Client {
  const client = new Client(proxy.port);
  clients.push(client);
  return client;
}

beforeEach(async () => {
  echo = new EchoServer();
  await echo.start();
  proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await proxy.close();
  await echo.close();
});

describe("FaultProxy", () => {
  it("forwards data both ways on a loopback port", async () => {
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    const client = connect();
    await client.connected();
    client.socket.write("hello ");
    client.socket.write("world");
    await client.until("the echo", () => client.received === "hello world");
    expect(proxy.connections).toBe(1);
    expect(proxy.accepted).toBe(1);
    expect(echo.sockets).toHaveLength(1);
  });

  it("cuts every current connection on both sides and still accepts new ones", async () => {
    const first = connect();
    const second = connect();
    await Promise.all([first.connected(), second.connected()]);
    first.socket.write("a");
    second.socket.write("b");
    await first.until("first echo", () => first.received === "a");
    await second.until("second echo", () => second.received === "b");

    expect(proxy.cut()).toBe(2);
    await first.until("first closed", () => first.closed);
    await second.until("second closed", () => second.closed);
    await first.until("target side closed", () => echo.sockets.every((s) => s.destroyed));
    expect(proxy.connections).toBe(0);

    const third = connect();
    await third.connected();
    third.socket.write("c");
    await third.until("third echo", () => third.received === "c");
  });

  it("drops the first reply that matches a pattern and cuts its connection, once", async () => {
    const client = connect();
    await client.connected();
    client.socket.write("ping");
    await client.until("the first echo", () => client.received === "ping");
    proxy.cutOnReply("reply-2");
    client.socket.write("reply-2");
    await client.until("the connection cut", () => client.closed);
    // The target received and answered it: only the reply is lost.
    expect(client.received).toBe("ping");
    await client.until("target side closed", () => echo.sockets.every((s) => s.destroyed));

    const again = connect();
    await again.connected();
    again.socket.write("reply-2");
    await again.until("the same reply, now forwarded", () => again.received === "reply-2");
  });

  it("refuses new connections while down, and forwards again once up", async () => {
    const before = connect();
    await before.connected();
    proxy.down("refuse");
    expect(proxy.isDown).toBe(true);
    await before.until("the existing connection cut", () => before.closed);

    const refused = connect();
    await refused.until("the refused connection closed", () => refused.closed);
    expect(refused.received).toBe("");
    expect(echo.sockets).toHaveLength(1);

    proxy.up();
    const after = connect();
    await after.connected();
    after.socket.write("back");
    await after.until("echo after up", () => after.received === "back");
  });

  it("blackholes new connections while down: accepted, never answered, never forwarded", async () => {
    proxy.down("blackhole");
    const held = connect();
    await held.connected();
    held.socket.write("anyone?");
    // Nothing comes back while the echo server would answer within a millisecond.
    await expect(held.until("an answer", () => held.received !== "", 300)).rejects.toThrow(
      "timed out",
    );
    expect(held.closed).toBe(false);
    expect(echo.sockets).toHaveLength(0);

    proxy.up();
    await held.until("the held connection dropped", () => held.closed);
    const after = connect();
    await after.connected();
    after.socket.write("x");
    await after.until("echo after up", () => after.received === "x");
  });

  it("delays forwarded data in both directions and keeps its order", async () => {
    const client = connect();
    await client.connected();
    proxy.setDelay(150);
    const sentAt = Date.now();
    for (const part of ["1", "2", "3", "4"]) client.socket.write(part);
    await client.until("data held by the delay", () => proxy.delayed.toTarget > 0);
    expect(client.received).toBe("");
    await client.until("the delayed echo", () => client.received === "1234");
    expect(proxy.delayed).toEqual({ toTarget: 0, toClient: 0 });
    // 150 ms to the target and 150 ms back.
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(290);

    proxy.setDelay(0);
    client.socket.write("5");
    await client.until("the prompt echo", () => client.received === "12345");
  });

  it("drops delayed data when it cuts: what was in flight is lost", async () => {
    const client = connect();
    await client.connected();
    proxy.setDelay(200);
    client.socket.write("lost");
    await client.until("data held by the delay", () => proxy.delayed.toTarget > 0);
    proxy.cut();
    await client.until("the cut", () => client.closed);
    await client.until("the delay to pass", () => proxy.delayed.toTarget === 0);
    expect(echo.sockets[0]?.bytesRead).toBe(0);
  });
});
