import { create } from "@bufbuild/protobuf";
import {
  BATCHES_MINOR,
  type ConnectResponse,
  ConnectResponseSchema,
  durationOf,
  type Invoke,
  timestampOf,
} from "@cordyna/contract";
import { type Clock, systemClock, type TimerHandle } from "../clock.js";
import type { InstanceDirectory, InstanceLink, InvokeCommand } from "../engine/dispatch.js";
import { describeDispatchKey, dispatchKey } from "../graph/candidates.js";
import { runModeToProto } from "./enums.js";

/** What cerebro knows about one connected task-server process. */
export interface SessionInfo {
  readonly serverName: string;
  readonly instanceId: string;
  readonly sessionId: string;
  readonly connectedAt: number;
  readonly maxConcurrency: number;
  readonly agent: string;
  readonly peer: string;
  /** The principal whose credential opened the stream. */
  readonly principal: string;
  /** The minor protocol version the instance said it speaks (1.x). */
  readonly protocolMinor: number;
  /** The change id of a candidate instance (Hello.candidate); absent for a normal one. */
  readonly candidate?: string;
}

/** The most invokes one message carries. */
const MAX_INVOKES_PER_MESSAGE = 500;
/**
 * Roughly the most bytes of invokes one message carries, far below gRPC's
 * 4 MiB default: params are free-form, so a batch is cut by size too.
 */
const MAX_INVOKE_BYTES_PER_MESSAGE = 1 << 20;
/** What an invoke takes on the wire besides its params, generously. */
const INVOKE_OVERHEAD_BYTES = 256;

/** One task-server stream: sends commands down it and tracks what it was given. */
export class Session implements InstanceLink {
  readonly info: SessionInfo;
  draining = false;
  /** Attempts invoked on this instance and not yet finished, as far as this stream saw. */
  readonly assigned = new Set<string>();
  readonly #send: (message: ConnectResponse) => void;
  readonly #onSlotFreed: () => void;
  /** Invokes of the current turn, sent together once it is over (1.1 instances only). */
  #unsentInvokes: Invoke[] = [];

  /** `onSlotFreed` is called (later, never from inside a call) when a full instance has room again. */
  constructor(
    info: SessionInfo,
    send: (message: ConnectResponse) => void,
    onSlotFreed: () => void = () => {},
  ) {
    this.info = info;
    this.#send = send;
    this.#onSlotFreed = onSlotFreed;
  }

  /** Whether the instance runs as many attempts as it said it can. */
  get full(): boolean {
    return this.info.maxConcurrency > 0 && this.assigned.size >= this.info.maxConcurrency;
  }

  /** The attempt is no longer this instance's to run. */
  release(attemptId: string): void {
    const wasFull = this.full;
    if (this.assigned.delete(attemptId) && wasFull && !this.full) queueMicrotask(this.#onSlotFreed);
  }

  get instanceId(): string {
    return this.info.instanceId;
  }

  get serverName(): string {
    return this.info.serverName;
  }

  /** What the engine picks this instance by: its server name, or that and its change. */
  get dispatchKey(): string {
    return dispatchKey(this.info.serverName, this.info.candidate);
  }

  reserve(attemptId: string): void {
    this.assigned.add(attemptId);
  }

  /**
   * Sends the invoke. An instance that speaks 1.1 gets the invokes of one
   * turn (a fan-out's hundreds) together in one message, sent as soon as the
   * turn's synchronous work is done.
   */
  invoke(command: InvokeCommand): void {
    this.assigned.add(command.attemptId);
    const invoke = invokeToProto(command);
    if (this.info.protocolMinor < BATCHES_MINOR) {
      this.#send(create(ConnectResponseSchema, { message: { case: "invoke", value: invoke } }));
      return;
    }
    if (this.#unsentInvokes.push(invoke) === 1) queueMicrotask(() => this.#sendInvokes());
  }

  cancel(attemptId: string, reason: string): void {
    this.release(attemptId);
    this.send(
      create(ConnectResponseSchema, { message: { case: "cancel", value: { attemptId, reason } } }),
    );
  }

  /** Sends a message after the invokes still waiting, so that the stream keeps its order. */
  send(message: ConnectResponse): void {
    this.#sendInvokes();
    this.#send(message);
  }

  #sendInvokes(): void {
    const invokes = this.#unsentInvokes;
    this.#unsentInvokes = [];
    let batch: Invoke[] = [];
    let bytes = 0;
    const sendBatch = (): void => {
      if (batch.length === 0) return;
      this.#send(
        create(ConnectResponseSchema, {
          message:
            batch.length === 1
              ? { case: "invoke", value: batch[0]! }
              : { case: "invokes", value: { invokes: batch } },
        }),
      );
      batch = [];
      bytes = 0;
    };
    for (const invoke of invokes) {
      const size = invokeSize(invoke);
      if (
        batch.length === MAX_INVOKES_PER_MESSAGE ||
        (batch.length > 0 && bytes + size > MAX_INVOKE_BYTES_PER_MESSAGE)
      ) {
        sendBatch();
      }
      batch.push(invoke);
      bytes += size;
    }
    sendBatch();
  }
}

/** The invoke message, built as a literal: create() would walk six schemas for it. */
function invokeToProto(command: InvokeCommand): Invoke {
  return {
    $typeName: "cordyna.v1.Invoke",
    runId: command.runId,
    taskRunId: command.taskRunId,
    attemptId: command.attemptId,
    attemptNumber: command.attemptNumber,
    taskId: command.taskId,
    params: { ...command.params },
    deadlines: {
      $typeName: "cordyna.v1.Deadlines",
      ack: durationOf(command.deadlines.ackMs),
      start: durationOf(command.deadlines.startMs),
      complete: durationOf(command.deadlines.completeMs),
      heartbeat:
        command.deadlines.heartbeatMs === undefined
          ? undefined
          : durationOf(command.deadlines.heartbeatMs),
    },
    mode: runModeToProto(command.mode),
    traceContext: { ...command.traceContext },
    logicalTime: timestampOf(command.logicalTime),
    upstream: command.upstream.map((upstream) => ({
      $typeName: "cordyna.v1.UpstreamOutputs",
      taskId: upstream.taskId,
      outputs: { ...upstream.outputs },
      omitted: upstream.omitted,
    })),
  };
}

/**
 * An upper estimate of an invoke's encoded size, without encoding it: a
 * UTF-16 code unit takes at most 3 bytes in UTF-8.
 */
function invokeSize(invoke: Invoke): number {
  let bytes = INVOKE_OVERHEAD_BYTES + 3 * invoke.taskId.length;
  for (const data of [
    invoke.params,
    invoke.traceContext,
    ...invoke.upstream.map((upstream) => upstream.outputs),
  ]) {
    for (const key in data) bytes += 3 * (key.length + (data[key]?.length ?? 0)) + 8;
  }
  return bytes + 3 * invoke.upstream.reduce((total, upstream) => total + upstream.taskId.length, 0);
}

/**
 * Every connected instance, by instance id and by server name. Instances of
 * one server name are replicas: each invocation goes to the one with the
 * fewest unfinished attempts, ties taken in turn, and never to one that is
 * draining or already runs as many attempts as it said it can.
 */
export class SessionRegistry implements InstanceDirectory {
  readonly #byInstance = new Map<string, Session>();
  readonly #turn = new Map<string, number>();
  /** Who holds each instance id: its sessions' identity, while connected and for a while after. */
  readonly #bindings = new Map<string, InstanceBinding>();
  readonly #clock: Clock;
  readonly #holdMs: number;
  readonly #startedAt: number;
  /** When the last instance of a server name went, for names with none connected now. */
  readonly #lastGone = new Map<string, number>();

  /**
   * @param holdMs how long an instance id stays bound to its identity after
   * its session ends: the grace period in which its attempts wait for it.
   */
  constructor(options: { readonly clock?: Clock; readonly holdMs?: number } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#holdMs = options.holdMs ?? 0;
    this.#startedAt = this.#clock.now();
  }

  /**
   * Adds a session; returns the session of the same instance it replaces, if
   * any. An instance id belongs to the identity (principal and server name)
   * that first used it, for as long as its sessions last plus the hold time:
   * a session of it under another identity is refused (InstanceIdTaken), not
   * taken for a reconnection, so no one takes over another's attempts.
   */
  add(session: Session): Session | undefined {
    const identity = identityOf(session.info);
    this.checkInstanceId(session.info);
    const binding = this.#bindings.get(session.instanceId);
    binding?.release?.cancel();
    this.#bindings.set(session.instanceId, { identity });
    const previous = this.#byInstance.get(session.instanceId);
    this.#byInstance.set(session.instanceId, session);
    if (!session.info.candidate) this.#lastGone.delete(session.serverName);
    return previous;
  }

  /** Throws InstanceIdTaken when another identity holds the instance id (see add). */
  checkInstanceId(
    info: Pick<SessionInfo, "instanceId" | "principal" | "serverName" | "candidate">,
  ): void {
    const binding = this.#bindings.get(info.instanceId);
    if (binding && binding.identity !== identityOf(info))
      throw new InstanceIdTaken(info.instanceId);
  }

  /** Removes the session unless a newer one of the same instance replaced it. Returns whether it did. */
  remove(session: Session): boolean {
    if (this.#byInstance.get(session.instanceId) !== session) return false;
    this.#byInstance.delete(session.instanceId);
    const binding = this.#bindings.get(session.instanceId);
    if (binding) {
      binding.release = this.#clock.at(this.#clock.now() + this.#holdMs, () => {
        if (this.#bindings.get(session.instanceId) === binding) {
          this.#bindings.delete(session.instanceId);
        }
      });
    }
    if (!session.info.candidate && this.ofServer(session.serverName).length === 0) {
      this.#lastGone.set(session.serverName, this.#clock.now());
    }
    return true;
  }

  /**
   * When an instance of the server name was last connected: now while one
   * is, else when the last one went. A name no instance connected to since
   * this registry began (one known from the store after a restart) counts
   * from then.
   */
  lastConnectedAt(serverName: string): number {
    if (this.ofServer(serverName).length > 0) return this.#clock.now();
    return this.#lastGone.get(serverName) ?? this.#startedAt;
  }

  /** Drops what the registry remembers of a server name with no instance. */
  forget(serverName: string): void {
    this.#lastGone.delete(serverName);
  }

  get(instanceId: string): Session | undefined {
    return this.#byInstance.get(instanceId);
  }

  /** @param key a server name, or a candidate's dispatch key (see dispatchKey) */
  pick(key: string): Session | undefined {
    // On every invoke: a plain scan, no sort (Map order is connection order).
    const ready: Session[] = [];
    for (const session of this.#byInstance.values()) {
      if (session.dispatchKey === key && !session.draining && !session.full) {
        ready.push(session);
      }
    }
    if (ready.length === 0) return undefined;
    const turn = this.#turn.get(key) ?? 0;
    this.#turn.set(key, turn + 1);
    const least = Math.min(...ready.map((session) => session.assigned.size));
    const lightest = ready.filter((session) => session.assigned.size === least);
    return lightest[turn % lightest.length];
  }

  unavailableReason(key: string): string {
    const connected = this.ofServer(key);
    const named = describeDispatchKey(key);
    if (connected.length === 0) return `no connected instance of ${named}`;
    const busy = connected.filter((session) => !session.draining);
    if (busy.length === 0) return `every instance of ${named} is draining`;
    const load = busy.map((session) => `${session.assigned.size}/${session.info.maxConcurrency}`);
    return busy.length === 1
      ? `the only instance of ${named} is busy (${load.join(", ")})`
      : `all ${busy.length} instances of ${named} are busy (${load.join(", ")})`;
  }

  /**
   * Connected instances of a server name, in instance id order; candidate
   * instances only when `key` is their dispatch key (see dispatchKey).
   */
  ofServer(key: string): Session[] {
    return this.all().filter((session) => session.dispatchKey === key);
  }

  all(): Session[] {
    return [...this.#byInstance.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }
}

interface InstanceBinding {
  readonly identity: string;
  /** Set while no session holds the id: ends the binding once the hold time is over. */
  release?: TimerHandle;
}

function identityOf(info: Pick<SessionInfo, "principal" | "serverName" | "candidate">): string {
  return JSON.stringify([info.principal, info.serverName, info.candidate ?? ""]);
}

/** A session asked for an instance id that another identity holds. */
export class InstanceIdTaken extends Error {
  constructor(readonly instanceId: string) {
    super(
      `instance id ${instanceId} belongs to another task-server (another credential or server name) ` +
        "while it is connected and for the grace period after: give every instance an id of its own",
    );
  }
}
