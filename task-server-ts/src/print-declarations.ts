// `--print-declarations`: what a task-server would declare, printed instead
// of connecting, so that CI can check it (`dyna check`) before it is deployed.

import { type JsonObject, toJson } from "@bufbuild/protobuf";
import { type TaskDeclaration, TaskDeclarationSchema } from "@cordyna/contract";

/** The command-line argument that makes `start()` print the declarations and exit. */
export const PRINT_DECLARATIONS_FLAG = "--print-declarations";
/** The environment variable that does the same when set to 1 or true. */
export const PRINT_DECLARATIONS_ENV = "CORDYNA_PRINT_DECLARATIONS";

/**
 * What `--print-declarations` prints: the server name and its default team
 * and contact, and the tasks its Hello would carry, each in the proto's JSON
 * form of TaskDeclaration (field names in lowerCamelCase, durations as
 * "90s", fields at their default left out).
 */
export interface PrintedDeclarations {
  readonly serverName: string;
  readonly team: string;
  readonly contact: string;
  readonly tasks: JsonObject[];
}

/** The document for a server's name, default owner and declarations. */
export function printedDeclarations(
  serverName: string,
  owner: { readonly team: string; readonly contact: string },
  declarations: readonly TaskDeclaration[],
): PrintedDeclarations {
  return {
    serverName,
    team: owner.team,
    contact: owner.contact,
    tasks: declarations.map(
      (declaration) => toJson(TaskDeclarationSchema, declaration) as JsonObject,
    ),
  };
}

/** Whether this process was asked to print its declarations: the flag among its arguments, or the variable. */
export function printDeclarationsRequested(
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const value = env[PRINT_DECLARATIONS_ENV]?.trim().toLowerCase();
  return argv.includes(PRINT_DECLARATIONS_FLAG) || value === "1" || value === "true";
}

/**
 * Writes the document as JSON to stdout and exits the process
 * once it is written: 0, or 1 when stdout cannot take it (a closed pipe).
 */
export function printAndExit(document: PrintedDeclarations): void {
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`, (error) =>
    process.exit(error ? 1 : 0),
  );
}
