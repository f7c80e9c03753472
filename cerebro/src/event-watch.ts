// One watch of the event log: the stored events it asks for, then the live
// ones, without a gap or a repeat at the switch; a run's watch ends with the
// run.

import type { EventLog } from "./event-log.js";
import type { Outbound } from "./rpc/outbound.js";
import type { LoggedEvent } from "./store/event-store.js";

/** What a watch yields: an event, or the news that the replay is done. */
export type WatchItem = LoggedEvent | "caught-up";

/** How many stored events one read takes: a replay holds at most one page in memory. */
export const REPLAY_PAGE = 500;

/** What a watch asks for. */
export interface WatchScope {
  /** Only this run's events: replayed from its first (or after `afterSeq`), ending with the run. */
  readonly runId?: string;
  /** Only events after this cursor. */
  readonly afterCursor: number;
  /** Without a run: whether stored events after `afterCursor` are replayed first. */
  readonly replay: boolean;
  /** With a run: only its events after this seq. */
  readonly afterSeq: number;
  /** Which events the watcher gets (kinds, team); the end of a run is seen regardless. */
  readonly matches: (event: LoggedEvent) => boolean;
  /** Whether the run is still going; a finished one whose end is not stored still ends the watch. */
  readonly runActive: (runId: string) => boolean;
}

/**
 * Starts a watch: it subscribes at once, so that every event stored from now
 * on reaches `live` (the bounded queue of a stream, which ends it when the
 * watcher does not keep up), and returns the events in order. Stored events
 * are read a page at a time, only as fast as the watcher takes them.
 */
export function watchEventLog(
  log: EventLog,
  scope: WatchScope,
  live: Outbound<LoggedEvent>,
): { readonly events: (signal?: AbortSignal) => AsyncGenerator<WatchItem>; stop(): void } {
  const relevant = (event: LoggedEvent): boolean =>
    scope.runId === undefined
      ? scope.matches(event)
      : event.runId === scope.runId && (event.kind === "run-finished" || scope.matches(event));
  const stop = log.subscribe((events) => {
    for (const event of events) if (relevant(event)) live.push(event);
  });

  async function* events(signal?: AbortSignal): AsyncGenerator<WatchItem> {
    let lastCursor = scope.afterCursor;
    let lastSeq = scope.afterSeq;
    const { runId } = scope;
    const page =
      runId === undefined
        ? () => log.store.read(lastCursor, REPLAY_PAGE)
        : () => log.store.readRun(runId, lastSeq, REPLAY_PAGE);
    const replays = runId !== undefined || scope.replay;
    for (let more = replays; more && !live.ended; ) {
      const stored = await page();
      more = stored.length === REPLAY_PAGE;
      for (const event of stored) {
        lastSeq = event.seq;
        if (event.cursor <= lastCursor) continue;
        lastCursor = event.cursor;
        if (scope.matches(event)) yield event;
        if (runId !== undefined && event.kind === "run-finished") return;
      }
    }
    if (replays && !live.ended) yield "caught-up";
    if (runId !== undefined && !scope.runActive(runId)) {
      // The run ended before the watch began: its end is stored by now, or
      // was lost with a failed write; either way nothing more comes.
      await log.settled();
      live.end();
    }
    for await (const event of live.messages(signal)) {
      if (event.cursor <= lastCursor) continue;
      lastCursor = event.cursor;
      if (scope.matches(event)) yield event;
      if (runId !== undefined && event.kind === "run-finished") return;
    }
  }

  return { events, stop };
}
