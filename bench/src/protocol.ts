// What bench task-server processes tell the runner, one JSON line each on stdout.

/** [runId, taskId, attemptId, handler started, handler returned] (wall-clock ms). */
export type Stamp = [string, string, string, number, number];

export type ServerMessage =
  | {
      readonly kind: "ready";
      readonly server: string;
      /** Time spent declaring the tasks in the SDK, before connecting. */
      readonly declaredMs: number;
      /** start() called: the Hello with every declaration goes out. */
      readonly helloAt: number;
      /** start() resolved: cerebro accepted the declarations (Welcome). */
      readonly welcomedAt: number;
    }
  | {
      readonly kind: "stamps";
      readonly server: string;
      readonly tag: string;
      readonly stamps: Stamp[];
      /** CPU time (user + system) the process has used so far, in µs. */
      readonly cpuMicros: number;
    };

const PREFIX = "BENCH ";

export function writeMessage(message: ServerMessage): void {
  process.stdout.write(`${PREFIX}${JSON.stringify(message)}\n`);
}

/** The message on a line of a task-server's stdout, if it carries one. */
export function readMessage(line: string): ServerMessage | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  return JSON.parse(line.slice(PREFIX.length)) as ServerMessage;
}

/** Cerebro's memory, as the preloaded probe reports it. */
export interface MemorySample {
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** Peak resident set size of the process so far. */
  readonly maxRssBytes: number;
  /** Whether a full GC ran just before (heapUsed is then the live heap). */
  readonly afterGc: boolean;
}

/** CPU time (user + system) a process has used so far, as the probe reports it. */
export interface CpuSample {
  readonly cpuMicros: number;
}

/**
 * How long cerebro's event loop was held, as the probe measures it
 * (monitorEventLoopDelay at 10 ms resolution: a delay is how late a timer
 * due every 10 ms ran, so it counts every piece of work that ran in one go).
 */
export interface StallSample {
  readonly longestStallMs: number;
  readonly p99StallMs: number;
}

/** This process's CPU time (user + system) so far, in µs. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
