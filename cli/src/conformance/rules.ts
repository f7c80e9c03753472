// The conformance run: plays cerebro to one task-server implementation,
// started as a child process, and checks it against the protocol's rules.

import { randomBytes } from "node:crypto";
import { durationFromMs, durationMs } from "@bufbuild/protobuf/wkt";
import {
  type AttemptProgress,
  BATCHES_MINOR,
  ConnectRequestSchema,
  describeViolations,
  formatToken,
  PROTOCOL_VERSION,
  parseToken,
  TaskState,
  TOKEN_ENV,
  violationsOf,
} from "@cordyna/contract";
import { formatMs, stateName } from "./format.js";
import { Conditions, KitServer, type KitSession, type ReceivedUpdate } from "./kit-server.js";
import { ServerProcess } from "./server-process.js";
import {
  type ConformanceTls,
  dialingHint,
  type KitTransport,
  kitCredentials,
  transportOf,
  withKitTls,
} from "./tls.js";

/** The rules, in the order they are reported. */
export const RULES = [
  { rule: "hello", title: "hello" },
  { rule: "ack-deadline", title: "acknowledges within the deadline" },
  { rule: "legal-order", title: "states only in legal order" },
  { rule: "duplicate-invoke", title: "duplicate invoke handled once" },
  { rule: "cancel", title: "cancel honoured" },
  { rule: "heartbeat", title: "heartbeat" },
  { rule: "heartbeat-deadline", title: "attempt heartbeats within a declared heartbeat deadline" },
  { rule: "resend-after-reconnect", title: "unacknowledged updates resent after a reconnect" },
  { rule: "clean-drain", title: "clean drain" },
  { rule: "bearer-token", title: "bearer token from CORDYNA_TOKEN on every stream" },
] as const;

/** The id of one rule, e.g. "cancel". */
export type RuleId = (typeof RULES)[number]["rule"];

/** The verdict on one rule. */
export interface RuleResult {
  readonly rule: RuleId;
  /** What the rule checks, in words. */
  readonly title: string;
  readonly passed: boolean;
  /** What was seen, or why the rule failed; one line. */
  readonly reason: string;
  /** Time spent checking it. */
  readonly durationMs: number;
}

/** The verdict on one implementation. */
export interface ConformanceReport {
  readonly serverName: string;
  /** How the kit and the implementation talked. */
  readonly transport: KitTransport;
  /** True when every rule passed. */
  readonly passed: boolean;
  /** One result per rule, in the order of {@link RULES}. */
  readonly rules: readonly RuleResult[];
  readonly durationMs: number;
  /** The last part of what the process wrote to stdout and stderr. */
  readonly serverOutput: string;
}

/** What to check and how to start it. */
export interface ConformanceOptions {
  /** The server name the implementation must say hello with. */
  readonly serverName: string;
  /** A task id it declares that completes quickly (well within the ack deadline). */
  readonly quickTask: string;
  /** A task id it declares that runs at least 2 s and stops when cancelled. */
  readonly slowTask: string;
  /** The command starting the implementation: program, then its arguments. */
  readonly command: readonly string[];
  /**
   * Added to the kit's own environment. CORDYNA_ADDR, CORDYNA_TOKEN and the
   * client TLS variables (CORDYNA_TLS, CORDYNA_TLS_CA, …) are the kit's: set
   * from its address, a fresh token and `tls`.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Serve TLS, and tell the implementation how to trust it; default plaintext. */
  readonly tls?: ConformanceTls;
  /** Working directory of the command (default: the kit's). */
  readonly cwd?: string;
  /**
   * The ack deadline (QUEUED or STARTED after an Invoke) and the bound for
   * honouring a Cancel; default 10 000. Completing, reconnecting and draining
   * may take three times as long.
   */
  readonly timeoutMs?: number;
  /** The heartbeat interval every Welcome asks for; default 1000. */
  readonly heartbeatMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_HEARTBEAT_MS = 1_000;
/** Cerebro takes a session silent for this many heartbeat intervals as dead; so does the kit. */
const LIVENESS_INTERVALS = 3;
/** At least this long for the process to start and say hello. */
const MIN_START_MS = 30_000;
/** How long the process gets to exit at the end before it is killed. */
const STOP_GRACE_MS = 5_000;

const FINAL = [TaskState.COMPLETED, TaskState.ERROR] as const;
const ACKNOWLEDGING = [TaskState.QUEUED, TaskState.STARTED] as const;
const RANK: Partial<Record<TaskState, number>> = {
  [TaskState.QUEUED]: 1,
  [TaskState.STARTED]: 2,
  [TaskState.COMPLETED]: 3,
  [TaskState.ERROR]: 3,
};

/**
 * Starts the implementation with CORDYNA_ADDR pointing at a stand-in
 * cerebro on a loopback port and drives it through every rule of the
 * protocol. Never throws for a misbehaving implementation: every problem is
 * a failed rule with its reason.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  if (options.command.length === 0) throw new Error("no command to start the task-server");
  const conditions = new Conditions();
  const kit = await KitServer.start(
    conditions,
    options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    kitCredentials(options.tls),
  );
  return new ConformanceRun(options, conditions, kit).run();
}

interface WaitOptions {
  /** Stop waiting when this stream ends. */
  readonly session?: KitSession;
  /** Keep waiting when the process exits (it is expected to). */
  readonly allowExit?: boolean;
}

type Verdict = { readonly passed: boolean; readonly reason: string; readonly durationMs: number };

class ConformanceRun {
  readonly #options: ConformanceOptions;
  readonly #conditions: Conditions;
  readonly #kit: KitServer;
  readonly #timeoutMs: number;
  readonly #waitMs: number;
  readonly #tag = randomBytes(3).toString("hex");
  /** The CORDYNA_TOKEN the implementation is started with: fresh, and valid nowhere else. */
  readonly #token = formatToken(
    randomBytes(8).toString("hex"),
    randomBytes(32).toString("base64url"),
  );
  readonly #verdicts = new Map<RuleId, Verdict>();
  /** Attempt id → task id of every Invoke sent. */
  readonly #invoked = new Map<string, string>();
  #process: ServerProcess | undefined;
  /** Why the rules not checked were not checked. */
  #notChecked = "an earlier step failed";
  #duplicate: { session: KitSession; attemptId: string } | undefined;
  #cancelled: { attemptId: string; afterOrder: number } | undefined;

  constructor(options: ConformanceOptions, conditions: Conditions, kit: KitServer) {
    this.#options = options;
    this.#conditions = conditions;
    this.#kit = kit;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#waitMs = 3 * this.#timeoutMs;
  }

  async run(): Promise<ConformanceReport> {
    const startedAt = Date.now();
    let serverOutput = "";
    try {
      this.#process = new ServerProcess(
        this.#options.command,
        {
          env: withKitTls(
            {
              ...process.env,
              ...this.#options.env,
              CORDYNA_ADDR: this.#kit.address,
              [TOKEN_ENV]: this.#token,
            },
            this.#options.tls,
          ),
          cwd: this.#options.cwd,
        },
        this.#conditions,
      );
      const first = await this.#step("hello", () => this.#hello());
      if (first) {
        await this.#step("heartbeat", () => this.#heartbeatArrives(first));
        await this.#step("ack-deadline", () => this.#acknowledges(first));
        await this.#step("duplicate-invoke", () => this.#duplicateInvoke(first));
        await this.#step("cancel", () => this.#cancel(first));
        await this.#step("heartbeat-deadline", () => this.#heartbeatDeadline(first));
        const second = await this.#step("resend-after-reconnect", () => this.#resend(first));
        await this.#step("clean-drain", () => this.#drain(second));
        this.#checkFirstStream(first);
        this.#checkDuplicate();
        this.#checkAfterCancel();
        this.#legalOrder(Date.now() - startedAt);
        this.#checkBearerToken();
      }
    } finally {
      await this.#process?.stop(STOP_GRACE_MS);
      serverOutput = this.#process?.output() ?? "";
      this.#kit.close();
    }
    const rules = RULES.map(({ rule, title }): RuleResult => {
      const verdict = this.#verdicts.get(rule) ?? {
        passed: false,
        reason: `not checked: ${this.#notChecked}`,
        durationMs: 0,
      };
      return { rule, title, ...verdict };
    });
    return {
      serverName: this.#options.serverName,
      transport: transportOf(this.#options.tls),
      passed: rules.every((result) => result.passed),
      rules,
      durationMs: Date.now() - startedAt,
      serverOutput,
    };
  }

  // ── rule 1 ────────────────────────────────────────────────────────────────

  async #hello(): Promise<KitSession | undefined> {
    const startMs = Math.max(MIN_START_MS, this.#waitMs);
    const session = await this.#wait(() => {
      const first = this.#kit.sessions[0];
      return first && first.received.length > 0 ? first : undefined;
    }, startMs);
    if (!session) {
      this.#notChecked = "the server never said hello";
      this.#fail(
        "hello",
        this.#proc.gone
          ? `the process ${this.#proc.describeExit()} before saying hello`
          : `no Connect stream with a message within ${formatMs(startMs)}: does the server connect to $CORDYNA_ADDR (${this.#kit.address})${dialingHint(this.#options.tls)}?`,
      );
      return undefined;
    }
    const hello = session.hello();
    if (!hello) {
      this.#notChecked = "the server never said hello";
      this.#fail(
        "hello",
        `the first message was a ${session.received[0]?.request.message.case ?? "empty message"}, not a Hello`,
      );
      return undefined;
    }
    const problems: string[] = [];
    const { serverName, quickTask, slowTask } = this.#options;
    if (hello.serverName !== serverName) {
      problems.push(
        `server_name is ${JSON.stringify(hello.serverName)}, expected ${JSON.stringify(serverName)}`,
      );
    }
    if (hello.instanceId.trim() === "") problems.push("instance_id is empty");
    const version = hello.protocolVersion;
    if (!version) problems.push("protocol_version is missing");
    else if (version.major !== PROTOCOL_VERSION.major) {
      problems.push(`protocol major is ${version.major}, expected ${PROTOCOL_VERSION.major}`);
    }
    for (const taskId of [quickTask, slowTask]) {
      const declaration = hello.tasks.find((task) => task.id === taskId);
      if (!declaration) problems.push(`task ${taskId} is not declared`);
      else if (!declaration.owner?.team) problems.push(`task ${taskId} has no owner team`);
    }
    if (problems.length > 0) {
      this.#fail("hello", `the Hello is wrong: ${problems.join("; ")}`);
    } else {
      const agent = hello.agent ? `, agent ${hello.agent}` : "";
      this.#pass(
        "hello",
        `server ${hello.serverName}, instance ${hello.instanceId}, protocol ${version?.major}.${version?.minor}, ${hello.tasks.length} tasks declared${agent}`,
      );
    }
    return session;
  }

  // ── rule 6, first part ────────────────────────────────────────────────────

  async #heartbeatArrives(session: KitSession): Promise<void> {
    const intervalMs = this.#kit.heartbeatMs;
    const welcomedAt = session.welcomedAt ?? session.openedAt;
    const heartbeat = await this.#wait(
      () => session.received.find((r) => r.request.message.case === "heartbeat"),
      welcomedAt + LIVENESS_INTERVALS * intervalMs - Date.now(),
      { session },
    );
    if (!heartbeat) {
      this.#fail(
        "heartbeat",
        this.#missing(
          `Heartbeat within ${formatMs(LIVENESS_INTERVALS * intervalMs)} (${LIVENESS_INTERVALS} × the interval of ${formatMs(intervalMs)} in the Welcome, after which cerebro takes the session as dead)`,
          session,
        ),
      );
      return;
    }
    this.#pass(
      "heartbeat",
      `first Heartbeat ${formatMs(heartbeat.at - welcomedAt)} after the Welcome (interval ${formatMs(intervalMs)})`,
    );
  }

  // ── rule 2 ────────────────────────────────────────────────────────────────

  async #acknowledges(session: KitSession): Promise<void> {
    const { quickTask } = this.#options;
    const { attemptId, at } = this.#invoke(session, quickTask, "ack");
    const ack = await this.#wait(
      () => this.#find(session, attemptId, ACKNOWLEDGING),
      this.#timeoutMs,
      { session },
    );
    const final = await this.#wait(
      () => this.#find(session, attemptId, FINAL),
      at + this.#waitMs - Date.now(),
      { session },
    );
    const problems: string[] = [];
    if (!ack) {
      const late = this.#find(session, attemptId, ACKNOWLEDGING);
      problems.push(
        late
          ? `${stateName(late.update.state)} came ${formatMs(late.at - at)} after the Invoke of ${quickTask}: later than the ack deadline of ${formatMs(this.#timeoutMs)}`
          : this.#missing(
              `QUEUED or STARTED within ${formatMs(this.#timeoutMs)} of the Invoke of ${quickTask}`,
              session,
            ),
      );
    }
    if (!final) {
      if (ack)
        problems.push(
          this.#missing(`COMPLETED of ${quickTask} within ${formatMs(this.#waitMs)}`, session),
        );
    } else if (final.update.state === TaskState.ERROR) {
      problems.push(
        `${quickTask} reported ERROR (${JSON.stringify(final.update.errorDescription)}); the quick task must complete`,
      );
    }
    if (problems.length > 0) {
      this.#fail("ack-deadline", problems.join("; "));
      return;
    }
    this.#pass(
      "ack-deadline",
      `${stateName(ack!.update.state)} ${formatMs(ack!.at - at)} after the Invoke, COMPLETED after ${formatMs(final!.at - at)}`,
    );
  }

  /** Rule 2, over the whole first stream: known attempt ids, seq 1, 2, 3, … */
  #checkFirstStream(session: KitSession): void {
    const updates = session.updates();
    for (const [index, { update }] of updates.entries()) {
      const which = `update ${index + 1} on the first stream (${stateName(update.state)} of ${JSON.stringify(update.attemptId)})`;
      if (!this.#invoked.has(update.attemptId)) {
        this.#fail("ack-deadline", `${which} names an attempt that was never invoked`);
        return;
      }
      const expected = BigInt(index + 1);
      if (update.seq !== expected) {
        this.#fail(
          "ack-deadline",
          `${which} has seq ${update.seq}, expected ${expected}: seq starts at 1 and grows by 1 per update on each stream`,
        );
        return;
      }
    }
    this.#pass(
      "ack-deadline",
      `${updates.length} updates on the first stream numbered 1..${updates.length}`,
    );
  }

  // ── rule 4 ────────────────────────────────────────────────────────────────

  async #duplicateInvoke(session: KitSession): Promise<void> {
    const { quickTask } = this.#options;
    const { attemptId, at } = this.#invoke(session, quickTask, "duplicate", 2);
    const final = await this.#wait(() => this.#find(session, attemptId, FINAL), this.#waitMs, {
      session,
    });
    if (!final) {
      this.#fail(
        "duplicate-invoke",
        this.#missing(
          `COMPLETED of the twice-invoked ${quickTask} within ${formatMs(this.#waitMs)}`,
          session,
        ),
      );
      return;
    }
    // A later attempt as a barrier: a second run of the duplicate, started or
    // queued alongside the first, shows up before this one is done.
    const barrier = this.#invoke(session, quickTask, "after-duplicate");
    const barrierFinal = await this.#wait(
      () => this.#find(session, barrier.attemptId, FINAL),
      this.#waitMs,
      { session },
    );
    if (!barrierFinal) {
      this.#fail(
        "duplicate-invoke",
        this.#missing(`COMPLETED of ${quickTask} invoked after the duplicate`, session),
      );
      return;
    }
    this.#duplicate = { session, attemptId };
    this.#pass(
      "duplicate-invoke",
      `first ${stateName(final.update.state)} ${formatMs(final.at - at)} after the two Invokes`,
    );
  }

  /** Rule 4, over the whole first stream: exactly one STARTED and one COMPLETED. */
  #checkDuplicate(): void {
    if (!this.#duplicate) return;
    const { session, attemptId } = this.#duplicate;
    const count = (state: TaskState): number =>
      session.updates().filter((u) => u.update.attemptId === attemptId && u.update.state === state)
        .length;
    const counts = {
      QUEUED: count(TaskState.QUEUED),
      STARTED: count(TaskState.STARTED),
      COMPLETED: count(TaskState.COMPLETED),
      ERROR: count(TaskState.ERROR),
    };
    const seen = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} × ${state}`)
      .join(", ");
    if (counts.STARTED !== 1 || counts.COMPLETED !== 1 || counts.QUEUED > 1 || counts.ERROR > 0) {
      this.#fail(
        "duplicate-invoke",
        `the same Invoke sent twice was run more than once or not cleanly: attempt ${attemptId} reported ${seen || "nothing"}; expected exactly one STARTED and one COMPLETED`,
      );
      return;
    }
    this.#pass("duplicate-invoke", `attempt reported ${seen}`);
  }

  // ── rules 5 and 6 (second part) ───────────────────────────────────────────

  async #cancel(session: KitSession): Promise<void> {
    const { slowTask } = this.#options;
    const intervalMs = this.#kit.heartbeatMs;
    const { attemptId, at } = this.#invoke(session, slowTask, "cancel");
    const first = await this.#wait(
      () => this.#find(session, attemptId, [TaskState.STARTED, ...FINAL]),
      this.#waitMs,
      { session },
    );
    if (!first || first.update.state !== TaskState.STARTED) {
      const why = first
        ? `${slowTask} reported ${stateName(first.update.state)} ${formatMs(first.at - at)} after the Invoke, before it could be cancelled: the slow task must run at least 2 s`
        : this.#missing(`STARTED of ${slowTask} within ${formatMs(this.#waitMs)}`, session);
      this.#fail("cancel", why);
      this.#fail("heartbeat", `could not check that Heartbeats list running attempts: ${why}`);
      return;
    }

    // Heartbeats list running attempts.
    const listing = await this.#wait(
      () =>
        this.#heartbeats(session, first.order).find((h) => h.runningAttemptIds.includes(attemptId)),
      first.at + 2 * intervalMs - Date.now(),
      { session },
    );
    if (listing) {
      this.#pass(
        "heartbeat",
        `a Heartbeat ${formatMs(listing.at - first.at)} after STARTED listed the running attempt`,
      );
    } else {
      const seen = this.#heartbeats(session, first.order)
        .map((h) => `[${h.runningAttemptIds.join(", ")}]`)
        .join(" ");
      this.#fail(
        "heartbeat",
        `no Heartbeat within ${formatMs(2 * intervalMs)} of STARTED listed the running attempt ${attemptId}${seen ? ` (Heartbeats listed: ${seen})` : ""}`,
      );
    }

    // Cancel.
    const afterOrder = this.#kit.lastOrder;
    const cancelledAt = Date.now();
    this.#cancelled = { attemptId, afterOrder };
    session.send({
      case: "cancel",
      value: { attemptId, reason: "conformance kit: cancel honoured" },
    });
    const ended = await this.#wait(
      () => {
        const update = this.#updatesOf(session, attemptId).find(
          (u) => u.order > afterOrder && isFinal(u.update.state),
        );
        if (update) return { update };
        const heartbeat = this.#heartbeats(session, afterOrder).find(
          (h) => !h.runningAttemptIds.includes(attemptId),
        );
        return heartbeat ? { heartbeat } : undefined;
      },
      this.#timeoutMs,
      { session },
    );
    if (ended && "update" in ended) {
      const { update, at: endedAt } = ended.update;
      if (update.state === TaskState.ERROR) {
        this.#pass(
          "cancel",
          `ERROR ${formatMs(endedAt - cancelledAt)} after the Cancel (${JSON.stringify(update.errorDescription)})`,
        );
      } else {
        this.#fail(
          "cancel",
          `${slowTask} reported ${stateName(update.state)} ${formatMs(endedAt - cancelledAt)} after the Cancel: the Cancel was not honoured`,
        );
      }
      return;
    }
    if (ended) {
      this.#pass(
        "cancel",
        `no update after the Cancel, and the Heartbeat ${formatMs(ended.heartbeat.at - cancelledAt)} after it no longer lists the attempt`,
      );
      return;
    }
    const since = this.#heartbeats(session, afterOrder);
    this.#fail(
      "cancel",
      !session.open || this.#proc.gone
        ? this.#missing("the end of the cancelled attempt", session)
        : since.length > 0
          ? `still running ${formatMs(this.#timeoutMs)} after the Cancel: no ERROR, and all ${since.length} Heartbeats since list ${attemptId}`
          : `neither ERROR nor a Heartbeat within ${formatMs(this.#timeoutMs)} of the Cancel`,
    );
  }

  /** Rule 5, to the end: nothing but ERROR reported for the cancelled attempt. */
  #checkAfterCancel(): void {
    if (!this.#cancelled || !this.#verdicts.get("cancel")?.passed) return;
    const { attemptId, afterOrder } = this.#cancelled;
    const late = this.#kit
      .allUpdates()
      .find(
        (u) =>
          u.update.attemptId === attemptId &&
          u.order > afterOrder &&
          u.update.state !== TaskState.ERROR,
      );
    if (late) {
      this.#fail(
        "cancel",
        `${this.#options.slowTask} reported ${stateName(late.update.state)} after the Cancel: the Cancel was not honoured`,
      );
    }
  }

  // ── rule 6b ───────────────────────────────────────────────────────────────

  /**
   * When a declared task has a heartbeat deadline: invokes it (the slow task
   * if it is one of them) and checks that, from STARTED to its end or for
   * three deadlines, no gap between STARTED, its AttemptProgress messages
   * and its final update is longer than the deadline, as cerebro would
   * enforce it; and that each AttemptProgress keeps the contract's limits.
   */
  async #heartbeatDeadline(session: KitSession): Promise<void> {
    const declared = (session.hello()?.tasks ?? []).flatMap((task) => {
      const ms = task.deadlines?.heartbeat ? durationMs(task.deadlines.heartbeat) : 0;
      return ms > 0 ? [{ taskId: task.id, deadlineMs: ms }] : [];
    });
    const chosen = declared.find((d) => d.taskId === this.#options.slowTask) ?? declared[0];
    if (!chosen) {
      this.#pass("heartbeat-deadline", "no task declares a heartbeat deadline: nothing to check");
      return;
    }
    const { taskId, deadlineMs } = chosen;
    const deadline = formatMs(deadlineMs);
    const { attemptId, at } = this.#invoke(session, taskId, "heartbeat-deadline", 1, deadlineMs);
    const started = await this.#wait(
      () => this.#find(session, attemptId, [TaskState.STARTED, ...FINAL]),
      this.#waitMs,
      { session },
    );
    if (!started || started.update.state !== TaskState.STARTED) {
      this.#fail(
        "heartbeat-deadline",
        started
          ? `${taskId} reported ${stateName(started.update.state)} ${formatMs(started.at - at)} after the Invoke, without STARTED`
          : this.#missing(`STARTED of ${taskId} within ${formatMs(this.#waitMs)}`, session),
      );
      return;
    }
    // Three deadlines show a rhythm; a slow task may end sooner.
    const watchUntil = started.at + Math.min(this.#waitMs, Math.max(3 * deadlineMs, 3_000));
    const final = await this.#wait(
      () => this.#find(session, attemptId, FINAL),
      watchUntil - Date.now(),
      { session },
    );
    const endAt = final?.at ?? Date.now();
    const progress = this.#progressOf(session, attemptId, started.order);
    const problems: string[] = [];
    const broken = progress.find((p) => p.violations !== "");
    if (broken) {
      problems.push(`an AttemptProgress of ${taskId} breaks the contract: ${broken.violations}`);
    }
    let from = { at: started.at, what: "STARTED" };
    let longest = 0;
    for (const next of [...progress.map((p) => ({ at: p.at })), { at: endAt }]) {
      const gap = next.at - from.at;
      longest = Math.max(longest, gap);
      if (gap > deadlineMs) {
        const after =
          from.what === "STARTED"
            ? "STARTED"
            : `the AttemptProgress ${formatMs(from.at - started.at)} after STARTED`;
        const until =
          next.at === endAt
            ? final
              ? ` until its ${stateName(final.update.state)}`
              : " until the kit stopped watching"
            : "";
        problems.push(
          `no AttemptProgress of ${taskId} for ${formatMs(gap)} after ${after}${until}: longer than its heartbeat deadline of ${deadline}, so cerebro would end it in ERROR(HEARTBEAT_TIMEOUT)`,
        );
        break;
      }
      from = { at: next.at, what: "progress" };
    }
    if (!final) await this.#stop(session, attemptId, "conformance kit: heartbeats checked");
    if (problems.length > 0) {
      this.#fail("heartbeat-deadline", problems.join("; "));
      return;
    }
    const ending = final
      ? `until its ${stateName(final.update.state)} ${formatMs(final.at - started.at)} after STARTED`
      : `for ${formatMs(endAt - started.at)}, then cancelled`;
    this.#pass(
      "heartbeat-deadline",
      `${progress.length} AttemptProgress of ${taskId} ${ending}, at most ${formatMs(longest)} apart (heartbeat deadline ${deadline})`,
    );
  }

  /** The AttemptProgress of an attempt on the stream after the given order, with what breaks the contract. */
  #progressOf(
    session: KitSession,
    attemptId: string,
    afterOrder: number,
  ): Array<{ at: number; progress: AttemptProgress; violations: string }> {
    const found = [];
    for (const { request, at, order } of session.received) {
      const message = request.message;
      if (order <= afterOrder || message.case !== "attemptProgress") continue;
      if (message.value.attemptId !== attemptId) continue;
      const violations = violationsOf(ConnectRequestSchema, request);
      found.push({
        at,
        progress: message.value,
        violations: violations.length > 0 ? describeViolations(violations) : "",
      });
    }
    return found;
  }

  /**
   * Cancels an attempt the kit is done with, and waits (at most the ack
   * deadline) for it to end: an ERROR, or a Heartbeat that no longer lists it.
   */
  async #stop(session: KitSession, attemptId: string, reason: string): Promise<void> {
    const afterOrder = this.#kit.lastOrder;
    session.send({ case: "cancel", value: { attemptId, reason } });
    await this.#wait(
      () =>
        this.#updatesOf(session, attemptId).find(
          (u) => u.order > afterOrder && isFinal(u.update.state),
        ) ??
        this.#heartbeats(session, afterOrder).find((h) => !h.runningAttemptIds.includes(attemptId)),
      this.#timeoutMs,
      { session },
    );
  }

  // ── rule 7 ────────────────────────────────────────────────────────────────

  async #resend(session: KitSession): Promise<KitSession | undefined> {
    const { quickTask } = this.#options;
    session.autoAck = false;
    const fromOrder = this.#kit.lastOrder;
    const { attemptId } = this.#invoke(session, quickTask, "resend");
    const final = await this.#wait(() => this.#find(session, attemptId, FINAL), this.#waitMs, {
      session,
    });
    const unacked = session.updates().filter((u) => u.order > fromOrder);
    const problems: string[] = [];
    if (!final) {
      problems.push(
        this.#missing(
          `COMPLETED of ${quickTask} (not acknowledged) within ${formatMs(this.#waitMs)}`,
          session,
        ),
      );
    }
    session.cut("conformance kit: stream cut to check that unacknowledged updates are resent");
    const cutAt = Date.now();
    const next = await this.#wait(
      () => this.#kit.sessions.find((s) => s.number > session.number && s.received.length > 0),
      this.#waitMs,
    );
    if (!next) {
      this.#notChecked = "the server did not reconnect";
      this.#fail(
        "resend-after-reconnect",
        [
          ...problems,
          this.#proc.gone
            ? `the process ${this.#proc.describeExit()} after the kit cut the stream`
            : `no new stream within ${formatMs(this.#waitMs)} after the kit cut the stream with UNAVAILABLE`,
        ].join("; "),
      );
      return undefined;
    }
    const hello = next.hello();
    if (!hello) {
      this.#fail(
        "resend-after-reconnect",
        [
          ...problems,
          `the first message on the new stream was a ${next.received[0]?.request.message.case}, not a Hello`,
        ].join("; "),
      );
      return undefined;
    }
    const instanceId = session.hello()?.instanceId;
    if (hello.instanceId !== instanceId) {
      problems.push(
        `the new Hello has instance id ${JSON.stringify(hello.instanceId)}, not ${JSON.stringify(instanceId)}: a reconnecting instance keeps its id`,
      );
    }
    const reconnectedMs = next.openedAt - cutAt;
    if (unacked.length === 0) {
      problems.push("nothing was left unacknowledged, so nothing could be resent");
    } else {
      const welcomedAt = next.welcomedAt ?? next.openedAt;
      const resent = await this.#wait(
        () => {
          const matched = matchInOrder(unacked, next.updates());
          return matched.length === unacked.length ? matched : undefined;
        },
        welcomedAt + this.#timeoutMs - Date.now(),
        { session: next },
      );
      if (!resent) {
        const matched = matchInOrder(unacked, next.updates());
        const missing = unacked
          .slice(matched.length)
          .map((u) => `${stateName(u.update.state)} of ${u.update.attemptId}`);
        problems.push(
          `after the reconnect, ${matched.length} of ${unacked.length} unacknowledged updates were resent within ${formatMs(this.#timeoutMs)} of the Welcome; missing: ${missing.join(", ")}`,
        );
      } else {
        const onNext = next.updates();
        const last = onNext.indexOf(resent[resent.length - 1]!);
        for (const [index, { update }] of onNext.slice(0, last + 1).entries()) {
          if (update.seq !== BigInt(index + 1)) {
            problems.push(
              `the resent ${stateName(update.state)} of ${update.attemptId} has seq ${update.seq}, expected ${index + 1}: updates are renumbered from 1 on each new stream`,
            );
            break;
          }
        }
      }
    }
    if (problems.length > 0) {
      this.#fail("resend-after-reconnect", problems.join("; "));
    } else {
      const listed = hello.runningAttemptIds.includes(attemptId)
        ? ", naming the finished attempt in running_attempt_ids"
        : "";
      this.#pass(
        "resend-after-reconnect",
        `reconnected ${formatMs(reconnectedMs)} after the cut with the same instance id${listed}; resent all ${unacked.length} unacknowledged updates as seq 1..${unacked.length}`,
      );
    }
    return next;
  }

  // ── rule 8 ────────────────────────────────────────────────────────────────

  async #drain(session: KitSession | undefined): Promise<void> {
    const { slowTask } = this.#options;
    if (!session?.open) {
      this.#fail("clean-drain", `not checked: ${this.#notChecked}`);
      return;
    }
    const { attemptId, at } = this.#invoke(session, slowTask, "drain");
    const first = await this.#wait(
      () => this.#find(session, attemptId, [TaskState.STARTED, ...FINAL]),
      this.#waitMs,
      { session },
    );
    if (!first || first.update.state !== TaskState.STARTED) {
      this.#fail(
        "clean-drain",
        first
          ? `${slowTask} reported ${stateName(first.update.state)} ${formatMs(first.at - at)} after the Invoke, before the process could be stopped: the slow task must run at least 2 s`
          : this.#missing(`STARTED of ${slowTask} within ${formatMs(this.#waitMs)}`, session),
      );
      return;
    }
    const afterOrder = this.#kit.lastOrder;
    const termAt = Date.now();
    this.#proc.signal("SIGTERM");
    const until = termAt + this.#waitMs;
    const allowExit = { allowExit: true } as const;
    const drain = await this.#wait(
      () =>
        session.received.find((r) => r.order > afterOrder && r.request.message.case === "drain"),
      this.#timeoutMs,
      allowExit,
    );
    const final = await this.#wait(
      () => this.#find(session, attemptId, FINAL),
      until - Date.now(),
      allowExit,
    );
    const closed = await this.#wait(() => session.ended, until - Date.now(), allowExit);
    const exit = await this.#wait(() => this.#proc.exit, until - Date.now(), allowExit);

    const problems: string[] = [];
    if (!drain) problems.push(`no Drain within ${formatMs(this.#timeoutMs)} of SIGTERM`);
    if (!final) {
      problems.push(`the running attempt of ${slowTask} was never reported COMPLETED or ERROR`);
    }
    if (!closed) problems.push(`the stream was still open ${formatMs(this.#waitMs)} after SIGTERM`);
    else if (closed.how !== "closed") {
      problems.push(
        "the stream was dropped, not closed: the process ended without half-closing it",
      );
    }
    if (!exit)
      problems.push(`the process was still running ${formatMs(this.#waitMs)} after SIGTERM`);
    else if (exit.code !== 0) problems.push(`the process ${this.#proc.describeExit()}, not 0`);
    if (problems.length > 0) {
      this.#fail("clean-drain", problems.join("; "));
      return;
    }
    this.#pass(
      "clean-drain",
      `after SIGTERM: Drain in ${formatMs(drain!.at - termAt)}, ${stateName(final!.update.state)} in ${formatMs(final!.at - termAt)}, stream closed in ${formatMs(closed!.at - termAt)}, exit code 0 in ${formatMs(exit!.at - termAt)}`,
    );
  }

  // ── rule 3 ────────────────────────────────────────────────────────────────

  /**
   * Per attempt, over every stream: only forward moves, COMPLETED only after
   * STARTED, nothing after a final state. A state already reported for the
   * attempt (a resend) is a repeat, not a move.
   */
  #legalOrder(durationMs: number): void {
    const updates = this.#kit.allUpdates();
    const byAttempt = new Map<string, ReceivedUpdate[]>();
    for (const u of updates) {
      const list = byAttempt.get(u.update.attemptId) ?? [];
      list.push(u);
      byAttempt.set(u.update.attemptId, list);
    }
    const violations: string[] = [];
    for (const [attemptId, list] of byAttempt) {
      const problem = firstIllegalMove(list);
      if (problem) {
        const sequence = list.map((u) => stateName(u.update.state)).join(" → ");
        violations.push(`attempt ${attemptId}: ${problem} (reported ${sequence})`);
      }
    }
    const more = violations.length > 1 ? `; and ${violations.length - 1} more attempts` : "";
    this.#verdicts.set("legal-order", {
      passed: violations.length === 0,
      reason:
        violations.length === 0
          ? `${updates.length} updates of ${byAttempt.size} attempts, all in legal order`
          : `${violations[0]}${more}`,
      durationMs,
    });
  }

  // ── rule 9 ────────────────────────────────────────────────────────────────

  /** Every stream that said anything carried the kit's token, as cerebro with authentication needs. */
  #checkBearerToken(): void {
    const streams = this.#kit.sessions.filter((session) => session.received.length > 0);
    for (const session of streams) {
      const problem = bearerProblem(session.authorization, this.#token);
      if (problem) {
        this.#fail(
          "bearer-token",
          `stream ${session.number} ${problem}: send \`authorization: Bearer $${TOKEN_ENV}\` on every Connect stream when ${TOKEN_ENV} is set (the kit set it to a fresh token)`,
        );
        return;
      }
    }
    this.#pass(
      "bearer-token",
      `all ${streams.length} streams carried \`authorization: Bearer $${TOKEN_ENV}\``,
    );
  }

  // ── helpers ───────────────────────────────────────────────────────────────

  get #proc(): ServerProcess {
    if (!this.#process) throw new Error("the task-server process was not started");
    return this.#process;
  }

  /** Runs one step, timing it; a failure of the kit itself fails the rule. */
  async #step<T>(rule: RuleId, body: () => Promise<T>): Promise<T | undefined> {
    const startedAt = Date.now();
    const before = this.#verdicts.get(rule)?.durationMs ?? 0;
    try {
      return await body();
    } catch (error) {
      this.#fail(rule, `the kit failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      const verdict = this.#verdicts.get(rule);
      if (verdict) {
        this.#verdicts.set(rule, { ...verdict, durationMs: before + Date.now() - startedAt });
      }
    }
  }

  #pass(rule: RuleId, reason: string): void {
    this.#merge(rule, { passed: true, reason, durationMs: 0 });
  }

  #fail(rule: RuleId, reason: string): void {
    this.#merge(rule, { passed: false, reason, durationMs: 0 });
  }

  /** Combines verdicts on one rule: it passes only if every part passed. */
  #merge(rule: RuleId, verdict: Verdict): void {
    const old = this.#verdicts.get(rule);
    if (!old) {
      this.#verdicts.set(rule, verdict);
      return;
    }
    const reason =
      old.passed === verdict.passed
        ? `${old.reason}; ${verdict.reason}`
        : old.passed
          ? verdict.reason
          : old.reason;
    this.#verdicts.set(rule, {
      passed: old.passed && verdict.passed,
      reason,
      durationMs: old.durationMs + verdict.durationMs,
    });
  }

  /**
   * Sends an Invoke (`times` times, identical) and remembers the attempt;
   * with `heartbeatMs`, the Invoke carries that heartbeat deadline.
   */
  #invoke(
    session: KitSession,
    taskId: string,
    label: string,
    times = 1,
    heartbeatMs?: number,
  ): { attemptId: string; at: number } {
    const attemptId = `conformance-${this.#tag}-${label}`;
    this.#invoked.set(attemptId, taskId);
    const at = Date.now();
    const invoke = {
      runId: `conformance-run-${this.#tag}-${label}`,
      taskRunId: `conformance-taskrun-${this.#tag}-${label}`,
      attemptId,
      attemptNumber: 1,
      taskId,
      params: { conformance: label },
      ...(heartbeatMs === undefined
        ? {}
        : { deadlines: { heartbeat: durationFromMs(heartbeatMs) } }),
    };
    // A server that speaks 1.1 gets its invokes the way cerebro sends them
    // to it: in Invokes messages.
    if ((session.hello()?.protocolVersion?.minor ?? 0) >= BATCHES_MINOR) {
      session.send({ case: "invokes", value: { invokes: Array(times).fill(invoke) } });
    } else {
      for (let i = 0; i < times; i++) session.send({ case: "invoke", value: invoke });
    }
    return { attemptId, at };
  }

  #updatesOf(session: KitSession, attemptId: string): ReceivedUpdate[] {
    return session.updates().filter((u) => u.update.attemptId === attemptId);
  }

  /** The first update of the attempt on the stream in one of the states. */
  #find(
    session: KitSession,
    attemptId: string,
    states: readonly TaskState[],
  ): ReceivedUpdate | undefined {
    return this.#updatesOf(session, attemptId).find((u) => states.includes(u.update.state));
  }

  /** Heartbeats on the stream that arrived after the given order. */
  #heartbeats(
    session: KitSession,
    afterOrder: number,
  ): Array<{ runningAttemptIds: string[]; at: number }> {
    const heartbeats: Array<{ runningAttemptIds: string[]; at: number }> = [];
    for (const { request, at, order } of session.received) {
      if (order > afterOrder && request.message.case === "heartbeat") {
        heartbeats.push({ runningAttemptIds: request.message.value.runningAttemptIds, at });
      }
    }
    return heartbeats;
  }

  /**
   * Waits for `check` to return a value, at most `timeoutMs`; gives up early
   * when the process is gone (unless expected) or the given stream ended.
   */
  async #wait<T>(
    check: () => T | undefined,
    timeoutMs: number,
    options: WaitOptions = {},
  ): Promise<T | undefined> {
    const result = await this.#conditions.until<{ value: T | undefined }>(() => {
      const value = check();
      if (value !== undefined) return { value };
      if (!options.allowExit && this.#proc.gone) return { value: undefined };
      if (options.session && !options.session.open) return { value: undefined };
      return undefined;
    }, timeoutMs);
    return result?.value;
  }

  /** Why something did not arrive: the process or stream ended, or time ran out. */
  #missing(what: string, session?: KitSession): string {
    if (this.#proc.gone) return `the process ${this.#proc.describeExit()} before ${what}`;
    if (session?.ended) return `the stream ended (${session.ended.how}) before ${what}`;
    return `no ${what}`;
  }
}

/**
 * What is wrong with a stream's `authorization` header values, given the
 * token it should carry; undefined when nothing is. Never repeats a secret:
 * only token ids, which are public.
 */
function bearerProblem(values: readonly string[], token: string): string | undefined {
  if (values.length === 0) return "carried no authorization header";
  if (values.length > 1) return `carried ${values.length} authorization headers, not one`;
  // The scheme is case-insensitive, as cerebro reads it.
  const sent = /^bearer +(\S+)$/i.exec(values[0]!.trim())?.[1];
  if (sent === undefined) return 'carried an authorization header that is not "Bearer <token>"';
  if (sent === token) return undefined;
  const expectedId = parseToken(token)?.id;
  const sentId = parseToken(sent)?.id;
  if (sentId === undefined) {
    return `carried a bearer token that is not a Cordyna token (cdy_<id>_<secret>), not token ${expectedId}`;
  }
  return sentId === expectedId
    ? `carried token ${sentId} with a secret other than the one in ${TOKEN_ENV}`
    : `carried token ${sentId}, not token ${expectedId} from ${TOKEN_ENV}`;
}

function isFinal(state: TaskState): boolean {
  return state === TaskState.COMPLETED || state === TaskState.ERROR;
}

/** The first illegal move among one attempt's updates, in arrival order. */
function firstIllegalMove(updates: readonly ReceivedUpdate[]): string | undefined {
  const seen = new Set<TaskState>();
  let rank = 0;
  let final: TaskState | undefined;
  for (const { update } of updates) {
    const state = update.state;
    const stateRank = RANK[state];
    if (stateRank === undefined) {
      return `${stateName(state)} reported; a task-server reports only QUEUED, STARTED, COMPLETED and ERROR`;
    }
    if (seen.has(state)) continue; // a repeat, e.g. resent after a reconnect
    if (final !== undefined) return `${stateName(state)} after the final ${stateName(final)}`;
    if (stateRank < rank) return `${stateName(state)} after a later state`;
    if (state === TaskState.COMPLETED && !seen.has(TaskState.STARTED)) {
      return "COMPLETED before STARTED";
    }
    seen.add(state);
    rank = stateRank;
    if (isFinal(state)) final = state;
  }
  return undefined;
}

/**
 * Finds `expected` (attempt and state) in order within `actual`; returns the
 * matched updates of `actual`, as many as were found from the start.
 */
function matchInOrder(
  expected: readonly ReceivedUpdate[],
  actual: readonly ReceivedUpdate[],
): ReceivedUpdate[] {
  const matched: ReceivedUpdate[] = [];
  let from = 0;
  for (const want of expected) {
    const index = actual.findIndex(
      (got, i) =>
        i >= from &&
        got.update.attemptId === want.update.attemptId &&
        got.update.state === want.update.state,
    );
    if (index < 0) break;
    matched.push(actual[index]!);
    from = index + 1;
  }
  return matched;
}
