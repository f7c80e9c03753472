import { type DescService, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** The bytes as a Buffer, without copying them. */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Builds a @grpc/grpc-js service definition from a protobuf-es service
 * descriptor, so that grpc-js servers speak the generated messages directly.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const streamsRequests =
      method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
    const streamsResponses =
      method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: streamsRequests,
      responseStream: streamsResponses,
      requestSerialize: (message: Message) => bufferOf(toBinary(method.input, message)),
      requestDeserialize: (bytes: Uint8Array) => fromBinary(method.input, bytes),
      responseSerialize: (message: Message) => bufferOf(toBinary(method.output, message)),
      responseDeserialize: (bytes: Uint8Array) => fromBinary(method.output, bytes),
    } as MethodDefinition<unknown, unknown>;
  }
  return definition;
}
