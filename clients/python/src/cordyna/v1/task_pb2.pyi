import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DependencyCondition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPENDENCY_CONDITION_UNSPECIFIED: _ClassVar[DependencyCondition]
    DEPENDENCY_CONDITION_RUN_FIRST: _ClassVar[DependencyCondition]
    DEPENDENCY_CONDITION_FRESH_WITHIN: _ClassVar[DependencyCondition]

class CatchUpPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATCH_UP_POLICY_UNSPECIFIED: _ClassVar[CatchUpPolicy]
    CATCH_UP_POLICY_SKIP: _ClassVar[CatchUpPolicy]
    CATCH_UP_POLICY_LATEST: _ClassVar[CatchUpPolicy]
    CATCH_UP_POLICY_ALL: _ClassVar[CatchUpPolicy]

class OverlapPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OVERLAP_POLICY_UNSPECIFIED: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_SKIP: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_QUEUE_ONE: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_ALLOW: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_CANCEL_PREVIOUS: _ClassVar[OverlapPolicy]

class TriggerMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_MODE_UNSPECIFIED: _ClassVar[TriggerMode]
    TRIGGER_MODE_ALL: _ClassVar[TriggerMode]
    TRIGGER_MODE_ANY: _ClassVar[TriggerMode]

class TaskState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATE_UNSPECIFIED: _ClassVar[TaskState]
    TASK_STATE_PENDING: _ClassVar[TaskState]
    TASK_STATE_INVOKED: _ClassVar[TaskState]
    TASK_STATE_QUEUED: _ClassVar[TaskState]
    TASK_STATE_STARTED: _ClassVar[TaskState]
    TASK_STATE_COMPLETED: _ClassVar[TaskState]
    TASK_STATE_ERROR: _ClassVar[TaskState]
    TASK_STATE_BLOCKED: _ClassVar[TaskState]
    TASK_STATE_SKIPPED: _ClassVar[TaskState]
    TASK_STATE_CANCELLED: _ClassVar[TaskState]

class ErrorCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_CAUSE_UNSPECIFIED: _ClassVar[ErrorCause]
    ERROR_CAUSE_TASK_FAILED: _ClassVar[ErrorCause]
    ERROR_CAUSE_ACK_TIMEOUT: _ClassVar[ErrorCause]
    ERROR_CAUSE_START_TIMEOUT: _ClassVar[ErrorCause]
    ERROR_CAUSE_COMPLETE_TIMEOUT: _ClassVar[ErrorCause]
    ERROR_CAUSE_SERVER_LOST: _ClassVar[ErrorCause]
    ERROR_CAUSE_REJECTED: _ClassVar[ErrorCause]
    ERROR_CAUSE_HEARTBEAT_TIMEOUT: _ClassVar[ErrorCause]

class RunMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_MODE_UNSPECIFIED: _ClassVar[RunMode]
    RUN_MODE_NORMAL: _ClassVar[RunMode]
    RUN_MODE_TEST: _ClassVar[RunMode]
DEPENDENCY_CONDITION_UNSPECIFIED: DependencyCondition
DEPENDENCY_CONDITION_RUN_FIRST: DependencyCondition
DEPENDENCY_CONDITION_FRESH_WITHIN: DependencyCondition
CATCH_UP_POLICY_UNSPECIFIED: CatchUpPolicy
CATCH_UP_POLICY_SKIP: CatchUpPolicy
CATCH_UP_POLICY_LATEST: CatchUpPolicy
CATCH_UP_POLICY_ALL: CatchUpPolicy
OVERLAP_POLICY_UNSPECIFIED: OverlapPolicy
OVERLAP_POLICY_SKIP: OverlapPolicy
OVERLAP_POLICY_QUEUE_ONE: OverlapPolicy
OVERLAP_POLICY_ALLOW: OverlapPolicy
OVERLAP_POLICY_CANCEL_PREVIOUS: OverlapPolicy
TRIGGER_MODE_UNSPECIFIED: TriggerMode
TRIGGER_MODE_ALL: TriggerMode
TRIGGER_MODE_ANY: TriggerMode
TASK_STATE_UNSPECIFIED: TaskState
TASK_STATE_PENDING: TaskState
TASK_STATE_INVOKED: TaskState
TASK_STATE_QUEUED: TaskState
TASK_STATE_STARTED: TaskState
TASK_STATE_COMPLETED: TaskState
TASK_STATE_ERROR: TaskState
TASK_STATE_BLOCKED: TaskState
TASK_STATE_SKIPPED: TaskState
TASK_STATE_CANCELLED: TaskState
ERROR_CAUSE_UNSPECIFIED: ErrorCause
ERROR_CAUSE_TASK_FAILED: ErrorCause
ERROR_CAUSE_ACK_TIMEOUT: ErrorCause
ERROR_CAUSE_START_TIMEOUT: ErrorCause
ERROR_CAUSE_COMPLETE_TIMEOUT: ErrorCause
ERROR_CAUSE_SERVER_LOST: ErrorCause
ERROR_CAUSE_REJECTED: ErrorCause
ERROR_CAUSE_HEARTBEAT_TIMEOUT: ErrorCause
RUN_MODE_UNSPECIFIED: RunMode
RUN_MODE_NORMAL: RunMode
RUN_MODE_TEST: RunMode

class TaskDeclaration(_message.Message):
    __slots__ = ("id", "description", "owner", "dependencies", "schedule", "deadlines", "retry", "concurrency_limit", "tags", "trigger")
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    DEADLINES_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    id: str
    description: str
    owner: Owner
    dependencies: _containers.RepeatedCompositeFieldContainer[Dependency]
    schedule: Schedule
    deadlines: Deadlines
    retry: RetryPolicy
    concurrency_limit: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    trigger: UpstreamTrigger
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., owner: _Optional[_Union[Owner, _Mapping]] = ..., dependencies: _Optional[_Iterable[_Union[Dependency, _Mapping]]] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., deadlines: _Optional[_Union[Deadlines, _Mapping]] = ..., retry: _Optional[_Union[RetryPolicy, _Mapping]] = ..., concurrency_limit: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., trigger: _Optional[_Union[UpstreamTrigger, _Mapping]] = ...) -> None: ...

class Owner(_message.Message):
    __slots__ = ("team", "contact")
    TEAM_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    team: str
    contact: str
    def __init__(self, team: _Optional[str] = ..., contact: _Optional[str] = ...) -> None: ...

class Dependency(_message.Message):
    __slots__ = ("task_id", "condition", "fresh_within")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    FRESH_WITHIN_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    condition: DependencyCondition
    fresh_within: _duration_pb2.Duration
    def __init__(self, task_id: _Optional[str] = ..., condition: _Optional[_Union[DependencyCondition, str]] = ..., fresh_within: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ("cron", "time_zone", "catch_up", "catch_up_max", "overlap", "expected_within")
    CRON_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    CATCH_UP_FIELD_NUMBER: _ClassVar[int]
    CATCH_UP_MAX_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_WITHIN_FIELD_NUMBER: _ClassVar[int]
    cron: str
    time_zone: str
    catch_up: CatchUpPolicy
    catch_up_max: int
    overlap: OverlapPolicy
    expected_within: _duration_pb2.Duration
    def __init__(self, cron: _Optional[str] = ..., time_zone: _Optional[str] = ..., catch_up: _Optional[_Union[CatchUpPolicy, str]] = ..., catch_up_max: _Optional[int] = ..., overlap: _Optional[_Union[OverlapPolicy, str]] = ..., expected_within: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class UpstreamTrigger(_message.Message):
    __slots__ = ("mode", "debounce")
    MODE_FIELD_NUMBER: _ClassVar[int]
    DEBOUNCE_FIELD_NUMBER: _ClassVar[int]
    mode: TriggerMode
    debounce: _duration_pb2.Duration
    def __init__(self, mode: _Optional[_Union[TriggerMode, str]] = ..., debounce: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Deadlines(_message.Message):
    __slots__ = ("ack", "start", "complete", "heartbeat")
    ACK_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    ack: _duration_pb2.Duration
    start: _duration_pb2.Duration
    complete: _duration_pb2.Duration
    heartbeat: _duration_pb2.Duration
    def __init__(self, ack: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., complete: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("max_attempts", "initial_backoff", "max_backoff", "backoff_multiplier", "retry_on")
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    INITIAL_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    MAX_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    RETRY_ON_FIELD_NUMBER: _ClassVar[int]
    max_attempts: int
    initial_backoff: _duration_pb2.Duration
    max_backoff: _duration_pb2.Duration
    backoff_multiplier: float
    retry_on: _containers.RepeatedScalarFieldContainer[ErrorCause]
    def __init__(self, max_attempts: _Optional[int] = ..., initial_backoff: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_backoff: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., backoff_multiplier: _Optional[float] = ..., retry_on: _Optional[_Iterable[_Union[ErrorCause, str]]] = ...) -> None: ...

class Completion(_message.Message):
    __slots__ = ("task_id", "run_id", "task_run_id", "completed_at")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    task_run_id: str
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., task_run_id: _Optional[str] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
