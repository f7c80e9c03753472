import {
  ATTEMPT_PROGRESS_MINOR,
  type AttemptProgress,
  type ProtocolVersion,
} from "@cordyna/contract";

/** The most bytes of a progress message (the proto's limit). */
export const MAX_PROGRESS_MESSAGE_BYTES = 1024;
/** The most bytes of heartbeat details (the proto's limit). */
export const MAX_HEARTBEAT_DETAILS_BYTES = 4096;
/** The least time between two messages of one attempt, when its heartbeat deadline allows. */
export const PROGRESS_INTERVAL_MS = 1_000;
/** The least time between two messages of one attempt, whatever its heartbeat deadline. */
const MIN_PROGRESS_INTERVAL_MS = 10;
/** The most attempts remembered as refused, whose progress is no longer sent. */
const REMEMBERED_REFUSALS = 1_000;

/** What one heartbeat or progress call says; a field left out keeps the attempt's. */
export interface ProgressFields {
  readonly fraction?: number;
  readonly message?: string;
  readonly details?: string;
}

interface AttemptState {
  /** What waits to be sent, merged; undefined when nothing does. */
  pending: { fraction?: number; message?: string; details?: string } | undefined;
  /** When its last message was sent (ms). */
  sentAt: number;
  readonly intervalMs: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * How often the SDK sends an attempt's heartbeats and progress: once a
 * second, or three times per heartbeat deadline when that is shorter, so
 * that a handler calling `ctx.heartbeat()` at least once per deadline never
 * misses it by the SDK's pacing.
 */
export function progressIntervalMs(heartbeatDeadlineMs: number | undefined): number {
  if (!heartbeatDeadlineMs || heartbeatDeadlineMs <= 0) return PROGRESS_INTERVAL_MS;
  return Math.max(
    MIN_PROGRESS_INTERVAL_MS,
    Math.min(PROGRESS_INTERVAL_MS, Math.floor(heartbeatDeadlineMs / 3)),
  );
}

/**
 * Sends attempts' heartbeats and progress up the stream (AttemptProgress,
 * protocol 1.4). A handler may call `ctx.heartbeat()` or `ctx.progress()`
 * as often as it likes: the first call of an attempt goes at once, later
 * ones at most once per interval, merged, the latest value of each field
 * winning. While no stream is welcomed the latest waits, and goes after the
 * next Welcome; what waits for an attempt goes before its final update. To
 * a cerebro older than 1.4 nothing is kept or sent.
 */
export class ProgressSender {
  readonly #send: (progress: AttemptProgress) => void;
  readonly #attempts = new Map<string, AttemptState>();
  readonly #refused = new Set<string>();
  /** Undefined until a Welcome says whether cerebro takes progress. */
  #accepted: boolean | undefined;
  #connected = false;

  /** @param send writes one AttemptProgress on the current stream. */
  constructor(send: (progress: AttemptProgress) => void) {
    this.#send = send;
  }

  /** A stream was welcomed by a cerebro of this version: what waited goes now. */
  welcomed(version: ProtocolVersion | undefined): void {
    this.#accepted =
      version !== undefined && version.major === 1 && version.minor >= ATTEMPT_PROGRESS_MINOR;
    this.#connected = true;
    if (!this.#accepted) {
      this.#clear();
      return;
    }
    for (const [attemptId, state] of this.#attempts) this.#sendNow(attemptId, state);
  }

  /** The stream is gone: the latest of each attempt waits for the next one. */
  disconnected(): void {
    this.#connected = false;
    for (const state of this.#attempts.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  /**
   * A heartbeat or progress of a running attempt, to be sent now or at the
   * end of its interval.
   */
  report(attemptId: string, fields: ProgressFields, intervalMs: number): void {
    if (this.#accepted === false || this.#refused.has(attemptId)) return;
    let state = this.#attempts.get(attemptId);
    if (!state) {
      state = {
        pending: undefined,
        sentAt: Number.NEGATIVE_INFINITY,
        intervalMs,
        timer: undefined,
      };
      this.#attempts.set(attemptId, state);
    }
    state.pending ??= {};
    const pending = state.pending;
    if (fields.fraction !== undefined) pending.fraction = fields.fraction;
    if (fields.message) pending.message = fields.message;
    if (fields.details) pending.details = fields.details;
    if (!this.#connected || !this.#accepted || state.timer) return;
    const waitMs = state.sentAt + state.intervalMs - Date.now();
    if (waitMs <= 0) {
      this.#sendNow(attemptId, state);
      return;
    }
    const waiting = state;
    waiting.timer = setTimeout(() => {
      waiting.timer = undefined;
      if (this.#attempts.get(attemptId) === waiting) this.#sendNow(attemptId, waiting);
    }, waitMs);
    waiting.timer.unref();
  }

  /**
   * The attempt has ended: what waits goes now, before its final update,
   * and the attempt is forgotten.
   */
  end(attemptId: string): void {
    const state = this.#attempts.get(attemptId);
    if (!state) return;
    if (this.#connected && this.#accepted) this.#sendNow(attemptId, state);
    this.forget(attemptId);
  }

  /** The attempt was cancelled: nothing more is sent for it. */
  forget(attemptId: string): void {
    const state = this.#attempts.get(attemptId);
    if (!state) return;
    if (state.timer) clearTimeout(state.timer);
    this.#attempts.delete(attemptId);
  }

  /** Cerebro refused the attempt's progress (a Refusal with seq 0): nothing more is sent for it. */
  refused(attemptId: string): void {
    this.forget(attemptId);
    this.#refused.add(attemptId);
    if (this.#refused.size > REMEMBERED_REFUSALS) {
      const oldest = this.#refused.values().next().value;
      if (oldest !== undefined) this.#refused.delete(oldest);
    }
  }

  /** Stops every timer; what waits is dropped. */
  stop(): void {
    this.#clear();
  }

  #clear(): void {
    for (const state of this.#attempts.values()) {
      if (state.timer) clearTimeout(state.timer);
    }
    this.#attempts.clear();
  }

  #sendNow(attemptId: string, state: AttemptState): void {
    const pending = state.pending;
    if (!pending) return;
    state.pending = undefined;
    state.sentAt = Date.now();
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    this.#send({
      $typeName: "cordyna.v1.AttemptProgress",
      attemptId,
      ...(pending.fraction === undefined ? {} : { fraction: pending.fraction }),
      message: pending.message ?? "",
      details: pending.details ?? "",
    });
  }
}

/** Text cut to at most `maxBytes` of UTF-8, never inside a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  // Each UTF-16 code unit takes at most 3 bytes.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

/** What `ctx.heartbeat(details)` sends as details: a string as it is, anything else as JSON. */
export function detailsText(details: unknown): string {
  if (details === undefined || details === null) return "";
  let text: string;
  if (typeof details === "string") text = details;
  else {
    try {
      text = JSON.stringify(details) ?? String(details);
    } catch {
      text = String(details);
    }
  }
  return cutUtf8(text, MAX_HEARTBEAT_DETAILS_BYTES);
}
