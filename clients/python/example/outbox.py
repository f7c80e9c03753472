"""Task state updates kept until cerebro has stored them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cordyna.v1 import task_server_pb2 as pb


@dataclass
class _Entry:
    update: pb.TaskStateUpdate
    # The seq it was sent with on the current stream; None until sent on it.
    seq: int | None = None


class Outbox:
    """Numbers updates per stream and keeps each until an Ack covers it.

    Seq starts at 1 on every stream. Acks and refusals name seqs of the
    current stream only, so after a reconnect everything still kept is
    renumbered from 1 and resent.
    """

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._next_seq = 1
        self._open = False
        self._empty = asyncio.Event()
        self._empty.set()

    def push(self, update: pb.TaskStateUpdate) -> pb.TaskStateUpdate | None:
        """Keeps an update; returns it numbered when a stream is open to send it now."""
        entry = _Entry(update)
        self._entries.append(entry)
        self._empty.clear()
        return self._stamp(entry) if self._open else None

    def open(self) -> list[pb.TaskStateUpdate]:
        """A new stream was welcomed: returns everything kept, renumbered from 1."""
        self._open = True
        self._next_seq = 1
        return [self._stamp(entry) for entry in self._entries]

    def close(self) -> None:
        """The stream is gone: updates wait for the next open()."""
        self._open = False
        for entry in self._entries:
            entry.seq = None

    def ack(self, through_seq: int) -> None:
        self._entries = [e for e in self._entries if e.seq is None or e.seq > through_seq]
        self._check_empty()

    def refuse(self, seq: int) -> None:
        """A refused update is settled: it must not be resent."""
        self._entries = [e for e in self._entries if e.seq != seq]
        self._check_empty()

    def discard(self, attempt_ids: set[str]) -> None:
        """Drops the updates of attempts cerebro no longer wants."""
        self._entries = [e for e in self._entries if e.update.attempt_id not in attempt_ids]
        self._check_empty()

    def attempt_ids(self) -> list[str]:
        """Attempts with an update not yet acknowledged, in order."""
        return list(dict.fromkeys(e.update.attempt_id for e in self._entries))

    async def wait_empty(self) -> None:
        await self._empty.wait()

    def __len__(self) -> int:
        return len(self._entries)

    def _stamp(self, entry: _Entry) -> pb.TaskStateUpdate:
        entry.seq = self._next_seq
        self._next_seq += 1
        stamped = pb.TaskStateUpdate()
        stamped.CopyFrom(entry.update)
        stamped.seq = entry.seq
        return stamped

    def _check_empty(self) -> None:
        if not self._entries:
            self._empty.set()
