import { BATCHES_MINOR, type ProtocolVersion, type TaskStateUpdate } from "@cordyna/contract";

/** The most updates one message carries. */
const MAX_UPDATES_PER_MESSAGE = 500;

/** A message up the stream, as the sender hands it on. */
export type UpdateMessage =
  | { readonly case: "taskState"; readonly value: TaskStateUpdate }
  | { readonly case: "taskStates"; readonly value: { readonly updates: TaskStateUpdate[] } };

/**
 * Sends stamped TaskStateUpdates up the stream. To a cerebro that speaks
 * 1.1 or later, the updates of one turn of the event loop go together in
 * one TaskStateUpdates message, sent when the turn's work is done: a short
 * task's STARTED and COMPLETED travel, are stored and are acknowledged
 * together. To an older cerebro, each goes at once on its own.
 */
export class UpdateSender {
  readonly #send: (message: UpdateMessage) => void;
  #batching = false;
  #waiting: TaskStateUpdate[] = [];
  #scheduled = false;

  /** @param send writes one message on the current stream. */
  constructor(send: (message: UpdateMessage) => void) {
    this.#send = send;
  }

  /** A stream was welcomed by a cerebro of this version. */
  welcomed(version: ProtocolVersion | undefined): void {
    this.#waiting = [];
    this.#batching = version !== undefined && version.major === 1 && version.minor >= BATCHES_MINOR;
  }

  /**
   * The stream is gone. Updates not sent yet stay in the outbox, which
   * renumbers and resends them on the next stream.
   */
  disconnected(): void {
    this.#waiting = [];
  }

  /** Sends an update stamped for the current stream, now or at the end of this turn. */
  add(update: TaskStateUpdate): void {
    if (!this.#batching) {
      this.#send({ case: "taskState", value: update });
      return;
    }
    this.#waiting.push(update);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Sends every waiting update now: call it before any other message, to keep the stream's order. */
  flush(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (let from = 0; from < waiting.length; from += MAX_UPDATES_PER_MESSAGE) {
      const updates = waiting.slice(from, from + MAX_UPDATES_PER_MESSAGE);
      this.#send(
        updates.length === 1
          ? { case: "taskState", value: updates[0]! }
          : { case: "taskStates", value: { updates } },
      );
    }
  }
}
