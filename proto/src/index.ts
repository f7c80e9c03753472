// The Cordyna protocol, cordyna.v1: every participant's single source of truth.

export * from "../gen/ts/cordyna/v1/access_pb.js";
export * from "../gen/ts/cordyna/v1/control_pb.js";
export * from "../gen/ts/cordyna/v1/task_pb.js";
export * from "../gen/ts/cordyna/v1/task_server_pb.js";
export { CLIENT_TLS_ENV, type ClientTls, clientTlsFromEnv } from "./client-tls.js";
export { bearerToken, TOKEN_ENV, tokenFromEnv } from "./client-token.js";
export { grpcServiceDefinition } from "./grpc.js";
export { type KeepaliveOptions, keepAlive } from "./keepalive.js";
export { RECONNECT_BACKOFF } from "./reconnect.js";
export { taskStatesOf } from "./task-states.js";
export {
  ATTEMPT_PROGRESS_MINOR,
  BATCHES_MINOR,
  DECLARATION_PARTS_MINOR,
  PROTOCOL_VERSION,
  TASK_LOGS_MINOR,
} from "./version.js";
export { durationOf, timestampOf } from "./wkt-literals.js";
