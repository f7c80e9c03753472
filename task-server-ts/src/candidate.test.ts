// A candidate instance (CORDYNA_CANDIDATE) and the cerebro it meets: one
// that knows candidates keeps it beside the live graph; an older one would
// take it for a live instance, so it leaves at once.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskServer } from "./index.js";
import { FakeCerebro } from "./testing/fake-cerebro.js";

let cerebro: FakeCerebro;
const servers: TaskServer[] = [];

beforeEach(async () => {
  cerebro = await FakeCerebro.start();
});

afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
  cerebro.close();
});

function candidateServer(): TaskServer {
  const server = new TaskServer({
    name: "server-a",
    team: "team-a",
    contact: "",
    cerebro: cerebro.address,
    candidate: "change-1",
    logger: pino({ level: "silent" }),
    handleSignals: false,
  });
  server.task({ id: "a.orders" }, () => ({}));
  servers.push(server);
  return server;
}

describe("a candidate task-server", () => {
  it("says its change in the hello and serves a cerebro of protocol 1.5", async () => {
    const started = candidateServer().start();
    const session = await cerebro.nextSession();
    const hello = await session.next("hello");
    expect(hello.candidate).toBe("change-1");
    session.welcome({ protocolVersion: { major: 1, minor: 5 } });
    await expect(started).resolves.toBeUndefined();
  });

  it("leaves a cerebro of protocol 1.4 at its welcome, saying it took the candidate for a live instance", async () => {
    const started = candidateServer().start();
    const session = await cerebro.nextSession();
    await session.next("hello");
    session.welcome({ protocolVersion: { major: 1, minor: 4 } });
    await expect(started).rejects.toThrow(
      /speaks protocol 1\.4, which knows no candidates \(1\.5 does\): it took candidate change-1 for a live instance of server-a/,
    );
    await session.ended;
  });
});
