// How a command ended, as a command task's result or error carries it to
// the attempt's final update (exit_code and output_tail).

/** Set on a command task's outputs, or its error; pino and outputs ignore symbol keys. */
export const COMMAND_END = Symbol("cordyna.commandEnd");

export interface CommandEnd {
  /** Undefined when a signal ended the command. */
  readonly exitCode: number | undefined;
  /** The end of what it wrote to stdout and stderr, in the order it came. */
  readonly outputTail: string;
}

/** How the command behind a handler's result or error ended, if one did. */
export function commandEndOf(value: unknown): CommandEnd | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return (value as { [COMMAND_END]?: CommandEnd })[COMMAND_END];
}
