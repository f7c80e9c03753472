import {
  type DescFile,
  type DescMessage,
  type DescService,
  fromBinary,
  type Message,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
} from "../gen/ts/cordyna/v1/task_server_pb.js";
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
} from "./stream-codec.js";

interface Codec {
  readonly serialize: (message: Message) => Buffer;
  readonly deserialize: (bytes: Buffer) => Message;
}

/** The session stream's messages go through the hand-written codec; all others through protobuf-es. */
const HAND_CODECS = new Map<string, Codec>([
  [
    ConnectRequestSchema.typeName,
    {
      serialize: (message) => bufferOf(encodeConnectRequest(message as never)),
      deserialize: decodeConnectRequest,
    },
  ],
  [
    ConnectResponseSchema.typeName,
    {
      serialize: (message) => bufferOf(encodeConnectResponse(message as never)),
      deserialize: decodeConnectResponse,
    },
  ],
]);

function codecOf(schema: DescMessage): Codec {
  return (
    HAND_CODECS.get(schema.typeName) ?? {
      serialize: (message) => bufferOf(toBinary(schema, message)),
      deserialize: (bytes) => fromBinary(schema, bytes),
    }
  );
}

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
    const request = codecOf(method.input);
    const response = codecOf(method.output);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: streamsRequests,
      responseStream: streamsResponses,
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
    } as MethodDefinition<unknown, unknown>;
  }
  return definition;
}

/**
 * The shape @grpc/reflection reads from a package definition: the serialized
 * FileDescriptorProtos of every file a service needs, its imports included.
 */
export type ReflectionPackageDefinition = Record<string, { fileDescriptorProtos: Buffer[] }>;

/** Describes the given services (and every file they import) for server reflection. */
export function reflectionPackageDefinition(
  services: readonly DescService[],
): ReflectionPackageDefinition {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    for (const dependency of file.dependencies) visit(dependency);
  };
  for (const service of services) visit(service.file);
  const fileDescriptorProtos = [...files.values()].map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  const definition: ReflectionPackageDefinition = {};
  for (const service of services) definition[service.typeName] = { fileDescriptorProtos };
  return definition;
}
