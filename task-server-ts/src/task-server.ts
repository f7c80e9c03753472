import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CANDIDATES_MINOR,
  type ClientTls,
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  clientTlsFromEnv,
  type Hello,
  HelloSchema,
  type Invoke,
  PROTOCOL_VERSION,
  type Rejection,
  RunMode,
  type TaskDeclaration,
  TaskState,
  type TaskStateUpdate,
  tokenFromEnv,
  type Welcome,
} from "@cordyna/contract";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Logger } from "pino";
import { Connection } from "./connection.js";
import { declarationMessages, type RequestMessage } from "./declaration-parts.js";
import { durationToMs } from "./durations.js";
import { DeclarationRejectedError, TaskOptionsError } from "./errors.js";
import { DEFAULT_MAX_LOG_BYTES_PER_ATTEMPT, LogShipper } from "./log-shipper.js";
import { defaultLogger } from "./logger.js";
import { Outbox } from "./outbox.js";
import {
  type PrintedDeclarations,
  printAndExit,
  printDeclarationsRequested,
  printedDeclarations,
} from "./print-declarations.js";
import { ProgressSender, progressIntervalMs } from "./progress-sender.js";
import { TaskRegistry } from "./registry.js";
import { type AttemptObserver, AttemptRunner } from "./runner.js";
import { settlesWithin } from "./settles-within.js";
import { isThenable } from "./task-values.js";
import type {
  AttemptInfo,
  TaskHandler,
  TaskOptions,
  TaskOutputs,
  TaskParams,
  TaskServerHooks,
  TaskServerOptions,
} from "./types.js";
import { UpdateSender } from "./update-sender.js";

/** Sent in the Hello to name this implementation. */
export const AGENT = "cordyna-task-server-ts/0.1.0";

const DEFAULT_ADDRESS = "localhost:7070";
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_HEARTBEAT_MS = 5_000;
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
const DEFAULT_ACK_TIMEOUT_MS = 5_000;
const STREAM_CLOSE_TIMEOUT_MS = 1_000;

/** Statuses that refuse the caller itself rather than report a passing fault. */
const REFUSALS: ReadonlySet<Code> = new Set([Code.Unauthenticated, Code.PermissionDenied]);

type Lifecycle = "new" | "starting" | "running" | "draining" | "stopped";

/**
 * With a Params type that is not plain strings, a params schema is required:
 * without one, nothing would make the strings on the wire into that type.
 */
type ParamsSchemaFor<Params> = [Params] extends [Readonly<Record<string, string | undefined>>]
  ? unknown
  : { readonly params: StandardSchemaV1<unknown, Params> };

/**
 * A Cordyna task-server: declare tasks with `task()`, then `start()` to
 * connect to cerebro, which invokes them. Handles the session protocol:
 * Hello/Welcome, state updates kept until acknowledged, heartbeats,
 * cancellation, reconnects, drain and shutdown signals.
 */
export class TaskServer {
  /** Server name shared by replicas. */
  readonly name: string;
  /** Unique id of this process's instance. */
  readonly instanceId: string;
  /** Logger carrying serverName and instanceId. */
  readonly logger: Logger;

  readonly #address: string;
  readonly #tls: ClientTls | undefined;
  readonly #token: string | undefined;
  readonly #concurrency: number;
  /** The change id this instance is the candidate of; empty for a normal server. */
  readonly #candidate: string;
  readonly #handleSignals: boolean;
  readonly #drainTimeoutMs: number;
  readonly #ackTimeoutMs: number;
  readonly #backoff: NonNullable<TaskServerOptions["reconnectBackoff"]>;
  readonly #registry: TaskRegistry;
  readonly #owner: { readonly team: string; readonly contact: string };
  readonly #outbox = new Outbox();
  readonly #updates = new UpdateSender((message) =>
    this.#connection?.send(create(ConnectRequestSchema, { message })),
  );
  readonly #runner: AttemptRunner;
  readonly #logs: LogShipper;
  readonly #progress = new ProgressSender((progress) =>
    this.#send({ case: "attemptProgress", value: progress }),
  );
  #connection: Connection | undefined;
  #lifecycle: Lifecycle = "new";
  /** The current stream has received its Welcome. */
  #welcomed = false;
  /** Registry version last declared on the current stream. */
  #declaredVersion = -1;
  /** Tasks added after the first Welcome: dropped if cerebro refuses their Redeclare. */
  readonly #addedAfterStart = new Set<string>();
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #startWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #drainPromise: Promise<void> | undefined;
  #signalListener: ((signal: NodeJS.Signals) => void) | undefined;
  /** What start() returned, for run() called after it. */
  #started: Promise<void> | undefined;
  /** Resolves once the server has stopped (drained, stopped, or refused). */
  readonly #stopped: Promise<void>;
  #resolveStopped!: () => void;
  /** run() was called: a signal's drain lets it resolve instead of exiting the process. */
  #runAwaited = false;
  readonly #hooks: TaskServerHooks;
  /** When the welcomed stream was lost, until the next Welcome. */
  #disconnectedAt: number | undefined;

  /**
   * @throws TaskOptionsError for invalid server options.
   */
  constructor(options: TaskServerOptions) {
    const fail = (field: string, problem: string): never => {
      throw new TaskOptionsError(undefined, field, problem);
    };
    if (typeof options?.name !== "string" || options.name.trim() === "") {
      fail("name", "must be a non-empty string");
    }
    if (typeof options.team !== "string" || options.team.trim() === "") {
      fail("team", "must be a non-empty string");
    }
    if (typeof options.contact !== "string") fail("contact", "must be a string");
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 0 || concurrency > 0xffff_ffff) {
      fail("concurrency", "must be a non-negative integer (0 = unlimited)");
    }
    for (const field of ["drainTimeoutMs", "ackTimeoutMs"] as const) {
      const value = options[field];
      if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
        fail(field, "must be a non-negative number of milliseconds");
      }
    }
    if (options.instanceId !== undefined && options.instanceId.trim() === "") {
      fail("instanceId", "must be a non-empty string");
    }

    this.name = options.name;
    this.instanceId =
      options.instanceId ??
      `${options.name}-${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.logger = (options.logger ?? defaultLogger()).child({
      serverName: this.name,
      instanceId: this.instanceId,
    });
    this.#address = options.cerebro ?? process.env.CORDYNA_ADDR ?? DEFAULT_ADDRESS;
    this.#tls =
      options.tls === undefined ? clientTlsFromEnv(process.env) : options.tls || undefined;
    this.#token =
      options.token === undefined ? tokenFromEnv(process.env) : options.token || undefined;
    this.#concurrency = concurrency;
    const candidate =
      options.candidate === undefined ? (process.env.CORDYNA_CANDIDATE ?? "") : options.candidate;
    if (candidate && !/^[a-z0-9][a-z0-9._-]{0,127}$/.test(candidate)) {
      fail(
        "candidate",
        "must be a change id: 1-128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    }
    this.#candidate = candidate || "";
    this.#handleSignals = options.handleSignals ?? true;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.#backoff = options.reconnectBackoff ?? {};
    this.#hooks = options.hooks ?? {};
    this.#stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
    this.#owner = { team: options.team, contact: options.contact };
    this.#registry = new TaskRegistry(this.#owner);
    const maxLogBytesPerAttempt =
      options.maxLogBytesPerAttempt ?? DEFAULT_MAX_LOG_BYTES_PER_ATTEMPT;
    if (!Number.isInteger(maxLogBytesPerAttempt) || maxLogBytesPerAttempt < 1) {
      fail("maxLogBytesPerAttempt", "must be a positive integer number of bytes");
    }
    this.#logs = new LogShipper(
      (logs) => this.#send({ case: "taskLogs", value: logs }),
      maxLogBytesPerAttempt,
    );
    this.#runner = new AttemptRunner({
      concurrency,
      lookup: (taskId) => this.#registry.get(taskId),
      report: (update) => this.#report(update),
      log: (attemptId, line) => this.#logs.add(attemptId, line),
      progress: (invoke, fields) =>
        this.#progress.report(
          invoke.attemptId,
          fields,
          progressIntervalMs(durationToMs(invoke.deadlines?.heartbeat)),
        ),
      logger: this.logger,
      observer: this.#attemptObserver(),
    });
  }

  /**
   * Declares a task and the handler that runs it. After `start()`, the new
   * set of tasks is redeclared to cerebro.
   *
   * `Params` and `Outputs` follow from the `params` and `outputs` schemas
   * when given (any Standard Schema library); without them the handler gets
   * params as strings and may return any record of outputs (encoded as
   * described at {@link TaskOutputs}).
   *
   * @throws TaskOptionsError naming the task and the field, for invalid
   *   options or an id already declared.
   */
  task<Params = TaskParams, Outputs = TaskOutputs>(
    options: TaskOptions<Params, Outputs> & ParamsSchemaFor<NoInfer<Params>>,
    handler: TaskHandler<Params, Outputs>,
  ): this {
    if (this.#lifecycle === "stopped") throw new Error("task-server is stopped");
    const { declaration } = this.#registry.add(options, handler);
    if (this.#lifecycle !== "new") {
      this.#addedAfterStart.add(declaration.id);
      this.#redeclareIfChanged();
    }
    return this;
  }

  /**
   * What the server would declare, as `--print-declarations` prints it: its
   * name, default team and contact, and the tasks declared so far in the
   * proto's JSON form.
   */
  declarationsJson(): PrintedDeclarations {
    return printedDeclarations(this.name, this.#owner, this.#registry.declarations());
  }

  /**
   * Connects to cerebro. Resolves at the first Welcome, while the server
   * goes on serving; rejects with a DeclarationRejectedError when cerebro
   * refuses the declarations (the server then stops and does not
   * reconnect). Until the Welcome, failed connections are retried with
   * backoff. Installs SIGTERM/SIGINT handlers unless `handleSignals` is
   * false; without `run()`, the process exits with code 0 once a signal's
   * drain is done. To wait for the server to stop, use `run()`.
   *
   * Started with `--print-declarations` among the process's arguments, or
   * with `CORDYNA_PRINT_DECLARATIONS=1`, it connects to nothing: it prints
   * {@link declarationsJson} to stdout and exits the process with code 0
   * (the promise never settles).
   */
  start(): Promise<void> {
    if (this.#lifecycle !== "new") {
      return Promise.reject(new Error(`task-server already ${this.#lifecycle}`));
    }
    if (printDeclarationsRequested()) {
      this.#lifecycle = "starting";
      printAndExit(this.declarationsJson());
      return new Promise(() => {});
    }
    this.#lifecycle = "starting";
    const started = new Promise<void>((resolve, reject) => {
      this.#startWaiter = { resolve, reject };
    });
    this.#started = started;
    if (this.#handleSignals) this.#installSignalHandlers();
    this.logger.info(
      {
        cerebro: this.#address,
        tls: this.#tls !== undefined,
        token: this.#token !== undefined,
        tasks: this.#registry.size,
        concurrency: this.#concurrency,
      },
      "connecting to cerebro",
    );
    this.#connection = new Connection({
      address: this.#address,
      ...(this.#tls ? { tls: this.#tls } : {}),
      ...(this.#token ? { token: this.#token } : {}),
      logger: this.logger,
      backoff: this.#backoff,
      handlers: {
        hello: () => this.#hello(),
        message: (message) => this.#onMessage(message),
        disconnected: (error, retryInMs) => this.#onDisconnected(error, retryInMs),
      },
    });
    this.#connection.start();
    return started;
  }

  /**
   * Starts the server (unless `start()` already did) and resolves once it
   * has stopped: drained after a signal or `drain()`, or stopped with
   * `stop()`. Rejects as `start()` does when cerebro refuses the server.
   * With `run()`, a signal drains the server and lets `run()` resolve; the
   * SDK does not exit the process, which ends once nothing else keeps it
   * alive (close what you opened after `await server.run()`).
   */
  run(): Promise<void> {
    this.#runAwaited = true;
    const started = this.#lifecycle === "new" ? this.start() : (this.#started ?? Promise.resolve());
    return started.then(() => this.#stopped);
  }

  /**
   * Shuts down gently: tells cerebro (Drain), takes no new work, waits for
   * running and queued attempts (at most `drainTimeoutMs`; attempts still
   * running then are aborted and reported as retryable ERROR), waits for the
   * final updates to be acknowledged (at most `ackTimeoutMs`), then closes
   * the stream. Calling it again returns the same promise.
   */
  drain(): Promise<void> {
    if (this.#drainPromise) return this.#drainPromise;
    if (this.#lifecycle === "new" || this.#lifecycle === "stopped") {
      this.#lifecycle = "stopped";
      this.#resolveStopped();
      this.#drainPromise = Promise.resolve();
      return this.#drainPromise;
    }
    this.#lifecycle = "draining";
    this.#drainPromise = this.#drain();
    return this.#drainPromise;
  }

  /** Closes at once: aborts every handler, closes the stream, no reconnect. */
  stop(): void {
    if (this.#lifecycle === "stopped") return;
    this.logger.info("task-server stopping");
    this.#runner.abortAll("task-server stopped");
    this.#shutdown(new Error("task-server stopped before cerebro welcomed it"));
    this.#connection?.close();
  }

  async #drain(): Promise<void> {
    const log = this.logger;
    log.info(
      { running: this.#runner.runningCount, queued: this.#runner.queuedCount },
      "draining: no new work, waiting for running attempts",
    );
    if (this.#welcomed) this.#send({ case: "drain", value: {} });
    if (!(await settlesWithin(this.#runner.whenIdle(), this.#drainTimeoutMs))) {
      log.warn(
        { running: this.#runner.activeAttemptIds(), drainTimeoutMs: this.#drainTimeoutMs },
        "drain timed out; aborting the remaining attempts",
      );
      this.#runner.failAll("task-server shut down before the attempt finished");
    }
    if (!(await settlesWithin(this.#outbox.whenEmpty(), this.#ackTimeoutMs))) {
      log.warn({ unacknowledged: this.#outbox.size }, "final updates not acknowledged in time");
    }
    if (this.#lifecycle === "stopped") return;
    this.#stopHeartbeats();
    await this.#connection?.closeGracefully(STREAM_CLOSE_TIMEOUT_MS);
    this.#shutdown(new Error("task-server drained before cerebro welcomed it"));
    log.info("drained");
  }

  /** Marks the server stopped; settles a pending start() with `startError`. */
  #shutdown(startError: Error): void {
    this.#lifecycle = "stopped";
    this.#welcomed = false;
    this.#stopHeartbeats();
    this.#logs.stop();
    this.#progress.stop();
    this.#removeSignalHandlers();
    const waiter = this.#startWaiter;
    this.#startWaiter = undefined;
    waiter?.reject(startError);
    this.#resolveStopped();
  }

  /** The Hello, and the parts of a declaration too large for one message. */
  #hello(): RequestMessage[] {
    this.#declaredVersion = this.#registry.version;
    return declarationMessages(this.#registry.declarations(), (tasks, tasksContinue) => ({
      case: "hello",
      value: this.#helloWith(tasks, tasksContinue),
    }));
  }

  #helloWith(tasks: TaskDeclaration[], tasksContinue: boolean): Hello {
    return create(HelloSchema, {
      serverName: this.name,
      instanceId: this.instanceId,
      protocolVersion: { major: PROTOCOL_VERSION.major, minor: PROTOCOL_VERSION.minor },
      tasks,
      tasksContinue,
      // An attempt whose final update is still unacknowledged is not lost: it
      // is named so that cerebro waits for the resent update instead of
      // declaring the attempt SERVER_LOST.
      runningAttemptIds: [
        ...new Set([...this.#runner.activeAttemptIds(), ...this.#outbox.attemptIds()]),
      ],
      maxConcurrency: this.#concurrency,
      agent: AGENT,
      candidate: this.#candidate,
    });
  }

  #onMessage(response: ConnectResponse): void {
    const message = response.message;
    switch (message.case) {
      case "welcome":
        this.#onWelcome(message.value);
        return;
      case "rejection":
        this.#onRejection(message.value);
        return;
      case "invoke":
        this.#onInvoke(message.value);
        return;
      case "invokes":
        for (const invoke of message.value.invokes) this.#onInvoke(invoke);
        return;
      case "cancel":
        this.#runner.cancel(
          message.value.attemptId,
          message.value.reason || "cancelled by cerebro",
        );
        this.#progress.forget(message.value.attemptId);
        return;
      case "ack":
        this.#outbox.ack(message.value.throughSeq);
        return;
      case "refusal": {
        const refusal = message.value;
        if (refusal.seq === 0n) {
          // Progress has no seq: cerebro wants no more of this attempt's.
          this.logger.warn(
            { attemptId: refusal.attemptId, code: refusal.code, reason: refusal.message },
            "cerebro refused an attempt's progress; no more is sent for it",
          );
          this.#progress.refused(refusal.attemptId);
          return;
        }
        this.logger.warn(
          {
            seq: refusal.seq.toString(),
            attemptId: refusal.attemptId,
            code: refusal.code,
            reason: refusal.message,
          },
          "cerebro refused a task state update",
        );
        this.#outbox.settle(refusal.seq);
        return;
      }
      case "ping":
        this.#send({ case: "pong", value: { nonce: message.value.nonce } });
        return;
      case "logsRefused": {
        const refused = message.value;
        this.logger.debug(
          { attemptId: refused.attemptId, lines: Number(refused.lines), code: refused.code },
          `cerebro did not keep log lines: ${refused.message}`,
        );
        this.#logs.refused(refused.attemptId, Number(refused.lines), refused.code);
        return;
      }
      default:
        this.logger.debug("ignoring an unknown message from cerebro");
    }
  }

  #onInvoke(invoke: Invoke): void {
    if (this.#lifecycle === "draining" || this.#lifecycle === "stopped") {
      this.#runner.reject(invoke, "task-server is draining; invoke another instance", false);
    } else {
      this.#runner.invoke(invoke);
    }
  }

  #onWelcome(welcome: Welcome): void {
    if (this.#lifecycle === "stopped") return;
    const version = welcome.protocolVersion;
    if (this.#candidate && (version?.major !== 1 || version.minor < CANDIDATES_MINOR)) {
      // It has taken this instance for a live one: leave before it sends live work.
      const refusal = new Error(
        `cerebro at ${this.#address} speaks protocol ${version?.major ?? 1}.${version?.minor ?? 0}, which knows no candidates ` +
          `(${PROTOCOL_VERSION.major}.${CANDIDATES_MINOR} does): it took candidate ${this.#candidate} for a live instance of ${this.name}; ` +
          `stopping. Check what it holds for ${this.name} with: dyna tasks`,
      );
      this.logger.error(refusal.message);
      this.#shutdown(refusal);
      this.#connection?.close();
      return;
    }
    this.#welcomed = true;
    const disconnectedAt = this.#disconnectedAt;
    this.#disconnectedAt = undefined;
    if (disconnectedAt !== undefined) {
      this.#callHook("onReconnected", {
        address: this.#address,
        downtimeMs: Date.now() - disconnectedAt,
      });
    }
    this.#connection?.resetBackoff();
    for (const warning of welcome.warnings) {
      this.logger.warn(
        { taskId: warning.taskId, code: warning.code },
        `declaration warning: ${warning.message}`,
      );
    }
    this.logger.info(
      { sessionId: welcome.sessionId, unknownAttempts: welcome.unknownAttemptIds.length },
      "welcomed by cerebro",
    );
    this.#startHeartbeats(durationToMs(welcome.heartbeatInterval) || DEFAULT_HEARTBEAT_MS);
    for (const attemptId of welcome.unknownAttemptIds) {
      this.#runner.cancel(attemptId, "cerebro no longer wants this attempt");
      this.#progress.forget(attemptId);
    }
    this.#updates.welcomed(welcome.protocolVersion);
    // Before the updates resent: an attempt's lines and progress come before its end.
    this.#logs.welcomed(welcome.protocolVersion);
    this.#progress.welcomed(welcome.protocolVersion);
    for (const update of this.#outbox.open()) this.#updates.add(update);
    this.#redeclareIfChanged();
    if (this.#lifecycle === "draining") this.#send({ case: "drain", value: {} });
    if (this.#lifecycle === "starting") this.#lifecycle = "running";
    const waiter = this.#startWaiter;
    this.#startWaiter = undefined;
    waiter?.resolve();
  }

  #onRejection(rejection: Rejection): void {
    const error = DeclarationRejectedError.fromRejection(rejection);
    if (this.#welcomed) {
      // A refused Redeclare: the previous declarations stay in force.
      this.logger.error({ issues: error.issues }, error.message);
      for (const issue of error.issues) {
        if (this.#addedAfterStart.delete(issue.taskId) && this.#registry.remove(issue.taskId)) {
          this.logger.error({ taskId: issue.taskId }, "task dropped: cerebro refused it");
        }
      }
      this.#declaredVersion = this.#registry.version;
      return;
    }
    this.logger.error({ issues: error.issues }, error.message);
    const waiter = this.#startWaiter;
    this.#startWaiter = undefined;
    this.#runner.abortAll("cerebro rejected the task declarations");
    this.#connection?.close();
    this.#shutdown(error);
    waiter?.reject(error);
  }

  #onDisconnected(error: Error | undefined, retryInMs: number | undefined): void {
    const wasWelcomed = this.#welcomed;
    this.#welcomed = false;
    this.#outbox.close();
    this.#updates.disconnected();
    this.#logs.disconnected();
    this.#progress.disconnected();
    this.#stopHeartbeats();
    // Refused for who it is (no or a bad certificate, later a token): trying
    // again changes nothing, so a server that was never welcomed gives up.
    if (
      this.#lifecycle === "starting" &&
      error instanceof ConnectError &&
      REFUSALS.has(error.code)
    ) {
      const refusal = new Error(`cerebro refused this task-server: ${error.rawMessage}`, {
        cause: error,
      });
      this.logger.error(refusal.message);
      this.#connection?.close();
      this.#shutdown(refusal);
      return;
    }
    if (retryInMs !== undefined) {
      // One line, no stack trace: a cerebro that is away is news, not a bug here.
      const code = statusName(error);
      this.logger.warn(
        {
          address: this.#address,
          code,
          retryInMs,
          running: this.#runner.runningCount,
          unacknowledged: this.#outbox.size,
        },
        `stream to cerebro at ${this.#address} lost (${code}${error ? `: ${reason(error)}` : ""}); reconnecting in ${retryInMs} ms`,
      );
      if (wasWelcomed) {
        this.#disconnectedAt = Date.now();
        this.#callHook("onDisconnected", {
          address: this.#address,
          code,
          message: error ? reason(error) : "cerebro ended the stream",
          retryInMs,
          runningAttempts: this.#runner.runningCount,
        });
      }
    }
  }

  /** Tells the hooks about attempts, when there are hooks for them. */
  #attemptObserver(): AttemptObserver {
    const hooks = this.#hooks;
    return {
      ...(hooks.onAttemptStarted && {
        started: (invoke) => this.#callHook("onAttemptStarted", attemptInfo(invoke)),
      }),
      ...(hooks.onAttemptCompleted && {
        completed: (invoke, outputs, durationMs) =>
          this.#callHook("onAttemptCompleted", { ...attemptInfo(invoke), durationMs, outputs }),
      }),
      ...(hooks.onAttemptFailed && {
        failed: (invoke, failure, durationMs) =>
          this.#callHook("onAttemptFailed", {
            ...attemptInfo(invoke),
            durationMs,
            error: failure.error,
            description: failure.description,
            errorType: failure.type,
            errorDetails: failure.details,
            retryable: !failure.nonRetryable,
            willRetry: failure.willRetry,
          }),
      }),
    };
  }

  /**
   * Calls a hook after the current work is done, so that it never runs in
   * the middle of the SDK's own bookkeeping; what it throws or rejects with
   * is logged and goes no further.
   */
  #callHook<K extends keyof TaskServerHooks>(
    name: K,
    info: Parameters<NonNullable<TaskServerHooks[K]>>[0],
  ): void {
    const hook = this.#hooks[name] as ((info: unknown) => unknown) | undefined;
    if (!hook) return;
    queueMicrotask(() => {
      try {
        const result = hook.call(this.#hooks, info);
        if (isThenable(result)) {
          Promise.resolve(result).catch((error: unknown) => this.#hookFailed(name, error));
        }
      } catch (error) {
        this.#hookFailed(name, error);
      }
    });
  }

  #hookFailed(name: keyof TaskServerHooks, error: unknown): void {
    this.logger.error({ err: error, hook: name }, `hook ${name} failed; the task-server goes on`);
  }

  #report(update: TaskStateUpdate): void {
    if (update.state === TaskState.COMPLETED || update.state === TaskState.ERROR) {
      this.#logs.end(update.attemptId);
      this.#progress.end(update.attemptId);
    }
    const stamped = this.#outbox.push(update);
    if (stamped) this.#updates.add(stamped);
  }

  #redeclareIfChanged(): void {
    if (!this.#welcomed || this.#declaredVersion === this.#registry.version) return;
    this.#declaredVersion = this.#registry.version;
    this.logger.info({ tasks: this.#registry.size }, "redeclaring tasks");
    const messages = declarationMessages(this.#registry.declarations(), (tasks, tasksContinue) => ({
      case: "redeclare",
      value: { tasks, tasksContinue },
    }));
    for (const message of messages) this.#send(message);
  }

  #send(message: NonNullable<ConnectRequestInit["message"]>): void {
    this.#updates.flush();
    this.#connection?.send(create(ConnectRequestSchema, { message }));
  }

  #startHeartbeats(intervalMs: number): void {
    this.#stopHeartbeats();
    this.#heartbeatTimer = setInterval(() => {
      if (!this.#welcomed) return;
      this.#send({
        case: "heartbeat",
        value: { runningAttemptIds: this.#runner.activeAttemptIds() },
      });
    }, intervalMs);
    this.#heartbeatTimer.unref();
  }

  #stopHeartbeats(): void {
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  #installSignalHandlers(): void {
    let received = 0;
    const listener = (signal: NodeJS.Signals): void => {
      received++;
      if (received > 1) {
        this.logger.warn({ signal }, "second signal: stopping now");
        this.stop();
        process.exit(0);
      }
      this.logger.info({ signal }, "signal received: draining");
      this.drain()
        .catch((error: unknown) => this.logger.error({ err: error }, "drain failed"))
        .finally(() => {
          // run() resolves and leaves the rest to the program; without it,
          // nothing else learns that the drain is done.
          if (!this.#runAwaited) process.exit(0);
        });
    };
    this.#signalListener = listener;
    process.on("SIGTERM", listener);
    process.on("SIGINT", listener);
  }

  #removeSignalHandlers(): void {
    const listener = this.#signalListener;
    if (!listener) return;
    this.#signalListener = undefined;
    process.off("SIGTERM", listener);
    process.off("SIGINT", listener);
  }
}

/** Which attempt an invoke is, as the hooks are told. */
function attemptInfo(invoke: Invoke): AttemptInfo {
  return {
    taskId: invoke.taskId,
    runId: invoke.runId,
    taskRunId: invoke.taskRunId,
    attemptId: invoke.attemptId,
    attemptNumber: invoke.attemptNumber,
    mode: invoke.mode === RunMode.TEST ? "test" : "normal",
  };
}

/** The init shape of a ConnectRequest, as accepted by `create`. */
type ConnectRequestInit = Exclude<MessageInitShape<typeof ConnectRequestSchema>, ConnectRequest>;

/** The gRPC status name of why a stream ended, e.g. "UNAVAILABLE". */
function statusName(error: Error | undefined): string {
  if (error === undefined) return "ENDED";
  if (!(error instanceof ConnectError)) return error.name;
  return (Code[error.code] ?? String(error.code)).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The error's own message, without the status prefix ConnectError adds. */
function reason(error: Error): string {
  return error instanceof ConnectError ? error.rawMessage : error.message;
}
