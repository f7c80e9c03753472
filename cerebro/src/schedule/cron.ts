import { Cron, CronPattern } from "croner";

// Cron expressions and time zones are croner's business; this module only
// turns them into tick times (milliseconds since the epoch).
//
// Daylight saving time, as croner defines it (pinned by cron.test.ts):
// - A wall-clock time that does not exist (spring forward) fires once, an
//   hour later by the wall clock: a daily 02:30 in Europe/Berlin fires at
//   03:30 summer time on the last Sunday of March; 02:30 in America/New_York
//   fires at 03:30 daylight time on the second Sunday of March.
// - A wall-clock time that occurs twice (fall back) fires once, at the
//   instant croner resolves it to: in Europe/Berlin the second occurrence
//   (02:30 winter time), in America/New_York the first (01:30 daylight time).
//   The other pass through the repeated hour has no ticks at all: an
//   every-15-minutes job skips the first pass in Berlin, the second in New
//   York.
// - Everything else keeps to the wall clock: "0 9 * * *" fires at 09:00
//   local time on both sides of a change.
// Asked from inside a repeated hour, croner can answer an instant before the
// one it was asked from; next() steps past such answers, so ticks only ever
// move forward.

/** Time zone used when a declaration names none. */
export const UTC = "UTC";

/** A compiled cron schedule: an expression in a time zone. */
export class CronSchedule {
  readonly expression: string;
  readonly timeZone: string;
  readonly #cron: Cron;

  private constructor(expression: string, timeZone: string) {
    this.expression = expression;
    this.timeZone = timeZone;
    // No callback: croner only computes, it never arms a timer of its own.
    this.#cron = new Cron(expression, { timezone: timeZone, paused: true });
  }

  /** Compiles an expression; throws an Error whose message says what is wrong. */
  static compile(expression: string, timeZone: string): CronSchedule {
    const problem = checkCron(expression, timeZone);
    if (problem) throw new Error(problem);
    return new CronSchedule(expression, timeZone);
  }

  /** The first tick strictly after `after`; undefined when there is none. */
  next(after: number): number | undefined {
    let next = this.#cron.nextRun(new Date(after));
    for (let step = 0; next && next.getTime() <= after && step < 10_000; step++) {
      next = this.#cron.nextRun(next);
    }
    return next && next.getTime() > after ? next.getTime() : undefined;
  }

  /**
   * The ticks t with from <= t <= to, oldest first, at most `max` of them
   * (the earliest). Asking for one more than allowed tells whether a range
   * holds too many.
   */
  between(from: number, to: number, max: number): number[] {
    const ticks: number[] = [];
    if (max <= 0 || to < from) return ticks;
    for (
      let tick = this.next(from - 1);
      tick !== undefined && tick <= to && ticks.length < max;
      tick = this.next(tick)
    ) {
      ticks.push(tick);
    }
    return ticks;
  }

  /**
   * The most recent ticks in (after, upTo], at most `max` of them, oldest
   * first. Looks back from upTo in doubling windows, so a long gap costs
   * about as much as the ticks it returns, not as the ticks it holds.
   */
  latest(after: number, upTo: number, max: number): number[] {
    if (max <= 0 || upTo <= after) return [];
    let span = 1000;
    for (;;) {
      const from = Math.max(after, upTo - span);
      const ticks: number[] = [];
      for (let tick = this.next(from); tick !== undefined && tick <= upTo; tick = this.next(tick)) {
        ticks.push(tick);
      }
      if (ticks.length >= max || from === after) return ticks.slice(-max);
      span *= 2;
    }
  }
}

/**
 * Why an expression in a time zone is unusable, or undefined when it is fine:
 * five fields (minute hour day month weekday) or six with leading seconds, as
 * croner reads them, in a time zone the runtime knows, firing at least once.
 */
export function checkCron(expression: string, timeZone: string): string | undefined {
  if (!isKnownTimeZone(timeZone)) return `unknown time zone ${JSON.stringify(timeZone)}`;
  if (expression.trim() === "") return "the cron expression is empty";
  // croner would read a string with ':' as a one-off date, not as a pattern.
  if (expression.includes(":")) {
    return `invalid cron expression ${JSON.stringify(expression)}: expected five or six space-separated fields`;
  }
  try {
    new CronPattern(expression, timeZone);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /^CronPattern:\s*/,
      "",
    );
    return `invalid cron expression ${JSON.stringify(expression)}: ${reason}`;
  }
  const cron = new Cron(expression, { timezone: timeZone, paused: true });
  if (!cron.nextRun()) return `cron expression ${JSON.stringify(expression)} never fires`;
  return undefined;
}

/** Whether the runtime knows an IANA time zone name. */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
