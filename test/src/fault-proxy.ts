import { once } from "node:events";
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** What a proxy does with new connections while it is down. */
export type DownMode = "refuse" | "blackhole";

/** Where the proxy forwards to. */
export interface FaultProxyTarget {
  readonly host: string;
  readonly port: number;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

/**
 * A TCP proxy on a loopback port that forwards every connection to a target
 * and injects network faults on demand: cut every current connection (both
 * sides destroyed at once, as a broken network would leave them), refuse or
 * blackhole new connections while down, and delay forwarded data.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #target: FaultProxyTarget;
  readonly #pairs = new Set<Pair>();
  /** Connections held open without an answer while blackholed. */
  readonly #held = new Set<Socket>();
  #down: DownMode | undefined;
  #delayMs = 0;
  /** Chunks waiting out the delay, per direction. */
  readonly #delayed = { toTarget: 0, toClient: 0 };
  #accepted = 0;
  #port = 0;
  /** A reply pattern whose first occurrence is dropped and cuts its connection. */
  #cutOnReply: Buffer | undefined;

  private constructor(target: FaultProxyTarget) {
    this.#target = target;
    this.#server = createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
  }

  /** Starts a proxy on 127.0.0.1 (a free port unless `port` is given). */
  static async start(target: FaultProxyTarget, port = 0): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    proxy.#server.listen(port, "127.0.0.1");
    await once(proxy.#server, "listening");
    const address = proxy.#server.address();
    if (!address || typeof address === "string") throw new Error("fault proxy has no port");
    proxy.#port = address.port;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** "127.0.0.1:port", to give clients instead of the target's address. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Connections currently forwarded. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Connections accepted and forwarded since the start (refused and held ones not counted). */
  get accepted(): number {
    return this.#accepted;
  }

  /**
   * Chunks received but not yet forwarded because of the delay, per
   * direction. A cut drops them: data in flight is lost, as on a real network.
   */
  get delayed(): { readonly toTarget: number; readonly toClient: number } {
    return { ...this.#delayed };
  }

  /** Whether new connections are refused or blackholed. */
  get isDown(): boolean {
    return this.#down !== undefined;
  }

  /** Destroys both sides of every current connection. New ones are still accepted. */
  cut(): number {
    const count = this.#pairs.size;
    for (const pair of [...this.#pairs]) this.#destroy(pair);
    return count;
  }

  /**
   * Takes the proxy down: cuts current connections, then either refuses new
   * ones (reset at once) or blackholes them (accepted, never answered, never
   * forwarded) until `up()`.
   */
  down(mode: DownMode = "refuse"): void {
    this.#down = mode;
    this.cut();
  }

  /** Forwards new connections again; blackholed ones are dropped so their clients retry. */
  up(): void {
    this.#down = undefined;
    for (const socket of this.#held) socket.destroy();
    this.#held.clear();
  }

  /**
   * The next chunk from the target that contains `pattern` is dropped and its
   * connection cut, as when the network breaks after the target did the work
   * but before the client heard of it. Once only.
   */
  cutOnReply(pattern: string): void {
    this.#cutOnReply = Buffer.from(pattern);
  }

  /** Delays every chunk forwarded in either direction by `ms` (0 for none). Order is kept. */
  setDelay(ms: number): void {
    this.#delayMs = Math.max(0, ms);
  }

  /** Cuts everything and stops listening. */
  async close(): Promise<void> {
    this.up();
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#down === "refuse") {
      client.resetAndDestroy();
      return;
    }
    if (this.#down === "blackhole") {
      this.#held.add(client);
      client.on("error", () => {});
      client.once("close", () => this.#held.delete(client));
      return;
    }
    this.#accepted++;
    const pair: Pair = { client, upstream: undefined };
    this.#pairs.add(pair);
    const upstream = createConnection({ host: this.#target.host, port: this.#target.port });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    this.#pipe(client, upstream, "toTarget");
    this.#pipe(upstream, client, "toClient", () => this.#destroy(pair));
    const end = () => this.#destroy(pair);
    client.on("error", end);
    upstream.on("error", end);
    client.once("close", end);
    upstream.once("close", end);
    client.resume();
  }

  /**
   * Forwards `from` to `to`. With a delay, every chunk waits that long; the
   * chain of timers keeps the order even when the delay changes meanwhile.
   */
  #pipe(from: Socket, to: Socket, direction: "toTarget" | "toClient", cut?: () => void): void {
    let last = 0;
    from.on("data", (chunk: Buffer) => {
      const pattern = direction === "toClient" ? this.#cutOnReply : undefined;
      if (cut && pattern && chunk.includes(pattern)) {
        this.#cutOnReply = undefined;
        cut();
        return;
      }
      const delay = this.#delayMs;
      if (delay === 0 && last <= Date.now()) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      const at = Math.max(Date.now() + delay, last);
      last = at;
      this.#delayed[direction]++;
      setTimeout(
        () => {
          this.#delayed[direction]--;
          if (!to.destroyed) to.write(chunk);
        },
        Math.max(0, at - Date.now()),
      );
    });
    from.on("end", () => {
      const at = Math.max(Date.now() + this.#delayMs, last);
      setTimeout(() => to.end(), Math.max(0, at - Date.now()));
    });
  }

  #destroy(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
