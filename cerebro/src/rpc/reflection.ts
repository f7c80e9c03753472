import { type DescFile, type DescService, type Message, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { messageOf, ReflectionServices } from "./standard-services.js";

/** gRPC status codes reflection reports in its error responses. */
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

interface ReflectionRequest {
  readonly host: string;
  readonly messageRequest: { readonly case: string | undefined; readonly value?: unknown };
}

/**
 * Server reflection (grpc.reflection v1 and v1alpha) for the given services
 * and everything their files import, so that `grpcurl host:port list` and
 * `describe` work without proto files.
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const names = services.map((service) => service.typeName);
  const files = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  for (const service of services) {
    for (const file of withDependencies(service.file)) {
      files.set(file.name, file);
      indexSymbols(file, bySymbol);
    }
  }

  for (const reflection of ReflectionServices) {
    const answer = (request: ReflectionRequest): Message => {
      const { case: kind, value } = request.messageRequest;
      const reply = (init: Record<string, unknown>) =>
        messageOf(reflection, "ServerReflectionInfo", "output", {
          validHost: request.host,
          originalRequest: request,
          messageResponse: init,
        });
      const filesOf = (file: DescFile | undefined, what: string) =>
        file
          ? reply({
              case: "fileDescriptorResponse",
              value: { fileDescriptorProto: withDependencies(file).map(fileDescriptorBytes) },
            })
          : reply({
              case: "errorResponse",
              value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` },
            });
      switch (kind) {
        case "listServices":
          return reply({
            case: "listServicesResponse",
            value: { service: names.map((name) => ({ name })) },
          });
        case "fileByFilename":
          return filesOf(files.get(String(value)), `file ${String(value)}`);
        case "fileContainingSymbol":
          return filesOf(bySymbol.get(String(value)), `symbol ${String(value)}`);
        default:
          return reply({
            case: "errorResponse",
            value: {
              errorCode: UNIMPLEMENTED,
              errorMessage: `${kind ?? "an empty request"} is not supported`,
            },
          });
      }
    };
    router.service(reflection, {
      serverReflectionInfo: async function* (requests: AsyncIterable<Message>) {
        for await (const request of requests) yield answer(request as unknown as ReflectionRequest);
      },
    } as never);
  }
}

/** Every fully qualified name a file defines: messages, enums, services, methods, extensions. */
function indexSymbols(file: DescFile, bySymbol: Map<string, DescFile>): void {
  const add = (name: string) => bySymbol.set(name, file);
  const visitMessage = (message: DescFile["messages"][number]): void => {
    add(message.typeName);
    for (const nested of message.nestedMessages) visitMessage(nested);
    for (const nested of message.nestedEnums) add(nested.typeName);
    for (const extension of message.nestedExtensions) add(extension.typeName);
  };
  for (const message of file.messages) visitMessage(message);
  for (const enumeration of file.enums) add(enumeration.typeName);
  for (const extension of file.extensions) add(extension.typeName);
  for (const service of file.services) {
    add(service.typeName);
    for (const method of service.methods) add(`${service.typeName}.${method.name}`);
  }
}

/** The file and every file it imports, each once, dependencies first. */
export function withDependencies(file: DescFile): DescFile[] {
  const files: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (current: DescFile): void => {
    if (seen.has(current.name)) return;
    seen.add(current.name);
    for (const dependency of current.dependencies) visit(dependency);
    files.push(current);
  };
  visit(file);
  return files;
}

/** A file's descriptor as reflection sends it. */
export function fileDescriptorBytes(file: DescFile): Uint8Array {
  return toBinary(FileDescriptorProtoSchema, file.proto);
}
