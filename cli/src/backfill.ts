// dyna backfill: one run of a scheduled task per cron tick of a past (or future) range.

import { toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { CronSchedule, UTC } from "@cordyna/cerebro/cron";
import {
  type ControlClient,
  type Run,
  type RunMode,
  RunSchema,
  RunState,
  TriggerKind,
} from "@cordyna/contract";
import {
  expectPositionals,
  type OptionsConfig,
  parseCommandArgs,
  parseIntFlag,
  parseParams,
  UsageError,
} from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_FAILED, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import {
  errorCauseName,
  isRunFinished,
  padVisible,
  paint,
  runOutcomes,
  runStateName,
  type Style,
  stateColor,
} from "./render.js";
import { followRun, parseMode } from "./run.js";
import { closeMatches, didYouMean } from "./suggest.js";

/** How many ticks a backfill may start unless --max-ticks says otherwise. */
export const DEFAULT_MAX_TICKS = 1000;

/** The most ticks counted to say how many a refused range holds. */
const COUNT_LIMIT = 5000;

/** The idempotency key of a backfill tick: the same task and tick give the same run. */
export function backfillKey(taskId: string, tick: number): string {
  return `backfill:${taskId}:${tick}`;
}

// ---------------------------------------------------------------------------
// Times

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Milliseconds since the epoch of an RFC 3339 / ISO 8601 time: a date-time
 * with an offset ("2026-06-01T02:00:00+02:00", "2026-06-01T00:00Z") or a
 * date alone, meaning midnight UTC ("2026-06-01"). Undefined for anything
 * else, including dates that do not exist (2026-02-30) and date-times
 * without an offset, which would be ambiguous.
 */
export function parseTime(text: string): number | undefined {
  const date = DATE.exec(text);
  const dateTime = date === null ? DATE_TIME.exec(text) : null;
  const m = date ?? dateTime;
  if (m === null) return undefined;
  const num = (i: number): number => Number(m[i] ?? "0");
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map(num) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = Math.floor(Number(`0.${m[7] ?? "0"}`) * 1000);
  let offsetMinutes = 0;
  const offset = m[8];
  if (offset !== undefined && !/^[Zz]$/.test(offset)) {
    const digits = offset.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || "0");
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (offset.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear puts them back.
  const exact = new Date(wall);
  exact.setUTCFullYear(year);
  return exact.getTime() - offsetMinutes * 60_000;
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * An instant as RFC 3339 in a time zone, so it reads as that zone's wall
 * clock: "2026-03-29T03:30:00+02:00" in Europe/Berlin, "2026-03-29T01:30:00Z"
 * in UTC. Milliseconds are shown only when there are some.
 */
export function formatInTimeZone(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value ?? "0");
  const [year, month, day, hour, minute, second] = [
    part("year"),
    part("month"),
    part("day"),
    part("hour"),
    part("minute"),
    part("second"),
  ];
  const millis = ((ms % 1000) + 1000) % 1000;
  const wall = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  wall.setUTCFullYear(year);
  const offsetMinutes = Math.round((wall.getTime() - ms) / 60_000);
  let zone = "Z";
  if (timeZone !== UTC || offsetMinutes !== 0) {
    const abs = Math.abs(offsetMinutes);
    zone = `${offsetMinutes < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
  }
  const fraction = millis === 0 ? "" : `.${String(millis).padStart(3, "0")}`;
  return (
    `${String(year).padStart(4, "0")}-${two(month)}-${two(day)}` +
    `T${two(hour)}:${two(minute)}:${two(second)}${fraction}${zone}`
  );
}

function parseTimeFlag(flag: string, value: string): number {
  const ms = parseTime(value);
  if (ms === undefined) {
    throw new UsageError(
      `bad --${flag} '${value}': expected a date (2026-06-01, meaning midnight UTC) ` +
        "or a date-time with an offset (2026-06-01T00:00:00Z, 2026-06-01T02:00:00+02:00)",
      "backfill",
    );
  }
  return ms;
}

// ---------------------------------------------------------------------------
// Running the ticks

/** One tick of a backfill and the run it got. */
export interface TickResult {
  tick: number;
  /** The run as last seen: finished, unless following it was cut short. */
  run: Run;
  /** True when the idempotency key found a run an earlier backfill started. */
  existing: boolean;
}

interface TickJob {
  client: ControlClient;
  taskId: string;
  params: Record<string, string>;
  mode: RunMode;
  signal: AbortSignal;
}

async function runTick(job: TickJob, tick: number): Promise<TickResult> {
  const started = await job.client.startRun(
    {
      targets: [job.taskId],
      logicalTime: timestampFromMs(tick),
      trigger: TriggerKind.BACKFILL,
      idempotencyKey: backfillKey(job.taskId, tick),
      params: job.params,
      mode: job.mode,
    },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  const run = started.run;
  if (run === undefined) {
    throw new Error(
      `cerebro started the run of tick ${new Date(tick).toISOString()} but returned no run`,
    );
  }
  const final = isRunFinished(run.state)
    ? run
    : await followRun(job.client, run, { signal: job.signal });
  return { tick, run: final, existing: started.existing };
}

/**
 * Runs every tick with at most `parallel` runs unfinished at once, in tick
 * order, calling onResult as each one ends. On the first error no further
 * tick is started, the ones being followed are let go, and once they have
 * been a BackfillStopped is thrown, carrying the error and what ended.
 */
export async function runTicks(
  job: Omit<TickJob, "signal">,
  ticks: readonly number[],
  parallel: number,
  onResult: (result: TickResult) => void,
): Promise<TickResult[]> {
  const abort = new AbortController();
  const results: (TickResult | undefined)[] = ticks.map(() => undefined);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const i = next++;
      const tick = ticks[i];
      if (tick === undefined) return;
      try {
        const result = await runTick({ ...job, signal: abort.signal }, tick);
        results[i] = result;
        onResult(result);
      } catch (error) {
        failure ??= { error };
        abort.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, ticks.length) }, worker));
  if (failure !== undefined) {
    throw new BackfillStopped(
      failure.error,
      results.filter((r) => r !== undefined),
    );
  }
  return results.filter((r) => r !== undefined);
}

/** A backfill stopped by an error; carries the ticks that ended before it. */
export class BackfillStopped extends Error {
  override name = "BackfillStopped";
  readonly results: TickResult[];
  constructor(cause: unknown, results: TickResult[]) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.results = results;
  }
}

// ---------------------------------------------------------------------------
// Output

function failedTasks(run: Run): string {
  const o = runOutcomes(run);
  const parts = [
    ...o.failed.map((f) => {
      const cause = errorCauseName(f.errorCause);
      return `${f.taskId} ERROR${cause === "" ? "" : `(${cause})`}`;
    }),
    ...o.blocked.map((b) => `${b.taskId} BLOCKED`),
  ];
  return parts.join(", ");
}

/** One line per tick: logical time, run id, final state, and what failed. */
export function renderTickLine(result: TickResult, timeZone: string, style: Style): string {
  const state = runStateName(result.run.state);
  const cells = [
    formatInTimeZone(result.tick, timeZone),
    result.run.id,
    padVisible(paint(style, stateColor(state), state), 9),
  ];
  const notes: string[] = [];
  if (result.existing) notes.push("existing run");
  const failed = result.run.state === RunState.SUCCEEDED ? "" : failedTasks(result.run);
  if (failed !== "") notes.push(failed);
  return `${cells.join("  ")}  ${notes.join("; ")}`.trimEnd();
}

/** The end of a backfill: how many runs ended in which state. */
export function renderBackfillSummary(
  taskId: string,
  results: readonly TickResult[],
  timeZone: string,
  style: Style,
): string {
  const byState = new Map<string, number>();
  for (const r of results) {
    const state = runStateName(r.run.state);
    byState.set(state, (byState.get(state) ?? 0) + 1);
  }
  const order = ["SUCCEEDED", "FAILED", "CANCELLED", "RUNNING"];
  const states = [...byState.keys()].sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
  );
  const counts = states.map((s) => `${byState.get(s)} ${paint(style, stateColor(s), s)}`);
  const existing = results.filter((r) => r.existing).length;
  const lines = [
    `Backfill of ${taskId}: ${results.length} run${results.length === 1 ? "" : "s"}, ${counts.join(", ")}` +
      (existing > 0 ? ` (${existing} started by an earlier backfill)` : ""),
  ];
  const bad = [...results]
    .filter((r) => r.run.state !== RunState.SUCCEEDED)
    .sort((a, b) => a.tick - b.tick);
  if (bad.length > 0) {
    lines.push(paint(style, "red", "Not succeeded:"));
    for (const r of bad.slice(0, 20)) lines.push(`  ${renderTickLine(r, timeZone, style)}`);
    if (bad.length > 20) lines.push(`  … (${bad.length - 20} more)`);
    lines.push(`See one with: dyna runs ${bad[0]?.run.id ?? "<run-id>"}`);
  }
  return lines.join("\n");
}

function renderRunsJson(results: readonly TickResult[]): string {
  const sorted = [...results].sort((a, b) => a.tick - b.tick);
  return JSON.stringify(
    sorted.map((r) => toJson(RunSchema, r.run)),
    null,
    2,
  );
}

// ---------------------------------------------------------------------------
// The command

/** The flags of `dyna backfill` (the common ones come on top). */
export const BACKFILL_FLAGS = {
  from: { type: "string" },
  to: { type: "string" },
  parallel: { type: "string" },
  "max-ticks": { type: "string" },
  param: { type: "string", multiple: true },
  mode: { type: "string" },
} as const satisfies OptionsConfig;

/** `dyna backfill <task> --from T --to T`: one run per cron tick in the range. */
export async function backfillCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("backfill", args, BACKFILL_FLAGS);
  if (values.help) return printHelp(ctx.io, "backfill");
  expectPositionals("backfill", positionals, 1, 1, "task: name the scheduled task to backfill");
  const taskId = positionals[0] ?? "";
  if (values.from === undefined) {
    throw new UsageError("missing --from: the first logical time to backfill", "backfill");
  }
  if (values.to === undefined) {
    throw new UsageError("missing --to: the last logical time to backfill", "backfill");
  }
  const from = parseTimeFlag("from", values.from);
  const to = parseTimeFlag("to", values.to);
  if (from > to) {
    throw new UsageError(`--from ${values.from} is after --to ${values.to}`, "backfill");
  }
  const parallel =
    values.parallel === undefined
      ? 1
      : parseIntFlag("backfill", "parallel", values.parallel, 1, 100);
  const maxTicks =
    values["max-ticks"] === undefined
      ? DEFAULT_MAX_TICKS
      : parseIntFlag("backfill", "max-ticks", values["max-ticks"], 1, 100_000);
  const params = parseParams("backfill", values.param ?? []);
  const mode = parseMode(values.mode, "backfill");
  const json = values.json === true;
  const client = ctx.connect(resolveAddress(values.cerebro, ctx.io.env));

  const { tasks } = await client.listTasks({}, { timeoutMs: UNARY_TIMEOUT_MS });
  const task = tasks.find((t) => t.taskId === taskId);
  if (task === undefined) {
    const hint = didYouMean(
      closeMatches(
        taskId,
        tasks.map((t) => t.taskId),
      ),
    );
    throw new UsageError(
      `unknown task '${taskId}': cerebro knows no such task${hint || ' (see "dyna tasks")'}`,
      "backfill",
    );
  }
  const schedule = task.declaration?.schedule;
  if (schedule === undefined || schedule.cron === "") {
    throw new UsageError(
      `task '${taskId}' has no cron schedule, so it has no ticks to backfill; ` +
        `start a single run with "dyna run ${taskId}"`,
      "backfill",
    );
  }
  const timeZone = schedule.timeZone || UTC;
  const described = `"${schedule.cron}" (${timeZone})`;
  let cron: CronSchedule;
  try {
    cron = CronSchedule.compile(schedule.cron, timeZone);
  } catch (err) {
    ctx.io.err(
      `dyna: cannot read the schedule ${described} of task ${taskId}: ` +
        (err instanceof Error ? err.message : String(err)),
    );
    return EXIT_FAILED;
  }

  const range = `from ${formatInTimeZone(from, timeZone)} to ${formatInTimeZone(to, timeZone)}`;
  const limit = Math.max(maxTicks, COUNT_LIMIT) + 1;
  const ticks = cron.between(from, to, limit);
  if (ticks.length > maxTicks) {
    const count = ticks.length === limit ? `more than ${limit - 1}` : String(ticks.length);
    throw new UsageError(
      `backfill of ${taskId} ${range} would start ${count} runs (ticks of ${described}), ` +
        `more than --max-ticks ${maxTicks}; narrow the range or raise --max-ticks`,
      "backfill",
    );
  }
  if (ticks.length === 0) {
    if (json) ctx.io.out("[]");
    else ctx.io.out(`No tick of ${described} ${range}: nothing to backfill.`);
    return EXIT_OK;
  }

  if (!json) {
    ctx.io.out(
      `Backfilling ${taskId}: ${ticks.length} tick${ticks.length === 1 ? "" : "s"} of ` +
        `${described} ${range}, ${parallel} at a time`,
    );
  }
  const job = { client, taskId, params, mode };
  const onResult = (r: TickResult): void => {
    if (!json) ctx.io.out(renderTickLine(r, timeZone, ctx.style));
  };
  let results: TickResult[];
  try {
    results = await runTicks(job, ticks, parallel, onResult);
  } catch (err) {
    if (!(err instanceof BackfillStopped)) throw err;
    ctx.io.err(
      `dyna: backfill of ${taskId} stopped after ${err.results.length} of ${ticks.length} runs ended; ` +
        "running the same backfill again picks up the runs already started",
    );
    throw err.cause;
  }

  if (json) {
    ctx.io.out(renderRunsJson(results));
  } else {
    ctx.io.out(`\n${renderBackfillSummary(taskId, results, timeZone, ctx.style)}`);
    const unfinished = results.filter((r) => !isRunFinished(r.run.state));
    if (unfinished.length > 0) {
      ctx.io.err(
        `dyna: cerebro closed the event stream before ${unfinished.length} run(s) ended; ` +
          `check them with: dyna runs ${unfinished[0]?.run.id ?? ""}`,
      );
    }
  }
  return results.every((r) => r.run.state === RunState.SUCCEEDED) ? EXIT_OK : EXIT_FAILED;
}
