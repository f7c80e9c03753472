import {
  type RunSummary,
  type TaskRunOutcome,
  type TaskRunRecord,
  TaskState,
} from "../domain/model.js";

/** What a finished run tells its watchers: each failed or blocked task and its team. */
export function summarize(taskRuns: Iterable<TaskRunRecord>): RunSummary {
  const summary: RunSummary = { failed: [], blocked: [], completed: 0, skipped: 0, cancelled: 0 };
  for (const taskRun of taskRuns) {
    const outcome: TaskRunOutcome = {
      taskId: taskRun.taskId,
      serverName: taskRun.serverName,
      owner: taskRun.owner,
    };
    switch (taskRun.state) {
      case TaskState.COMPLETED:
        summary.completed++;
        break;
      case TaskState.SKIPPED:
        summary.skipped++;
        break;
      case TaskState.CANCELLED:
        summary.cancelled++;
        break;
      case TaskState.ERROR:
        if (taskRun.errorCause) outcome.errorCause = taskRun.errorCause;
        if (taskRun.errorDescription) outcome.errorDescription = taskRun.errorDescription;
        summary.failed.push(outcome);
        break;
      case TaskState.BLOCKED:
        outcome.blockedBy = taskRun.blockedBy ?? [];
        summary.blocked.push(outcome);
        break;
      default:
        break;
    }
  }
  const byTask = (a: TaskRunOutcome, b: TaskRunOutcome): number => a.taskId.localeCompare(b.taskId);
  summary.failed.sort(byTask);
  summary.blocked.sort(byTask);
  return summary;
}
