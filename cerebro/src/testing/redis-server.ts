import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";

/** Whether an executable is on the PATH. */
export function onPath(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface RedisServerOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** Persist with AOF. Default true. */
  readonly appendOnly?: boolean;
  /**
   * When AOF is written to disk. Default "everysec", which can lose the
   * writes of its last second or two when Redis itself is killed while its
   * disk is slow, acknowledged or not: a test that kills Redis and then
   * counts on what it acknowledged needs "always".
   */
  readonly appendFsync?: "everysec" | "always";
  /** Data directory; default a new temporary one, removed on stop(). */
  readonly dir?: string;
}

/**
 * A real redis-server child process on loopback, for tests that need to
 * kill, freeze or restart Redis itself.
 */
export class RedisServerProcess {
  readonly port: number;
  readonly dir: string;
  readonly #ownsDir: boolean;
  readonly #appendOnly: boolean;
  readonly #appendFsync: "everysec" | "always";
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.#ownsDir = options.dir === undefined;
    this.#appendOnly = options.appendOnly ?? true;
    this.#appendFsync = options.appendFsync ?? "everysec";
  }

  /** Starts redis-server and resolves once it accepts connections. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "cordyna-redis-"));
    const server = new RedisServerProcess(options.port ?? (await freePort()), dir, options);
    await server.resume();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the process on the same port and data directory. */
  async resume(): Promise<void> {
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      this.#appendOnly ? "yes" : "no",
      "--appendfsync",
      this.#appendFsync,
    ];
    const child = spawn("redis-server", args, { stdio: "ignore" });
    this.#child = child;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Kills the process (SIGKILL by default) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill(signal);
    await exited;
  }

  /** Stops the process and removes a data directory it created. */
  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
