// What a result was measured on: cores, memory, versions.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { ROOT } from "./env.js";

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGB: number;
  readonly os: string;
  readonly node: string;
  readonly redis: string;
  readonly commit: string;
  readonly packages: Record<string, string>;
  /** 1-minute load average when the bench started: other work on the machine skews figures. */
  readonly loadAverage: number;
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function packageVersion(name: string): string {
  try {
    const json = readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8");
    return (JSON.parse(json) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function describeMachine(): Machine {
  const commit = run("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = run("git", ["status", "--porcelain", "--", "cerebro", "task-server-ts", "proto"]);
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    redis: /v=(\S+)/.exec(run("redis-server", ["--version"]))?.[1] ?? "unknown",
    commit: dirty && dirty !== "unknown" ? `${commit} (with uncommitted changes)` : commit,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    packages: Object.fromEntries(
      ["@grpc/grpc-js", "@connectrpc/connect-node", "@bufbuild/protobuf", "ioredis", "pino"].map(
        (name) => [name, packageVersion(name)],
      ),
    ),
  };
}
