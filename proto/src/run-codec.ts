// A run, encoded by hand for the StartRun and GetRun responses. protobuf-es
// writes a message by reflection, which took a quarter of a second for a
// run of 10,000 task-runs, most of planning it; this writes the same bytes
// (run-codec.test.ts checks that on random runs) and hands anything unusual
// (unknown fields) back to protobuf-es.
import { toBinary } from "@bufbuild/protobuf";
import type {
  Attempt,
  GetRunResponse,
  Run,
  RunSummary,
  StartRunResponse,
  TaskRun,
  TaskRunOutcome,
} from "../gen/ts/cordyna/v1/control_pb.js";
import { GetRunResponseSchema, StartRunResponseSchema } from "../gen/ts/cordyna/v1/control_pb.js";
import type { Completion, Owner } from "../gen/ts/cordyna/v1/task_pb.js";
import {
  handFirst,
  plain,
  writeBool,
  writeInt32,
  writeMessage,
  writeSecondsAndNanos,
  writeString,
  writeStringMap,
  writeStrings,
  writeUint32,
} from "./hand-codec.js";
import { WireWriter } from "./wire-writer.js";

/** The field numbers handled here, per message, so that a test notices a field added to the proto. */
export const HANDLED_RUN_FIELDS = {
  "cordyna.v1.StartRunResponse": [1, 2, 3],
  "cordyna.v1.RunLinks": [1, 2, 3],
  "cordyna.v1.GetRunResponse": [1],
  "cordyna.v1.Run": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  "cordyna.v1.TaskRun": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  "cordyna.v1.Attempt": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  "cordyna.v1.RunSummary": [1, 2, 3, 4, 5],
  "cordyna.v1.TaskRunOutcome": [1, 2, 3, 4, 5, 6],
  "cordyna.v1.Completion": [1, 2, 3, 4],
  "cordyna.v1.Owner": [1, 2],
} as const;

export const encodeStartRunResponse = handFirst(handEncodeStartRunResponse, (response) =>
  toBinary(StartRunResponseSchema, response),
);
export const encodeGetRunResponse = handFirst(handEncodeGetRunResponse, (response) =>
  toBinary(GetRunResponseSchema, response),
);

/** encodeStartRunResponse by hand only; throws when protobuf-es must take over. */
export function handEncodeStartRunResponse(response: StartRunResponse): Uint8Array {
  const writer = new WireWriter();
  writeMessage(writer, 1, plain(response).run, writeRun);
  writeBool(writer, 2, response.existing);
  writeMessage(writer, 3, response.follow, (into, follow) => {
    writeString(into, 1, plain(follow).cli);
    writeString(into, 2, follow.grpc);
    writeString(into, 3, follow.http);
  });
  return writer.finish();
}

/** encodeGetRunResponse by hand only; throws when protobuf-es must take over. */
export function handEncodeGetRunResponse(response: GetRunResponse): Uint8Array {
  const writer = new WireWriter();
  writeMessage(writer, 1, plain(response).run, writeRun);
  return writer.finish();
}

function writeRun(writer: WireWriter, run: Run): void {
  writeString(writer, 1, plain(run).id);
  writeInt32(writer, 2, run.state);
  writeInt32(writer, 3, run.trigger);
  writeStrings(writer, 4, run.targets);
  writeStringMap(writer, 5, run.params);
  writeInt32(writer, 6, run.mode);
  writeSecondsAndNanos(writer, 7, run.createdAt);
  writeSecondsAndNanos(writer, 8, run.finishedAt);
  for (const taskRun of run.taskRuns) writeMessage(writer, 9, taskRun, writeTaskRun);
  writeMessage(writer, 10, run.summary, writeSummary);
  writeString(writer, 11, run.idempotencyKey);
  writeSecondsAndNanos(writer, 12, run.logicalTime);
}

function writeTaskRun(writer: WireWriter, taskRun: TaskRun): void {
  writeString(writer, 1, plain(taskRun).id);
  writeString(writer, 2, taskRun.taskId);
  writeString(writer, 3, taskRun.serverName);
  writeMessage(writer, 4, taskRun.owner, writeOwner);
  writeInt32(writer, 5, taskRun.state);
  writeInt32(writer, 6, taskRun.errorCause);
  writeString(writer, 7, taskRun.errorDescription);
  writeStrings(writer, 8, taskRun.blockedBy);
  writeMessage(writer, 9, taskRun.reused, writeCompletion);
  writeStrings(writer, 10, taskRun.upstream);
  for (const attempt of taskRun.attempts) writeMessage(writer, 11, attempt, writeAttempt);
  writeSecondsAndNanos(writer, 12, taskRun.updatedAt);
  writeString(writer, 13, taskRun.waitingReason);
}

function writeAttempt(writer: WireWriter, attempt: Attempt): void {
  writeString(writer, 1, plain(attempt).id);
  writeUint32(writer, 2, attempt.number);
  writeInt32(writer, 3, attempt.state);
  writeString(writer, 4, attempt.instanceId);
  writeInt32(writer, 5, attempt.errorCause);
  writeString(writer, 6, attempt.errorDescription);
  writeSecondsAndNanos(writer, 7, attempt.invokedAt);
  writeSecondsAndNanos(writer, 8, attempt.queuedAt);
  writeSecondsAndNanos(writer, 9, attempt.startedAt);
  writeSecondsAndNanos(writer, 10, attempt.finishedAt);
}

function writeSummary(writer: WireWriter, summary: RunSummary): void {
  for (const outcome of plain(summary).failed) writeMessage(writer, 1, outcome, writeOutcome);
  for (const outcome of summary.blocked) writeMessage(writer, 2, outcome, writeOutcome);
  writeUint32(writer, 3, summary.completed);
  writeUint32(writer, 4, summary.skipped);
  writeUint32(writer, 5, summary.cancelled);
}

function writeOutcome(writer: WireWriter, outcome: TaskRunOutcome): void {
  writeString(writer, 1, plain(outcome).taskId);
  writeMessage(writer, 2, outcome.owner, writeOwner);
  writeString(writer, 3, outcome.serverName);
  writeInt32(writer, 4, outcome.errorCause);
  writeString(writer, 5, outcome.errorDescription);
  writeStrings(writer, 6, outcome.blockedBy);
}

function writeCompletion(writer: WireWriter, completion: Completion): void {
  writeString(writer, 1, plain(completion).taskId);
  writeString(writer, 2, completion.runId);
  writeString(writer, 3, completion.taskRunId);
  writeSecondsAndNanos(writer, 4, completion.completedAt);
}

function writeOwner(writer: WireWriter, owner: Owner): void {
  writeString(writer, 1, plain(owner).team);
  writeString(writer, 2, owner.contact);
}
