/** The server streams cerebro keeps open: task-servers' commands, and event watches. */
export type StreamKind = "task-server" | "watch-events";

/** What a stream has queued for its reader. */
interface Buffered {
  readonly bufferedBytes: number;
}

/** How many streams of one kind are open, and what they hold for their readers. */
export interface StreamsSummary {
  readonly kind: StreamKind;
  readonly open: number;
  readonly bufferedBytes: number;
  readonly largestBufferedBytes: number;
}

/** The streams open now, for metrics: each is counted from open() until its close function runs. */
export class OpenStreams {
  readonly #open = new Map<StreamKind, Set<Buffered>>([
    ["task-server", new Set()],
    ["watch-events", new Set()],
  ]);

  /** Counts the stream as open; returns the function that closes it. */
  open(kind: StreamKind, stream: Buffered): () => void {
    const streams = this.#open.get(kind);
    streams?.add(stream);
    return () => streams?.delete(stream);
  }

  summaries(): StreamsSummary[] {
    return [...this.#open].map(([kind, streams]) => {
      let bufferedBytes = 0;
      let largestBufferedBytes = 0;
      for (const stream of streams) {
        bufferedBytes += stream.bufferedBytes;
        largestBufferedBytes = Math.max(largestBufferedBytes, stream.bufferedBytes);
      }
      return { kind, open: streams.size, bufferedBytes, largestBufferedBytes };
    });
  }
}
