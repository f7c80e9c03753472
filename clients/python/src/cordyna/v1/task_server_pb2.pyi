import datetime

from buf.validate import validate_pb2 as _validate_pb2
from cordyna.v1 import task_pb2 as _task_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeclarationIssueCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECLARATION_ISSUE_CODE_UNSPECIFIED: _ClassVar[DeclarationIssueCode]
    DECLARATION_ISSUE_CODE_INVALID: _ClassVar[DeclarationIssueCode]
    DECLARATION_ISSUE_CODE_DUPLICATE: _ClassVar[DeclarationIssueCode]
    DECLARATION_ISSUE_CODE_OWNED_ELSEWHERE: _ClassVar[DeclarationIssueCode]
    DECLARATION_ISSUE_CODE_CYCLE: _ClassVar[DeclarationIssueCode]
    DECLARATION_ISSUE_CODE_UNRESOLVED: _ClassVar[DeclarationIssueCode]
    DECLARATION_ISSUE_CODE_VERSION: _ClassVar[DeclarationIssueCode]

class LogLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOG_LEVEL_UNSPECIFIED: _ClassVar[LogLevel]
    LOG_LEVEL_TRACE: _ClassVar[LogLevel]
    LOG_LEVEL_DEBUG: _ClassVar[LogLevel]
    LOG_LEVEL_INFO: _ClassVar[LogLevel]
    LOG_LEVEL_WARN: _ClassVar[LogLevel]
    LOG_LEVEL_ERROR: _ClassVar[LogLevel]
    LOG_LEVEL_FATAL: _ClassVar[LogLevel]

class LogStream(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOG_STREAM_UNSPECIFIED: _ClassVar[LogStream]
    LOG_STREAM_LOGGER: _ClassVar[LogStream]
    LOG_STREAM_STDOUT: _ClassVar[LogStream]
    LOG_STREAM_STDERR: _ClassVar[LogStream]
    LOG_STREAM_CORDYNA: _ClassVar[LogStream]
DECLARATION_ISSUE_CODE_UNSPECIFIED: DeclarationIssueCode
DECLARATION_ISSUE_CODE_INVALID: DeclarationIssueCode
DECLARATION_ISSUE_CODE_DUPLICATE: DeclarationIssueCode
DECLARATION_ISSUE_CODE_OWNED_ELSEWHERE: DeclarationIssueCode
DECLARATION_ISSUE_CODE_CYCLE: DeclarationIssueCode
DECLARATION_ISSUE_CODE_UNRESOLVED: DeclarationIssueCode
DECLARATION_ISSUE_CODE_VERSION: DeclarationIssueCode
LOG_LEVEL_UNSPECIFIED: LogLevel
LOG_LEVEL_TRACE: LogLevel
LOG_LEVEL_DEBUG: LogLevel
LOG_LEVEL_INFO: LogLevel
LOG_LEVEL_WARN: LogLevel
LOG_LEVEL_ERROR: LogLevel
LOG_LEVEL_FATAL: LogLevel
LOG_STREAM_UNSPECIFIED: LogStream
LOG_STREAM_LOGGER: LogStream
LOG_STREAM_STDOUT: LogStream
LOG_STREAM_STDERR: LogStream
LOG_STREAM_CORDYNA: LogStream

class ConnectRequest(_message.Message):
    __slots__ = ("hello", "redeclare", "task_state", "heartbeat", "drain", "pong", "task_states", "declaration_part", "task_logs", "attempt_progress")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    REDECLARE_FIELD_NUMBER: _ClassVar[int]
    TASK_STATE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    TASK_STATES_FIELD_NUMBER: _ClassVar[int]
    DECLARATION_PART_FIELD_NUMBER: _ClassVar[int]
    TASK_LOGS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    redeclare: Redeclare
    task_state: TaskStateUpdate
    heartbeat: Heartbeat
    drain: Drain
    pong: Pong
    task_states: TaskStateUpdates
    declaration_part: DeclarationPart
    task_logs: TaskLogs
    attempt_progress: AttemptProgress
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., redeclare: _Optional[_Union[Redeclare, _Mapping]] = ..., task_state: _Optional[_Union[TaskStateUpdate, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., drain: _Optional[_Union[Drain, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ..., task_states: _Optional[_Union[TaskStateUpdates, _Mapping]] = ..., declaration_part: _Optional[_Union[DeclarationPart, _Mapping]] = ..., task_logs: _Optional[_Union[TaskLogs, _Mapping]] = ..., attempt_progress: _Optional[_Union[AttemptProgress, _Mapping]] = ...) -> None: ...

class ConnectResponse(_message.Message):
    __slots__ = ("welcome", "rejection", "invoke", "cancel", "ack", "ping", "refusal", "invokes", "logs_refused")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    INVOKE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    INVOKES_FIELD_NUMBER: _ClassVar[int]
    LOGS_REFUSED_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    rejection: Rejection
    invoke: Invoke
    cancel: Cancel
    ack: Ack
    ping: Ping
    refusal: Refusal
    invokes: Invokes
    logs_refused: LogsRefused
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., rejection: _Optional[_Union[Rejection, _Mapping]] = ..., invoke: _Optional[_Union[Invoke, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ..., refusal: _Optional[_Union[Refusal, _Mapping]] = ..., invokes: _Optional[_Union[Invokes, _Mapping]] = ..., logs_refused: _Optional[_Union[LogsRefused, _Mapping]] = ...) -> None: ...

class ProtocolVersion(_message.Message):
    __slots__ = ("major", "minor")
    MAJOR_FIELD_NUMBER: _ClassVar[int]
    MINOR_FIELD_NUMBER: _ClassVar[int]
    major: int
    minor: int
    def __init__(self, major: _Optional[int] = ..., minor: _Optional[int] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("server_name", "instance_id", "protocol_version", "tasks", "running_attempt_ids", "max_concurrency", "agent", "tasks_continue", "candidate")
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_ATTEMPT_IDS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    TASKS_CONTINUE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    server_name: str
    instance_id: str
    protocol_version: ProtocolVersion
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskDeclaration]
    running_attempt_ids: _containers.RepeatedScalarFieldContainer[str]
    max_concurrency: int
    agent: str
    tasks_continue: bool
    candidate: str
    def __init__(self, server_name: _Optional[str] = ..., instance_id: _Optional[str] = ..., protocol_version: _Optional[_Union[ProtocolVersion, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_task_pb2.TaskDeclaration, _Mapping]]] = ..., running_attempt_ids: _Optional[_Iterable[str]] = ..., max_concurrency: _Optional[int] = ..., agent: _Optional[str] = ..., tasks_continue: _Optional[bool] = ..., candidate: _Optional[str] = ...) -> None: ...

class Redeclare(_message.Message):
    __slots__ = ("tasks", "tasks_continue")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    TASKS_CONTINUE_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskDeclaration]
    tasks_continue: bool
    def __init__(self, tasks: _Optional[_Iterable[_Union[_task_pb2.TaskDeclaration, _Mapping]]] = ..., tasks_continue: _Optional[bool] = ...) -> None: ...

class DeclarationPart(_message.Message):
    __slots__ = ("tasks", "last")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskDeclaration]
    last: bool
    def __init__(self, tasks: _Optional[_Iterable[_Union[_task_pb2.TaskDeclaration, _Mapping]]] = ..., last: _Optional[bool] = ...) -> None: ...

class TaskStateUpdate(_message.Message):
    __slots__ = ("seq", "attempt_id", "state", "error_description", "non_retryable", "time", "outputs", "exit_code", "output_tail", "error_type", "error_details")
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
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TAIL_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    attempt_id: str
    state: _task_pb2.TaskState
    error_description: str
    non_retryable: bool
    time: _timestamp_pb2.Timestamp
    outputs: _containers.ScalarMap[str, str]
    exit_code: int
    output_tail: str
    error_type: str
    error_details: _containers.ScalarMap[str, str]
    def __init__(self, seq: _Optional[int] = ..., attempt_id: _Optional[str] = ..., state: _Optional[_Union[_task_pb2.TaskState, str]] = ..., error_description: _Optional[str] = ..., non_retryable: _Optional[bool] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outputs: _Optional[_Mapping[str, str]] = ..., exit_code: _Optional[int] = ..., output_tail: _Optional[str] = ..., error_type: _Optional[str] = ..., error_details: _Optional[_Mapping[str, str]] = ...) -> None: ...

class TaskStateUpdates(_message.Message):
    __slots__ = ("updates",)
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    updates: _containers.RepeatedCompositeFieldContainer[TaskStateUpdate]
    def __init__(self, updates: _Optional[_Iterable[_Union[TaskStateUpdate, _Mapping]]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("running_attempt_ids",)
    RUNNING_ATTEMPT_IDS_FIELD_NUMBER: _ClassVar[int]
    running_attempt_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, running_attempt_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Drain(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Pong(_message.Message):
    __slots__ = ("nonce",)
    NONCE_FIELD_NUMBER: _ClassVar[int]
    nonce: int
    def __init__(self, nonce: _Optional[int] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("session_id", "protocol_version", "heartbeat_interval", "warnings", "unknown_attempt_ids")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_ATTEMPT_IDS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    protocol_version: ProtocolVersion
    heartbeat_interval: _duration_pb2.Duration
    warnings: _containers.RepeatedCompositeFieldContainer[DeclarationIssue]
    unknown_attempt_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, session_id: _Optional[str] = ..., protocol_version: _Optional[_Union[ProtocolVersion, _Mapping]] = ..., heartbeat_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., warnings: _Optional[_Iterable[_Union[DeclarationIssue, _Mapping]]] = ..., unknown_attempt_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Rejection(_message.Message):
    __slots__ = ("errors", "message")
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    errors: _containers.RepeatedCompositeFieldContainer[DeclarationIssue]
    message: str
    def __init__(self, errors: _Optional[_Iterable[_Union[DeclarationIssue, _Mapping]]] = ..., message: _Optional[str] = ...) -> None: ...

class DeclarationIssue(_message.Message):
    __slots__ = ("task_id", "code", "message")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    code: DeclarationIssueCode
    message: str
    def __init__(self, task_id: _Optional[str] = ..., code: _Optional[_Union[DeclarationIssueCode, str]] = ..., message: _Optional[str] = ...) -> None: ...

class Invoke(_message.Message):
    __slots__ = ("run_id", "task_run_id", "attempt_id", "attempt_number", "task_id", "params", "deadlines", "mode", "trace_context", "logical_time", "upstream")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEADLINES_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_TIME_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    task_run_id: str
    attempt_id: str
    attempt_number: int
    task_id: str
    params: _containers.ScalarMap[str, str]
    deadlines: _task_pb2.Deadlines
    mode: _task_pb2.RunMode
    trace_context: _containers.ScalarMap[str, str]
    logical_time: _timestamp_pb2.Timestamp
    upstream: _containers.RepeatedCompositeFieldContainer[UpstreamOutputs]
    def __init__(self, run_id: _Optional[str] = ..., task_run_id: _Optional[str] = ..., attempt_id: _Optional[str] = ..., attempt_number: _Optional[int] = ..., task_id: _Optional[str] = ..., params: _Optional[_Mapping[str, str]] = ..., deadlines: _Optional[_Union[_task_pb2.Deadlines, _Mapping]] = ..., mode: _Optional[_Union[_task_pb2.RunMode, str]] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., logical_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., upstream: _Optional[_Iterable[_Union[UpstreamOutputs, _Mapping]]] = ...) -> None: ...

class UpstreamOutputs(_message.Message):
    __slots__ = ("task_id", "outputs", "omitted")
    class OutputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    OMITTED_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    outputs: _containers.ScalarMap[str, str]
    omitted: bool
    def __init__(self, task_id: _Optional[str] = ..., outputs: _Optional[_Mapping[str, str]] = ..., omitted: _Optional[bool] = ...) -> None: ...

class Invokes(_message.Message):
    __slots__ = ("invokes",)
    INVOKES_FIELD_NUMBER: _ClassVar[int]
    invokes: _containers.RepeatedCompositeFieldContainer[Invoke]
    def __init__(self, invokes: _Optional[_Iterable[_Union[Invoke, _Mapping]]] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ("attempt_id", "reason")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    reason: str
    def __init__(self, attempt_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("through_seq",)
    THROUGH_SEQ_FIELD_NUMBER: _ClassVar[int]
    through_seq: int
    def __init__(self, through_seq: _Optional[int] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ("nonce",)
    NONCE_FIELD_NUMBER: _ClassVar[int]
    nonce: int
    def __init__(self, nonce: _Optional[int] = ...) -> None: ...

class Refusal(_message.Message):
    __slots__ = ("seq", "attempt_id", "code", "message")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    attempt_id: str
    code: str
    message: str
    def __init__(self, seq: _Optional[int] = ..., attempt_id: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class TaskLogs(_message.Message):
    __slots__ = ("attempt_id", "lines", "dropped_lines")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DROPPED_LINES_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    lines: _containers.RepeatedCompositeFieldContainer[LogLine]
    dropped_lines: int
    def __init__(self, attempt_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[LogLine, _Mapping]]] = ..., dropped_lines: _Optional[int] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("time", "level", "stream", "text")
    TIME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    level: LogLevel
    stream: LogStream
    text: str
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[_Union[LogLevel, str]] = ..., stream: _Optional[_Union[LogStream, str]] = ..., text: _Optional[str] = ...) -> None: ...

class AttemptProgress(_message.Message):
    __slots__ = ("attempt_id", "fraction", "message", "details")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fraction: float
    message: str
    details: str
    def __init__(self, attempt_id: _Optional[str] = ..., fraction: _Optional[float] = ..., message: _Optional[str] = ..., details: _Optional[str] = ...) -> None: ...

class LogsRefused(_message.Message):
    __slots__ = ("attempt_id", "lines", "code", "message")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    lines: int
    code: str
    message: str
    def __init__(self, attempt_id: _Optional[str] = ..., lines: _Optional[int] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
