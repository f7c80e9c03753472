// cerebro over TLS, with and without client certificates, against the SDK,
// the CLI's client and plain HTTPS: real certificates from a throwaway CA.
import { request } from "node:https";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { type ClientTls, createAccessClient, createControlClient, Role } from "@cordyna/contract";
import { TaskServer } from "@cordyna/task-server";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LogCapture } from "../../cerebro/src/store/redis-test-support.js";
import { createTestPki, type TestPki } from "../../cerebro/src/testing/certificates.js";
import { describeRpcError } from "./client.js";

const silent = pino({ level: "silent" });
let pki: TestPki;
const running: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  pki = createTestPki();
});

afterAll(() => pki.remove());

afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

async function tlsCerebro(clientCa = false, logger = silent): Promise<Cerebro> {
  const cerebro = await startCerebro({
    port: 0,
    httpPort: 0,
    host: "127.0.0.1",
    logger,
    tls: {
      cert: pki.read("server.pem"),
      key: pki.read("server.key"),
      ...(clientCa ? { clientCa: pki.read("ca.pem") } : {}),
    },
  });
  running.push(() => cerebro.stop());
  return cerebro;
}

/** A task-server of one quick task, over TLS as given; resolves at its Welcome. */
async function taskServer(cerebro: Cerebro, tls: ClientTls | false) {
  const server = new TaskServer({
    name: "task-server-a",
    team: "team-a",
    contact: "a@example.com",
    cerebro: cerebro.address,
    logger: silent,
    handleSignals: false,
    tls,
    reconnectBackoff: { initialMs: 20, maxMs: 50 },
  });
  server.task({ id: "a.quick" }, async () => ({ rows: "3" }));
  running.push(() => server.stop());
  return server;
}

/** What the CLI prints for the call's failure. */
async function cliMessageOf(call: Promise<unknown>, address: string): Promise<string | undefined> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  return describeRpcError(error, address);
}

describe("cerebro serving TLS", () => {
  it("runs a task for a task-server and a CLI client that trust its CA", async () => {
    const cerebro = await tlsCerebro();
    const ca = { ca: pki.read("ca.pem") };
    await (await taskServer(cerebro, ca)).start();
    const control = createControlClient(cerebro.address, { tls: ca });
    const { run } = await control.startRun({ targets: ["a.quick"] });
    await expect
      .poll(async () => (await control.getRun({ runId: run?.id ?? "" })).run?.state)
      .toBe(
        2, // RUN_STATE_SUCCEEDED
      );
  });

  it("also serves HTTP/1.1 JSON on the gRPC port, through ALPN", async () => {
    const cerebro = await tlsCerebro();
    const body = await new Promise<string>((resolve, reject) => {
      const call = request(
        `https://127.0.0.1:${cerebro.port}/cordyna.v1.ControlService/ListTasks`,
        {
          method: "POST",
          ca: pki.read("ca.pem"),
          headers: { "content-type": "application/json" },
        },
        (response) => {
          let text = "";
          response.on("data", (chunk) => {
            text += chunk;
          });
          response.on("end", () => resolve(`${response.httpVersion} ${text}`));
        },
      );
      call.on("error", reject);
      call.end("{}");
    });
    expect(body).toBe("1.1 {}");
  });

  it("is refused by a client that trusts another CA, and the CLI says which setting to fix", async () => {
    const cerebro = await tlsCerebro();
    const control = createControlClient(cerebro.address, { tls: { ca: pki.read("other-ca.pem") } });
    expect(await cliMessageOf(control.listTasks({}), cerebro.address)).toBe(
      `cannot trust cerebro at ${cerebro.address}: its TLS certificate failed verification (unable to verify the first certificate). Set CORDYNA_TLS_CA (or the profile's tls_ca) to the file of the CA that signed it.`,
    );
  });

  it("is refused by a plaintext client, and the CLI suggests TLS", async () => {
    const cerebro = await tlsCerebro();
    const control = createControlClient(cerebro.address);
    expect(await cliMessageOf(control.listTasks({}), cerebro.address)).toMatch(
      /^the connection to .* closed before cerebro answered .*If cerebro serves TLS there, set CORDYNA_TLS_CA/,
    );
  });

  it("tells a TLS client that a plaintext cerebro does not speak TLS", async () => {
    const plain = await startCerebro({ port: 0, host: "127.0.0.1", logger: silent });
    running.push(() => plain.stop());
    const control = createControlClient(plain.address, { tls: { ca: pki.read("ca.pem") } });
    expect(await cliMessageOf(control.listTasks({}), plain.address)).toBe(
      `cerebro at ${plain.address} does not speak TLS on this port, but this client does: unset CORDYNA_TLS_CA and CORDYNA_TLS (or the profile's tls settings), or point at a port that serves TLS.`,
    );
  });
});

describe("cerebro verifying client certificates (mTLS)", () => {
  it("welcomes a task-server whose certificate its client CA signed", async () => {
    const cerebro = await tlsCerebro(true);
    const server = await taskServer(cerebro, {
      ca: pki.read("ca.pem"),
      cert: pki.read("client.pem"),
      key: pki.read("client.key"),
    });
    await server.start();
    expect(cerebro.graph.get("a.quick")?.serverName).toBe("task-server-a");
  });

  it("refuses a task-server without a certificate, saying it needs one", async () => {
    const cerebro = await tlsCerebro(true);
    const server = await taskServer(cerebro, { ca: pki.read("ca.pem") });
    await expect(server.start()).rejects.toThrow(/presented no client certificate/);
  });

  it("refuses a task-server whose certificate has expired, naming why, and logs it", async () => {
    const logs = new LogCapture("warn");
    const cerebro = await tlsCerebro(true, logs.logger);
    const server = await taskServer(cerebro, {
      ca: pki.read("ca.pem"),
      cert: pki.read("expired.pem"),
      key: pki.read("expired.key"),
    });
    await expect(server.start()).rejects.toThrow(
      "cerebro refused this task-server: client certificate of task-server-old refused: CERT_HAS_EXPIRED",
    );
    expect(logs.matching("client certificate of task-server-old refused")).toHaveLength(1);
  });

  it("takes a certificate to the credential naming its common name, with authentication on", async () => {
    const adminToken = "admin-token-for-the-mtls-credential-test-0";
    const cerebro = await startCerebro({
      port: 0,
      logger: silent,
      auth: { required: true, adminToken },
      tls: {
        cert: pki.read("server.pem"),
        key: pki.read("server.key"),
        clientCa: pki.read("ca.pem"),
      },
    });
    running.push(() => cerebro.stop());
    const credentials = {
      ca: pki.read("ca.pem"),
      cert: pki.read("client.pem"),
      key: pki.read("client.key"),
    };
    const unmapped = await taskServer(cerebro, credentials);
    await expect(unmapped.start()).rejects.toThrow(
      "client certificate CN=task-server-a is named by no credential",
    );
    await createAccessClient(cerebro.address, {
      tls: { ca: pki.read("ca.pem") },
      token: adminToken,
    }).createToken({
      team: "team-a",
      role: Role.SERVER,
      serverNames: ["task-server-a"],
      certificateCommonName: "task-server-a",
    });
    await (await taskServer(cerebro, credentials)).start();
    expect(cerebro.graph.get("a.quick")?.serverName).toBe("task-server-a");
  });

  it("still serves the control API to callers without a certificate", async () => {
    const cerebro = await tlsCerebro(true);
    const control = createControlClient(cerebro.address, { tls: { ca: pki.read("ca.pem") } });
    expect((await control.listTasks({})).tasks).toEqual([]);
  });
});
