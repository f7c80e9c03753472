import type { MessageInitShape } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ConnectRequestSchema,
  DependencyCondition,
  type TaskDeclarationSchema,
  violationsOf,
} from "@cordyna/contract";
import { TaskGraph } from "../graph/task-graph.js";
import { runWhole } from "../slices.js";
import { convertDeclarations } from "./declarations.js";

/** Tasks in the made-up declaration: enough to reach every rule and branch, cheap at start. */
const WARM_UP_TASKS = 50;

/**
 * Reads, checks and applies a made-up declaration once, at start, so that
 * the first real one does not run that code for the first time. Code run
 * for the first time is interpreted, then compiled while it runs: a first
 * declaration of a few hundred tasks held cerebro's event loop two to three
 * times as long as the next one, and every other call waited meanwhile.
 * Nothing of it is kept: the graph and the messages are thrown away.
 *
 * @returns what the made-up declaration broke: nothing, or the warm-up would
 *   only run the code that refuses a declaration
 */
export function warmUpDeclarations(): string[] {
  const tasks = Array.from({ length: WARM_UP_TASKS }, (_, index) => madeUpTask(index));
  const bytes = toBinary(
    ConnectRequestSchema,
    create(ConnectRequestSchema, {
      message: { case: "declarationPart", value: { tasks, last: true } },
    }),
  );
  const message = fromBinary(ConnectRequestSchema, bytes);
  const violations = violationsOf(ConnectRequestSchema, message);
  if (message.message.case !== "declarationPart") return ["the message lost its declaration"];
  const { definitions, issues } = runWhole(convertDeclarations(message.message.value.tasks));
  const { errors } = new TaskGraph().declare("warm-up", definitions);
  return [
    ...violations.map((violation) => violation.toString()),
    ...[...issues, ...errors].map((issue) => issue.message),
  ];
}

/** A task with each part of a declaration set, depending on the two before it. */
function madeUpTask(index: number): MessageInitShape<typeof TaskDeclarationSchema> {
  const id = (n: number) => `warm-up.task-${n}`;
  const seconds = (n: number) => ({ seconds: BigInt(n) });
  return {
    id: id(index),
    description: "made up at start",
    owner: { team: "warm-up", contact: "" },
    dependencies: [index - 1, index - 2]
      .filter((upstream) => upstream >= 0)
      .map((upstream, position) =>
        position === 0
          ? { taskId: id(upstream), condition: DependencyCondition.RUN_FIRST }
          : {
              taskId: id(upstream),
              condition: DependencyCondition.FRESH_WITHIN,
              freshWithin: seconds(3_600),
            },
      ),
    deadlines: { ack: seconds(10), start: seconds(60), complete: seconds(600) },
    retry: {
      maxAttempts: 3,
      initialBackoff: seconds(1),
      maxBackoff: seconds(30),
      backoffMultiplier: 2,
    },
    tags: ["warm-up"],
  };
}
