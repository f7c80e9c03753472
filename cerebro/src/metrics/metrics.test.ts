// GET /metrics on a cerebro in this process, over real HTTP and real gRPC:
// who may scrape it, the cap on label values from the network, deadline
// expiries, the schedule's lag, and that docs/observability.md lists every metric.

import { readFileSync } from "node:fs";
import { createAccessClient, Role, TaskState } from "@cordyna/contract";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Cerebro, type CerebroOptions, startCerebro } from "../cerebro.js";
import { ManualClock } from "../clock.js";
import { prometheusSamples, sampleValue } from "../testing/prometheus-text.js";
import { RawSession } from "../testing/raw-session.js";

const ADMIN_TOKEN = "metrics-admin-token-that-is-long-enough-0123";
const silent = pino({ level: "silent" });

let cerebro: Cerebro | undefined;
const sessions: RawSession[] = [];

afterEach(async () => {
  for (const session of sessions.splice(0)) session.cancel();
  await cerebro?.stop();
  cerebro = undefined;
});

async function start(options: CerebroOptions = {}): Promise<Cerebro> {
  cerebro = await startCerebro({ port: 0, httpPort: 0, logger: silent, ...options });
  return cerebro;
}

function scrape(running: Cerebro, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://${running.httpAddress}/metrics`, init);
}

async function samples(running: Cerebro) {
  const response = await scrape(running);
  expect(response.status).toBe(200);
  return prometheusSamples(await response.text());
}

describe("who may scrape /metrics", () => {
  it("needs a credential that may read while authentication is on, and audits refusals", async () => {
    const running = await start({ auth: { required: true, adminToken: ADMIN_TOKEN } });
    const admin = createAccessClient(running.address, { token: ADMIN_TOKEN });
    const viewer = await admin.createToken({ team: "team-ops", role: Role.VIEWER });
    const server = await admin.createToken({
      team: "team-a",
      role: Role.SERVER,
      serverNames: ["task-server-a"],
    });

    const anonymous = await scrape(running);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer");
    expect(await anonymous.text()).toContain("no credential");

    const forged = await scrape(running, { headers: { authorization: "Bearer cdy_0_nope" } });
    expect(forged.status).toBe(401);

    const serverScrape = await scrape(running, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(serverScrape.status).toBe(403);
    expect(await serverScrape.text()).toMatch(
      /^token \w+ \(team-a server\) may not read \/metrics: it lacks the viewer or operator or admin role \(it is server\)$/,
    );

    const viewerScrape = await scrape(running, {
      headers: { authorization: `Bearer ${viewer.token}` },
    });
    expect(viewerScrape.status).toBe(200);
    expect(await viewerScrape.text()).toContain("# TYPE cordyna_runs_finished_total counter");

    const { entries } = await admin.listAudit({});
    const refusals = entries.filter((entry) => entry.action === "GET /metrics");
    expect(refusals.map((entry) => [entry.allowed, entry.code])).toEqual([
      [false, "PERMISSION_DENIED"],
      [false, "UNAUTHENTICATED"],
      [false, "UNAUTHENTICATED"],
    ]);
  });

  it("answers anyone when metrics are open, and only GET and HEAD", async () => {
    const running = await start({
      auth: { required: true, adminToken: ADMIN_TOKEN },
      metrics: { open: true },
    });
    expect((await scrape(running)).status).toBe(200);
    const head = await scrape(running, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await scrape(running, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("labels from the network", () => {
  it("keeps the first values of team and server and counts the rest as other", async () => {
    const running = await start({ metrics: { maxLabelValues: 2 } });
    for (const n of [1, 2, 3]) {
      const session = new RawSession(running.address);
      sessions.push(session);
      session.hello(`server-${n}`, [{ id: `t${n}.task`, owner: { team: `team-${n}` } }]);
      await session.next("welcome");
    }
    const scraped = await samples(running);
    const instances = scraped.filter((sample) => sample.name === "cordyna_connected_instances");
    expect(instances.map((sample) => [sample.labels, sample.value])).toEqual([
      [{ team: "team-1", server: "server-1" }, 1],
      [{ team: "team-2", server: "server-2" }, 1],
      [{ team: "other", server: "other" }, 1],
    ]);
    expect(sampleValue(scraped, "cordyna_connected_servers", { team: "other" })).toBe(1);
    expect(sampleValue(scraped, "cordyna_open_streams", { kind: "task-server" })).toBe(3);
  });
});

describe("deadline expiries", () => {
  it("counts an attempt whose server went away past its grace period as kind grace", async () => {
    const running = await start({ serverLostGraceMs: 50 });
    const session = new RawSession(running.address);
    sessions.push(session);
    session.hello("grace-server", [{ id: "g.task", owner: { team: "team-g" } }]);
    await session.next("welcome");
    const { snapshot } = await running.engine.startRun({ targets: ["g.task"] });
    const invoke = await session.next("invoke");
    session.send({
      case: "taskState",
      value: { seq: 1n, attemptId: invoke.attemptId, state: TaskState.STARTED },
    });
    const finished = new Promise<void>((resolve) =>
      running.events.subscribe((event) => event.kind === "run-finished" && resolve()),
    );
    session.cancel();
    await finished;
    expect((await running.engine.getRun(snapshot.run.id)).taskRuns[0]?.errorCause).toBe(
      "SERVER_LOST",
    );
    const scraped = await samples(running);
    expect(sampleValue(scraped, "cordyna_deadline_expiries_total", { kind: "grace" })).toBe(1);
  });
});

describe("the schedule's lag", () => {
  it("observes how long after its tick each cron run started", async () => {
    // A second before the tick: less than the liveness timeout, which runs on this clock too.
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 5, 59, 59));
    const running = await start({ clock });
    const session = new RawSession(running.address);
    sessions.push(session);
    session.hello("cron-server", [
      { id: "c.hourly", owner: { team: "team-c" }, schedule: { cron: "0 * * * *" } },
    ]);
    await session.next("welcome");
    clock.advance(1_000);
    await session.next("invoke");
    const scraped = await samples(running);
    expect(sampleValue(scraped, "cordyna_schedule_lag_seconds_count")).toBe(1);
    expect(sampleValue(scraped, "cordyna_schedule_lag_seconds_sum")).toBe(0);
  });
});

describe("docs/observability.md", () => {
  it("lists every metric cerebro serves, and no other", async () => {
    const running = await start();
    const text = await (await scrape(running)).text();
    const served = new Set([...text.matchAll(/^# TYPE (cordyna_\w+) /gm)].map((m) => m[1]));
    const docs = readFileSync(new URL("../../../docs/observability.md", import.meta.url), "utf8");
    const section = docs.slice(docs.indexOf("## Metrics"));
    const end = section.indexOf("\n## ", 1);
    const metricsSection = end === -1 ? section : section.slice(0, end);
    const documented = new Set(
      [...metricsSection.matchAll(/^\| `(cordyna_\w+)`/gm)].map((m) => m[1]),
    );
    expect([...documented].sort()).toEqual([...served].sort());
    expect(metricsSection).toContain("process_cpu_user_seconds_total");
  });
});
