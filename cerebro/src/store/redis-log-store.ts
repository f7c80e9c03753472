import type { LogLineRecord } from "../domain/logs.js";
import { decodeLogLine, encodeLogLine, type LogPage, type LogStore } from "./log-store.js";
import type { RunScript } from "./lua-scripts.js";
import type { RedisKeys } from "./redis-keys.js";

/** Attempts' logs in Redis: one hash per run, written and read by Lua scripts. */
export class RedisLogStore implements LogStore {
  readonly #keys: RedisKeys;
  readonly #script: RunScript;

  constructor(keys: RedisKeys, script: RunScript) {
    this.#keys = keys;
    this.#script = script;
  }

  async append(
    runId: string,
    attemptId: string,
    lines: readonly LogLineRecord[],
    maxBytes: number,
  ): Promise<void> {
    if (lines.length === 0) return;
    await this.#script(
      "appendLogs",
      [this.#keys.run(runId), this.#keys.logs(runId)],
      [attemptId, maxBytes, ...lines.map(encodeLogLine)],
    );
  }

  async read(runId: string, attemptId: string, afterSeq: number, limit: number): Promise<LogPage> {
    const [lastSeq = 0, dropped = 0, ...encoded] = (await this.#script(
      "readLogs",
      [this.#keys.logs(runId)],
      [attemptId, afterSeq, Math.max(0, limit)],
    )) as [number, number, ...string[]];
    const first = Math.max(afterSeq, dropped) + 1;
    return {
      lines: encoded.map((line, i) => decodeLogLine(first + i, line)),
      dropped,
      lastSeq,
    };
  }
}
