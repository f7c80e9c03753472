import { CEREBRO_ENV } from "@cordyna/cerebro";
import { type ControlClient, createControlClient, TaskState } from "@cordyna/contract";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, freePortPair, occupyPort } from "../../cerebro/src/testing/ports.js";
import { RawSession } from "../../cerebro/src/testing/raw-session.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

/** A `dyna dev` running in this process, on loopback, until stopped. */
interface RunningDev {
  readonly address: string;
  readonly httpAddress: string | undefined;
  readonly control: ControlClient;
  /** Asks it to stop, as SIGTERM does, and resolves with its exit code. */
  stop(): Promise<number>;
}

const running: RunningDev[] = [];
const sessions: RawSession[] = [];

afterEach(async () => {
  for (const session of sessions.splice(0)) session.cancel();
  await Promise.all(running.splice(0).map((dev) => dev.stop()));
});

/** Runs `dyna dev --json` with the arguments and environment; resolves once it listens. */
async function startDev(args: string[], env: Record<string, string> = {}): Promise<RunningDev> {
  const io = recordingIo({ LOG_LEVEL: "silent", ...env });
  let shutdown: (signal: string) => void = () => {};
  let announced: (line: string) => void = () => {};
  const greeting = new Promise<string>((resolve) => (announced = resolve));
  const exited = runCli(["dev", "--json", "--host", "127.0.0.1", ...args], {
    io: {
      ...io,
      out: (text) => {
        io.out(text);
        announced(text);
      },
    },
    waitForShutdown: () => new Promise((resolve) => (shutdown = resolve)),
  });
  const line = await Promise.race([
    greeting,
    exited.then((code) => {
      throw new Error(`dyna dev exited with ${code}: ${io.stderr.join("\n")}`);
    }),
  ]);
  const { address, httpAddress } = JSON.parse(line) as { address: string; httpAddress?: string };
  const dev: RunningDev = {
    address,
    httpAddress,
    control: createControlClient(address),
    stop: () => {
      shutdown("SIGTERM");
      return exited;
    },
  };
  running.push(dev);
  return dev;
}

/** Runs `dyna dev` expecting it not to start; its exit code, what it said and how long it took. */
async function failingDev(
  args: string[],
): Promise<{ code: number; stderr: string[]; elapsedMs: number }> {
  const io = recordingIo({ LOG_LEVEL: "silent" });
  const started = Date.now();
  const code = await runCli(["dev", "--host", "127.0.0.1", ...args], {
    io,
    waitForShutdown: () => new Promise(() => {}),
  });
  return { code, stderr: io.stderr, elapsedMs: Date.now() - started };
}

function portOf(address: string | undefined): number {
  return Number(address?.slice(address.lastIndexOf(":") + 1));
}

/** Whether the HTTP/JSON gateway at the address answers a control call. */
async function httpAnswers(httpAddress: string | undefined): Promise<boolean> {
  const response = await fetch(`http://${httpAddress}/cordyna.v1.ControlService/ListServers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  return response.ok;
}

describe("dyna dev on a port that is taken", () => {
  it("exits 1 within 2 s, naming the gRPC port", async () => {
    const taken = await occupyPort();
    try {
      const { code, stderr, elapsedMs } = await failingDev([
        "--port",
        String(taken.port),
        "--http-port",
        "0",
      ]);
      expect(code).toBe(1);
      expect(stderr).toEqual([
        `dyna dev: could not start cerebro: port ${taken.port} (gRPC) is already in use`,
      ]);
      expect(elapsedMs).toBeLessThan(2_000);
    } finally {
      await taken.release();
    }
  });

  it("exits 1 within 2 s, naming the HTTP port, and closes the gRPC port it had opened", async () => {
    const grpcPort = await freePort();
    const taken = await occupyPort();
    try {
      const { code, stderr, elapsedMs } = await failingDev([
        "--port",
        String(grpcPort),
        "--http-port",
        String(taken.port),
      ]);
      expect(code).toBe(1);
      expect(stderr).toEqual([
        `dyna dev: could not start cerebro: port ${taken.port} (HTTP/JSON gateway) is already in use`,
      ]);
      expect(elapsedMs).toBeLessThan(2_000);
    } finally {
      await taken.release();
    }
    await (await occupyPort(grpcPort)).release();
  });
});

describe("dyna dev ports", () => {
  it("serves HTTP on the port after --port when --http-port is not given", async () => {
    const port = await freePortPair();
    const dev = await startDev(["--port", String(port)]);
    expect(dev.address).toBe(`127.0.0.1:${port}`);
    expect(dev.httpAddress).toBe(`127.0.0.1:${port + 1}`);
    expect(await httpAnswers(dev.httpAddress)).toBe(true);
    await dev.control.listServers({});
  });

  it("serves both on free ports with --port 0", async () => {
    const dev = await startDev(["--port", "0"]);
    expect(portOf(dev.address)).toBeGreaterThan(0);
    expect(portOf(dev.httpAddress)).toBeGreaterThan(0);
    expect(portOf(dev.httpAddress)).not.toBe(portOf(dev.address));
    expect(await httpAnswers(dev.httpAddress)).toBe(true);
    await dev.control.listServers({});
  });

  it("greets on a wildcard host with every interface, and the address that reaches it here", async () => {
    const io = recordingIo({ LOG_LEVEL: "silent" });
    let shutdown: (signal: string) => void = () => {};
    const exited = runCli(["dev", "--host", "0.0.0.0", "--port", "0", "--insecure-no-auth"], {
      io,
      waitForShutdown: () => new Promise((resolve) => (shutdown = resolve)),
    });
    await expect.poll(() => io.stdout.join("\n")).toContain("point the CLI at it");
    shutdown("SIGTERM");
    expect(await exited).toBe(0);
    expect(io.stdout.join("\n")).toMatch(
      /^cerebro listening on every interface \(0\.0\.0\.0\), port (\d+) .*--cerebro localhost:\1 /,
    );
  });

  it("stops cleanly and exits 0 when asked to", async () => {
    const dev = await startDev(["--port", "0"]);
    expect(await dev.stop()).toBe(0);
    await (await occupyPort(portOf(dev.address))).release();
  });
});

describe("dyna dev reads the service's CORDYNA_* variables", () => {
  it("takes its ports from CORDYNA_PORT, the HTTP port following it", async () => {
    const port = await freePortPair();
    const dev = await startDev([], { CORDYNA_PORT: String(port) });
    expect(dev.address).toBe(`127.0.0.1:${port}`);
    expect(dev.httpAddress).toBe(`127.0.0.1:${port + 1}`);
  });

  it("lets a flag win over its variable", async () => {
    const taken = await occupyPort();
    try {
      const dev = await startDev(["--port", "0"], {
        CORDYNA_PORT: String(taken.port),
        CORDYNA_HTTP_PORT: "off",
      });
      expect(portOf(dev.address)).not.toBe(taken.port);
      expect(dev.httpAddress).toBeUndefined();
    } finally {
      await taken.release();
    }
  });

  it("tells task-servers the heartbeat interval of CORDYNA_HEARTBEAT_INTERVAL_MS", async () => {
    const dev = await startDev(["--port", "0"], { CORDYNA_HEARTBEAT_INTERVAL_MS: "1234" });
    const session = new RawSession(dev.address);
    sessions.push(session);
    session.hello("task-server-a", [{ id: "a.x", owner: { team: "team-a" } }]);
    const { heartbeatInterval } = await session.next("welcome");
    expect(heartbeatInterval).toMatchObject({ seconds: 1n, nanos: 234_000_000 });
  });

  it("keeps a lost instance's attempts for CORDYNA_SERVER_LOST_GRACE_MS", async () => {
    const dev = await startDev(["--port", "0"], { CORDYNA_SERVER_LOST_GRACE_MS: "25" });
    const session = new RawSession(dev.address);
    sessions.push(session);
    session.hello("task-server-a", [{ id: "a.x", owner: { team: "team-a" } }]);
    await session.next("welcome");
    const { run } = await dev.control.startRun({ targets: ["a.x"] });
    await session.next("invoke");
    session.cancel();
    const lost = await eventually(async () => {
      const taskRun = (await dev.control.getRun({ runId: run?.id ?? "" })).run?.taskRuns[0];
      return taskRun?.state === TaskState.ERROR ? taskRun : undefined;
    });
    expect(lost.errorDescription).toBe(
      "server instance task-server-a-raw disconnected and did not come back within 25 ms",
    );
  });
});

describe("dyna dev --help", () => {
  it("names every variable it reads", async () => {
    const io = recordingIo();
    expect(await runCli(["dev", "--help"], { io })).toBe(0);
    for (const variable of Object.keys(CEREBRO_ENV)) {
      expect(io.stdout.join("\n")).toContain(variable);
    }
  });
});

/** Asks until the answer is defined: a WatchEvents opened now cannot tell when it starts hearing. */
async function eventually<T>(ask: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ask();
    if (answer !== undefined) return answer;
    if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
