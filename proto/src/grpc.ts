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
import { GetRunResponseSchema, StartRunResponseSchema } from "../gen/ts/cordyna/v1/control_pb.js";
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
} from "../gen/ts/cordyna/v1/task_server_pb.js";
import { encodeGetRunResponse, encodeStartRunResponse } from "./run-codec.js";
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
} from "./stream-codec.js";

/** How the messages of one type are written and read. */
export interface MessageCodec {
  readonly encode: (message: Message) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => Message;
}

type Encode = (message: never) => Uint8Array;

/** Messages written by hand (see stream-codec.ts and run-codec.ts); all others by protobuf-es. */
const HAND_ENCODERS = new Map<string, Encode>([
  [ConnectRequestSchema.typeName, encodeConnectRequest],
  [ConnectResponseSchema.typeName, encodeConnectResponse],
  [StartRunResponseSchema.typeName, encodeStartRunResponse],
  [GetRunResponseSchema.typeName, encodeGetRunResponse],
]);

/** Messages read by hand; all others by protobuf-es. */
const HAND_DECODERS = new Map<string, (bytes: Uint8Array) => Message>([
  [ConnectRequestSchema.typeName, decodeConnectRequest],
  [ConnectResponseSchema.typeName, decodeConnectResponse],
]);

/** The codec of a message type: by hand where there is one, by protobuf-es otherwise. */
export function messageCodec(schema: DescMessage): MessageCodec {
  return {
    encode:
      (HAND_ENCODERS.get(schema.typeName) as ((message: Message) => Uint8Array) | undefined) ??
      ((message: Message) => toBinary(schema, message)),
    decode: HAND_DECODERS.get(schema.typeName) ?? ((bytes) => fromBinary(schema, bytes)),
  };
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
    const request = messageCodec(method.input);
    const response = messageCodec(method.output);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: streamsRequests,
      responseStream: streamsResponses,
      requestSerialize: (message: Message) => bufferOf(request.encode(message)),
      requestDeserialize: request.decode,
      responseSerialize: (message: Message) => bufferOf(response.encode(message)),
      responseDeserialize: response.decode,
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
