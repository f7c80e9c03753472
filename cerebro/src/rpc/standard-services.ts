import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  create,
  createFileRegistry,
  type DescService,
  type FileRegistry,
  fromBinary,
  type Message,
} from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";

// The standard gRPC services cerebro serves beside its own: grpc.health.v1
// (load balancers, probes) and server reflection (grpcurl without proto
// files). Their descriptors come from the .proto files the gRPC project
// ships in its npm packages, read when cerebro starts.

const require = createRequire(import.meta.url);

/** Descriptors of the files at these paths, as protobuf-es reads them. */
function loadRegistry(protoPath: string): FileRegistry {
  const files = new Map<string, FileDescriptorProto>();
  for (const entry of Object.values(loadSync(protoPath))) {
    for (const bytes of (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? []) {
      const file = repairDescriptor(fromBinary(FileDescriptorProtoSchema, bytes));
      files.set(file.name, file);
    }
  }
  return createFileRegistry(create(FileDescriptorSetSchema, { file: [...files.values()] }));
}

/**
 * proto-loader's descriptors differ from protoc's in two ways that
 * protobuf-es and grpcurl refuse: type references are relative
 * ("HealthCheckResponse", not ".grpc.health.v1.HealthCheckResponse"), and a
 * map's entry message is named after the field ("Statuses", not
 * "StatusesEntry"). Both are put right here.
 */
function repairDescriptor(file: FileDescriptorProto): FileDescriptorProto {
  const known = new Set<string>();
  const collect = (message: DescriptorProto, scope: string): void => {
    const fullName = `${scope}.${message.name}`;
    known.add(fullName);
    for (const nested of message.enumType) known.add(`${fullName}.${nested.name}`);
    for (const nested of message.nestedType) collect(nested, fullName);
  };
  const root = file.package ? `.${file.package}` : "";
  for (const message of file.messageType) collect(message, root);
  for (const enumeration of file.enumType) known.add(`${root}.${enumeration.name}`);
  /** The innermost scope that defines `name`, as protoc resolves it. */
  const resolve = (name: string, scope: string): string => {
    if (name === "" || name.startsWith(".")) return name;
    for (let at = scope; ; at = at.slice(0, at.lastIndexOf("."))) {
      if (known.has(`${at}.${name}`)) return `${at}.${name}`;
      if (at === "") return `.${name}`;
    }
  };
  const visit = (message: DescriptorProto, scope: string): void => {
    const fullName = `${scope}.${message.name}`;
    for (const nested of message.nestedType) {
      if (nested.options?.mapEntry && !nested.name.endsWith("Entry")) {
        const oldNames = new Set([nested.name, `${fullName}.${nested.name}`]);
        nested.name = `${nested.name}Entry`;
        for (const field of message.field) {
          if (oldNames.has(field.typeName)) field.typeName = `${fullName}.${nested.name}`;
        }
      }
    }
    for (const field of message.field) field.typeName = resolve(field.typeName, fullName);
    for (const nested of message.nestedType) visit(nested, fullName);
  };
  for (const message of file.messageType) visit(message, root);
  for (const service of file.service) {
    for (const method of service.method) {
      method.inputType = resolve(method.inputType, root);
      method.outputType = resolve(method.outputType, root);
    }
  }
  return file;
}

function serviceIn(registry: FileRegistry, typeName: string): DescService {
  const service = registry.getService(typeName);
  if (!service) throw new Error(`${typeName} is missing from its .proto file`);
  return service;
}

const healthRegistry = loadRegistry(healthProtoPath);
const reflectionProtos = join(
  dirname(require.resolve("@grpc/reflection/package.json")),
  "build/proto/grpc/reflection",
);

/** grpc.health.v1.Health. */
export const HealthService = serviceIn(healthRegistry, "grpc.health.v1.Health");

/** Server reflection: v1, and v1alpha for older clients. */
export const ReflectionServices: readonly DescService[] = [
  serviceIn(
    loadRegistry(join(reflectionProtos, "v1/reflection.proto")),
    "grpc.reflection.v1.ServerReflection",
  ),
  serviceIn(
    loadRegistry(join(reflectionProtos, "v1alpha/reflection.proto")),
    "grpc.reflection.v1alpha.ServerReflection",
  ),
];

/** A message of a service's method, built from plain fields. */
export function messageOf(
  service: DescService,
  methodName: string,
  side: "input" | "output",
  init: Record<string, unknown>,
): Message {
  const method = service.methods.find((m) => m.name === methodName);
  if (!method) throw new Error(`${service.typeName} has no method ${methodName}`);
  return create(method[side], init as never) as Message;
}
