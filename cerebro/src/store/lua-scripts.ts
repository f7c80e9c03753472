import { readFileSync } from "node:fs";

/** The scripts in ./lua, by the name the store calls them with. */
const SCRIPT_FILES = {
  createRun: "create-run-6.lua",
  save: "save-n.lua",
  getRun: "get-run-2.lua",
  listRuns: "list-runs-1.lua",
  removeRuns: "remove-runs-n.lua",
  appendLogs: "append-logs-2.lua",
  readLogs: "read-logs-1.lua",
  appendEvents: "append-events-n.lua",
  enqueueDeliveries: "enqueue-deliveries-3.lua",
  claimDeliveries: "claim-deliveries-2.lua",
  rescheduleDelivery: "reschedule-delivery-2.lua",
} as const;

/** A script the store can run. */
export type ScriptName = keyof typeof SCRIPT_FILES;

type ScriptArg = string | number;

/** The part of an ioredis client that defineScripts needs. */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** Runs a defined script with its keys and arguments. */
export type RunScript = (
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
) => Promise<unknown>;

/**
 * Defines every script on the client (ioredis sends EVALSHA and falls back to
 * EVAL when Redis lost its script cache, e.g. after a restart). A file named
 * `name-N.lua` takes exactly N keys; `name-n.lua` takes any number of keys.
 */
export function defineScripts(host: ScriptHost): RunScript {
  const keyCounts = new Map<ScriptName, number | undefined>();
  for (const [name, file] of Object.entries(SCRIPT_FILES) as [ScriptName, string][]) {
    const count = /-(\d+|n)\.lua$/.exec(file)?.[1];
    if (count === undefined) throw new Error(`Lua script ${file} does not name its key count`);
    const numberOfKeys = count === "n" ? undefined : Number(count);
    const lua = readFileSync(new URL(`./lua/${file}`, import.meta.url), "utf8");
    host.defineCommand(
      commandName(name),
      numberOfKeys === undefined ? { lua } : { lua, numberOfKeys },
    );
    keyCounts.set(name, numberOfKeys);
  }
  const commands = host as unknown as Record<string, (...args: ScriptArg[]) => Promise<unknown>>;
  return (name, keys, args) => {
    const fixed = keyCounts.get(name);
    if (fixed !== undefined && keys.length !== fixed) {
      throw new Error(`Lua script ${name} takes ${fixed} keys, not ${keys.length}`);
    }
    const command = commands[commandName(name)];
    if (!command) throw new Error(`Lua script ${name} is not defined`);
    const head: ScriptArg[] = fixed === undefined ? [keys.length] : [];
    return command.call(host, ...head, ...keys, ...args);
  };
}

function commandName(name: ScriptName): string {
  return `cordyna_${name}`;
}
