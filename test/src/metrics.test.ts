// Cerebro's Prometheus metrics as an operator scrapes them: cerebro as the
// service with authentication on, a real task-server process, a run with a
// success, failures, a retry and an expired deadline, and GET /metrics over
// real HTTP, parsed as Prometheus text.

import { createAccessClient, createControlClient, Role, RunState } from "@cordyna/contract";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, prometheusSamples, sampleValue } from "../../cerebro/src/testing/index.js";
import {
  type Child,
  finishedRun,
  spawnTs,
  startCerebroProcess,
  waitForServers,
} from "./processes.js";

const ADMIN_TOKEN = "metrics-test-admin-token-0123456789abcdef";
const children: Child[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop()));
});

describe("GET /metrics on cerebro's HTTP port", () => {
  it("counts a run's success, failures, retry and expired deadline, and what is connected", async () => {
    const port = await freePort();
    const httpPort = await freePort();
    const { child, address } = await startCerebroProcess(
      {
        CORDYNA_PORT: String(port),
        CORDYNA_HTTP_PORT: String(httpPort),
        CORDYNA_HOST: "127.0.0.1",
        CORDYNA_ADMIN_TOKEN: ADMIN_TOKEN,
        LOG_LEVEL: "warn",
      },
      { entry: "cerebro/src/main.ts", port, token: ADMIN_TOKEN },
    );
    children.push(child);
    const admin = createAccessClient(address, { token: ADMIN_TOKEN });
    const viewer = await admin.createToken({ team: "team-ops", role: Role.VIEWER });
    const operator = await admin.createToken({ team: "team-m", role: Role.OPERATOR });
    const serverToken = await admin.createToken({
      team: "team-m",
      role: Role.SERVER,
      serverNames: ["metrics-server"],
    });
    const server = spawnTs("metrics-server", "test/src/fixtures/metrics-server.ts", [], {
      CORDYNA_ADDR: address,
      CORDYNA_TOKEN: serverToken.token,
      LOG_LEVEL: "warn",
    });
    children.push(server);
    const control = createControlClient(address, { token: operator.token });
    await waitForServers(control, ["metrics-server"]);

    const { run } = await control.startRun({ targets: ["m.ok", "m.fail", "m.flaky", "m.slow"] });
    expect((await finishedRun(control, run?.id ?? "")).state).toBe(RunState.FAILED);

    const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
      headers: { authorization: `Bearer ${viewer.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = prometheusSamples(await response.text());
    const team = "team-m";
    const value = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(samples, name, labels);

    expect(value("cordyna_runs_finished_total", { state: "FAILED" })).toBe(1);
    expect(value("cordyna_runs_active")).toBe(0);
    expect(
      value("cordyna_task_runs_finished_total", { team, state: "COMPLETED", cause: "none" }),
    ).toBe(2);
    expect(
      value("cordyna_task_runs_finished_total", { team, state: "ERROR", cause: "TASK_FAILED" }),
    ).toBe(1);
    expect(
      value("cordyna_task_runs_finished_total", {
        team,
        state: "ERROR",
        cause: "COMPLETE_TIMEOUT",
      }),
    ).toBe(1);
    expect(
      value("cordyna_attempts_failed_total", { team, cause: "TASK_FAILED", retried: "true" }),
    ).toBe(1);
    expect(
      value("cordyna_attempts_failed_total", { team, cause: "TASK_FAILED", retried: "false" }),
    ).toBe(1);
    expect(value("cordyna_deadline_expiries_total", { kind: "complete" })).toBe(1);
    // Four first attempts and one retry were acknowledged; four task-runs were invoked first.
    expect(value("cordyna_invoke_to_ack_seconds_count", { server: "metrics-server" })).toBe(5);
    expect(value("cordyna_upstream_complete_to_invoke_seconds_count", { team })).toBe(4);
    expect(value("cordyna_connected_instances", { team, server: "metrics-server" })).toBe(1);
    expect(value("cordyna_connected_servers", { team })).toBe(1);
    expect(value("cordyna_open_streams", { kind: "task-server" })).toBe(1);
    expect(value("cordyna_store_operation_seconds_count", { operation: "createRun" })).toBe(1);
    expect(value("cordyna_store_operation_seconds_count", { operation: "save" })).toBeGreaterThan(
      0,
    );
    expect(value("cordyna_task_runs_active", {})).toBe(0);
    expect(value("process_cpu_user_seconds_total")).toBeGreaterThan(0);
  });
});
