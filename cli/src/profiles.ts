// dyna's profiles: named sets of where cerebro is and how to reach it, in
// a TOML file, so that `dyna --profile prod runs` needs nothing else.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { closeMatches, didYouMean } from "./suggest.js";

/** The environment variable naming the profile to use. */
export const PROFILE_ENV = "CORDYNA_PROFILE";

/** The variables a profile stands in for: any set in the environment wins. */
const ADDRESS_VAR = "CORDYNA_ADDR";
const TOKEN_VAR = "CORDYNA_TOKEN";
const TLS_VARS = [
  "CORDYNA_TLS",
  "CORDYNA_TLS_CA",
  "CORDYNA_TLS_CLIENT_CERT",
  "CORDYNA_TLS_CLIENT_KEY",
] as const;

/** A mistake in the configuration file, or a profile it does not hold; the CLI exits with 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where dyna's configuration is: $XDG_CONFIG_HOME/cordyna/config.toml, else
 * ~/.config/cordyna/config.toml. Undefined without either variable.
 */
export function configPath(env: Env): string | undefined {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // The XDG spec: a relative path is invalid and ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, "cordyna", "config.toml");
  const home = env.HOME?.trim();
  return home ? join(home, ".config", "cordyna", "config.toml") : undefined;
}

/** A profile in use: its name, its file, and the variables it stands in for. */
export interface Profile {
  readonly name: string;
  readonly file: string;
  /** CORDYNA_ADDR, CORDYNA_TLS*, CORDYNA_TOKEN as the profile sets them. */
  readonly env: Readonly<Record<string, string>>;
}

/** Each key a profile may hold, and what its value must be. */
const PROFILE_KEYS = {
  address: "a host:port",
  tls: "true or false",
  tls_ca: "a file name",
  tls_client_cert: "a file name",
  tls_client_key: "a file name",
  token: "a token",
  token_file: "a file name",
} as const;
type ProfileKey = keyof typeof PROFILE_KEYS;

const TOP_KEYS = ["default_profile", "profiles"] as const;

/**
 * The profile to use, or undefined for none: the one named (by --profile,
 * else CORDYNA_PROFILE), else the file's default_profile. Throws a
 * ConfigError naming the file, the line and what is wrong.
 */
export function loadProfile(env: Env, named: string | undefined): Profile | undefined {
  const wanted = named?.trim() || env[PROFILE_ENV]?.trim() || undefined;
  const file = configPath(env);
  if (file === undefined) {
    if (wanted === undefined) return undefined;
    throw new ConfigError(`no profile ${wanted}: set HOME or XDG_CONFIG_HOME to find config.toml`);
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    if (missing && wanted === undefined) return undefined;
    throw new ConfigError(
      missing
        ? `no profile ${wanted}: ${file} does not exist`
        : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
  return new ConfigFile(file, text, env).profile(wanted);
}

/**
 * The environment a command sees with a profile: each of the profile's
 * settings that the environment does not set. The TLS variables go
 * together: any CORDYNA_TLS* in the environment replaces all of the
 * profile's TLS settings.
 */
export function withProfile(env: Env, profile: Profile | undefined): Env {
  if (profile === undefined) return env;
  const set = (name: string): boolean => (env[name]?.trim() ?? "") !== "";
  const merged: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(profile.env)) {
    const envWins = (TLS_VARS as readonly string[]).includes(name) ? TLS_VARS.some(set) : set(name);
    if (!envWins) merged[name] = value;
  }
  return merged;
}

/** One parsed configuration file, and where in its text each key is. */
class ConfigFile {
  readonly #file: string;
  readonly #lines: readonly string[];
  readonly #env: Env;
  readonly #data: Record<string, unknown>;

  constructor(file: string, text: string, env: Env) {
    this.#file = file;
    this.#lines = text.split(/\r?\n/);
    this.#env = env;
    try {
      this.#data = parse(text) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      // smol-toml's message repeats the place and shows the text; its first line says what.
      const what = (error.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
      throw new ConfigError(`${file}:${error.line}:${error.column}: ${what}`);
    }
  }

  profile(wanted: string | undefined): Profile | undefined {
    for (const key of Object.keys(this.#data)) {
      if (!(TOP_KEYS as readonly string[]).includes(key)) {
        this.#fail([key], `unknown setting ${key}${didYouMean(closeMatches(key, TOP_KEYS))}`);
      }
    }
    const profiles = this.#data.profiles ?? {};
    if (!isTable(profiles)) {
      return this.#fail(["profiles"], "profiles must be a table: [profiles.NAME]");
    }
    const fallback = this.#data.default_profile;
    if (fallback !== undefined && typeof fallback !== "string") {
      return this.#fail(["default_profile"], "default_profile must be a profile's name, in quotes");
    }
    const name = wanted ?? fallback;
    if (name === undefined) return undefined;
    const names = Object.keys(profiles);
    const settings = profiles[name];
    if (settings === undefined) {
      const known = names.length === 0 ? "it defines none" : `it defines ${names.join(", ")}`;
      const problem = `no profile ${name}${didYouMean(closeMatches(name, names))} (${known})`;
      if (wanted === undefined) return this.#fail(["default_profile"], problem);
      throw new ConfigError(`${this.#file}: ${problem}`);
    }
    if (!isTable(settings)) {
      return this.#fail(["profiles", name], `profiles.${name} must be a table: [profiles.${name}]`);
    }
    return { name, file: this.#file, env: this.#variables(name, settings) };
  }

  /** The variables the profile's settings stand in for, each setting checked. */
  #variables(name: string, settings: Record<string, unknown>): Record<string, string> {
    const path = (key: string): string[] => ["profiles", name, key];
    const fail = (key: string, problem: string): never =>
      this.#fail(path(key), `profiles.${name}.${key}: ${problem}`);
    for (const key of Object.keys(settings)) {
      if (!Object.hasOwn(PROFILE_KEYS, key)) {
        fail(key, `unknown setting${didYouMean(closeMatches(key, Object.keys(PROFILE_KEYS)))}`);
      }
    }
    const given = settings as Partial<Record<ProfileKey, unknown>>;
    const text = (key: ProfileKey): string | undefined => {
      const value = given[key];
      if (value === undefined) return undefined;
      if (typeof value !== "string" || value.trim() === "") {
        fail(key, `expected ${PROFILE_KEYS[key]} in quotes`);
      }
      return (value as string).trim();
    };
    const file = (key: ProfileKey): string | undefined => {
      const value = text(key);
      if (value === undefined) return undefined;
      const absolute = this.#resolvePath(value);
      try {
        readFileSync(absolute);
      } catch (error) {
        fail(key, `cannot read ${absolute}: ${(error as Error).message}`);
      }
      return absolute;
    };

    const env: Record<string, string> = {};
    const address = text("address");
    if (address !== undefined) env[ADDRESS_VAR] = address;

    const tls = given.tls;
    if (tls !== undefined && typeof tls !== "boolean") fail("tls", "expected true or false");
    const ca = file("tls_ca");
    const cert = file("tls_client_cert");
    const key = file("tls_client_key");
    if ((cert === undefined) !== (key === undefined)) {
      fail(
        cert === undefined ? "tls_client_key" : "tls_client_cert",
        "set both tls_client_cert and tls_client_key",
      );
    }
    if (tls === false && (ca ?? cert) !== undefined) {
      fail(
        "tls",
        `false, but ${ca === undefined ? "tls_client_cert" : "tls_ca"} is set: TLS files turn TLS on`,
      );
    }
    if (tls !== undefined) env.CORDYNA_TLS = tls ? "on" : "off";
    if (ca !== undefined) env.CORDYNA_TLS_CA = ca;
    if (cert !== undefined) env.CORDYNA_TLS_CLIENT_CERT = cert;
    if (key !== undefined) env.CORDYNA_TLS_CLIENT_KEY = key;

    if (given.token !== undefined && given.token_file !== undefined) {
      fail("token_file", "set token or token_file, not both");
    }
    const tokenFile = file("token_file");
    const token = tokenFile === undefined ? text("token") : readFileSync(tokenFile, "utf8").trim();
    if (token === "") fail("token_file", `${tokenFile} is empty`);
    if (token !== undefined) env[TOKEN_VAR] = token;
    return env;
  }

  /** A file name of the profile: "~/" is the home folder; relative ones start at the config file's folder. */
  #resolvePath(value: string): string {
    const home = this.#env.HOME?.trim();
    if (home && (value === "~" || value.startsWith("~/"))) return join(home, value.slice(1));
    return resolve(dirname(this.#file), value);
  }

  #fail(path: readonly string[], problem: string): never {
    const line = this.#lineOf(path);
    throw new ConfigError(`${this.#file}${line === undefined ? "" : `:${line}`}: ${problem}`);
  }

  /**
   * The line (from 1) where the key at `path` is set: as `key = …` under
   * its table's header, as a dotted key, or as a header itself. Only for
   * pointing at a mistake: the file itself was read by the TOML parser.
   */
  #lineOf(path: readonly string[]): number | undefined {
    const target = path.join("\u0000");
    let table: string[] = [];
    for (const [index, raw] of this.#lines.entries()) {
      const line = raw.trim();
      const header = /^\[\s*([^[\]]+?)\s*\](?:\s*#.*)?$/.exec(line);
      if (header) {
        table = keyPath(header[1] ?? "");
        if (table.join("\u0000") === target) return index + 1;
        continue;
      }
      const assignment =
        /^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/.exec(
          line,
        );
      if (!assignment) continue;
      const full = [...table, ...keyPath(assignment[1] ?? "")];
      // The key itself, or a dotted key or inline table that sets a key beneath it.
      if (full.join("\u0000") === target) return index + 1;
      if (path.length > full.length && full.every((part, i) => part === path[i])) {
        if (new RegExp(`\\b${escapeRegExp(path[path.length - 1] ?? "")}\\s*=`).test(line)) {
          return index + 1;
        }
      }
    }
    return undefined;
  }
}

/** The parts of a dotted TOML key: `profiles."my prod"` → profiles, my prod. */
function keyPath(key: string): string[] {
  return (key.match(/"[^"]*"|'[^']*'|[^.\s]+/g) ?? []).map((part) =>
    /^["']/.test(part) ? part.slice(1, -1) : part,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isTable(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}
