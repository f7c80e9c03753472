import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  ListRunsRequestSchema,
  ListTaskRunsRequestSchema,
} from "../gen/ts/cordyna/v1/control_pb.js";
import { MAX_RUNS_PAGE, MAX_TASK_RUNS_PAGE } from "./limits.js";
import { violationsOf } from "./validation.js";

describe("the contract's limits as numbers", () => {
  it("MAX_RUNS_PAGE is the most ListRunsRequest.limit takes", () => {
    expect(
      violationsOf(ListRunsRequestSchema, create(ListRunsRequestSchema, { limit: MAX_RUNS_PAGE })),
    ).toEqual([]);
    const over = create(ListRunsRequestSchema, { limit: MAX_RUNS_PAGE + 1 });
    expect(violationsOf(ListRunsRequestSchema, over).map(String)).toEqual([
      expect.stringContaining("limit"),
    ]);
  });

  it("MAX_TASK_RUNS_PAGE is the most ListTaskRunsRequest.limit takes", () => {
    const at = create(ListTaskRunsRequestSchema, { taskId: "a.task", limit: MAX_TASK_RUNS_PAGE });
    expect(violationsOf(ListTaskRunsRequestSchema, at)).toEqual([]);
    const over = create(ListTaskRunsRequestSchema, {
      taskId: "a.task",
      limit: MAX_TASK_RUNS_PAGE + 1,
    });
    expect(violationsOf(ListTaskRunsRequestSchema, over).map(String)).toEqual([
      expect.stringContaining("limit"),
    ]);
  });
});
