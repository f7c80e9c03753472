// Vitest global setup: one real Redis for the whole test run, provided to
// tests as inject("redisUrl"). Each test uses its own key prefix.
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { onPath, RedisServerProcess } from "../../cerebro/src/testing/redis-server.js";
import { chooseRedisSource } from "../../cerebro/src/testing/redis-source.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

function dockerAnswers(): boolean {
  if (!onPath("docker")) return false;
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const source = chooseRedisSource({
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    hasRedisServerBinary: onPath("redis-server"),
    dockerAnswers: !onPath("redis-server") && dockerAnswers(),
    isRoot: process.getuid?.() === 0,
    hasAptGet: onPath("apt-get"),
  });
  switch (source.kind) {
    case "url":
      project.provide("redisUrl", source.url);
      return async () => {};
    case "docker": {
      const { GenericContainer } = await import("testcontainers");
      const container = await new GenericContainer("redis:7-alpine")
        .withCommand(["redis-server", "--appendonly", "yes"])
        .withExposedPorts(6379)
        .start();
      project.provide(
        "redisUrl",
        `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
      );
      return async () => {
        await container.stop();
      };
    }
    case "apt-install":
      process.stderr.write(
        "No redis-server on the PATH: installing Debian's redis-server with apt-get…\n",
      );
      execFileSync(
        "sh",
        [
          "-c",
          "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server",
        ],
        {
          stdio: ["ignore", "ignore", "inherit"],
        },
      );
      break;
    case "binary":
      break;
  }
  const server = await RedisServerProcess.start();
  project.provide("redisUrl", server.url);
  return () => server.stop();
}
