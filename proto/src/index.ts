// The Cordyna protocol, cordyna.v1: every participant's single source of truth.

export * from "../gen/ts/cordyna/v1/access_pb.js";
export * from "../gen/ts/cordyna/v1/control_pb.js";
export * from "../gen/ts/cordyna/v1/task_pb.js";
export * from "../gen/ts/cordyna/v1/task_server_pb.js";
export {
  type AccessClient,
  baseUrlFor,
  type ClientCredentials,
  type ControlClient,
  cerebroTransport,
  createAccessClient,
  createControlClient,
} from "./cerebro-client.js";
export { CLIENT_TLS_ENV, type ClientTls, clientTlsFromEnv } from "./client-tls.js";
export { bearerToken, formatToken, parseToken, TOKEN_ENV, tokenFromEnv } from "./client-token.js";
export {
  type DurationInput,
  durationText,
  InvalidDurationError,
  parseDuration,
} from "./durations.js";
export { grpcServiceDefinition } from "./grpc.js";
export { VERSION_HEADERS } from "./health-headers.js";
export { type KeepaliveOptions, keepAlive } from "./keepalive.js";
export { MAX_RUNS_PAGE, MAX_TASK_RUNS_PAGE } from "./limits.js";
export { describeProgress, type ProgressShown } from "./progress.js";
export { RECONNECT_BACKOFF } from "./reconnect.js";
export { taskStatesOf } from "./task-states.js";
export {
  compileRules,
  describeViolation,
  describeViolations,
  violationsOf,
} from "./validation.js";
export {
  ATTEMPT_PROGRESS_MINOR,
  BATCHES_MINOR,
  CANDIDATES_MINOR,
  DECLARATION_PARTS_MINOR,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_TEXT,
  TASK_LOGS_MINOR,
} from "./version.js";
export { durationOf, timestampOf } from "./wkt-literals.js";
