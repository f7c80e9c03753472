import {
  type DescFile,
  type DescService,
  fromBinary,
  type Message,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

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
      requestSerialize: (message: Message) => Buffer.from(toBinary(method.input, message)),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (message: Message) => Buffer.from(toBinary(method.output, message)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
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
