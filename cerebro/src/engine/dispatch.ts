import type { Deadlines, RunMode } from "../domain/model.js";

/** The command that makes a server run one attempt. */
export interface InvokeCommand {
  readonly runId: string;
  readonly taskRunId: string;
  readonly attemptId: string;
  readonly attemptNumber: number;
  readonly taskId: string;
  readonly params: Readonly<Record<string, string>>;
  readonly deadlines: Deadlines;
  readonly mode: RunMode;
  /** When the run was meant to happen (its creation, or a cron tick). */
  readonly logicalTime: number;
  /** The W3C trace context of the attempt's span ("traceparent", "tracestate"); empty when not traced. */
  readonly traceContext: Readonly<Record<string, string>>;
  /** What the task-run's finished upstream returned, in the order of its upstream. */
  readonly upstream: readonly UpstreamOutputs[];
}

/** The outputs of one upstream task, or that they did not fit in the invoke. */
export interface UpstreamOutputs {
  readonly taskId: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly omitted: boolean;
}

/** A connected task-server instance, as the engine sees it. */
export interface InstanceLink {
  readonly instanceId: string;
  readonly serverName: string;
  /**
   * Counts the attempt against the instance's capacity from the moment it is
   * chosen, before its invoke is stored and sent, so that one dispatch pass
   * never gives an instance more than it can take.
   */
  reserve(attemptId: string): void;
  invoke(command: InvokeCommand): void;
  cancel(attemptId: string, reason: string): void;
}

/** Finds connected instances to send commands to. */
export interface InstanceDirectory {
  /** The instance of `serverName` that should take the next invocation, if any is ready. */
  pick(serverName: string): InstanceLink | undefined;
  /** Why pick() found no instance of `serverName`: none connected, all busy, or all draining. */
  unavailableReason(serverName: string): string;
  /** The connected instance with this id, if any. */
  get(instanceId: string): InstanceLink | undefined;
}
