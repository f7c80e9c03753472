import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type DescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { ControlService, reflectionPackageDefinition, TaskServerService } from "@cordyna/contract";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";

/**
 * Server reflection for our services and the standard health service, so
 * that grpcurl needs no proto files.
 */
export function createReflectionService(): ReflectionService {
  const definition: Record<string, { fileDescriptorProtos: Buffer[] }> = {
    ...reflectionPackageDefinition([TaskServerService, ControlService]),
  };
  for (const [name, entry] of Object.entries(loadSync(healthProtoPath))) {
    const protos = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos;
    if (protos) definition[name] = { fileDescriptorProtos: protos.map(repairMapEntries) };
  }
  // The reflection service reads only fileDescriptorProtos from each entry, which is all ours carry.
  return new ReflectionService(definition as unknown as PackageDefinition);
}

/**
 * proto-loader names a map's entry message after the field ("Statuses")
 * where protobuf requires "StatusesEntry"; grpcurl refuses such a
 * descriptor, so the entries are renamed and the references follow.
 */
function repairMapEntries(bytes: Buffer): Buffer {
  const file = fromBinary(FileDescriptorProtoSchema, bytes);
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
      visit(nested, fullName);
    }
  };
  for (const message of file.messageType) visit(message, `.${file.package}`);
  return Buffer.from(toBinary(FileDescriptorProtoSchema, create(FileDescriptorProtoSchema, file)));
}
