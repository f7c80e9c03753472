// Command task-servers: tasks whose work is a shell command, declared in YAML.

export { buildInvocation, type Invocation, paramEnvName, SHELL } from "./invocation.js";
export { CommandFailedError, type RunCommandOptions, runCommand } from "./run.js";
export { type CommandServerOverrides, createCommandServer } from "./server.js";
export {
  type CommandExec,
  type CommandFile,
  CommandFileError,
  type CommandFileIssue,
  type CommandServerOptions,
  type CommandSpec,
  type CommandTaskDeclaration,
  DEFAULT_KEEP_BYTES,
  DEFAULT_KILL_GRACE_MS,
  loadCommandFile,
  parseCommandFile,
} from "./spec.js";
