// dyna events: what happened in cerebro, from the stored events on, and live.

import { toJson } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "@cordyna/contract";
import { expectPositionals, type OptionsConfig, parseCommandArgs, parseIntFlag } from "./args.js";
import { resolveAddress } from "./client.js";
import { type CliContext, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import { eventKindName, formatClock, paint, renderEvent, type Style } from "./render.js";
import { explainNotFound } from "./suggest.js";

/** How many of the newest events `dyna events` shows when told nothing else. */
const DEFAULT_LAST = 20;
/** The most it may ask for: WatchEventsRequest.last says so too. */
const MAX_LAST = 1_000;

/** One line of the event log: time, cursor, run, kind and what happened. */
export function renderLogLine(event: Event, style: Style): string {
  return [
    paint(style, "dim", formatClock(event.time)),
    paint(style, "dim", event.cursor),
    event.runId || "-",
    eventKindName(event.kind),
    event.message,
  ].join("  ");
}

/** The flags of `dyna events` (the common ones come on top). */
export const EVENTS_FLAGS = {
  run: { type: "string" },
  since: { type: "string" },
  team: { type: "string" },
  last: { type: "string" },
  follow: { type: "boolean", short: "f" },
} as const satisfies OptionsConfig;

/**
 * `dyna events [--run R] [--since CURSOR] [--team T] [--last N] [--follow]`:
 * stored events (a run's, those after a cursor, or the newest N), then, with
 * --follow, new ones as they happen; a run's end ends it.
 */
export async function eventsCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("events", args, EVENTS_FLAGS);
  if (values.help) return printHelp(ctx.io, "events");
  expectPositionals("events", positionals, 0, 0, "");
  const runId = values.run ?? "";
  const replaysFrom = runId !== "" || values.since !== undefined;
  const last =
    values.last === undefined
      ? replaysFrom
        ? 0
        : DEFAULT_LAST
      : parseIntFlag("events", "last", values.last, 1, MAX_LAST);
  const follow = values.follow === true;
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));
  let lastCursor = values.since ?? "";
  // Leaving the loop early ends the call, which would otherwise keep the connection open.
  const done = new AbortController();
  try {
    for await (const { event, caughtUp } of client.watchEvents(
      { runId, afterCursor: values.since ?? "", team: values.team ?? "", last },
      { signal: done.signal },
    )) {
      if (caughtUp && !follow) break;
      if (event === undefined) continue;
      lastCursor = event.cursor;
      if (values.json) ctx.io.out(JSON.stringify(toJson(EventSchema, event)));
      else ctx.io.out(runId ? renderEvent(event, ctx.style) : renderLogLine(event, ctx.style));
    }
  } catch (error) {
    throw runId === "" ? error : await explainNotFound(client, { runId }, error);
  } finally {
    done.abort();
  }
  if (!values.json && lastCursor !== "" && runId === "") {
    ctx.io.err(`Go on from here with: dyna events --since ${lastCursor}`);
  }
  return EXIT_OK;
}
