// Parses the Redis URLs cerebro accepts into ioredis connection options.

/** One Redis or Sentinel address. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Connection options, named as ioredis names them. */
export interface RedisConnectionOptions {
  readonly host?: string;
  readonly port?: number;
  readonly sentinels?: readonly RedisEndpoint[];
  /** The Sentinel master name. */
  readonly name?: string;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls?: { readonly servername: string };
}

/** A parsed Redis URL. */
export interface ParsedRedisUrl {
  /** The URL with its password masked: safe to log. */
  readonly address: string;
  readonly options: RedisConnectionOptions;
}

/** The URL forms parseRedisUrl accepts, for messages. */
export const REDIS_URL_FORMS = [
  "redis://[user:password@]host[:port][/db]",
  "rediss://[user:password@]host[:port][/db] (TLS)",
  "redis-sentinel://[user:password@]host1[:port1][,host2[:port2]...]/mastername[/db]",
] as const;

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

/** Whether a store spec looks like a Redis URL (any scheme parseRedisUrl knows). */
export function isRedisUrl(spec: string): boolean {
  return /^(redis|rediss|redis-sentinel):\/\//i.test(spec);
}

/** Masks the password of a URL-like string, so it can be logged or shown. */
export function redactRedisUrl(url: string): string {
  const match = /^([a-z][a-z-]*:\/\/)([^/]*)(.*)$/is.exec(url);
  if (!match) return url;
  const [, scheme = "", authority = "", rest = ""] = match;
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  if (at === -1 || colon === -1 || colon > at) return url;
  return `${scheme}${authority.slice(0, colon)}:***${authority.slice(at)}${rest}`;
}

/**
 * Parses `redis://`, `rediss://` (TLS) and `redis-sentinel://` URLs (see
 * REDIS_URL_FORMS). Credentials may be percent-encoded; with Sentinel they
 * are the master's. Throws an Error naming the URL (password masked) and the
 * accepted forms.
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const fail = (reason: string): never => {
    throw new Error(
      `invalid Redis URL "${redactRedisUrl(url)}": ${reason}; accepted forms: ${REDIS_URL_FORMS.join(", ")}`,
    );
  };
  const match = /^([a-z][a-z-]*):\/\/(.*)$/is.exec(url.trim());
  if (!match) return fail("not a URL");
  const scheme = (match[1] ?? "").toLowerCase();
  const rest = match[2] ?? "";
  if (scheme !== "redis" && scheme !== "rediss" && scheme !== "redis-sentinel") {
    return fail(`unknown scheme "${scheme}"`);
  }
  if (/[?#]/.test(rest)) fail("query strings and fragments are not supported");
  const slash = rest.indexOf("/");
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash + 1);
  const at = authority.lastIndexOf("@");
  const credentials = at === -1 ? undefined : parseCredentials(authority.slice(0, at), fail);
  const hostList = at === -1 ? authority : authority.slice(at + 1);

  const sentinel = scheme === "redis-sentinel";
  const endpoints = hostList
    .split(",")
    .map((part) => parseEndpoint(part, sentinel ? DEFAULT_SENTINEL_PORT : DEFAULT_PORT, fail));
  const segments = path === "" ? [] : path.split("/");
  const auth = {
    ...(credentials?.username ? { username: credentials.username } : {}),
    ...(credentials?.password !== undefined ? { password: credentials.password } : {}),
  };
  const address = redactRedisUrl(url.trim());

  if (sentinel) {
    const [name, db, ...extra] = segments;
    if (!name) return fail("the Sentinel master name is missing (…/mastername)");
    if (extra.length > 0) fail(`unexpected path "/${path}"`);
    return {
      address,
      options: { sentinels: endpoints, name: decode(name, fail), ...auth, db: parseDb(db, fail) },
    };
  }
  if (endpoints.length !== 1) fail("only redis-sentinel:// takes several hosts");
  const [db, ...extra] = segments;
  if (extra.length > 0) fail(`unexpected path "/${path}"`);
  const { host, port } = endpoints[0] as RedisEndpoint;
  return {
    address,
    options: {
      host,
      port,
      ...auth,
      db: parseDb(db, fail),
      ...(scheme === "rediss" ? { tls: { servername: host } } : {}),
    },
  };
}

type Fail = (reason: string) => never;

function parseCredentials(
  userinfo: string,
  fail: Fail,
): { username: string; password: string | undefined } {
  const colon = userinfo.indexOf(":");
  if (colon === -1) return { username: decode(userinfo, fail), password: undefined };
  return {
    username: decode(userinfo.slice(0, colon), fail),
    password: decode(userinfo.slice(colon + 1), fail),
  };
}

function parseEndpoint(text: string, defaultPort: number, fail: Fail): RedisEndpoint {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(.*))?$/i.exec(text);
  if (!match) return fail(text === "" ? "the host is missing" : `bad host "${text}"`);
  const host = (match[1] ?? "").replace(/^\[(.*)\]$/, "$1");
  const portText = match[2];
  if (portText === undefined) return { host, port: defaultPort };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) fail(`bad port "${portText}" (1 to 65535)`);
  return { host, port };
}

function parseDb(text: string | undefined, fail: Fail): number {
  if (text === undefined || text === "") return 0;
  if (!/^\d{1,5}$/.test(text)) fail(`bad database number "${text}"`);
  return Number(text);
}

function decode(text: string, fail: Fail): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail("bad percent-encoding");
  }
}
