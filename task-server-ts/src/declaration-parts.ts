import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConnectRequestSchema, TaskDeclaration } from "@cordyna/contract";

export type RequestMessage = NonNullable<MessageInitShape<typeof ConnectRequestSchema>["message"]>;

/**
 * Tasks per message of a declaration. Cerebro reads a message in one go; a
 * declaration of tens of thousands of tasks in one message would hold up
 * every other call for as long as that takes, a part of 250 for a few
 * milliseconds (a part of 1,000 held it four times as long, up to tens of
 * milliseconds on a busy machine).
 */
export const TASKS_PER_PART = 250;

/**
 * A declaration as the messages that carry it: the opening message (a Hello
 * or a Redeclare, made by `opening`) with the first tasks and, for more than
 * one part's worth, tasks_continue and the DeclarationParts after it
 * (protocol 1.2).
 */
export function declarationMessages(
  tasks: readonly TaskDeclaration[],
  opening: (firstTasks: TaskDeclaration[], tasksContinue: boolean) => RequestMessage,
): RequestMessage[] {
  const messages = [opening(tasks.slice(0, TASKS_PER_PART), tasks.length > TASKS_PER_PART)];
  for (let start = TASKS_PER_PART; start < tasks.length; start += TASKS_PER_PART) {
    messages.push({
      case: "declarationPart",
      value: {
        tasks: tasks.slice(start, start + TASKS_PER_PART),
        last: start + TASKS_PER_PART >= tasks.length,
      },
    });
  }
  return messages;
}
