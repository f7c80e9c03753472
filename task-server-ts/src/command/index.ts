// Command task-servers (@cordyna/task-server/command): tasks whose work is a
// shell command, declared in YAML, as `dyna serve` runs them.

export { CommandFailedError } from "./run.js";
export { type CommandServerOverrides, createCommandServer } from "./server.js";
export {
  type CommandExec,
  type CommandFile,
  CommandFileError,
  type CommandFileIssue,
  type CommandServerOptions,
  type CommandSpec,
  type CommandTaskDeclaration,
  loadCommandFile,
  parseCommandFile,
} from "./spec.js";
