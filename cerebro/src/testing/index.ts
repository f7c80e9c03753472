// Helpers for tests of cerebro and of task-servers against it.

export { createTestPki, type PkiFile, type TestPki } from "./certificates.js";
export { engineHarness, RecordingInstance, RecordingInstances, task } from "./engine-harness.js";
export { type HeldWrite, HoldingStore } from "./holding-store.js";
export { freePort, freePortPair, type OccupiedPort, occupyPort } from "./ports.js";
export { type PrometheusSample, prometheusSamples, sampleValue } from "./prometheus-text.js";
export { RawSession } from "./raw-session.js";
export { onPath, type RedisServerOptions, RedisServerProcess } from "./redis-server.js";
export { chooseRedisSource, type RedisEnvironment, type RedisSource } from "./redis-source.js";
