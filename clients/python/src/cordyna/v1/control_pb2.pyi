import datetime

from buf.validate import validate_pb2 as _validate_pb2
from cordyna.v1 import task_pb2 as _task_pb2
from cordyna.v1 import task_server_pb2 as _task_server_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATE_UNSPECIFIED: _ClassVar[RunState]
    RUN_STATE_RUNNING: _ClassVar[RunState]
    RUN_STATE_SUCCEEDED: _ClassVar[RunState]
    RUN_STATE_FAILED: _ClassVar[RunState]
    RUN_STATE_CANCELLED: _ClassVar[RunState]

class TriggerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_KIND_UNSPECIFIED: _ClassVar[TriggerKind]
    TRIGGER_KIND_API: _ClassVar[TriggerKind]
    TRIGGER_KIND_CRON: _ClassVar[TriggerKind]
    TRIGGER_KIND_UPSTREAM: _ClassVar[TriggerKind]
    TRIGGER_KIND_BACKFILL: _ClassVar[TriggerKind]

class ServerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVER_STATE_UNSPECIFIED: _ClassVar[ServerState]
    SERVER_STATE_READY: _ClassVar[ServerState]
    SERVER_STATE_DRAINING: _ClassVar[ServerState]

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_RUN_STARTED: _ClassVar[EventKind]
    EVENT_KIND_RUN_FINISHED: _ClassVar[EventKind]
    EVENT_KIND_TASK_RUN_CHANGED: _ClassVar[EventKind]
    EVENT_KIND_SERVER_CONNECTED: _ClassVar[EventKind]
    EVENT_KIND_SERVER_DISCONNECTED: _ClassVar[EventKind]
    EVENT_KIND_GRAPH_CHANGED: _ClassVar[EventKind]
    EVENT_KIND_REPORT_REFUSED: _ClassVar[EventKind]
    EVENT_KIND_ATTEMPT_SERVER_AWAY: _ClassVar[EventKind]
    EVENT_KIND_ATTEMPT_SERVER_BACK: _ClassVar[EventKind]
    EVENT_KIND_ATTEMPT_PROGRESS: _ClassVar[EventKind]
RUN_STATE_UNSPECIFIED: RunState
RUN_STATE_RUNNING: RunState
RUN_STATE_SUCCEEDED: RunState
RUN_STATE_FAILED: RunState
RUN_STATE_CANCELLED: RunState
TRIGGER_KIND_UNSPECIFIED: TriggerKind
TRIGGER_KIND_API: TriggerKind
TRIGGER_KIND_CRON: TriggerKind
TRIGGER_KIND_UPSTREAM: TriggerKind
TRIGGER_KIND_BACKFILL: TriggerKind
SERVER_STATE_UNSPECIFIED: ServerState
SERVER_STATE_READY: ServerState
SERVER_STATE_DRAINING: ServerState
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_RUN_STARTED: EventKind
EVENT_KIND_RUN_FINISHED: EventKind
EVENT_KIND_TASK_RUN_CHANGED: EventKind
EVENT_KIND_SERVER_CONNECTED: EventKind
EVENT_KIND_SERVER_DISCONNECTED: EventKind
EVENT_KIND_GRAPH_CHANGED: EventKind
EVENT_KIND_REPORT_REFUSED: EventKind
EVENT_KIND_ATTEMPT_SERVER_AWAY: EventKind
EVENT_KIND_ATTEMPT_SERVER_BACK: EventKind
EVENT_KIND_ATTEMPT_PROGRESS: EventKind

class StartRunRequest(_message.Message):
    __slots__ = ("targets", "without_upstream", "with_downstream", "params", "mode", "idempotency_key", "logical_time", "trigger", "candidate")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    WITHOUT_UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    WITH_DOWNSTREAM_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_TIME_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    targets: _containers.RepeatedScalarFieldContainer[str]
    without_upstream: bool
    with_downstream: bool
    params: _containers.ScalarMap[str, str]
    mode: _task_pb2.RunMode
    idempotency_key: str
    logical_time: _timestamp_pb2.Timestamp
    trigger: TriggerKind
    candidate: str
    def __init__(self, targets: _Optional[_Iterable[str]] = ..., without_upstream: _Optional[bool] = ..., with_downstream: _Optional[bool] = ..., params: _Optional[_Mapping[str, str]] = ..., mode: _Optional[_Union[_task_pb2.RunMode, str]] = ..., idempotency_key: _Optional[str] = ..., logical_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trigger: _Optional[_Union[TriggerKind, str]] = ..., candidate: _Optional[str] = ...) -> None: ...

class StartRunResponse(_message.Message):
    __slots__ = ("run", "existing", "follow")
    RUN_FIELD_NUMBER: _ClassVar[int]
    EXISTING_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    run: Run
    existing: bool
    follow: RunLinks
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ..., existing: _Optional[bool] = ..., follow: _Optional[_Union[RunLinks, _Mapping]] = ...) -> None: ...

class RunLinks(_message.Message):
    __slots__ = ("cli", "grpc", "http")
    CLI_FIELD_NUMBER: _ClassVar[int]
    GRPC_FIELD_NUMBER: _ClassVar[int]
    HTTP_FIELD_NUMBER: _ClassVar[int]
    cli: str
    grpc: str
    http: str
    def __init__(self, cli: _Optional[str] = ..., grpc: _Optional[str] = ..., http: _Optional[str] = ...) -> None: ...

class GetRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class GetRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("limit", "page_token")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    limit: int
    page_token: str
    def __init__(self, limit: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[Run]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[Run, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("run_id", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskInfo]
    def __init__(self, tasks: _Optional[_Iterable[_Union[TaskInfo, _Mapping]]] = ...) -> None: ...

class GetCandidateRequest(_message.Message):
    __slots__ = ("change_id",)
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    change_id: str
    def __init__(self, change_id: _Optional[str] = ...) -> None: ...

class GetCandidateResponse(_message.Message):
    __slots__ = ("server_name", "tasks")
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    server_name: str
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskDeclaration]
    def __init__(self, server_name: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[_task_pb2.TaskDeclaration, _Mapping]]] = ...) -> None: ...

class ListServersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListServersResponse(_message.Message):
    __slots__ = ("servers",)
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    servers: _containers.RepeatedCompositeFieldContainer[ServerInfo]
    def __init__(self, servers: _Optional[_Iterable[_Union[ServerInfo, _Mapping]]] = ...) -> None: ...

class ForgetServerRequest(_message.Message):
    __slots__ = ("server_name",)
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    server_name: str
    def __init__(self, server_name: _Optional[str] = ...) -> None: ...

class ForgetServerResponse(_message.Message):
    __slots__ = ("task_ids",)
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetGraphRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetGraphResponse(_message.Message):
    __slots__ = ("tasks", "edges")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskInfo]
    edges: _containers.RepeatedCompositeFieldContainer[GraphEdge]
    def __init__(self, tasks: _Optional[_Iterable[_Union[TaskInfo, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[GraphEdge, _Mapping]]] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("run_id", "kinds", "after_cursor", "after_seq", "team", "last")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    AFTER_CURSOR_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    kinds: _containers.RepeatedScalarFieldContainer[EventKind]
    after_cursor: str
    after_seq: int
    team: str
    last: int
    def __init__(self, run_id: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[EventKind, str]]] = ..., after_cursor: _Optional[str] = ..., after_seq: _Optional[int] = ..., team: _Optional[str] = ..., last: _Optional[int] = ...) -> None: ...

class WatchEventsResponse(_message.Message):
    __slots__ = ("event", "caught_up")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    CAUGHT_UP_FIELD_NUMBER: _ClassVar[int]
    event: Event
    caught_up: bool
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., caught_up: _Optional[bool] = ...) -> None: ...

class ListTaskRunsRequest(_message.Message):
    __slots__ = ("task_id", "limit", "page_token")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    limit: int
    page_token: str
    def __init__(self, task_id: _Optional[str] = ..., limit: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTaskRunsResponse(_message.Message):
    __slots__ = ("task_runs", "next_page_token")
    TASK_RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    task_runs: _containers.RepeatedCompositeFieldContainer[TaskRunOfRun]
    next_page_token: str
    def __init__(self, task_runs: _Optional[_Iterable[_Union[TaskRunOfRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TaskRunOfRun(_message.Message):
    __slots__ = ("run_id", "run_created_at", "task_run")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TASK_RUN_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    run_created_at: _timestamp_pb2.Timestamp
    task_run: TaskRun
    def __init__(self, run_id: _Optional[str] = ..., run_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_run: _Optional[_Union[TaskRun, _Mapping]] = ...) -> None: ...

class GetTaskRunLogsRequest(_message.Message):
    __slots__ = ("run_id", "task_id", "attempt", "after_seq", "limit")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    task_id: str
    attempt: int
    after_seq: int
    limit: int
    def __init__(self, run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., after_seq: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GetTaskRunLogsResponse(_message.Message):
    __slots__ = ("logs",)
    LOGS_FIELD_NUMBER: _ClassVar[int]
    logs: TaskRunLogs
    def __init__(self, logs: _Optional[_Union[TaskRunLogs, _Mapping]] = ...) -> None: ...

class FollowTaskRunLogsRequest(_message.Message):
    __slots__ = ("run_id", "task_id", "attempt", "after_seq")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    task_id: str
    attempt: int
    after_seq: int
    def __init__(self, run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., after_seq: _Optional[int] = ...) -> None: ...

class FollowTaskRunLogsResponse(_message.Message):
    __slots__ = ("logs",)
    LOGS_FIELD_NUMBER: _ClassVar[int]
    logs: TaskRunLogs
    def __init__(self, logs: _Optional[_Union[TaskRunLogs, _Mapping]] = ...) -> None: ...

class TaskRunLogs(_message.Message):
    __slots__ = ("attempt_id", "attempt", "lines", "dropped_lines", "next_after_seq", "attempt_ended")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DROPPED_LINES_FIELD_NUMBER: _ClassVar[int]
    NEXT_AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ENDED_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    attempt: int
    lines: _containers.RepeatedCompositeFieldContainer[TaskLogLine]
    dropped_lines: int
    next_after_seq: int
    attempt_ended: bool
    def __init__(self, attempt_id: _Optional[str] = ..., attempt: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[TaskLogLine, _Mapping]]] = ..., dropped_lines: _Optional[int] = ..., next_after_seq: _Optional[int] = ..., attempt_ended: _Optional[bool] = ...) -> None: ...

class TaskLogLine(_message.Message):
    __slots__ = ("seq", "line")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    line: _task_server_pb2.LogLine
    def __init__(self, seq: _Optional[int] = ..., line: _Optional[_Union[_task_server_pb2.LogLine, _Mapping]] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ("id", "state", "trigger", "targets", "params", "mode", "created_at", "finished_at", "task_runs", "summary", "idempotency_key", "logical_time", "trace_id", "candidate", "candidate_server_name")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    TASK_RUNS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_TIME_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: RunState
    trigger: TriggerKind
    targets: _containers.RepeatedScalarFieldContainer[str]
    params: _containers.ScalarMap[str, str]
    mode: _task_pb2.RunMode
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    task_runs: _containers.RepeatedCompositeFieldContainer[TaskRun]
    summary: RunSummary
    idempotency_key: str
    logical_time: _timestamp_pb2.Timestamp
    trace_id: str
    candidate: str
    candidate_server_name: str
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ..., trigger: _Optional[_Union[TriggerKind, str]] = ..., targets: _Optional[_Iterable[str]] = ..., params: _Optional[_Mapping[str, str]] = ..., mode: _Optional[_Union[_task_pb2.RunMode, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_runs: _Optional[_Iterable[_Union[TaskRun, _Mapping]]] = ..., summary: _Optional[_Union[RunSummary, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., logical_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace_id: _Optional[str] = ..., candidate: _Optional[str] = ..., candidate_server_name: _Optional[str] = ...) -> None: ...

class TaskRun(_message.Message):
    __slots__ = ("id", "task_id", "server_name", "owner", "state", "error_cause", "error_description", "blocked_by", "reused", "upstream", "attempts", "updated_at", "waiting_reason", "outputs", "error_type", "error_details", "retry_at", "cancel_reason", "span_id")
    class OutputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ErrorDetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CAUSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_BY_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    WAITING_REASON_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    RETRY_AT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    task_id: str
    server_name: str
    owner: _task_pb2.Owner
    state: _task_pb2.TaskState
    error_cause: _task_pb2.ErrorCause
    error_description: str
    blocked_by: _containers.RepeatedScalarFieldContainer[str]
    reused: _task_pb2.Completion
    upstream: _containers.RepeatedScalarFieldContainer[str]
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    updated_at: _timestamp_pb2.Timestamp
    waiting_reason: str
    outputs: _containers.ScalarMap[str, str]
    error_type: str
    error_details: _containers.ScalarMap[str, str]
    retry_at: _timestamp_pb2.Timestamp
    cancel_reason: str
    span_id: str
    def __init__(self, id: _Optional[str] = ..., task_id: _Optional[str] = ..., server_name: _Optional[str] = ..., owner: _Optional[_Union[_task_pb2.Owner, _Mapping]] = ..., state: _Optional[_Union[_task_pb2.TaskState, str]] = ..., error_cause: _Optional[_Union[_task_pb2.ErrorCause, str]] = ..., error_description: _Optional[str] = ..., blocked_by: _Optional[_Iterable[str]] = ..., reused: _Optional[_Union[_task_pb2.Completion, _Mapping]] = ..., upstream: _Optional[_Iterable[str]] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., waiting_reason: _Optional[str] = ..., outputs: _Optional[_Mapping[str, str]] = ..., error_type: _Optional[str] = ..., error_details: _Optional[_Mapping[str, str]] = ..., retry_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_reason: _Optional[str] = ..., span_id: _Optional[str] = ...) -> None: ...

class Attempt(_message.Message):
    __slots__ = ("id", "number", "state", "instance_id", "error_cause", "error_description", "invoked_at", "queued_at", "started_at", "finished_at", "exit_code", "output_tail", "last_heartbeat_at", "progress", "progress_message", "heartbeat_details", "span_id", "error_type", "error_details")
    class ErrorDetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_CAUSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TAIL_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_AT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: str
    number: int
    state: _task_pb2.TaskState
    instance_id: str
    error_cause: _task_pb2.ErrorCause
    error_description: str
    invoked_at: _timestamp_pb2.Timestamp
    queued_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    exit_code: int
    output_tail: str
    last_heartbeat_at: _timestamp_pb2.Timestamp
    progress: float
    progress_message: str
    heartbeat_details: str
    span_id: str
    error_type: str
    error_details: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., number: _Optional[int] = ..., state: _Optional[_Union[_task_pb2.TaskState, str]] = ..., instance_id: _Optional[str] = ..., error_cause: _Optional[_Union[_task_pb2.ErrorCause, str]] = ..., error_description: _Optional[str] = ..., invoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., exit_code: _Optional[int] = ..., output_tail: _Optional[str] = ..., last_heartbeat_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[float] = ..., progress_message: _Optional[str] = ..., heartbeat_details: _Optional[str] = ..., span_id: _Optional[str] = ..., error_type: _Optional[str] = ..., error_details: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RunSummary(_message.Message):
    __slots__ = ("failed", "blocked", "completed", "skipped", "cancelled")
    FAILED_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    failed: _containers.RepeatedCompositeFieldContainer[TaskRunOutcome]
    blocked: _containers.RepeatedCompositeFieldContainer[TaskRunOutcome]
    completed: int
    skipped: int
    cancelled: int
    def __init__(self, failed: _Optional[_Iterable[_Union[TaskRunOutcome, _Mapping]]] = ..., blocked: _Optional[_Iterable[_Union[TaskRunOutcome, _Mapping]]] = ..., completed: _Optional[int] = ..., skipped: _Optional[int] = ..., cancelled: _Optional[int] = ...) -> None: ...

class TaskRunOutcome(_message.Message):
    __slots__ = ("task_id", "owner", "server_name", "error_cause", "error_description", "blocked_by")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    ERROR_CAUSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_BY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    owner: _task_pb2.Owner
    server_name: str
    error_cause: _task_pb2.ErrorCause
    error_description: str
    blocked_by: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task_id: _Optional[str] = ..., owner: _Optional[_Union[_task_pb2.Owner, _Mapping]] = ..., server_name: _Optional[str] = ..., error_cause: _Optional[_Union[_task_pb2.ErrorCause, str]] = ..., error_description: _Optional[str] = ..., blocked_by: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskInfo(_message.Message):
    __slots__ = ("task_id", "server_name", "declaration", "resolved", "unresolved_reason", "instances", "last_completion", "downstream", "next_fire_time")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    DECLARATION_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_REASON_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    LAST_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    DOWNSTREAM_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    server_name: str
    declaration: _task_pb2.TaskDeclaration
    resolved: bool
    unresolved_reason: str
    instances: int
    last_completion: _task_pb2.Completion
    downstream: _containers.RepeatedScalarFieldContainer[str]
    next_fire_time: _timestamp_pb2.Timestamp
    def __init__(self, task_id: _Optional[str] = ..., server_name: _Optional[str] = ..., declaration: _Optional[_Union[_task_pb2.TaskDeclaration, _Mapping]] = ..., resolved: _Optional[bool] = ..., unresolved_reason: _Optional[str] = ..., instances: _Optional[int] = ..., last_completion: _Optional[_Union[_task_pb2.Completion, _Mapping]] = ..., downstream: _Optional[_Iterable[str]] = ..., next_fire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GraphEdge(_message.Message):
    __slots__ = ("upstream", "downstream", "dependency")
    UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    DOWNSTREAM_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCY_FIELD_NUMBER: _ClassVar[int]
    upstream: str
    downstream: str
    dependency: _task_pb2.Dependency
    def __init__(self, upstream: _Optional[str] = ..., downstream: _Optional[str] = ..., dependency: _Optional[_Union[_task_pb2.Dependency, _Mapping]] = ...) -> None: ...

class ServerInfo(_message.Message):
    __slots__ = ("name", "task_ids", "instances")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    name: str
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    instances: _containers.RepeatedCompositeFieldContainer[InstanceInfo]
    def __init__(self, name: _Optional[str] = ..., task_ids: _Optional[_Iterable[str]] = ..., instances: _Optional[_Iterable[_Union[InstanceInfo, _Mapping]]] = ...) -> None: ...

class InstanceInfo(_message.Message):
    __slots__ = ("instance_id", "state", "connected_at", "running", "max_concurrency", "agent", "peer")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_AT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    state: ServerState
    connected_at: _timestamp_pb2.Timestamp
    running: int
    max_concurrency: int
    agent: str
    peer: str
    def __init__(self, instance_id: _Optional[str] = ..., state: _Optional[_Union[ServerState, str]] = ..., connected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., running: _Optional[int] = ..., max_concurrency: _Optional[int] = ..., agent: _Optional[str] = ..., peer: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("kind", "time", "run_id", "task_run_id", "task_id", "attempt_id", "state", "error_cause", "server_name", "instance_id", "message", "run_state", "detail", "cursor", "seq", "teams", "attempt_number", "due_at", "progress")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CAUSE_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RUN_STATE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    kind: EventKind
    time: _timestamp_pb2.Timestamp
    run_id: str
    task_run_id: str
    task_id: str
    attempt_id: str
    state: _task_pb2.TaskState
    error_cause: _task_pb2.ErrorCause
    server_name: str
    instance_id: str
    message: str
    run_state: RunState
    detail: str
    cursor: str
    seq: int
    teams: _containers.RepeatedScalarFieldContainer[str]
    attempt_number: int
    due_at: _timestamp_pb2.Timestamp
    progress: float
    def __init__(self, kind: _Optional[_Union[EventKind, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_id: _Optional[str] = ..., task_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., attempt_id: _Optional[str] = ..., state: _Optional[_Union[_task_pb2.TaskState, str]] = ..., error_cause: _Optional[_Union[_task_pb2.ErrorCause, str]] = ..., server_name: _Optional[str] = ..., instance_id: _Optional[str] = ..., message: _Optional[str] = ..., run_state: _Optional[_Union[RunState, str]] = ..., detail: _Optional[str] = ..., cursor: _Optional[str] = ..., seq: _Optional[int] = ..., teams: _Optional[_Iterable[str]] = ..., attempt_number: _Optional[int] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[float] = ...) -> None: ...

class NotificationRoute(_message.Message):
    __slots__ = ("webhook_url", "slack_url", "email_address")
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    SLACK_URL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    webhook_url: str
    slack_url: str
    email_address: str
    def __init__(self, webhook_url: _Optional[str] = ..., slack_url: _Optional[str] = ..., email_address: _Optional[str] = ...) -> None: ...

class SetTeamNotificationsRequest(_message.Message):
    __slots__ = ("team", "routes", "clear")
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    team: str
    routes: _containers.RepeatedCompositeFieldContainer[NotificationRoute]
    clear: bool
    def __init__(self, team: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[NotificationRoute, _Mapping]]] = ..., clear: _Optional[bool] = ...) -> None: ...

class SetTeamNotificationsResponse(_message.Message):
    __slots__ = ("team", "new_secrets")
    TEAM_FIELD_NUMBER: _ClassVar[int]
    NEW_SECRETS_FIELD_NUMBER: _ClassVar[int]
    team: TeamInfo
    new_secrets: _containers.RepeatedCompositeFieldContainer[WebhookSecret]
    def __init__(self, team: _Optional[_Union[TeamInfo, _Mapping]] = ..., new_secrets: _Optional[_Iterable[_Union[WebhookSecret, _Mapping]]] = ...) -> None: ...

class WebhookSecret(_message.Message):
    __slots__ = ("webhook_url", "secret")
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    webhook_url: str
    secret: str
    def __init__(self, webhook_url: _Optional[str] = ..., secret: _Optional[str] = ...) -> None: ...

class ListTeamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTeamsResponse(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[TeamInfo]
    def __init__(self, teams: _Optional[_Iterable[_Union[TeamInfo, _Mapping]]] = ...) -> None: ...

class TeamInfo(_message.Message):
    __slots__ = ("team", "routes", "default_routes", "contacts", "task_ids")
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_ROUTES_FIELD_NUMBER: _ClassVar[int]
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    team: str
    routes: _containers.RepeatedCompositeFieldContainer[NotificationRoute]
    default_routes: _containers.RepeatedCompositeFieldContainer[NotificationRoute]
    contacts: _containers.RepeatedScalarFieldContainer[str]
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, team: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[NotificationRoute, _Mapping]]] = ..., default_routes: _Optional[_Iterable[_Union[NotificationRoute, _Mapping]]] = ..., contacts: _Optional[_Iterable[str]] = ..., task_ids: _Optional[_Iterable[str]] = ...) -> None: ...
