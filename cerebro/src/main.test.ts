import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ControlService } from "@cordyna/contract";
import { describe, expect, it } from "vitest";
import { EXIT_BAD_CONFIG, EXIT_START_FAILED, EXIT_STOPPED, runService } from "./main.js";
import { freePort, freePortPair, occupyPort } from "./testing/ports.js";

describe("runService", () => {
  it("exits 2 on a bad configuration, naming the variable", async () => {
    const lines: string[] = [];
    const code = await runService({
      env: { CORDYNA_HEARTBEAT_INTERVAL_MS: "soon" },
      writeError: (line) => lines.push(line),
      waitForSignal: () => new Promise(() => {}),
    });
    expect(code).toBe(EXIT_BAD_CONFIG);
    expect(lines).toEqual([
      'cerebro: CORDYNA_HEARTBEAT_INTERVAL_MS: "soon" is not a duration in milliseconds: expected an integer from 1 to 2147483647',
    ]);
  });

  it("serves gRPC on CORDYNA_PORT and HTTP on the next port until the signal, then exits 0", async () => {
    const port = await freePortPair();
    let signal: (s: NodeJS.Signals) => void = () => {};
    const exited = runService({
      env: {
        CORDYNA_PORT: String(port),
        CORDYNA_HOST: "127.0.0.1",
        CORDYNA_AUTH: "off",
        LOG_LEVEL: "silent",
      },
      writeError: () => {},
      waitForSignal: () => new Promise((resolve) => (signal = resolve)),
    });
    const control = createClient(
      ControlService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await control.listServers({}, { timeoutMs: 1_000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const http = await fetch(`http://127.0.0.1:${port + 1}/cordyna.v1.ControlService/ListServers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(http.ok).toBe(true);
    signal("SIGTERM");
    expect(await exited).toBe(EXIT_STOPPED);
  });

  it.each([
    ["gRPC", "CORDYNA_PORT", "CORDYNA_HTTP_PORT"],
    ["HTTP/JSON gateway", "CORDYNA_HTTP_PORT", "CORDYNA_PORT"],
  ])(
    "exits 1 within 2 s when the %s port is taken, leaving no port open",
    async (_listener, takenVariable, freeVariable) => {
      const free = await freePort();
      const taken = await occupyPort();
      try {
        const started = Date.now();
        const code = await runService({
          env: {
            [takenVariable]: String(taken.port),
            [freeVariable]: String(free),
            CORDYNA_HOST: "127.0.0.1",
            LOG_LEVEL: "silent",
          },
          writeError: () => {},
          waitForSignal: () => new Promise(() => {}),
        });
        expect(code).toBe(EXIT_START_FAILED);
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        await taken.release();
      }
      await (await occupyPort(free)).release();
    },
  );
});
