import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { Violation } from "@bufbuild/protovalidate";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type AttemptProgress,
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
  type DeclarationPart,
  describeViolation,
  describeViolations,
  type Hello,
  PROTOCOL_VERSION,
  type TaskDeclaration,
  type TaskLogs,
  type TaskServerService,
  type TaskStateUpdate,
  taskStatesOf,
  violationsOf,
} from "@cordyna/contract";
import type { Logger } from "pino";
import type { AccessControl, CallRecord } from "../access/access-control.js";
import type { Action } from "../access/policy.js";
import type { Principal } from "../access/principal.js";
import type { Clock, TimerHandle } from "../clock.js";
import { CordynaError, ErrorCode } from "../domain/errors.js";
import { type TaskDefinition, TaskState } from "../domain/model.js";
import type { RunEngine } from "../engine/run-engine.js";
import type { EventBus } from "../events.js";
import type { CandidateOverlays } from "../graph/candidates.js";
import { type DeclarationIssue, IssueCode } from "../graph/issues.js";
import type { TaskGraph } from "../graph/task-graph.js";
import { newId } from "../ids.js";
import type { LogBook } from "../logs/log-book.js";
import { LogRate } from "../logs/log-rate.js";
import type { OpenStreams } from "../metrics/open-streams.js";
import { timeSlices } from "../slices.js";
import { principalOf } from "./authentication.js";
import { peerOf, resetCall } from "./call-context.js";
import type { DeclarationQueue } from "./declaration-queue.js";
import { issueCodeToProto, taskStateFromProto } from "./enums.js";
import { Outbound } from "./outbound.js";
import { InstanceIdTaken, Session, type SessionRegistry } from "./sessions.js";
import { logLinesFromProto, logTextBytes } from "./task-logs.js";

export interface TaskServerServiceOptions {
  readonly graph: TaskGraph;
  /** Candidate servers' declarations (Hello.candidate), kept beside the graph. */
  readonly candidates?: CandidateOverlays;
  /** Where hellos and redeclarations are checked, applied and stored, one at a time. */
  readonly declarations: DeclarationQueue;
  readonly engine: RunEngine;
  readonly sessions: SessionRegistry;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Who may serve which server names and declare whose tasks; the audit trail. */
  readonly access: AccessControl;
  readonly heartbeatIntervalMs: number;
  /** A session that sends nothing for this long is taken as dead and closed. */
  readonly livenessTimeoutMs: number;
  /** How many bytes of commands a task-server may leave unread before its stream is closed. */
  readonly streamBufferBytes: number;
  /** Where attempts' log lines go. */
  readonly logs: LogBook;
  /** The most bytes of log lines one stream may send a second; lines past it are refused. */
  readonly maxLogBytesPerSecond: number;
  /** Where open streams are counted (metrics). */
  readonly streams?: OpenStreams;
}

/**
 * Messages received and not yet handled, past which cerebro stops reading
 * the stream: HTTP/2 flow control then makes the task-server wait, so a
 * flood cannot grow cerebro's memory.
 */
const MAX_INBOX = 1_000;

/**
 * Ends a stream with a status; with issues, a Rejection comes first. Its
 * message is the headline (what was refused), its errors the issues, each
 * said once; the status message says both, for callers that see only it.
 */
class StreamRejected extends Error {
  readonly headline: string;

  constructor(
    readonly code: Code,
    headline: string,
    readonly issues: DeclarationIssue[],
  ) {
    super(issues.length === 0 ? headline : `${headline}: ${summarizeIssues(issues)}`);
    this.headline = headline;
  }
}

/**
 * The TaskServerService: one long-lived stream per task-server instance.
 * Messages of one stream are handled strictly in order, so acknowledgements
 * are cumulative and an update is acknowledged only once it is stored.
 */
export function taskServerService(
  options: TaskServerServiceOptions,
): ServiceImpl<typeof TaskServerService> {
  return {
    async *connect(requests: AsyncIterable<ConnectRequest>, context: HandlerContext) {
      const principal = principalOf(context);
      const stream = new TaskServerStream(options, principal, peerOf(context).address, () =>
        resetCall(context),
      );
      const onAbort = (): void => stream.close("the stream was cancelled or its connection lost");
      context.signal.addEventListener("abort", onAbort, { once: true });
      // A revoked or expired credential ends the stream it opened at once.
      const stopWatching = options.access.onRevoked(principal, (reason) =>
        stream.fail(new StreamRejected(Code.Unauthenticated, reason, [])),
      );
      const closeStream = options.streams?.open("task-server", stream.outbound);
      try {
        void stream.read(requests);
        yield* stream.outbound.messages();
      } finally {
        closeStream?.();
        stopWatching();
        context.signal.removeEventListener("abort", onAbort);
        stream.close("the stream ended");
      }
    },
  };
}

/** A Hello or Redeclare that said tasks_continue, and what its parts brought so far. */
interface GatheredDeclaration {
  readonly start:
    | { readonly kind: "hello"; readonly hello: Hello; readonly violations: readonly Violation[] }
    | { readonly kind: "redeclare" };
  readonly tasks: TaskDeclaration[];
  /** The limits its tasks break, so far. */
  readonly issues: DeclarationIssue[];
  /** Tasks announced so far, also those past the limit, which are not kept. */
  count: number;
}

/** The start of a declaration in parts, with the first part's tasks and the limits they break. */
function gathering(
  start: GatheredDeclaration["start"],
  tasks: readonly TaskDeclaration[],
  issues: DeclarationIssue[],
): GatheredDeclaration {
  return { start, tasks: [...tasks], issues, count: tasks.length };
}

class TaskServerStream {
  readonly #options: TaskServerServiceOptions;
  readonly #principal: Principal;
  readonly #peer: string;
  /** What cerebro sends on this stream, bounded for a task-server that does not read. */
  readonly outbound: Outbound<ConnectResponse>;
  #logger: Logger;
  #session: Session | undefined;
  /** Messages received and not handled yet, in arrival order. */
  #inbox: ConnectRequest[] = [];
  #draining = false;
  /** Resolves the reader waiting for the inbox to empty, if it waits. */
  #inboxDrained: (() => void) | undefined;
  #closed = false;
  /** A declaration sent in parts (protocol 1.2), until its last part. */
  #gathering: GatheredDeclaration | undefined;
  #lastSeen: number;
  #livenessTimer: TimerHandle | undefined;
  readonly #logRate: LogRate;
  /** Attempts whose progress this stream was refused, the latest MAX_REFUSED_PROGRESS. */
  readonly #refusedProgress = new Set<string>();

  /** @param reset ends the call at once, for a task-server that does not read. */
  constructor(
    options: TaskServerServiceOptions,
    principal: Principal,
    peer: string,
    reset: () => void,
  ) {
    this.#options = options;
    this.#principal = principal;
    this.#peer = peer;
    this.#logger = options.logger.child({ peer });
    this.#lastSeen = options.clock.now();
    this.#logRate = new LogRate(options.maxLogBytesPerSecond, options.clock);
    this.outbound = new Outbound<ConnectResponse>(
      {
        maxBufferedBytes: options.streamBufferBytes,
        sizeOf: commandSize,
        what: "the task-server stream",
      },
      (error) => {
        this.#logger.warn(error.rawMessage);
        this.close("it did not read what cerebro sent");
        reset();
      },
    );
  }

  /** Takes the task-server's messages in order, no faster than they are handled. */
  async read(requests: AsyncIterable<ConnectRequest>): Promise<void> {
    // Messages already in the socket's buffer are decoded one after the
    // other in microtasks: a declaration's fifty parts would hold the event
    // loop for as long as they all take, unless reading pauses now and then.
    const pause = timeSlices();
    try {
      for await (const message of requests) {
        if (this.#closed) return;
        this.#receive(message);
        const paused = pause();
        if (paused) await paused;
        if (this.#inbox.length >= MAX_INBOX) {
          await new Promise<void>((resolve) => {
            this.#inboxDrained = resolve;
          });
        }
      }
      this.close("the task-server ended the stream");
    } catch {
      this.close("the stream was cancelled or its connection lost");
    }
  }

  #receive(message: ConnectRequest): void {
    this.#lastSeen = this.#options.clock.now();
    // Handled once the messages of this read from the socket are all in:
    // an in-memory store answers at once, and draining on the first
    // message would apply, store and acknowledge each of them alone.
    this.#inbox.push(message);
    if (!this.#draining) {
      this.#draining = true;
      setImmediate(() => void this.#drain());
    }
  }

  /**
   * Handles what has arrived, in order. Task states that arrived together
   * are applied as one batch: stored in one write and acknowledged by one
   * cumulative Ack, so a burst costs one store round trip, not one each.
   */
  async #drain(): Promise<void> {
    // Checking a message against the contract's limits takes a few
    // milliseconds for a declaration part: pause between them as reading does.
    const pause = timeSlices();
    try {
      while (this.#inbox.length > 0 && !this.#closed) {
        await this.#handle(this.#inbox.shift()!);
        const paused = pause();
        if (paused) await paused;
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.#draining = false;
      const resume = this.#inboxDrained;
      this.#inboxDrained = undefined;
      resume?.();
    }
  }

  /**
   * The task states of the given message and of those right behind it in
   * the inbox, whole messages only, up to one batch (a message larger than a
   * batch is taken alone).
   */
  #batchFrom(first: readonly TaskStateUpdate[]): TaskStateUpdate[] {
    const updates = [...first];
    let taken = 0;
    for (const message of this.#inbox) {
      const more = taskStatesOf(message);
      if (more === undefined || updates.length + more.length > MAX_BATCH) break;
      // Left for #handle, which refuses it once the batch before it is done.
      if (violationsOf(ConnectRequestSchema, message).length > 0) break;
      updates.push(...more);
      taken++;
    }
    this.#inbox.splice(0, taken);
    return updates;
  }

  async #handle(message: ConnectRequest): Promise<void> {
    const { case: kind, value } = message.message;
    const violations = violationsOf(ConnectRequestSchema, message);
    if (this.#gathering) {
      if (kind !== "declarationPart") {
        throw new StreamRejected(
          Code.FailedPrecondition,
          `${kind ?? "an empty message"} arrived before the last DeclarationPart of the ${this.#gathering.start.kind} that said tasks_continue`,
          [],
        );
      }
      return this.#declarationPart(value, violations);
    }
    if (kind === "declarationPart") {
      throw new StreamRejected(
        Code.FailedPrecondition,
        "a DeclarationPart may only follow a hello or redeclare that said tasks_continue",
        [],
      );
    }
    // Declarations that break a limit are refused like any invalid one,
    // together with their other problems.
    if (kind === "hello") {
      const issues = violationIssues(violations, value.tasks);
      if (value.tasksContinue) {
        this.#gathering = gathering(
          { kind: "hello", hello: value, violations },
          value.tasks,
          issues,
        );
        return;
      }
      return this.#hello(value, violations, value.tasks, issues);
    }
    if (violations.length > 0 && kind !== "redeclare") {
      throw new StreamRejected(Code.InvalidArgument, describeViolations(violations), []);
    }
    const session = this.#session;
    if (!session) {
      throw new StreamRejected(
        Code.FailedPrecondition,
        `the first message on the stream must be a hello, not ${kind ?? "an empty message"}`,
        [],
      );
    }
    switch (kind) {
      case "redeclare": {
        const issues = violationIssues(violations, value.tasks);
        if (value.tasksContinue) {
          this.#gathering = gathering({ kind: "redeclare" }, value.tasks, issues);
          return;
        }
        return this.#redeclare(session, value.tasks, issues);
      }
      case "taskState":
      case "taskStates":
        return this.#taskStates(session, this.#batchFrom(taskStatesOf(message) ?? []));
      case "heartbeat":
        this.#logger.trace({ running: value.runningAttemptIds.length }, "heartbeat");
        return;
      case "drain":
        session.draining = true;
        this.#logger.info("draining: no new invocations for this instance");
        await this.#options.access.audit(this.#principal, this.#call("Drain", session));
        return;
      case "pong":
        return;
      case "taskLogs":
        return this.#taskLogs(session, value);
      case "attemptProgress":
        return this.#attemptProgress(session, value);
      default:
        throw new StreamRejected(Code.InvalidArgument, "empty message on the stream", []);
    }
  }

  /**
   * Takes one more part of a declaration sent in parts; with the last,
   * declares it all as one Hello or Redeclare would. The parts kept are
   * bounded by the tasks a declaration may hold.
   */
  async #declarationPart(part: DeclarationPart, violations: readonly Violation[]): Promise<void> {
    const gathering = this.#gathering!;
    if (part.tasks.length === 0 && !part.last) {
      throw new StreamRejected(
        Code.InvalidArgument,
        "a DeclarationPart without tasks must be the last",
        [],
      );
    }
    const { declarations } = this.#options;
    gathering.count += part.tasks.length;
    if (!declarations.tooManyTasks(gathering.count)) {
      gathering.tasks.push(...part.tasks);
      gathering.issues.push(...violationIssues(violations, part.tasks));
    }
    if (!part.last) return;
    this.#gathering = undefined;
    const tooMany = declarations.tooManyTasks(gathering.count);
    const issues = tooMany ? [...gathering.issues, tooMany] : gathering.issues;
    const { start } = gathering;
    if (start.kind === "hello") {
      return this.#hello(start.hello, start.violations, gathering.tasks, issues);
    }
    return this.#redeclare(this.#session!, gathering.tasks, issues);
  }

  /**
   * @param tasks the whole declaration: the hello's own tasks, or with
   *   tasks_continue those of its parts too
   * @param taskIssues the limits that the declaration breaks
   */
  async #hello(
    hello: Hello,
    violations: readonly Violation[],
    tasks: readonly TaskDeclaration[],
    taskIssues: DeclarationIssue[],
  ): Promise<void> {
    if (this.#session) {
      throw new StreamRejected(Code.FailedPrecondition, "hello sent twice on one stream", []);
    }
    const { engine, sessions, clock, events } = this.#options;
    const version = hello.protocolVersion;
    if (!version || version.major !== PROTOCOL_VERSION.major) {
      const theirs = version ? `${version.major}.${version.minor}` : "none";
      const message = `protocol version ${theirs} is not supported: this cerebro speaks ${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor} (any ${PROTOCOL_VERSION.major}.x)`;
      throw new StreamRejected(Code.FailedPrecondition, refusedServer(hello.serverName, 1), [
        { taskId: "", code: IssueCode.VERSION, message },
      ]);
    }
    const call: CallRecord = {
      action: "TaskServerService/Hello",
      target: `${hello.serverName} (instance ${hello.instanceId})`,
      peer: this.#peer,
    };
    // A malformed server name or instance id is refused with the rest of
    // the declaration's problems, not taken to mean a right it lacks.
    if (!violations.some(isIdentityViolation)) {
      await this.#require({ kind: "serve", serverName: hello.serverName }, call);
      // Before declaring anything: the instance id may be another identity's.
      await this.#claimInstanceId(call, () =>
        sessions.checkInstanceId({
          instanceId: hello.instanceId,
          principal: this.#principal.name,
          serverName: hello.serverName,
          ...(hello.candidate ? { candidate: hello.candidate } : {}),
        }),
      );
    }
    const checks = {
      issues: taskIssues,
      authorize: (definitions: readonly TaskDefinition[]) =>
        this.#require({ kind: "declare", teams: teamsOf(definitions) }, call),
    };
    // A candidate's declaration is checked as the server's would be, but
    // kept beside the live graph for its change only.
    const declared = hello.candidate
      ? await this.#options.declarations.declareCandidate(
          {
            changeId: hello.candidate,
            serverName: hello.serverName,
            instanceId: hello.instanceId,
          },
          tasks,
          checks,
        )
      : await this.#options.declarations.declare(hello.serverName, tasks, checks);
    if (declared.kind !== "accepted") {
      const { issues } = declared;
      const code = issues.some((issue) => issue.code === IssueCode.OWNED_ELSEWHERE)
        ? Code.AlreadyExists
        : Code.InvalidArgument;
      throw new StreamRejected(code, refusedServer(hello.serverName, issues.length), issues);
    }
    const { definitions, warnings } = declared;
    // The stream may have gone while the declaration was applied: it stays
    // declared, as after any disconnect, but there is no session to start.
    // A candidate is kept only while it is connected.
    if (this.#closed && hello.candidate) {
      this.#options.candidates?.release(hello.candidate, hello.instanceId);
      return;
    }
    if (this.#closed) {
      this.#publishGraphChanged(hello.serverName);
      engine.graphChanged();
      return;
    }
    const session = new Session(
      {
        serverName: hello.serverName,
        instanceId: hello.instanceId,
        sessionId: newId("ses", clock.now()),
        connectedAt: clock.now(),
        maxConcurrency: hello.maxConcurrency,
        agent: hello.agent,
        peer: this.#peer,
        principal: this.#principal.name,
        protocolMinor: version.minor,
        ...(hello.candidate ? { candidate: hello.candidate } : {}),
      },
      (message) => this.#write(message),
      () => engine.instanceAvailable(session.dispatchKey),
    );
    this.#logger = this.#options.logger.child({
      serverName: hello.serverName,
      instanceId: hello.instanceId,
    });
    // Checked again: another identity may have taken it while this declaration was applied.
    const replaced = await this.#claimInstanceId(call, () => sessions.add(session));
    this.#session = session;
    const unknown = engine.unwantedAttempts(hello.instanceId, hello.runningAttemptIds);
    const unwanted = new Set(unknown);
    for (const attemptId of hello.runningAttemptIds) {
      if (!unwanted.has(attemptId)) session.assigned.add(attemptId);
    }
    if (replaced) {
      this.#logger.warn("a new session of this instance replaces its previous one");
      replaced.send(
        create(ConnectResponseSchema, {
          message: {
            case: "rejection",
            value: { message: "replaced by a newer session of the same instance" },
          },
        }),
      );
    }
    this.#welcome(session, warnings, unknown);
    this.#watchLiveness(session);
    await engine.instanceResumed(hello.instanceId, hello.runningAttemptIds);
    await this.#options.access.audit(this.#principal, call);
    this.#logger.info(
      { tasks: definitions.length, running: hello.runningAttemptIds.length },
      "task-server connected",
    );
    events.publish({
      kind: "server-connected",
      time: clock.now(),
      serverName: hello.serverName,
      instanceId: hello.instanceId,
      message: hello.candidate
        ? `${hello.serverName} (${hello.instanceId}) READY as the candidate of change ${hello.candidate} with ${definitions.length} tasks`
        : `${hello.serverName} (${hello.instanceId}) READY with ${definitions.length} tasks`,
    });
    // A candidate changes no graph; it may take the work of its change's runs.
    if (hello.candidate) {
      engine.instanceAvailable(session.dispatchKey);
      return;
    }
    this.#publishGraphChanged(hello.serverName);
    engine.graphChanged();
  }

  async #redeclare(
    session: Session,
    tasks: readonly TaskDeclaration[],
    issues: DeclarationIssue[],
  ): Promise<void> {
    const call = this.#call("Redeclare", session);
    const checks = {
      issues,
      authorize: (definitions: readonly TaskDefinition[]) =>
        this.#require({ kind: "declare", teams: teamsOf(definitions) }, call),
    };
    const changeId = session.info.candidate;
    const declared = changeId
      ? await this.#options.declarations.declareCandidate(
          { changeId, serverName: session.serverName, instanceId: session.instanceId },
          tasks,
          checks,
        )
      : await this.#options.declarations.declare(session.serverName, tasks, checks);
    if (declared.kind !== "accepted") {
      const errors = declared.issues;
      this.#logger.warn({ errors }, "redeclaration refused; the previous one stays");
      this.#write(
        create(ConnectResponseSchema, {
          message: {
            case: "rejection",
            value: {
              errors: errors.map(issueToProto),
              message: `cerebro refused the redeclaration of server ${session.serverName}, the previous declaration stays${problems(errors.length)}`,
            },
          },
        }),
      );
      return;
    }
    await this.#options.access.audit(this.#principal, call);
    this.#welcome(session, declared.warnings, []);
    this.#logger.info({ tasks: declared.definitions.length }, "task-server redeclared");
    if (changeId) {
      this.#options.engine.instanceAvailable(session.dispatchKey);
      return;
    }
    this.#publishGraphChanged(session.serverName);
    this.#options.engine.graphChanged();
  }

  async #taskStates(session: Session, updates: readonly TaskStateUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const reports = updates.map((update) => {
      const state = taskStateFromProto(update.state);
      return state
        ? {
            instanceId: session.instanceId,
            attemptId: update.attemptId,
            state,
            errorDescription: update.errorDescription,
            nonRetryable: update.nonRetryable,
            errorType: update.errorType,
            errorDetails: update.errorDetails,
            outputs: update.outputs,
            ...(update.exitCode === undefined ? {} : { exitCode: update.exitCode }),
            outputTail: update.outputTail,
          }
        : undefined;
    });
    const applied = await this.#options.engine.reportAll(
      reports.filter((report) => report !== undefined),
    );
    let next = 0;
    updates.forEach((update, i) => {
      const report = reports[i];
      if (report?.state === TaskState.COMPLETED || report?.state === TaskState.ERROR)
        session.release(update.attemptId);
      const outcome = report
        ? applied[next++]!
        : ({
            accepted: false,
            code: "INVALID_ARGUMENT",
            message: `state ${update.state} is not a task state`,
          } as const);
      if (!outcome.accepted) this.#refuse(session, update, outcome.code, outcome.message);
    });
    // Seqs rise along the stream, so the last update's covers the batch.
    const throughSeq = updates.at(-1)?.seq ?? 0n;
    this.#write(create(ConnectResponseSchema, { message: { case: "ack", value: { throughSeq } } }));
  }

  /**
   * Stores an attempt's lines, or refuses them with a LogsRefused: past the
   * stream's rate, for another instance's attempt, or for a finished run.
   */
  async #taskLogs(session: Session, logs: TaskLogs): Promise<void> {
    const bytes = logTextBytes(logs);
    const refusal = !this.#logRate.take(bytes)
      ? {
          code: ErrorCode.RESOURCE_EXHAUSTED,
          message: `${bytes} bytes of log lines would pass the limit of ${this.#logRate.bytesPerSecond} bytes a second per task-server stream (CORDYNA_MAX_LOG_BYTES_PER_SECOND)`,
        }
      : await this.#options.logs.receive(
          session.instanceId,
          logs.attemptId,
          logLinesFromProto(logs, this.#options.clock.now()),
          Number(logs.droppedLines),
        );
    if (!refusal) return;
    this.#logger.debug(
      { attemptId: logs.attemptId, lines: logs.lines.length, code: refusal.code },
      `log lines refused: ${refusal.message}`,
    );
    this.#write(
      create(ConnectResponseSchema, {
        message: {
          case: "logsRefused",
          value: {
            attemptId: logs.attemptId,
            lines: BigInt(logs.lines.length),
            code: refusal.code,
            message: refusal.message,
          },
        },
      }),
    );
  }

  /**
   * Hands a heartbeat or progress of an attempt to the engine, which paces
   * it; one it refuses is answered with a Refusal whose seq is 0. Only the
   * first refusal for an attempt on a stream is published and logged: a
   * task-server that goes on sending progress must not flood the events.
   */
  #attemptProgress(session: Session, progress: AttemptProgress): void {
    const outcome = this.#options.engine.progress({
      instanceId: session.instanceId,
      attemptId: progress.attemptId,
      ...(progress.fraction === undefined ? {} : { fraction: progress.fraction }),
      message: progress.message,
      details: progress.details,
    });
    if (outcome.accepted) return;
    const { attemptId } = progress;
    const { code, message } = outcome;
    if (!this.#refusedProgress.has(attemptId)) {
      this.#refusedProgress.add(attemptId);
      if (this.#refusedProgress.size > MAX_REFUSED_PROGRESS) {
        this.#refusedProgress.delete(this.#refusedProgress.values().next().value!);
      }
      this.#options.events.publish({
        kind: "report-refused",
        time: this.#options.clock.now(),
        attemptId,
        serverName: session.serverName,
        instanceId: session.instanceId,
        message: `progress of ${attemptId} refused (${code}): ${message}`,
        detail: message,
      });
      this.#logger.warn({ attemptId, code }, `progress refused: ${message}`);
    }
    this.#write(
      create(ConnectResponseSchema, {
        message: { case: "refusal", value: { seq: 0n, attemptId, code, message } },
      }),
    );
  }

  #refuse(session: Session, update: TaskStateUpdate, code: string, message: string): void {
    this.#options.events.publish({
      kind: "report-refused",
      time: this.#options.clock.now(),
      attemptId: update.attemptId,
      serverName: session.serverName,
      instanceId: session.instanceId,
      message: `update ${update.seq} refused (${code}): ${message}`,
      detail: message,
    });
    this.#logger.warn(
      { attemptId: update.attemptId, seq: update.seq, code },
      `update refused: ${message}`,
    );
    this.#write(
      create(ConnectResponseSchema, {
        message: {
          case: "refusal",
          value: { seq: update.seq, attemptId: update.attemptId, code, message },
        },
      }),
    );
  }

  #welcome(
    session: Session,
    warnings: readonly DeclarationIssue[],
    unknownAttemptIds: string[],
  ): void {
    this.#write(
      create(ConnectResponseSchema, {
        message: {
          case: "welcome",
          value: {
            sessionId: session.info.sessionId,
            protocolVersion: PROTOCOL_VERSION,
            heartbeatInterval: durationFromMs(this.#options.heartbeatIntervalMs),
            warnings: capWarnings(warnings).map(issueToProto),
            unknownAttemptIds,
          },
        },
      }),
    );
  }

  /**
   * Checks every heartbeat interval that the instance said something within
   * the liveness timeout. A frozen or vanished peer leaves a TCP connection
   * that looks open; this is what notices it.
   */
  #watchLiveness(session: Session): void {
    const { clock, heartbeatIntervalMs, livenessTimeoutMs } = this.#options;
    const check = (): void => {
      if (this.#closed) return;
      const silentFor = clock.now() - this.#lastSeen;
      if (silentFor > livenessTimeoutMs) {
        this.fail(
          new StreamRejected(
            Code.Unavailable,
            `no message from instance ${session.instanceId} for ${silentFor} ms (heartbeats are due every ${heartbeatIntervalMs} ms): taken as dead`,
            [],
          ),
        );
        return;
      }
      this.#livenessTimer = clock.at(clock.now() + heartbeatIntervalMs, check);
    };
    this.#livenessTimer = clock.at(clock.now() + heartbeatIntervalMs, check);
  }

  /**
   * Runs `claim`, which throws InstanceIdTaken when another identity holds
   * the instance id, and turns that into an audited PERMISSION_DENIED.
   */
  async #claimInstanceId<T>(call: CallRecord, claim: () => T): Promise<T> {
    try {
      return claim();
    } catch (error) {
      if (!(error instanceof InstanceIdTaken)) throw error;
      await this.#options.access.audit(this.#principal, call, {
        code: "PERMISSION_DENIED",
        message: error.message,
      });
      throw new StreamRejected(Code.PermissionDenied, error.message, []);
    }
  }

  /** Refuses the stream with PERMISSION_DENIED (audited) unless its principal may take the action. */
  async #require(action: Action, call: CallRecord): Promise<void> {
    try {
      await this.#options.access.require(this.#principal, action, call);
    } catch (error) {
      if (error instanceof CordynaError && error.code === "PERMISSION_DENIED") {
        throw new StreamRejected(Code.PermissionDenied, error.rawMessage, []);
      }
      throw error;
    }
  }

  #call(message: string, session: Session): CallRecord {
    return {
      action: `TaskServerService/${message}`,
      target: `${session.serverName} (instance ${session.instanceId})`,
      peer: this.#peer,
    };
  }

  #publishGraphChanged(serverName: string): void {
    this.#options.events.publish({
      kind: "graph-changed",
      time: this.#options.clock.now(),
      serverName,
      message: `${serverName} declared ${nameTasks(this.#options.graph.tasksOf(serverName))}`,
    });
  }

  #write(message: ConnectResponse): void {
    this.outbound.push(message);
  }

  /** Ends the stream with the error's status, and a Rejection when it names issues. */
  fail(error: unknown): void {
    if (this.#closed) return;
    if (error instanceof StreamRejected) {
      this.#logger.warn({ issues: error.issues }, `task-server rejected: ${error.message}`);
      if (error.issues.length > 0) {
        this.#write(
          create(ConnectResponseSchema, {
            message: {
              case: "rejection",
              value: { errors: error.issues.map(issueToProto), message: error.headline },
            },
          }),
        );
      }
      this.outbound.end(new ConnectError(error.message, error.code));
    } else {
      this.#logger.error({ err: error }, "task-server stream failed");
      this.outbound.end(
        new ConnectError(error instanceof Error ? error.message : String(error), Code.Internal),
      );
    }
    this.close("cerebro ended the stream");
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#livenessTimer?.cancel();
    this.#inboxDrained?.();
    this.outbound.end();
    const session = this.#session;
    if (!session) return;
    const { sessions, engine, events, clock } = this.#options;
    if (!sessions.remove(session)) return;
    if (session.info.candidate) {
      this.#options.candidates?.release(session.info.candidate, session.instanceId);
    }
    this.#logger.info({ reason }, "task-server disconnected");
    engine.instanceDisconnected(session.instanceId);
    events.publish({
      kind: "server-disconnected",
      time: clock.now(),
      serverName: session.serverName,
      instanceId: session.instanceId,
      message: `${session.serverName} (${session.instanceId}) disconnected: ${reason}`,
    });
  }
}

function teamsOf(definitions: readonly { owner: { team: string } }[]): string[] {
  return definitions.map((definition) => definition.owner.team);
}

/** The most task ids an event names: a declaration of 50,000 would make it megabytes long. */
const MAX_NAMED_TASKS = 10;

function nameTasks(taskIds: readonly string[]): string {
  if (taskIds.length === 0) return "no tasks";
  if (taskIds.length <= MAX_NAMED_TASKS) return taskIds.join(", ");
  const named = taskIds.slice(0, MAX_NAMED_TASKS).join(", ");
  return `${taskIds.length} tasks: ${named} and ${taskIds.length - MAX_NAMED_TASKS} more`;
}

/** A command's size on the wire, about: an invoke carries the run's params. */
function commandSize(response: ConnectResponse): number {
  const { message } = response;
  if (message.case === "invoke") return invokeSize(message.value);
  if (message.case === "invokes") {
    return message.value.invokes.reduce((total, invoke) => total + invokeSize(invoke), 0);
  }
  return 128;
}

function invokeSize(invoke: { params: Record<string, string> }): number {
  let size = 256;
  for (const [key, value] of Object.entries(invoke.params)) size += key.length + value.length + 8;
  return size;
}

/** The most attempts a stream remembers refusing progress for, to publish each refusal once. */
const MAX_REFUSED_PROGRESS = 1_000;

/** The most task states applied, stored and acknowledged together. */
const MAX_BATCH = 1_000;

/** The most warnings one Welcome carries; a huge graph must not outgrow a gRPC message. */
export const MAX_WARNINGS = 1_000;

function capWarnings(warnings: readonly DeclarationIssue[]): readonly DeclarationIssue[] {
  if (warnings.length <= MAX_WARNINGS) return warnings;
  return [
    ...warnings.slice(0, MAX_WARNINGS - 1),
    {
      taskId: "",
      code: IssueCode.UNRESOLVED,
      message: `${warnings.length - MAX_WARNINGS + 1} more tasks are unresolved; dyna tasks lists every one with its reason`,
    },
  ];
}

/** Violations in a declaration's tasks name the task; others (server name, instance id) none. */
function violationIssues(
  violations: readonly Violation[],
  tasks: readonly TaskDeclaration[],
): DeclarationIssue[] {
  return violations.map((violation) => {
    const [, list, item] = violation.field;
    const declared =
      list?.kind === "field" && list.name === "tasks" && item?.kind === "list_sub"
        ? tasks[item.index]
        : undefined;
    return {
      taskId: declared?.id ?? "",
      code: IssueCode.INVALID,
      message: describeViolation(violation),
    };
  });
}

/** A violation of the hello's identity: its server name or instance id. */
function isIdentityViolation(violation: Violation): boolean {
  const [, field] = violation.field;
  return field?.kind === "field" && (field.name === "server_name" || field.name === "instance_id");
}

function issueToProto(issue: DeclarationIssue) {
  return { taskId: issue.taskId, code: issueCodeToProto(issue.code), message: issue.message };
}

function summarizeIssues(issues: readonly DeclarationIssue[]): string {
  return issues.map((issue) => issue.message).join("; ");
}

/** " (3 problems)" for more than one; the issues themselves follow the headline. */
function problems(count: number): string {
  return count > 1 ? ` (${count} problems)` : "";
}

/** The headline of a refused hello: the issues are listed apart, each once. */
function refusedServer(serverName: string, count: number): string {
  return `cerebro refused server ${serverName || "(no name)"}${problems(count)}`;
}
