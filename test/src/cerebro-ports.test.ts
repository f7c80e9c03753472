// cerebro's processes on a port that is taken: each says which port and
// exits, rather than staying up with half of its listeners.

import { afterEach, describe, expect, it } from "vitest";
import { freePort, type OccupiedPort, occupyPort } from "../../cerebro/src/testing/index.js";
import { type Child, spawnTs } from "./processes.js";

/** How long a process may take to exit once it has said it could not start. */
const EXIT_WITHIN_MS = 2_000;

const children: Child[] = [];
const occupied: OccupiedPort[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop(1_000)));
  await Promise.all(occupied.splice(0).map((port) => port.release()));
});

/** Resolves once the child has written `text`, or rejects if it exits first. */
function written(child: Child, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!child.output().includes(text)) return;
      child.process.stdout?.off("data", check);
      child.process.stderr?.off("data", check);
      child.process.off("exit", exited);
      resolve();
    };
    const exited = (): void =>
      reject(new Error(`${child.name} exited without saying "${text}":\n${child.output()}`));
    child.process.stdout?.on("data", check);
    child.process.stderr?.on("data", check);
    child.process.once("exit", exited);
    check();
  });
}

/** The child's exit code, or "still running" if it has not exited within `ms`. */
function exitWithin(child: Child, ms: number): Promise<number | null | "still running"> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("still running"), ms);
    const settle = (code: number | null): void => {
      clearTimeout(timer);
      resolve(code);
    };
    if (child.process.exitCode !== null) settle(child.process.exitCode);
    else child.process.once("exit", settle);
  });
}

/** gRPC and HTTP ports for a start that must fail, with the named listener's port taken. */
async function portsWithOneTaken(
  taken: "gRPC" | "HTTP/JSON gateway",
): Promise<{ grpc: number; http: number; takenPort: number }> {
  const occupant = await occupyPort();
  occupied.push(occupant);
  const free = await freePort();
  return taken === "gRPC"
    ? { grpc: occupant.port, http: free, takenPort: occupant.port }
    : { grpc: free, http: occupant.port, takenPort: occupant.port };
}

const LISTENERS = ["gRPC", "HTTP/JSON gateway"] as const;

describe.each(LISTENERS)("with the %s port taken", (listener) => {
  it("dyna dev exits 1 within 2 s of naming the port", async () => {
    const { grpc, http, takenPort } = await portsWithOneTaken(listener);
    const child = spawnTs(
      "dyna dev",
      "cli/src/bin.ts",
      ["dev", "--host", "127.0.0.1", "--port", String(grpc), "--http-port", String(http)],
      { LOG_LEVEL: "silent" },
    );
    children.push(child);
    await written(
      child,
      `dyna dev: could not start cerebro: port ${takenPort} (${listener}) is already in use`,
    );
    expect(await exitWithin(child, EXIT_WITHIN_MS)).toBe(1);
  });

  it("the service exits 1 within 2 s of naming the port", async () => {
    const { grpc, http, takenPort } = await portsWithOneTaken(listener);
    const child = spawnTs("cerebro service", "cerebro/src/main.ts", [], {
      CORDYNA_HOST: "127.0.0.1",
      CORDYNA_PORT: String(grpc),
      CORDYNA_HTTP_PORT: String(http),
    });
    children.push(child);
    await written(
      child,
      `could not start cerebro: port ${takenPort} (${listener}) is already in use`,
    );
    expect(await exitWithin(child, EXIT_WITHIN_MS)).toBe(1);
  });
});
