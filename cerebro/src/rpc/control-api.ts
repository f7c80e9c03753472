import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type CancelRunRequest,
  type CancelRunResponse,
  CancelRunResponseSchema,
  DependencyCondition,
  type FollowTaskRunLogsRequest,
  type FollowTaskRunLogsResponse,
  type ForgetServerRequest,
  type ForgetServerResponse,
  ForgetServerResponseSchema,
  type GetCandidateRequest,
  type GetCandidateResponse,
  GetCandidateResponseSchema,
  type GetGraphRequest,
  type GetGraphResponse,
  GetGraphResponseSchema,
  type GetRunRequest,
  type GetRunResponse,
  GetRunResponseSchema,
  type GetTaskRunLogsRequest,
  type GetTaskRunLogsResponse,
  GraphEdgeSchema,
  type ListRunsRequest,
  type ListRunsResponse,
  ListRunsResponseSchema,
  type ListServersRequest,
  type ListServersResponse,
  ListServersResponseSchema,
  type ListTaskRunsRequest,
  type ListTaskRunsResponse,
  ListTaskRunsResponseSchema,
  type ListTasksRequest,
  type ListTasksResponse,
  ListTasksResponseSchema,
  ServerInfoSchema,
  ServerState,
  type StartRunRequest,
  type StartRunResponse,
  StartRunResponseSchema,
  type TaskInfo,
  TaskInfoSchema,
  TriggerKind,
  type WatchEventsRequest,
  type WatchEventsResponse,
  WatchEventsResponseSchema,
} from "@cordyna/contract";
import type { AccessControl } from "../access/access-control.js";
import type { Principal } from "../access/principal.js";
import { type Clock, systemClock } from "../clock.js";
import { CordynaError, ErrorCode } from "../domain/errors.js";
import { DEFAULT_CATCH_UP, DEFAULT_OVERLAP, type TaskDefinition } from "../domain/model.js";
import type { RunEngine } from "../engine/run-engine.js";
import type { EventLog } from "../event-log.js";
import { watchEventLog } from "../event-watch.js";
import type { EventBus } from "../events.js";
import type { CandidateOverlays } from "../graph/candidates.js";
import type { TaskGraph } from "../graph/task-graph.js";
import type { LogBook } from "../logs/log-book.js";
import type { LoggedEvent } from "../store/event-store.js";
import type { Store } from "../store/store.js";
import {
  completionToProto,
  eventKindToProto,
  eventToProto,
  runToProto,
  taskRunToProto,
} from "./convert.js";
import {
  catchUpToProto,
  errorCauseToProto,
  overlapToProto,
  runModeFromProto,
  triggerModeToProto,
} from "./enums.js";
import type { Outbound } from "./outbound.js";
import { DEFAULT_RUNS_PAGE, parseRunPageToken, runPageToken } from "./run-pages.js";
import type { SessionRegistry } from "./sessions.js";
import { followTaskRunLogs, getTaskRunLogs } from "./task-logs.js";
import { type TeamsApi, teamsApi } from "./teams.js";

export interface ControlApiOptions {
  /** When a task's cron schedule fires next, if it has one. */
  readonly nextFireTime?: (taskId: string) => number | undefined;
  /** Where clients reach cerebro (known once it listens), for the follow links of a new run. */
  readonly addresses?: () => { readonly grpc: string; readonly http: string };
  readonly graph: TaskGraph;
  /** Candidates' declarations: whose teams a candidate run's targets belong to, and GetCandidate. */
  readonly candidates: CandidateOverlays;
  readonly engine: RunEngine;
  readonly store: Store;
  readonly sessions: SessionRegistry;
  readonly events: EventBus;
  /** The stored events, for watches that replay. */
  readonly eventLog: EventLog;
  /** Who may start and cancel which runs; the audit trail. */
  readonly access: AccessControl;
  /** A server name with no instance connected for longer leaves ListServers. Default: never. */
  readonly serverRetentionMs?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** What attempts logged. */
  readonly logs: LogBook;
}

/** Who makes a call, as authentication found: the principal and its network address. */
export interface Caller {
  readonly principal: Principal;
  readonly peer: string;
  /** The W3C trace context headers the call carried ("traceparent", "tracestate"). */
  readonly traceContext?: Readonly<Record<string, string>>;
}

/** The ControlService's behaviour, apart from any transport (gRPC, HTTP with JSON). */
export interface ControlApi extends TeamsApi {
  startRun(request: StartRunRequest, caller: Caller): Promise<StartRunResponse>;
  getRun(request: GetRunRequest): Promise<GetRunResponse>;
  listRuns(request: ListRunsRequest): Promise<ListRunsResponse>;
  cancelRun(request: CancelRunRequest, caller: Caller): Promise<CancelRunResponse>;
  listTasks(request: ListTasksRequest): Promise<ListTasksResponse>;
  getCandidate(request: GetCandidateRequest): Promise<GetCandidateResponse>;
  listServers(request: ListServersRequest): Promise<ListServersResponse>;
  forgetServer(request: ForgetServerRequest, caller: Caller): Promise<ForgetServerResponse>;
  getGraph(request: GetGraphRequest): Promise<GetGraphResponse>;
  getTaskRunLogs(request: GetTaskRunLogsRequest): Promise<GetTaskRunLogsResponse>;
  /** Pages of an attempt's log as they are stored, until its last line or until `signal` aborts. */
  followTaskRunLogs(
    request: FollowTaskRunLogsRequest,
    signal: AbortSignal,
  ): AsyncIterable<FollowTaskRunLogsResponse>;
  /**
   * Starts a watch (NOT_FOUND for an unknown run): events stored from now on
   * that the request asks for wait in `live` until the watcher takes them.
   */
  watchEvents(request: WatchEventsRequest, live: Outbound<LoggedEvent>): Promise<EventWatch>;
  listTaskRuns(request: ListTaskRunsRequest): Promise<ListTaskRunsResponse>;
}

/** A started watch: its events in order (see WatchEvents in the proto), until stopped. */
export interface EventWatch {
  responses(signal?: AbortSignal): AsyncGenerator<WatchEventsResponse>;
  stop(): void;
}

/**
 * What the CLI, grpcurl, curl and CI jobs call. Methods throw CordynaError
 * for a bad request; the transports turn it into their status codes.
 */
export function controlApi(options: ControlApiOptions): ControlApi {
  const { graph, engine, store, sessions, events, eventLog, access } = options;
  const clock = options.clock ?? systemClock;
  const serverRetentionMs = options.serverRetentionMs ?? Number.POSITIVE_INFINITY;

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
        nextFireTime: optionalTimestamp(options.nextFireTime?.(definition.id)),
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
    ...teamsApi({ graph, notifications: store.notifications, access }),

    async startRun(request, caller) {
      const call = {
        action: "ControlService/StartRun",
        target: request.targets.join(", "),
        peer: caller.peer,
      };
      // Unknown targets own no team: the engine refuses them by name below.
      // A candidate's task may be new: its team is the candidate's word.
      const candidate = request.candidate ? options.candidates.get(request.candidate) : undefined;
      const targetTeams = request.targets.flatMap((taskId) => {
        const task = candidate?.tasks.get(taskId) ?? graph.get(taskId)?.definition;
        return task ? [task.owner.team] : [];
      });
      await access.require(caller.principal, { kind: "start-run", targetTeams }, call);
      const { snapshot, existing } = await engine.startRun({
        ...(request.candidate ? { candidate: request.candidate } : {}),
        targets: request.targets,
        withoutUpstream: request.withoutUpstream,
        withDownstream: request.withDownstream,
        params: request.params,
        mode: runModeFromProto(request.mode),
        ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
        ...(request.logicalTime ? { logicalTime: timestampMs(request.logicalTime) } : {}),
        trigger: startTrigger(request.trigger),
        ...(caller.traceContext ? { callerTraceContext: caller.traceContext } : {}),
      });
      await access.audit(caller.principal, {
        ...call,
        target: `${snapshot.run.id} (${call.target})${existing ? ", an existing run" : ""}`,
      });
      return create(StartRunResponseSchema, {
        run: runToProto(snapshot),
        existing,
        follow: followLinks(snapshot.run.id, options.addresses?.(), access.required),
      });
    },

    async getRun(request) {
      requireRunId(request.runId);
      return create(GetRunResponseSchema, { run: runToProto(await engine.getRun(request.runId)) });
    },

    async listRuns(request) {
      // At most MAX_RUNS_PAGE: the proto's annotation, checked at the edge.
      const limit = request.limit || DEFAULT_RUNS_PAGE;
      // One run more than asked tells whether another page follows.
      const runs = await store.listRuns(limit + 1, parseRunPageToken(request.pageToken));
      const page = runs.slice(0, limit);
      const last = page.at(-1);
      const snapshots = await Promise.all(page.map((run) => engine.getRun(run.id)));
      return create(ListRunsResponseSchema, {
        runs: snapshots.map(runToProto),
        nextPageToken: runs.length > limit && last ? runPageToken(last) : "",
      });
    },

    async cancelRun(request, caller) {
      requireRunId(request.runId);
      const call = { action: "ControlService/CancelRun", target: request.runId, peer: caller.peer };
      const { run, taskRuns } = await engine.getRun(request.runId);
      const targetTeams = taskRuns
        .filter((taskRun) => run.targets.includes(taskRun.taskId))
        .map((taskRun) => taskRun.owner.team);
      await access.require(caller.principal, { kind: "cancel-run", targetTeams }, call);
      const snapshot = await engine.cancelRun(request.runId, request.reason);
      await access.audit(caller.principal, call);
      return create(CancelRunResponseSchema, { run: runToProto(snapshot) });
    },

    async listTasks() {
      return create(ListTasksResponseSchema, { tasks: await taskInfos() });
    },

    async getCandidate(request) {
      const candidate = options.candidates.require(request.changeId);
      return create(GetCandidateResponseSchema, {
        serverName: candidate.serverName,
        tasks: [...candidate.tasks.values()].map(declarationToProto),
      });
    },

    async listServers() {
      const listedSince = clock.now() - serverRetentionMs;
      const names = new Set([
        ...graph
          .all()
          .map((task) => task.serverName)
          .filter((name) => sessions.lastConnectedAt(name) >= listedSince),
        // A candidate's instances serve only its change: its server is not listed for them.
        ...sessions
          .all()
          .filter((session) => !session.info.candidate)
          .map((session) => session.serverName),
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
    },

    async forgetServer(request, caller) {
      const name = request.serverName;
      if (!name) throw new CordynaError(ErrorCode.INVALID_ARGUMENT, "server_name is required");
      const connected = sessions.ofServer(name);
      if (connected.length > 0) {
        throw new CordynaError(
          ErrorCode.FAILED_PRECONDITION,
          `server ${name} has ${connected.length} connected instance(s) (${connected.map((s) => s.instanceId).join(", ")}): stop them first, or their next hello declares its tasks again`,
        );
      }
      const taskIds = graph.tasksOf(name);
      if (taskIds.length === 0) {
        throw new CordynaError(ErrorCode.NOT_FOUND, `server ${name} declares no tasks`);
      }
      graph.declare(name, []);
      await store.saveDeclarations(name, []);
      sessions.forget(name);
      events.publish({
        kind: "graph-changed",
        time: clock.now(),
        serverName: name,
        message: `${name} forgotten: ${taskIds.join(", ")} no longer declared`,
      });
      engine.graphChanged();
      await access.audit(caller.principal, {
        action: "ControlService/ForgetServer",
        target: name,
        peer: caller.peer,
      });
      return create(ForgetServerResponseSchema, { taskIds });
    },

    async getGraph() {
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
    },

    getTaskRunLogs: (request) => getTaskRunLogs(options.logs, request),
    followTaskRunLogs: (request, signal) => followTaskRunLogs(options.logs, request, signal),
    async watchEvents(request, live) {
      if (request.runId) await engine.getRun(request.runId);
      let afterCursor = request.afterCursor === "" ? 0 : Number(request.afterCursor);
      if (!Number.isSafeInteger(afterCursor)) {
        throw new CordynaError(
          ErrorCode.INVALID_ARGUMENT,
          "after_cursor is not a cursor cerebro sent: pass an event's cursor unchanged",
        );
      }
      if (!request.runId && afterCursor === 0 && request.last > 0) {
        const [oldest] = await eventLog.store.readLast(request.last);
        // Nothing stored yet: the replay finds nothing, and live events follow.
        afterCursor = oldest ? oldest.cursor - 1 : 0;
      }
      const kinds = new Set(request.kinds);
      const watch = watchEventLog(
        eventLog,
        {
          ...(request.runId ? { runId: request.runId } : {}),
          afterCursor,
          replay: afterCursor > 0 || request.last > 0,
          afterSeq: request.afterSeq,
          matches: (event) =>
            (kinds.size === 0 || kinds.has(eventKindToProto(event.kind))) &&
            (request.team === "" || (event.teams ?? []).includes(request.team)),
          runActive: (runId) => engine.isActive(runId),
        },
        live,
      );
      return {
        stop: watch.stop,
        async *responses(signal) {
          for await (const item of watch.events(signal)) {
            yield create(
              WatchEventsResponseSchema,
              item === "caught-up" ? { caughtUp: true } : { event: eventToProto(item) },
            );
          }
        },
      };
    },

    async listTaskRuns(request) {
      if (!request.taskId)
        throw new CordynaError(ErrorCode.INVALID_ARGUMENT, "task_id is required");
      // At most MAX_RUNS_PAGE: the proto's annotation, checked at the edge.
      const limit = request.limit || DEFAULT_RUNS_PAGE;
      const after = parseRunPageToken(request.pageToken, "ListTaskRuns");
      // One more than asked tells whether another page follows.
      const found = await store.taskRunsOf(request.taskId, limit + 1, after);
      const page = found.slice(0, limit);
      const last = page.at(-1)?.run;
      return create(ListTaskRunsResponseSchema, {
        taskRuns: page.map(({ run, taskRun }) => ({
          runId: run.id,
          runCreatedAt: timestampFromMs(run.createdAt),
          taskRun: taskRunToProto(taskRun),
        })),
        nextPageToken: found.length > limit && last ? runPageToken(last) : "",
      });
    },
  };
}

const optionalTimestamp = (ms: number | undefined) =>
  ms === undefined ? undefined : timestampFromMs(ms);

/** How each kind of client follows a run. */
function followLinks(
  runId: string,
  addresses: { grpc: string; http: string } | undefined,
  withToken: boolean,
) {
  const grpc = addresses?.grpc ?? "localhost:7070";
  const body = JSON.stringify({ run_id: runId });
  const header = "authorization: Bearer $CORDYNA_TOKEN";
  const http = addresses?.http
    ? `GET http://${addresses.http}/cordyna.v1.ControlService/GetRun?encoding=json&message=${encodeURIComponent(body)}${withToken ? ` with header "${header}"` : ""}`
    : "";
  return {
    cli: `dyna runs ${runId} --cerebro ${grpc}`,
    grpc: `grpcurl -plaintext${withToken ? ` -H "${header}"` : ""} -d '${body}' ${grpc} cordyna.v1.ControlService/WatchEvents`,
    http,
  };
}

/** Outsiders may start a run as an API call or a backfill; cron and upstream runs are cerebro's own. */
function startTrigger(trigger: TriggerKind): "api" | "backfill" {
  switch (trigger) {
    case TriggerKind.UNSPECIFIED:
    case TriggerKind.API:
      return "api";
    case TriggerKind.BACKFILL:
      return "backfill";
    default:
      throw new CordynaError(
        "INVALID_ARGUMENT",
        `trigger ${TriggerKind[trigger] ?? trigger} cannot be requested: use API or BACKFILL`,
      );
  }
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
      heartbeat: optionalDuration(definition.deadlines.heartbeatMs),
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
    schedule: definition.schedule && {
      cron: definition.schedule.cron,
      timeZone: definition.schedule.timeZone,
      catchUp: catchUpToProto(definition.schedule.catchUp ?? DEFAULT_CATCH_UP),
      catchUpMax: definition.schedule.catchUpMax ?? 0,
      overlap: overlapToProto(definition.schedule.overlap ?? DEFAULT_OVERLAP),
      ...(definition.schedule.expectedWithinMs === undefined
        ? {}
        : { expectedWithin: durationFromMs(definition.schedule.expectedWithinMs) }),
    },
    trigger: definition.trigger && {
      mode: triggerModeToProto(definition.trigger.mode),
      debounce: durationFromMs(definition.trigger.debounceMs),
    },
  };
}
