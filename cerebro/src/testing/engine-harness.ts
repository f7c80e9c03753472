import { type Logger, pino } from "pino";
import { ManualClock } from "../clock.js";
import type { Dependency, TaskDefinition } from "../domain/model.js";
import type { InstanceDirectory, InstanceLink, InvokeCommand } from "../engine/dispatch.js";
import { DEFAULT_DEADLINES, NO_RETRY } from "../engine/policies.js";
import { type AttemptReport, RunEngine } from "../engine/run-engine.js";
import type { RunSpans } from "../engine/run-spans.js";
import { type CerebroEvent, EventBus } from "../events.js";
import { TaskGraph } from "../graph/task-graph.js";
import { MemoryStore } from "../store/memory-store.js";
import type { Store } from "../store/store.js";

/** A task definition with defaults, for tests. */
export function task(
  id: string,
  options: { team?: string; dependsOn?: (string | Dependency)[] } & Partial<
    Omit<TaskDefinition, "id" | "dependencies">
  > = {},
): TaskDefinition {
  const { team, dependsOn, ...rest } = options;
  return {
    id,
    description: "",
    owner: { team: team ?? `team-${id.split(".")[0]}`, contact: "" },
    dependencies: (dependsOn ?? []).map((d) => (typeof d === "string" ? { taskId: d } : d)),
    deadlines: {},
    retry: NO_RETRY,
    concurrencyLimit: 0,
    tags: [],
    ...rest,
  };
}

/** A fake connected instance that records the commands it receives. */
export class RecordingInstance implements InstanceLink {
  readonly invokes: InvokeCommand[] = [];
  readonly cancels: { attemptId: string; reason: string }[] = [];
  constructor(
    readonly serverName: string,
    readonly instanceId: string,
  ) {}
  reserve(): void {}
  invoke(command: InvokeCommand): void {
    this.invokes.push(command);
  }
  cancel(attemptId: string, reason: string): void {
    this.cancels.push({ attemptId, reason });
  }
}

/** An instance directory whose instances tests connect and disconnect by hand. */
export class RecordingInstances implements InstanceDirectory {
  readonly connected = new Map<string, RecordingInstance>();
  /** Every invoke, in the order cerebro sent them, across instances. */
  readonly log: { instanceId: string; command: InvokeCommand }[] = [];

  connect(serverName: string, instanceId = `${serverName}-1`): RecordingInstance {
    const instance = new RecordingInstance(serverName, instanceId);
    const record = instance.invoke.bind(instance);
    instance.invoke = (command) => {
      this.log.push({ instanceId, command });
      record(command);
    };
    this.connected.set(instanceId, instance);
    return instance;
  }

  disconnect(instanceId: string): void {
    this.connected.delete(instanceId);
  }

  pick(serverName: string): InstanceLink | undefined {
    return [...this.connected.values()].find((instance) => instance.serverName === serverName);
  }

  get(instanceId: string): InstanceLink | undefined {
    return this.connected.get(instanceId);
  }

  unavailableReason(serverName: string): string {
    return `no connected instance of server ${serverName}`;
  }

  /** The task ids invoked so far, in order. */
  invokedTasks(): string[] {
    return this.log.map((entry) => entry.command.taskId);
  }

  /** The latest invoke of a task. */
  lastInvoke(taskId: string): { instanceId: string; command: InvokeCommand } {
    const found = this.log.filter((entry) => entry.command.taskId === taskId).at(-1);
    if (!found)
      throw new Error(`${taskId} was never invoked; invoked: ${this.invokedTasks().join(", ")}`);
    return found;
  }
}

/** A run engine on a manual clock, an in-memory store and recording instances. */
export function engineHarness(
  options: {
    serverLostGraceMs?: number;
    recoveryWindowMs?: number;
    maxRunDataBytes?: number;
    store?: Store;
    logger?: Logger;
    clock?: ManualClock;
    describeMissingRun?: (runId: string) => string;
    spans?: RunSpans;
    progressIntervalMs?: number;
  } = {},
) {
  const clock = options.clock ?? new ManualClock();
  const graph = new TaskGraph();
  const store = options.store ?? new MemoryStore();
  const events = new EventBus();
  const seen: CerebroEvent[] = [];
  events.subscribe((event) => seen.push(event));
  const instances = new RecordingInstances();
  const engine = new RunEngine({
    graph,
    store,
    instances,
    clock,
    events,
    logger: options.logger ?? pino({ level: "silent" }),
    defaultDeadlines: DEFAULT_DEADLINES,
    serverLostGraceMs: options.serverLostGraceMs ?? 5_000,
    recoveryWindowMs: options.recoveryWindowMs ?? 7_000,
    ...(options.maxRunDataBytes === undefined ? {} : { maxRunDataBytes: options.maxRunDataBytes }),
    ...(options.describeMissingRun ? { describeMissingRun: options.describeMissingRun } : {}),
    ...(options.spans ? { spans: options.spans } : {}),
    ...(options.progressIntervalMs === undefined
      ? {}
      : { progressIntervalMs: options.progressIntervalMs }),
  });

  /** Reports a state for the latest attempt of a task, as its instance would. */
  const report = (
    taskId: string,
    state: "QUEUED" | "STARTED" | "COMPLETED" | "ERROR",
    errorDescription = "",
    extra: Pick<AttemptReport, "errorType" | "errorDetails" | "nonRetryable"> = {},
  ) => {
    const { instanceId, command } = instances.lastInvoke(taskId);
    return engine.report({
      instanceId,
      attemptId: command.attemptId,
      state,
      errorDescription,
      ...extra,
    });
  };

  /** Runs a task's latest attempt to completion. */
  const complete = async (taskId: string) => {
    await report(taskId, "STARTED");
    await report(taskId, "COMPLETED");
  };

  /** Lets stored invokes go out (they leave after the store resolves). */
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  return {
    clock,
    graph,
    store,
    bus: events,
    events: seen,
    instances,
    engine,
    report,
    complete,
    settle,
  };
}
