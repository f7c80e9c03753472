/** Where the tests get their Redis from, decided from what this machine offers. */
export type RedisSource =
  | { readonly kind: "url"; readonly url: string }
  | { readonly kind: "binary" }
  | { readonly kind: "docker" }
  | { readonly kind: "apt-install" };

/** What the machine offers, as far as choosing a Redis goes. */
export interface RedisEnvironment {
  /** REDIS_URL, when set. */
  readonly redisUrl?: string;
  readonly hasRedisServerBinary: boolean;
  readonly dockerAnswers: boolean;
  readonly isRoot: boolean;
  readonly hasAptGet: boolean;
}

/**
 * Chooses the tests' Redis: REDIS_URL when set, else a redis-server from the
 * PATH, else a container when a Docker engine answers, else Debian's
 * redis-server installed with apt (only as root). Otherwise it throws an
 * error saying how to get one.
 */
export function chooseRedisSource(environment: RedisEnvironment): RedisSource {
  if (environment.redisUrl) return { kind: "url", url: environment.redisUrl };
  if (environment.hasRedisServerBinary) return { kind: "binary" };
  if (environment.dockerAnswers) return { kind: "docker" };
  if (environment.isRoot && environment.hasAptGet) return { kind: "apt-install" };
  throw new Error(
    "The tests need a Redis server and none can be had here: no REDIS_URL is set, no redis-server is on the PATH, " +
      `no Docker engine answers, and Debian's redis-server cannot be installed (${
        environment.hasAptGet ? "not running as root" : "no apt-get"
      }). Install one (e.g. "sudo apt-get install redis-server" or "brew install redis"), ` +
      "or set REDIS_URL=redis://host:port to a Redis the tests may write to.",
  );
}
