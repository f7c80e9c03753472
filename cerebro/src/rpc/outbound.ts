import { Code, ConnectError } from "@connectrpc/connect";

/** What an {@link Outbound} may hold before it gives up on its reader. */
export interface OutboundLimit {
  /** The most bytes (as estimated by `sizeOf`) waiting to be sent. */
  readonly maxBufferedBytes: number;
  /** A message's size, estimated cheaply: the queue bounds memory, not the wire. */
  readonly sizeOf: (message: never) => number;
  /** Names the stream in the error its reader gets, e.g. "the event stream". */
  readonly what: string;
}

/**
 * The messages cerebro sends on one server stream. Cerebro pushes them as
 * things happen; the RPC library reads them only as fast as the peer takes
 * them (it waits for the socket to drain), so a slow or stalled reader makes
 * them wait here. Past the limit the stream ends with RESOURCE_EXHAUSTED
 * instead of growing cerebro's memory.
 */
export class Outbound<T> {
  readonly #limit: OutboundLimit;
  readonly #onOverflow: (error: ConnectError) => void;
  #queue: T[] = [];
  #head = 0;
  #bufferedBytes = 0;
  #ended = false;
  #error: ConnectError | undefined;
  #wake: (() => void) | undefined;

  /** `onOverflow` hears of the overflow (to log it and clean up) before the reader does. */
  constructor(limit: OutboundLimit, onOverflow: (error: ConnectError) => void) {
    this.#limit = limit;
    this.#onOverflow = onOverflow;
  }

  /** Bytes waiting to be sent. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Whether the stream is over (ended by cerebro, the peer, or an overflow). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Queues a message; ignored once the stream has ended. */
  push(message: T): void {
    if (this.#ended) return;
    this.#bufferedBytes += this.#limit.sizeOf(message as never);
    this.#queue.push(message);
    if (this.#bufferedBytes > this.#limit.maxBufferedBytes) {
      const error = new ConnectError(
        `${this.#limit.what} has more than ${this.#limit.maxBufferedBytes} bytes waiting for a reader that does not keep up; it is closed`,
        Code.ResourceExhausted,
      );
      // What waits is dropped: the reader gets the error next.
      this.#queue = [];
      this.#head = 0;
      this.#bufferedBytes = 0;
      this.end(error);
      this.#onOverflow(error);
      return;
    }
    this.#wake?.();
  }

  /** Ends the stream once what is queued is sent, then with `error` if there is one. */
  end(error?: ConnectError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wake?.();
  }

  /**
   * The messages in order, until the stream ends or `caller` aborts (the
   * peer went); throws the error the stream ended with.
   */
  async *messages(caller?: AbortSignal): AsyncGenerator<T> {
    const onAbort = (): void => this.end();
    caller?.addEventListener("abort", onAbort, { once: true });
    try {
      yield* this.#drain();
    } finally {
      caller?.removeEventListener("abort", onAbort);
    }
  }

  async *#drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.#head < this.#queue.length) {
        const message = this.#queue[this.#head++] as T;
        this.#bufferedBytes -= this.#limit.sizeOf(message as never);
        if (this.#head > 1_024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        yield message;
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
