// Helpers for tests of cerebro and of task-servers against it.

export { engineHarness, RecordingInstance, RecordingInstances, task } from "./engine-harness.js";
export { RawSession } from "./raw-session.js";
