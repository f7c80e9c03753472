// The subpath "@cordyna/cerebro/graph": the checks cerebro applies to a
// server's declarations, for tools that want its verdict before the server
// connects (dyna check). It loads none of cerebro's service, store or RPC.

import type { TaskDeclaration } from "@cordyna/contract";
import { type ConvertedDeclarations, convertDeclarations } from "../rpc/declarations.js";
import { runWhole } from "../slices.js";

export type { Dependency, Owner, Schedule, TaskDefinition } from "../domain/model.js";
export { type DeclarationIssue, IssueCode } from "./issues.js";
export { type DeclarationOutcome, type DeclaredTask, TaskGraph } from "./task-graph.js";
export type { ConvertedDeclarations };

/**
 * Turns declarations in their proto form into task definitions as cerebro
 * does when a server says hello, with an INVALID issue for each malformed
 * field. The limits of the proto's buf.validate annotations are checked
 * apart (violationsOf in @cordyna/contract).
 */
export function definitionsFromDeclarations(
  declarations: readonly TaskDeclaration[],
): ConvertedDeclarations {
  return runWhole(convertDeclarations(declarations));
}
