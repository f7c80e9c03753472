import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type CancelRunRequest,
  CancelRunResponseSchema,
  DependencyCondition,
  GetGraphResponseSchema,
  type GetRunRequest,
  GetRunResponseSchema,
  GraphEdgeSchema,
  type ListRunsRequest,
  ListRunsResponseSchema,
  ListServersResponseSchema,
  ListTasksResponseSchema,
  ServerInfoSchema,
  ServerState,
  type StartRunRequest,
  StartRunResponseSchema,
  type TaskInfo,
  TaskInfoSchema,
  type WatchEventsRequest,
  type WatchEventsResponse,
  WatchEventsResponseSchema,
} from "@cordyna/contract";
import {
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import { CordynaError, type ErrorCode } from "../domain/errors.js";
import type { TaskDefinition } from "../domain/model.js";
import type { RunEngine } from "../engine/run-engine.js";
import type { EventBus } from "../events.js";
import type { TaskGraph } from "../graph/task-graph.js";
import type { Store } from "../store/store.js";
import { completionToProto, eventToProto, runToProto } from "./convert.js";
import { errorCauseToProto, runModeFromProto } from "./enums.js";
import type { SessionRegistry } from "./sessions.js";

export interface ControlServiceOptions {
  readonly graph: TaskGraph;
  readonly engine: RunEngine;
  readonly store: Store;
  readonly sessions: SessionRegistry;
  readonly events: EventBus;
  readonly logger: Logger;
}

const GRPC_CODES: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** The ControlService: what the CLI, grpcurl and CI jobs call. */
export function controlService(options: ControlServiceOptions): UntypedServiceImplementation {
  const { graph, engine, store, sessions, events, logger } = options;

  /** Wraps a handler: domain errors become gRPC statuses with their message. */
  function unary<Request, Response>(handler: (request: Request) => Promise<Response>) {
    return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => {
      handler(call.request).then(
        (response) => callback(null, response),
        (reason: unknown) => {
          const error = CordynaError.from(reason);
          if (error.code === "INTERNAL") logger.error({ err: reason }, "control call failed");
          callback({ code: GRPC_CODES[error.code], details: error.rawMessage });
        },
      );
    };
  }

  async function taskInfos(): Promise<TaskInfo[]> {
    const declared = graph.all();
    const completions = await store.lastCompletions(
      declared.map(({ definition }) => definition.id),
    );
    const infos = declared.map(({ definition, serverName }) => {
      const reason = graph.unresolvedReason(definition.id);
      const completion = completions.get(definition.id);
      return create(TaskInfoSchema, {
        taskId: definition.id,
        serverName,
        declaration: declarationToProto(definition),
        resolved: reason === undefined,
        unresolvedReason: reason ?? "",
        instances: sessions.ofServer(serverName).length,
        lastCompletion: completion ? completionToProto(completion) : undefined,
        downstream: [...graph.downstreamOf(definition.id)],
      });
    });
    for (const missing of graph.undeclaredUpstreams()) {
      infos.push(
        create(TaskInfoSchema, {
          taskId: missing,
          resolved: false,
          unresolvedReason: `${missing} is declared by no server`,
          downstream: [...graph.downstreamOf(missing)],
        }),
      );
    }
    return infos.sort((a, b) => a.taskId.localeCompare(b.taskId));
  }

  return {
    startRun: unary(async (request: StartRunRequest) => {
      const { snapshot, existing } = await engine.startRun({
        targets: request.targets,
        withoutUpstream: request.withoutUpstream,
        withDownstream: request.withDownstream,
        params: request.params,
        mode: runModeFromProto(request.mode),
        ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
        trigger: "api",
      });
      return create(StartRunResponseSchema, { run: runToProto(snapshot), existing });
    }),

    getRun: unary(async (request: GetRunRequest) => {
      requireRunId(request.runId);
      return create(GetRunResponseSchema, { run: runToProto(await engine.getRun(request.runId)) });
    }),

    listRuns: unary(async (request: ListRunsRequest) => {
      const runs = await store.listRuns(request.limit || 50);
      const snapshots = await Promise.all(runs.map((run) => engine.getRun(run.id)));
      return create(ListRunsResponseSchema, { runs: snapshots.map(runToProto) });
    }),

    cancelRun: unary(async (request: CancelRunRequest) => {
      requireRunId(request.runId);
      const snapshot = await engine.cancelRun(request.runId, request.reason);
      return create(CancelRunResponseSchema, { run: runToProto(snapshot) });
    }),

    listTasks: unary(async () => create(ListTasksResponseSchema, { tasks: await taskInfos() })),

    listServers: unary(async () => {
      const names = new Set([
        ...graph.all().map((task) => task.serverName),
        ...sessions.all().map((session) => session.serverName),
      ]);
      const servers = [...names].sort().map((name) =>
        create(ServerInfoSchema, {
          name,
          taskIds: graph.tasksOf(name),
          instances: sessions.ofServer(name).map((session) => ({
            instanceId: session.instanceId,
            state: session.draining ? ServerState.DRAINING : ServerState.READY,
            connectedAt: timestampFromMs(session.info.connectedAt),
            running: session.assigned.size,
            maxConcurrency: session.info.maxConcurrency,
            agent: session.info.agent,
            peer: session.info.peer,
          })),
        }),
      );
      return create(ListServersResponseSchema, { servers });
    }),

    getGraph: unary(async () => {
      const edges = graph.all().flatMap(({ definition }) =>
        definition.dependencies.map((dependency) =>
          create(GraphEdgeSchema, {
            upstream: dependency.taskId,
            downstream: definition.id,
            dependency: dependencyToProto(dependency),
          }),
        ),
      );
      return create(GetGraphResponseSchema, { tasks: await taskInfos(), edges });
    }),

    watchEvents(call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>) {
      const runId = call.request.runId;
      const unsubscribe = events.subscribe((event) => {
        if (runId && event.runId !== runId) return;
        call.write(create(WatchEventsResponseSchema, { event: eventToProto(event) }));
      });
      const stop = (): void => {
        unsubscribe();
      };
      call.on("cancelled", stop);
      call.on("close", stop);
      call.on("error", stop);
    },
  };
}

function requireRunId(runId: string): void {
  if (!runId) throw new CordynaError("INVALID_ARGUMENT", "run_id is required");
}

function dependencyToProto(dependency: TaskDefinition["dependencies"][number]) {
  return dependency.freshWithinMs === undefined
    ? { taskId: dependency.taskId, condition: DependencyCondition.RUN_FIRST }
    : {
        taskId: dependency.taskId,
        condition: DependencyCondition.FRESH_WITHIN,
        freshWithin: durationFromMs(dependency.freshWithinMs),
      };
}

function declarationToProto(definition: TaskDefinition) {
  const optionalDuration = (ms: number | undefined) => (ms ? durationFromMs(ms) : undefined);
  return {
    id: definition.id,
    description: definition.description,
    owner: definition.owner,
    dependencies: definition.dependencies.map(dependencyToProto),
    deadlines: {
      ack: optionalDuration(definition.deadlines.ackMs),
      start: optionalDuration(definition.deadlines.startMs),
      complete: optionalDuration(definition.deadlines.completeMs),
    },
    retry: {
      maxAttempts: definition.retry.maxAttempts,
      initialBackoff: durationFromMs(definition.retry.initialBackoffMs),
      maxBackoff: durationFromMs(definition.retry.maxBackoffMs),
      backoffMultiplier: definition.retry.multiplier,
      retryOn: definition.retry.retryOn.map(errorCauseToProto),
    },
    concurrencyLimit: definition.concurrencyLimit,
    tags: [...definition.tags],
  };
}
