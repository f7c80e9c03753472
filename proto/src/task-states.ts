import type { ConnectRequest, TaskStateUpdate } from "../gen/ts/cordyna/v1/task_server_pb.js";

/**
 * The task states a message up the stream carries: one (TaskStateUpdate) or
 * several (TaskStateUpdates, protocol 1.1); undefined for any other message.
 */
export function taskStatesOf(request: ConnectRequest): readonly TaskStateUpdate[] | undefined {
  const message = request.message;
  if (message.case === "taskState") return [message.value];
  if (message.case === "taskStates") return message.value.updates;
  return undefined;
}
