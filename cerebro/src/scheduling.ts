import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import { TaskState } from "./domain/model.js";
import type { RunEngine } from "./engine/run-engine.js";
import type { EventBus } from "./events.js";
import type { TaskGraph } from "./graph/task-graph.js";
import { LateWatch } from "./notify/late.js";
import type { NotificationPlanner } from "./notify/planner.js";
import { Scheduler } from "./schedule/scheduler.js";
import type { Store } from "./store/store.js";

/**
 * Connects the scheduler to the rest of cerebro: scheduled runs go through
 * the engine, cursors live in the store, and the scheduler hears of
 * declarations, completions and finished runs through cerebro's events.
 */
export function connectScheduler(parts: {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly engine: RunEngine;
  readonly graph: TaskGraph;
  readonly events: EventBus;
  readonly store: Store;
  /** A cron tick's run was started `lateMs` after the tick (metrics). */
  readonly cronRunStarted?: (lateMs: number) => void;
}): Scheduler {
  const { clock, logger, engine, graph, events, store } = parts;
  const scheduler = new Scheduler({
    clock,
    logger,
    async startRun(request) {
      const { snapshot, existing } = await engine.startRun({
        targets: [request.taskId],
        // The upstream that triggered the task has just completed: do not run it again.
        withoutUpstream: request.trigger === "upstream",
        trigger: request.trigger,
        logicalTime: request.logicalTime,
        idempotencyKey: request.idempotencyKey,
      });
      if (request.trigger === "cron" && !existing) {
        parts.cronRunStarted?.(clock.now() - request.logicalTime);
      }
      return { runId: snapshot.run.id, existing };
    },
    async cancelRun(runId, reason) {
      await engine.cancelRun(runId, reason);
    },
    isRunActive: (runId) => engine.isActive(runId),
    activeCronRuns: (taskId) => engine.activeCronRuns(taskId),
    cursors: {
      load: () => store.loadScheduleCursors(),
      save: (taskId, tickMs) => store.saveScheduleCursor(taskId, tickMs),
    },
  });
  const syncTasks = (): void => scheduler.setTasks(graph.all().map((task) => task.definition));
  events.subscribe((event) => {
    if (event.kind === "graph-changed") syncTasks();
    else if (event.kind === "run-finished" && event.runId) scheduler.runFinished(event.runId);
    else if (
      event.kind === "task-run-changed" &&
      event.state === TaskState.COMPLETED &&
      event.taskId &&
      event.runId &&
      // A test run's completion (a candidate's too) triggers no normal run.
      engine.activeRunMode(event.runId) === "normal" &&
      !runHoldsTriggeredDownstream(event.runId, event.taskId)
    ) {
      scheduler.taskCompleted(event.taskId, event.time);
    }
  });
  syncTasks();

  /** A run that already includes a triggered downstream of the task runs it itself. */
  function runHoldsTriggeredDownstream(runId: string, taskId: string): boolean {
    return graph
      .downstreamOf(taskId)
      .some(
        (downstream) =>
          graph.get(downstream)?.definition.trigger && engine.runIncludes(runId, downstream),
      );
  }

  return scheduler;
}

/**
 * Connects the late rule's watch: it follows declarations through cerebro's
 * events, reads task-runs and its checked ticks from the store, and hands
 * "late" notifications to the planner's outbox.
 */
export function connectLateWatch(parts: {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: Store;
  readonly graph: TaskGraph;
  readonly events: EventBus;
  readonly planner: NotificationPlanner;
  readonly consoleUrl?: string;
}): LateWatch {
  const { graph, events, planner } = parts;
  const watch = new LateWatch({
    clock: parts.clock,
    logger: parts.logger,
    store: parts.store,
    notify: (planned) => planner.enqueue(planned),
    ...(parts.consoleUrl ? { consoleUrl: parts.consoleUrl } : {}),
  });
  const syncTasks = (): void => watch.setTasks(graph.all().map((task) => task.definition));
  events.subscribe((event) => {
    if (event.kind === "graph-changed") syncTasks();
  });
  syncTasks();
  return watch;
}
