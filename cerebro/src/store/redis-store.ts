import { promisify } from "node:util";
import { gunzipSync, gzip } from "node:zlib";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import {
  type Completion,
  type RunRecord,
  type RunSnapshot,
  RunState,
  type TaskDefinition,
  type TaskRunRecord,
} from "../domain/model.js";
import { mapSliced, runSliced, timeSlices } from "../slices.js";
import { defineScripts, type RunScript } from "./lua-scripts.js";
import { RedisAccessStore } from "./redis-access-store.js";
import { RedisEventStore } from "./redis-event-store.js";
import { RedisKeys } from "./redis-keys.js";
import { RedisLogStore } from "./redis-log-store.js";
import { RedisNotificationStore } from "./redis-notification-store.js";
import { checkRedisPersistence, type RedisPersistence } from "./redis-persistence.js";
import { parseRedisUrl, type RedisConnectionOptions } from "./redis-url.js";
import type {
  CreatedRun,
  FinishedRunRemoval,
  RunPosition,
  Store,
  StoreChanges,
  TaskRunOfRun,
} from "./store.js";

/** How to connect a RedisStore. */
export interface RedisStoreOptions {
  /** Prefix of every key. Default "cordyna:". */
  readonly prefix?: string;
  readonly logger: Logger;
  /**
   * TTL of a finished run's keys, set when it finishes, so that Redis drops
   * old runs even while no cerebro sweeps. Default: none.
   */
  readonly finishedRunTtlMs?: number;
}

/** How long close() lets pending replies arrive before it drops the connection. */
const QUIT_TIMEOUT_MS = 2_000;

const gzipAsync = promisify(gzip);

/** A stored declaration's JSON: gzip since it is compressed, plain JSON as before. */
function unpack(stored: Buffer | undefined): string {
  if (!stored) return "[]";
  const gzipped = stored[0] === 0x1f && stored[1] === 0x8b;
  return (gzipped ? gunzipSync(stored) : stored).toString("utf8");
}

/**
 * The durable store: every record as JSON in Redis (see RedisKeys for the
 * layout). Each write is one Lua script, so it is atomic and, should Redis go
 * away, ioredis holds it and sends it again once Redis is back: a write then
 * resolves late rather than failing, and cerebro simply waits with it.
 */
export class RedisStore implements Store {
  /** The key names, under this store's prefix. */
  readonly keys: RedisKeys;
  /** The Redis URL with its password masked. */
  readonly address: string;
  readonly access: RedisAccessStore;
  readonly logs: RedisLogStore;
  readonly events: RedisEventStore;
  readonly notifications: RedisNotificationStore;
  readonly #client: Redis;
  readonly #script: RunScript;
  readonly #logger: Logger;
  readonly #finishedRunTtlMs: number;
  #closing = false;
  /** Rejects once close() is called, failing every command still waiting for Redis. */
  readonly #closed: Promise<never>;
  #rejectClosed: (reason: Error) => void = () => {};

  private constructor(
    client: Redis,
    keys: RedisKeys,
    address: string,
    logger: Logger,
    finishedRunTtlMs: number,
  ) {
    this.#client = client;
    this.keys = keys;
    this.address = address;
    this.#logger = logger;
    this.#finishedRunTtlMs = finishedRunTtlMs;
    this.#script = defineScripts(client);
    this.access = new RedisAccessStore(keys, (command) => this.#redis(command));
    this.logs = new RedisLogStore(keys, (...args) => this.#run(...args));
    this.events = new RedisEventStore(
      keys,
      (command) => this.#redis(command),
      (...script) => this.#run(...script),
    );
    this.notifications = new RedisNotificationStore(
      keys,
      (command) => this.#redis(command),
      (...script) => this.#run(...script),
    );
    this.#closed = new Promise<never>((_, reject) => {
      this.#rejectClosed = reject;
    });
    this.#closed.catch(() => {});
    watchConnection(client, address, logger, () => this.#closing);
  }

  /**
   * Connects to the Redis of a URL (see parseRedisUrl for the forms). Returns
   * at once: commands wait in ioredis's queue until Redis answers.
   */
  static connect(url: string, options: RedisStoreOptions): RedisStore {
    const { address, options: connection } = parseRedisUrl(url);
    const keys = new RedisKeys(options.prefix);
    const client = new Redis({
      ...ioredisConnection(connection),
      // Never fail a command because Redis is away: it waits for Redis, and so does cerebro.
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      // After a Sentinel failover the old master turns replica; reconnect to the new one.
      reconnectOnError: (err) => (err.message.startsWith("READONLY") ? 2 : false),
      connectionName: "cordyna-cerebro",
    });
    return new RedisStore(
      client,
      keys,
      address,
      options.logger,
      Math.max(0, Math.round(options.finishedRunTtlMs ?? 0)),
    );
  }

  /**
   * Asks Redis whether it persists anything (AOF or RDB snapshots) and logs a
   * warning when it does not, or when it refuses to say.
   */
  checkPersistence(): Promise<RedisPersistence> {
    return checkRedisPersistence(
      (parameter) => this.#redis((client) => client.config("GET", parameter)),
      this.address,
      this.#logger,
    );
  }

  async createRun(snapshot: RunSnapshot): Promise<CreatedRun> {
    const { run, taskRuns } = snapshot;
    const key = run.idempotencyKey;
    if (!key) {
      await this.save({ runs: [run], taskRuns });
      await this.#indexTaskRuns(snapshot);
      return { snapshot: copy(snapshot), existing: false };
    }
    const reply = await this.#run(
      "createRun",
      [
        this.keys.idempotency(key),
        this.keys.runsByCreation(),
        this.keys.activeRuns(),
        this.keys.run(run.id),
        this.keys.taskRuns(run.id),
        this.keys.finishedRuns(),
      ],
      [
        run.id,
        run.createdAt,
        finishedScore(run),
        this.#finishedRunTtlMs,
        JSON.stringify(run),
        ...taskRuns.flatMap((taskRun) => [taskRun.taskId, JSON.stringify(taskRun)]),
      ],
    );
    const [existing, runId] = reply as [number, string];
    if (existing === 0) {
      await this.#indexTaskRuns(snapshot);
      return { snapshot: copy(snapshot), existing: false };
    }
    const found = await this.getRun(runId);
    if (!found) throw new Error(`idempotency key "${key}" names run ${runId}, which is missing`);
    return { snapshot: found, existing: true };
  }

  async save(changes: StoreChanges): Promise<void> {
    const runs = changes.runs ?? [];
    const taskRuns = changes.taskRuns ?? [];
    const completions = changes.completions ?? [];
    if (runs.length + taskRuns.length + completions.length === 0) return;
    const keys = [
      this.keys.runsByCreation(),
      this.keys.activeRuns(),
      this.keys.completions(),
      this.keys.finishedRuns(),
      ...runs.flatMap((run) => this.#runKeys(run.id, run.idempotencyKey)),
      ...taskRuns.flatMap((taskRun) => [
        this.keys.taskRuns(taskRun.runId),
        this.keys.run(taskRun.runId),
      ]),
    ];
    const args = [
      runs.length,
      taskRuns.length,
      completions.length,
      this.#finishedRunTtlMs,
      ...runs.flatMap((run) => [
        run.id,
        run.createdAt,
        finishedScore(run),
        run.idempotencyKey ? "1" : "0",
        JSON.stringify(run),
      ]),
      ...taskRuns.flatMap((taskRun) => [taskRun.taskId, JSON.stringify(taskRun)]),
      ...completions.flatMap((c) => [c.taskId, c.completedAt, JSON.stringify(c)]),
    ];
    await this.#run("save", keys, args);
  }

  /** The run with its task-runs ordered by task id. */
  async getRun(runId: string): Promise<RunSnapshot | undefined> {
    const reply = (await this.#run(
      "getRun",
      [this.keys.run(runId), this.keys.taskRuns(runId)],
      [],
    )) as string[] | null;
    if (!reply) return undefined;
    const [runJson = "", ...fields] = reply;
    const taskRuns: TaskRunRecord[] = [];
    for (let i = 1; i < fields.length; i += 2) {
      taskRuns.push(JSON.parse(fields[i] ?? "") as TaskRunRecord);
    }
    taskRuns.sort((a, b) => compare(a.taskId, b.taskId));
    return { run: JSON.parse(runJson) as RunRecord, taskRuns };
  }

  async listRuns(limit: number, after?: RunPosition): Promise<RunRecord[]> {
    const count = Math.floor(limit);
    const found: RunRecord[] = [];
    let position = after;
    while (found.length < count) {
      const wanted = count - found.length;
      const page = (await this.#run(
        "listRuns",
        [this.keys.runsByCreation()],
        position ? [wanted, position.createdAt, position.id] : [wanted],
      )) as string[];
      const ids = page.filter((_, i) => i % 2 === 0);
      if (ids.length === 0) break;
      const records = await this.#redis((client) =>
        client.mget(ids.map((id) => this.keys.run(id))),
      );
      // A record whose TTL ran out before the sweeper removed its entries is skipped, and its entries go now.
      const expired = ids.filter((_, i) => !records[i]);
      if (expired.length > 0) await this.#forgetExpired(expired);
      for (const json of records) if (json) found.push(JSON.parse(json) as RunRecord);
      if (ids.length < wanted) break;
      position = { id: ids.at(-1) ?? "", createdAt: Number(page.at(-1)) };
    }
    return found;
  }

  /**
   * Pages through the task's index of runs as listRuns does; an entry whose
   * run is gone (removed between the script and the index update, or
   * expired) is skipped and dropped.
   */
  async taskRunsOf(taskId: string, limit: number, after?: RunPosition): Promise<TaskRunOfRun[]> {
    const index = this.keys.runsOfTask(taskId);
    const found: TaskRunOfRun[] = [];
    let position = after;
    while (found.length < limit) {
      const wanted = Math.floor(limit) - found.length;
      const page = (await this.#run(
        "listRuns",
        [index],
        position ? [wanted, position.createdAt, position.id] : [wanted],
      )) as string[];
      const ids = page.filter((_, i) => i % 2 === 0);
      if (ids.length === 0) break;
      const replies = await this.#redis((client) => {
        const pipeline = client.pipeline();
        for (const id of ids) {
          pipeline.get(this.keys.run(id));
          pipeline.hget(this.keys.taskRuns(id), taskId);
        }
        return pipeline.exec();
      });
      const values = (replies ?? []).map(([, value]) => value as string | null);
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const run = values[2 * i];
        const taskRun = values[2 * i + 1];
        if (run && taskRun) {
          found.push({
            run: JSON.parse(run) as RunRecord,
            taskRun: JSON.parse(taskRun) as TaskRunRecord,
          });
        } else gone.push(id);
      });
      if (gone.length > 0) await this.#redis((client) => client.zrem(index, ...gone));
      if (ids.length < wanted) break;
      position = { id: ids.at(-1) ?? "", createdAt: Number(page.at(-1)) };
    }
    return found;
  }

  /** Removes the oldest finished runs beyond the rule, in one script of at most `limit` runs. */
  async removeFinishedRuns(rule: FinishedRunRemoval): Promise<number> {
    const index = this.keys.finishedRuns();
    const [finished, old] = await this.#redis((client) =>
      Promise.all([client.zcard(index), client.zcount(index, "-inf", `(${rule.finishedBefore}`)]),
    );
    const due = Math.min(rule.limit, Math.max(old, finished - rule.keepNewest));
    if (due <= 0) return 0;
    const ids = await this.#redis((client) => client.zrange(index, 0, due - 1));
    const records = await this.#redis((client) => client.mget(ids.map((id) => this.keys.run(id))));
    const keyOf = (i: number): string | undefined => {
      const json = records[i];
      return json ? (JSON.parse(json) as RunRecord).idempotencyKey : undefined;
    };
    const tasksOfRuns = await this.#redis((client) =>
      Promise.all(ids.map((id) => client.hkeys(this.keys.taskRuns(id)))),
    );
    const removed = (await this.#run(
      "removeRuns",
      [
        this.keys.runsByCreation(),
        this.keys.activeRuns(),
        index,
        ...ids.flatMap((id, i) => this.#removalKeys(id, keyOf(i))),
      ],
      ids.flatMap((id, i) => [id, keyOf(i) ? "1" : "0"]),
    )) as number;
    // The script keeps a run that is RUNNING; its entries stay too.
    const kept = await this.#redis((client) =>
      Promise.all(ids.map((id) => client.exists(this.keys.run(id)))),
    );
    await this.#redis((client) => {
      const pipeline = client.pipeline();
      ids.forEach((id, i) => {
        if (kept[i]) return;
        for (const taskId of tasksOfRuns[i] ?? []) pipeline.zrem(this.keys.runsOfTask(taskId), id);
      });
      return pipeline.exec();
    });
    return removed;
  }

  /** The RUNNING runs, oldest first. */
  async activeRuns(): Promise<RunSnapshot[]> {
    const ids = await this.#redis((client) => client.smembers(this.keys.activeRuns()));
    const snapshots = await Promise.all(ids.map((id) => this.getRun(id)));
    return snapshots
      .filter((s): s is RunSnapshot => s?.run.state === RunState.RUNNING)
      .sort((a, b) => a.run.createdAt - b.run.createdAt || compare(a.run.id, b.run.id));
  }

  async lastCompletions(taskIds: readonly string[]): Promise<Map<string, Completion>> {
    const found = new Map<string, Completion>();
    if (taskIds.length === 0) return found;
    const values = await this.#redis((client) => client.hmget(this.keys.completions(), ...taskIds));
    taskIds.forEach((taskId, i) => {
      const json = values[i];
      if (json) found.set(taskId, JSON.parse(json) as Completion);
    });
    return found;
  }

  async saveDeclarations(serverName: string, tasks: readonly TaskDefinition[]): Promise<void> {
    const key = this.keys.declarations();
    if (tasks.length === 0) {
      await this.#redis((client) => client.hdel(key, serverName));
      return;
    }
    // Written out in slices: a declaration may hold tens of thousands of tasks.
    const json = `[${(
      await runSliced(
        mapSliced(tasks, (task) => JSON.stringify(task)),
        timeSlices(),
      )
    ).join(",")}]`;
    // Compressed off the event loop, a tenth of the size or less: megabytes
    // written at once to a Redis with an append-only file held every other
    // command's reply for as long as its disk took to sync them (150 ms).
    const packed = await gzipAsync(json);
    await this.#redis((client) => client.hset(key, serverName, packed));
  }

  /** Every server name's declarations, by server name in order. */
  async loadDeclarations(): Promise<Map<string, TaskDefinition[]>> {
    const all = await this.#redis((client) => client.hgetallBuffer(this.keys.declarations()));
    return new Map(
      Object.keys(all)
        .sort(compare)
        .map((name) => [name, JSON.parse(unpack(all[name])) as TaskDefinition[]]),
    );
  }

  async saveScheduleCursor(taskId: string, tickMs: number): Promise<void> {
    await this.#redis((client) => client.hset(this.keys.scheduleCursors(), taskId, String(tickMs)));
  }

  async loadScheduleCursors(): Promise<Map<string, number>> {
    const all = await this.#redis((client) => client.hgetall(this.keys.scheduleCursors()));
    return new Map(Object.entries(all).map(([taskId, tick]) => [taskId, Number(tick)]));
  }

  /**
   * Lets pending replies arrive (briefly) when Redis is there, then closes the
   * connection; commands still waiting for Redis fail.
   */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#client.status === "ready") {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#client.quit().catch(() => undefined),
        new Promise((resolve) => {
          timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#rejectClosed(new Error(`the store on Redis at ${this.address} is closed`));
    // ioredis would keep commands queued forever when closed between two reconnection attempts.
    this.#client.disconnect();
  }

  /** A run's record, task-runs and logs keys, and its idempotency key when it has one. */
  #runKeys(runId: string, idempotencyKey: string | undefined): string[] {
    const keys = [this.keys.run(runId), this.keys.taskRuns(runId), this.keys.logs(runId)];
    if (idempotencyKey) keys.push(this.keys.idempotency(idempotencyKey));
    return keys;
  }

  /** Adds a new run to the index of each of its task-runs' tasks. */
  async #indexTaskRuns({ run, taskRuns }: RunSnapshot): Promise<void> {
    await this.#redis((client) => {
      const pipeline = client.pipeline();
      for (const taskRun of taskRuns) {
        pipeline.zadd(this.keys.runsOfTask(taskRun.taskId), run.createdAt, run.id);
      }
      return pipeline.exec();
    });
  }

  /** What removing a run deletes: its record, task-runs, logs, events and idempotency key. */
  #removalKeys(runId: string, idempotencyKey: string | undefined): string[] {
    const keys = [
      this.keys.run(runId),
      this.keys.taskRuns(runId),
      this.keys.logs(runId),
      this.keys.runEvents(runId),
    ];
    if (idempotencyKey) keys.push(this.keys.idempotency(idempotencyKey));
    return keys;
  }

  async #forgetExpired(runIds: readonly string[]): Promise<void> {
    await this.#run(
      "removeRuns",
      [
        this.keys.runsByCreation(),
        this.keys.activeRuns(),
        this.keys.finishedRuns(),
        ...runIds.flatMap((id) => this.#removalKeys(id, undefined)),
      ],
      runIds.flatMap((id) => [id, "0"]),
    );
  }

  #redis<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    return Promise.race([command(this.#client), this.#closed]);
  }

  #run(...args: Parameters<RunScript>): Promise<unknown> {
    return Promise.race([this.#script(...args), this.#closed]);
  }
}

function ioredisConnection(connection: RedisConnectionOptions): RedisOptions {
  const { sentinels, tls, ...rest } = connection;
  return {
    ...rest,
    ...(sentinels ? { sentinels: sentinels.map((s) => ({ ...s })) } : {}),
    ...(tls ? { tls: { ...tls } } : {}),
  };
}

/**
 * Logs the connection's life: one warning per outage, the return after it,
 * and every reconnection attempt at debug level.
 */
function watchConnection(
  client: Redis,
  address: string,
  logger: Logger,
  closing: () => boolean,
): void {
  let down = false;
  let attempts = 0;
  const outage = (reason: string): void => {
    if (down || closing()) return;
    down = true;
    logger.warn(
      { redis: address, reason },
      `Redis at ${address} is unreachable (${reason}): store writes wait for it, so cerebro ` +
        "acknowledges no update and sends no invoke until it is back",
    );
  };
  client.on("error", (err: Error) => outage(err.message));
  client.on("reconnecting", (delayMs: number) => {
    attempts++;
    outage("connection lost");
    logger.debug({ redis: address, attempt: attempts, delayMs }, "reconnecting to Redis");
  });
  client.on("ready", () => {
    if (down) {
      logger.info(
        { redis: address, attempts },
        `Redis at ${address} is back; pending store writes go through`,
      );
    } else {
      logger.info({ redis: address }, `connected to Redis at ${address}`);
    }
    down = false;
    attempts = 0;
  });
}

/** A finished run's score in the finished index; "" while it is RUNNING. */
function finishedScore(run: RunRecord): number | "" {
  return run.state === RunState.RUNNING ? "" : (run.finishedAt ?? run.createdAt);
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
