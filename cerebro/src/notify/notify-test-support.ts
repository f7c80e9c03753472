// Receivers of notifications for tests: node:http servers on loopback that
// keep what they were sent and answer as the test says.

import { once } from "node:events";
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** One POST a receiver got. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: unknown;
}

/** How a receiver answers a request: a status, or "hold" to keep it open until `release`. */
export type Answer = number | "hold";

/** A webhook receiver on a loopback port. */
export class Receiver {
  /** Requests answered 2xx, in order: what the receiver took. */
  readonly taken: Received[] = [];
  /** Every request that arrived, answered or not. */
  readonly arrived: Received[] = [];
  answer: (request: Received) => Answer = () => 200;
  readonly #server: Server;
  readonly #waiters: { count: number; list: "taken" | "arrived"; resolve: () => void }[] = [];
  readonly #held = new Set<{ response: ServerResponse; request: Received }>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on 127.0.0.1 at `port` (0: a free one). */
  static async start(port = 0): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () =>
        receiver.#handle(req.headers, Buffer.concat(chunks).toString("utf8"), res),
      );
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  /** Resolves once `count` requests were taken (or arrived). */
  waitFor(count: number, list: "taken" | "arrived" = "taken"): Promise<void> {
    if (this[list].length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, list, resolve }));
  }

  /** Answers the held requests with 200. */
  release(): void {
    for (const held of this.#held) {
      this.#held.delete(held);
      held.response.end("ok");
      this.taken.push(held.request);
    }
    this.#wake();
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, "close").catch(() => {});
  }

  #handle(headers: IncomingHttpHeaders, body: string, res: ServerResponse): void {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const request = { headers, body, json };
    this.arrived.push(request);
    const answer = this.answer(request);
    if (answer === "hold") {
      const held = { response: res, request };
      this.#held.add(held);
      // The sender gave up: the request was never taken.
      res.on("close", () => this.#held.delete(held));
    } else {
      res.statusCode = answer;
      res.end(answer < 300 ? "ok" : "no");
      if (answer >= 200 && answer < 300) this.taken.push(request);
    }
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) {
      if (this[waiter.list].length < waiter.count) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
