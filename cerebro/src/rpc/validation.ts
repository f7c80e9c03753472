import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { describeViolations, violationsOf } from "@cordyna/contract";

/**
 * Refuses a request that breaks a limit of the contract with
 * INVALID_ARGUMENT, naming each field and limit, before its handler acts on
 * it. Streams of requests (a task-server's Connect) are checked message by
 * message by their handler, which refuses them the way the protocol says.
 */
export function validateRequests(): Interceptor {
  return (next) => async (request) => {
    if (!request.stream) {
      refuseInvalid(request.method.input, request.message);
      return next(request);
    }
    // A server-streaming call's one request reaches the handler as a stream too.
    if (request.method.methodKind === "server_streaming") {
      return next({ ...request, message: checked(request.method.input, request.message) });
    }
    return next(request);
  };
}

function refuseInvalid<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): void {
  const violations = violationsOf(schema, message);
  if (violations.length > 0) {
    throw new ConnectError(describeViolations(violations), Code.InvalidArgument);
  }
}

async function* checked<Desc extends DescMessage>(
  schema: Desc,
  messages: AsyncIterable<MessageShape<Desc>>,
): AsyncIterable<MessageShape<Desc>> {
  for await (const message of messages) {
    refuseInvalid(schema, message);
    yield message;
  }
}
