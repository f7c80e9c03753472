"""Example Cordyna task-server in Python, declaring python.clean and python.sheet.

Environment:
  CORDYNA_ADDR             cerebro's host:port (default localhost:7070)
  CORDYNA_SERVER_NAME      server name (default python-example)
  CORDYNA_EXAMPLE_WORK_MS  how long python.sheet works, in ten steps that each report
                           its progress (default 100)
  LOG_LEVEL                debug, info (default), warning or error
  CORDYNA_TLS_CA           PEM file of the CA that signed cerebro's certificate; turns TLS on
  CORDYNA_TLS_CLIENT_CERT  PEM files of this server's certificate and key,
  CORDYNA_TLS_CLIENT_KEY     when cerebro asks for one (mTLS)
  CORDYNA_TLS              "on" for TLS with gRPC's default roots
  OTEL_EXPORTER_OTLP_ENDPOINT  where to export spans over OTLP/HTTP (default: no export)
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable

from cordyna.v1 import task_pb2
from cordyna.v1 import task_server_pb2 as pb
from google.protobuf import duration_pb2

from server import Progress, Task, TaskFailed, TaskServer, credentials_from_env, token_from_env
from tracing import start_tracing, stop_tracing, tracer

TEAM = task_pb2.Owner(team="team-python", contact="python@example.com")
MAX_CONCURRENCY = 4
WORK_S = int(os.environ.get("CORDYNA_EXAMPLE_WORK_MS", "100")) / 1000
SHEET_STEPS = 10
# python.sheet reports its progress after each step: silent for longer than
# this, cerebro ends it in ERROR(HEARTBEAT_TIMEOUT).
SHEET_HEARTBEAT = duration_pb2.Duration(seconds=2)


def declare(task_id: str, description: str, *upstream: str) -> task_pb2.TaskDeclaration:
    return task_pb2.TaskDeclaration(
        id=task_id,
        description=description,
        owner=TEAM,
        dependencies=[
            task_pb2.Dependency(task_id=u, condition=task_pb2.DEPENDENCY_CONDITION_RUN_FIRST)
            for u in upstream
        ],
    )


def fail_if_asked(invoke: pb.Invoke) -> None:
    if invoke.params.get("fail") == invoke.task_id:
        raise TaskFailed("failed on purpose")


async def clean(
    invoke: pb.Invoke, log: Callable[[str], None], progress: Progress
) -> dict[str, str]:
    fail_if_asked(invoke)
    log(f"cleaning the rows of run {invoke.run_id}")
    # A span of the task's own nests under the handler's span.
    with tracer.start_as_current_span("clean rows"):
        return {"table": f"clean/{invoke.run_id}"}


async def sheet(
    invoke: pb.Invoke, log: Callable[[str], None], progress: Progress
) -> dict[str, str]:
    fail_if_asked(invoke)
    log(f"building the sheet of run {invoke.run_id}")
    for step in range(1, SHEET_STEPS + 1):
        # A Cancel from cerebro cancels this asyncio task right here.
        await asyncio.sleep(WORK_S / SHEET_STEPS)
        progress(step / SHEET_STEPS, f"{step} of {SHEET_STEPS} rows written")
    return {"sheet": f"sheets/{invoke.run_id}.csv"}


def with_heartbeat_deadline(
    declaration: task_pb2.TaskDeclaration, deadline: duration_pb2.Duration
) -> task_pb2.TaskDeclaration:
    declaration.deadlines.heartbeat.CopyFrom(deadline)
    return declaration


TASKS = [
    Task(declare("python.clean", "Cleans the rows rust.import brought in", "rust.import"), clean),
    Task(
        with_heartbeat_deadline(
            declare("python.sheet", "Builds the sheet once java.mail has run", "java.mail"),
            SHEET_HEARTBEAT,
        ),
        sheet,
    ),
]


def main() -> int:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("task-server").setLevel(os.environ.get("LOG_LEVEL", "info").upper())
    try:
        credentials = credentials_from_env(os.environ)
    except ValueError as problem:
        logging.getLogger("task-server").error("%s", problem)
        return 1
    server_name = os.environ.get("CORDYNA_SERVER_NAME", "python-example")
    start_tracing(os.environ, server_name)
    server = TaskServer(
        address=os.environ.get("CORDYNA_ADDR", "localhost:7070"),
        server_name=server_name,
        tasks=TASKS,
        max_concurrency=MAX_CONCURRENCY,
        credentials=credentials,
        token=token_from_env(os.environ),
    )
    try:
        return asyncio.run(server.serve())
    finally:
        stop_tracing()


if __name__ == "__main__":
    sys.exit(main())
