// Limits of the contract that clients need as numbers, e.g. to check a flag
// before they call. The proto's buf.validate rules are the source; a test
// holds each number to its rule.

/** The most runs one ListRuns page holds (ListRunsRequest.limit). */
export const MAX_RUNS_PAGE = 1_000;

/** The most task-runs one ListTaskRuns page holds (ListTaskRunsRequest.limit). */
export const MAX_TASK_RUNS_PAGE = 1_000;
