/** What an attempt said about how far it got, as cerebro keeps it. */
export interface ProgressShown {
  /** From 0 to 1; absent until the attempt said. */
  readonly progress?: number | undefined;
  readonly message?: string | undefined;
  readonly details?: string | undefined;
}

/**
 * One line for an attempt's progress: `42% 400 of 1,000 rows; details
 * {"offset":400}`. The percentage is rounded down, so that 100% means done.
 * Empty when the attempt said nothing.
 */
export function describeProgress({ progress, message, details }: ProgressShown): string {
  const head = [
    progress === undefined ? "" : `${Math.floor(progress * 100)}%`,
    message ?? "",
  ].filter((part) => part !== "");
  const line = head.join(" ");
  if (!details) return line;
  return line === "" ? `details ${details}` : `${line}; details ${details}`;
}
