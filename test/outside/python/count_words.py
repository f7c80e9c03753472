"""Team outside's task-server: one task, outside.python.count-words.

The task needs team A's exchange rates first, fetched within the hour
(a.fetch-rates), and passes on what they say (how many currencies).

A project of its own that uses nothing of Cordyna but the cordyna-client
wheel (the generated messages and gRPC stubs). It keeps to the minimum of
the protocol (docs/protocol.md): Hello, Welcome, heartbeats, Pong, and for
each Invoke a STARTED and a COMPLETED update. It does not reconnect, resend
unacknowledged updates or drain; clients/python/example shows those.

    CORDYNA_ADDR=localhost:7070 python count_words.py
"""

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator

import grpc
from cordyna.v1 import task_pb2, task_server_pb2_grpc
from cordyna.v1 import task_server_pb2 as pb
from google.protobuf.duration_pb2 import Duration

SERVER_NAME = "outside-python"
TASK_ID = "outside.python.count-words"
RATES = "a.fetch-rates"


def count_words(invoke: pb.Invoke) -> dict[str, str]:
    """The task: how many words the run's `text` param holds."""
    # The Invoke carries the outputs of the task's upstream: team A's rates,
    # fetched in this run or reused from a fetch within the hour.
    rates = next((up.outputs for up in invoke.upstream if up.task_id == RATES), {})
    return {
        "words": str(len(invoke.params.get("text", "").split())),
        "counted_by": "python",
        "currencies": rates.get("currencies", "unknown"),
    }


async def serve(address: str) -> int:
    outgoing: asyncio.Queue[pb.ConnectRequest] = asyncio.Queue()
    seq = 0

    def report(attempt_id: str, state: int, outputs: dict[str, str] | None = None) -> None:
        nonlocal seq
        seq += 1
        update = pb.TaskStateUpdate(seq=seq, attempt_id=attempt_id, state=state)
        update.outputs.update(outputs or {})
        outgoing.put_nowait(pb.ConnectRequest(task_state=update))

    async def requests() -> AsyncIterator[pb.ConnectRequest]:
        while True:
            yield await outgoing.get()

    async def heartbeat(every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            outgoing.put_nowait(pb.ConnectRequest(heartbeat=pb.Heartbeat()))

    outgoing.put_nowait(
        pb.ConnectRequest(
            hello=pb.Hello(
                server_name=SERVER_NAME,
                instance_id=f"{SERVER_NAME}-{uuid.uuid4().hex[:12]}",
                protocol_version=pb.ProtocolVersion(major=1, minor=0),
                tasks=[
                    task_pb2.TaskDeclaration(
                        id=TASK_ID,
                        description="Counts the words of the run's text param",
                        owner=task_pb2.Owner(team="team-outside"),
                        dependencies=[
                            task_pb2.Dependency(
                                task_id=RATES,
                                condition=task_pb2.DEPENDENCY_CONDITION_FRESH_WITHIN,
                                fresh_within=Duration(seconds=3600),
                            )
                        ],
                    )
                ],
            )
        )
    )
    heartbeats: asyncio.Task[None] | None = None
    async with grpc.aio.insecure_channel(address) as channel:
        call = task_server_pb2_grpc.TaskServerServiceStub(channel).Connect(requests())
        async for response in call:
            kind = response.WhichOneof("message")
            if kind == "welcome":
                interval = response.welcome.heartbeat_interval.ToTimedelta().total_seconds()
                heartbeats = asyncio.create_task(heartbeat(interval or 5.0))
                print(f"welcomed by cerebro at {address}", file=sys.stderr)
            elif kind == "rejection":
                for issue in response.rejection.errors:
                    print(f"rejected: {issue.message}", file=sys.stderr)
                return 1
            elif kind == "invoke":
                invoke = response.invoke
                report(invoke.attempt_id, task_pb2.TASK_STATE_STARTED)
                outputs = count_words(invoke)
                report(invoke.attempt_id, task_pb2.TASK_STATE_COMPLETED, outputs)
                print(f"{invoke.task_id} {invoke.attempt_id}: {outputs}", file=sys.stderr)
            elif kind == "ping":
                outgoing.put_nowait(pb.ConnectRequest(pong=pb.Pong(nonce=response.ping.nonce)))
    if heartbeats:
        heartbeats.cancel()
    print("cerebro ended the stream", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(serve(os.environ.get("CORDYNA_ADDR", "localhost:7070"))))
