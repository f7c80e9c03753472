"""A task-server instance's life with cerebro, over one Connect stream at a time.

Says Hello, runs each Invoke as an asyncio task under a concurrency limit,
keeps every state update until it is acknowledged, heartbeats, reconnects
with backoff and resends what was not acknowledged, and drains on SIGTERM.
Handlers may say how far an attempt got (AttemptProgress, protocol 1.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import signal
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

import grpc
from cordyna.v1 import task_pb2, task_server_pb2_grpc
from cordyna.v1 import task_server_pb2 as pb

from outbox import Outbox
from tracing import handler_span

log = logging.getLogger("task-server")

AGENT = "cordyna-example-python/0.1.0"
PROTOCOL_VERSION = pb.ProtocolVersion(major=1, minor=0)

INITIAL_BACKOFF_S = 0.1
MAX_BACKOFF_S = 2.0
DEFAULT_HEARTBEAT_S = 5.0
DRAIN_TIMEOUT_S = 20.0
ACK_TIMEOUT_S = 5.0
STREAM_CLOSE_TIMEOUT_S = 2.0
# Enough to recognise every duplicate Invoke cerebro could still send.
REMEMBERED_ATTEMPTS = 10_000

CHANNEL_OPTIONS = [
    # Cerebro cuts clients that ping more often than every 5 s.
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    # The channel's own reconnect backoff starts at 1 s and grows to 2 min;
    # bound it by ours so a restarted cerebro is found quickly.
    ("grpc.initial_reconnect_backoff_ms", int(INITIAL_BACKOFF_S * 1000)),
    ("grpc.max_reconnect_backoff_ms", int(MAX_BACKOFF_S * 1000)),
]

# Statuses that refuse this server for who it is (no or a bad token or
# client certificate): before the first Welcome, retrying changes nothing.
REFUSALS = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)

# Says how far an attempt got: a fraction from 0 to 1 and what it is doing.
# Also a heartbeat: it re-arms the task's heartbeat deadline.
Progress = Callable[[float, str], None]

# A handler gets the invoke, a function that adds a line to the attempt's
# log, and one that reports its progress.
TaskHandler = Callable[
    [pb.Invoke, Callable[[str], None], Progress], Awaitable[Mapping[str, str]]
]

# Protocol 1.3: a cerebro whose Welcome says 1.3 or later keeps attempts' logs.
TASK_LOGS_MINOR = 3
# Protocol 1.4: a cerebro whose Welcome says 1.4 or later takes AttemptProgress.
ATTEMPT_PROGRESS_MINOR = 4
# The most lines one TaskLogs message carries (the proto's limit); more are counted as dropped.
MAX_LOG_LINES = 1000
# The most bytes of one line (the proto's limit).
MAX_LINE_BYTES = 16384


def credentials_from_env(env: Mapping[str, str]) -> grpc.ChannelCredentials | None:
    """TLS towards cerebro from the variables every Cordyna client reads, or None for plaintext.

    CORDYNA_TLS_CA trusts that CA (and only it); CORDYNA_TLS_CLIENT_CERT and
    CORDYNA_TLS_CLIENT_KEY present a client certificate (mTLS); CORDYNA_TLS=on
    alone trusts gRPC's default roots. Raises ValueError naming the variable
    (and the file) that is wrong.
    """

    def value(name: str) -> str | None:
        return env.get(name, "").strip() or None

    def read(name: str) -> bytes | None:
        path = value(name)
        if path is None:
            return None
        try:
            with open(path, "rb") as file:
                return file.read()
        except OSError as error:
            raise ValueError(f"{name}: cannot read {path}: {error.strerror or error}") from error

    on = value("CORDYNA_TLS")
    if on is not None and on not in ("on", "off", "true", "false", "1", "0"):
        raise ValueError(f'CORDYNA_TLS: "{on}" is neither on nor off')
    ca = read("CORDYNA_TLS_CA")
    cert = read("CORDYNA_TLS_CLIENT_CERT")
    key = read("CORDYNA_TLS_CLIENT_KEY")
    if (cert is None) != (key is None):
        raise ValueError("CORDYNA_TLS_CLIENT_CERT and CORDYNA_TLS_CLIENT_KEY go together: set both")
    if ca is None and cert is None and on not in ("on", "true", "1"):
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=key, certificate_chain=cert
    )


def token_from_env(env: Mapping[str, str]) -> str | None:
    """The bearer token from CORDYNA_TOKEN, or None when it is not set."""
    return env.get("CORDYNA_TOKEN", "").strip() or None


class TaskFailed(Exception):
    """Raised by a handler: the attempt ends in ERROR with this message."""


@dataclass(frozen=True)
class Task:
    declaration: task_pb2.TaskDeclaration
    handler: TaskHandler


class TaskServer:
    def __init__(
        self,
        *,
        address: str,
        server_name: str,
        tasks: Iterable[Task],
        max_concurrency: int,
        credentials: grpc.ChannelCredentials | None = None,
        token: str | None = None,
    ) -> None:
        """`credentials`: TLS (see credentials_from_env), or None for plaintext.

        `token`: sent as `authorization: Bearer <token>` on every stream (see
        token_from_env); cerebro with authentication on refuses a stream without one.
        """
        self._address = address
        self._credentials = credentials
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._server_name = server_name
        self._tasks = {task.declaration.id: task for task in tasks}
        self._max_concurrency = max_concurrency
        self.instance_id = (
            f"{server_name}-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        )
        self._slots = asyncio.Semaphore(max_concurrency)
        self._outbox = Outbox()
        # Running and queued attempts, by attempt id.
        self._attempts: dict[str, asyncio.Task[None]] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        # The current stream's outgoing messages; None between streams.
        self._queue: asyncio.Queue[pb.ConnectRequest | None] | None = None
        self._welcomed = False
        self._ever_welcomed = False
        # Whether the current stream's cerebro keeps logs (protocol 1.3).
        self._logs_accepted = False
        # Whether the current stream's cerebro takes AttemptProgress (protocol 1.4).
        self._progress_accepted = False
        self._heartbeat: asyncio.Task[None] | None = None
        self._draining = False
        self._closing = asyncio.Event()
        self._connection: asyncio.Task[None] | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._exit_code = 0

    async def serve(self) -> int:
        """Runs until drained (returns 0) or rejected (returns 1)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        log.info(
            "starting instance=%s cerebro=%s tls=%s token=%s tasks=%s",
            self.instance_id,
            self._address,
            "off" if self._credentials is None else "on",
            "on" if self._metadata else "off",
            ",".join(self._tasks),
        )
        channel = (
            grpc.aio.insecure_channel(self._address, options=CHANNEL_OPTIONS)
            if self._credentials is None
            else grpc.aio.secure_channel(self._address, self._credentials, options=CHANNEL_OPTIONS)
        )
        async with channel:
            stub = task_server_pb2_grpc.TaskServerServiceStub(channel)
            self._connection = asyncio.create_task(self._connect_forever(stub))
            await asyncio.wait([self._connection])
        if not self._connection.cancelled():
            self._connection.result()  # a bug in handling the stream ends the process loudly
        if self._drain_task is not None:
            if self._exit_code == 0:
                await self._drain_task  # past its last wait, for the stream that just ended
            else:
                self._drain_task.cancel()
        leftovers = list(self._attempts.values())
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        return self._exit_code

    # ── the stream ──────────────────────────────────────────────────────────

    async def _connect_forever(self, stub: task_server_pb2_grpc.TaskServerServiceStub) -> None:
        backoff = INITIAL_BACKOFF_S
        while True:
            welcomed, ending = await self._stream(stub)
            if self._closing.is_set():
                return
            if welcomed:
                backoff = INITIAL_BACKOFF_S
            delay = random.uniform(backoff / 2, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            log.warning("%s; reconnecting in %d ms", ending, delay * 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
            if self._closing.is_set():
                return

    async def _stream(self, stub: task_server_pb2_grpc.TaskServerServiceStub) -> tuple[bool, str]:
        """Runs one Connect stream until it ends: whether it was welcomed, and how it ended."""
        queue: asyncio.Queue[pb.ConnectRequest | None] = asyncio.Queue()
        queue.put_nowait(pb.ConnectRequest(hello=self._hello()))
        self._queue = queue
        call: grpc.aio.StreamStreamCall[pb.ConnectRequest, pb.ConnectResponse] = stub.Connect(
            _requests(queue), metadata=self._metadata
        )
        welcomed = False
        ending = "stream ended by cerebro"
        try:
            async for response in call:
                match response.WhichOneof("message"):
                    case "welcome":
                        welcomed = True
                        self._on_welcome(response.welcome)
                    case "rejection":
                        self._on_rejection(response.rejection)
                        break
                    case "invoke":
                        self._on_invoke(response.invoke)
                    case "cancel":
                        self._on_cancel(response.cancel)
                    case "ack":
                        log.debug("ack through_seq=%d", response.ack.through_seq)
                        self._outbox.ack(response.ack.through_seq)
                    case "refusal" if response.refusal.seq == 0:
                        # Seq 0 refuses an AttemptProgress: this example sends the next anyway.
                        log.warning(
                            "progress refused attempt=%s code=%s: %s",
                            response.refusal.attempt_id,
                            response.refusal.code,
                            response.refusal.message,
                        )
                    case "refusal":
                        refusal = response.refusal
                        log.warning(
                            "update refused seq=%d attempt=%s code=%s: %s",
                            refusal.seq,
                            refusal.attempt_id,
                            refusal.code,
                            refusal.message,
                        )
                        self._outbox.refuse(refusal.seq)
                    case "ping":
                        self._send(pb.ConnectRequest(pong=pb.Pong(nonce=response.ping.nonce)))
                    case "logs_refused":
                        refused = response.logs_refused
                        log.warning(
                            "log lines not kept attempt=%s code=%s: %s",
                            refused.attempt_id,
                            refused.code,
                            refused.message,
                        )
        except grpc.aio.AioRpcError as error:
            ending = f"stream lost: {error.code().name} {error.details()}"
            if error.code() in REFUSALS and not self._ever_welcomed:
                log.error("cerebro refused this task-server: %s", error.details())
                self._exit_code = 1
                self._closing.set()
        finally:
            call.cancel()
            self._queue = None
            self._welcomed = False
            self._outbox.close()
            if self._heartbeat is not None:
                self._heartbeat.cancel()
                self._heartbeat = None
        return welcomed, ending

    def _hello(self) -> pb.Hello:
        # An attempt whose final update is not yet acknowledged is named too, so
        # that cerebro waits for the resent update instead of losing the attempt.
        running = dict.fromkeys([*self._attempts, *self._outbox.attempt_ids()])
        log.debug("hello, running attempts: %s", list(running))
        return pb.Hello(
            server_name=self._server_name,
            instance_id=self.instance_id,
            protocol_version=PROTOCOL_VERSION,
            tasks=[task.declaration for task in self._tasks.values()],
            running_attempt_ids=list(running),
            max_concurrency=self._max_concurrency,
            agent=AGENT,
        )

    def _on_welcome(self, welcome: pb.Welcome) -> None:
        self._welcomed = True
        self._ever_welcomed = True
        version = welcome.protocol_version
        self._logs_accepted = version.major == 1 and version.minor >= TASK_LOGS_MINOR
        self._progress_accepted = version.major == 1 and version.minor >= ATTEMPT_PROGRESS_MINOR
        for warning in welcome.warnings:
            log.warning(
                "declaration warning task=%s code=%s: %s",
                warning.task_id,
                pb.DeclarationIssueCode.Name(warning.code),
                warning.message,
            )
        unknown = set(welcome.unknown_attempt_ids)
        if unknown:
            log.warning("cerebro no longer wants attempts: %s", ", ".join(sorted(unknown)))
        for attempt_id in welcome.unknown_attempt_ids:
            self._abort(attempt_id, "cerebro no longer wants it")
        self._outbox.discard(unknown)
        resent = self._outbox.open()
        for update in resent:
            self._send(pb.ConnectRequest(task_state=update))
        interval = welcome.heartbeat_interval.ToMilliseconds() / 1000 or DEFAULT_HEARTBEAT_S
        self._heartbeat = asyncio.create_task(self._heartbeats(interval))
        log.info(
            "welcomed session=%s heartbeat=%gs resent=%d",
            welcome.session_id,
            interval,
            len(resent),
        )
        if self._draining:
            self._send(pb.ConnectRequest(drain=pb.Drain()))

    def _on_rejection(self, rejection: pb.Rejection) -> None:
        log.error("rejected by cerebro: %s", rejection.message)
        for issue in rejection.errors:
            log.error(
                "rejected task=%s code=%s: %s",
                issue.task_id or "-",
                pb.DeclarationIssueCode.Name(issue.code),
                issue.message,
            )
        self._exit_code = 1
        self._closing.set()
        for attempt_id in list(self._attempts):
            self._abort(attempt_id, "cerebro rejected the declarations")

    async def _heartbeats(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            running = list(self._attempts)
            log.debug("heartbeat running=%s", running)
            self._send(pb.ConnectRequest(heartbeat=pb.Heartbeat(running_attempt_ids=running)))

    def _send(self, request: pb.ConnectRequest) -> None:
        if self._queue is not None:
            self._queue.put_nowait(request)

    # ── attempts ────────────────────────────────────────────────────────────

    def _on_invoke(self, invoke: pb.Invoke) -> None:
        attempt_id = invoke.attempt_id
        if attempt_id in self._attempts or attempt_id in self._finished:
            log.info("duplicate invoke ignored attempt=%s", attempt_id)
            return
        log.info("invoke attempt=%s task=%s run=%s", attempt_id, invoke.task_id, invoke.run_id)
        task = self._tasks.get(invoke.task_id)
        if task is None or self._draining:
            reason = (
                f"unknown task {invoke.task_id!r}"
                if task is None
                else "task-server is draining; invoke another instance"
            )
            log.warning("invoke refused attempt=%s: %s", attempt_id, reason)
            self._remember(attempt_id)
            self._report(
                attempt_id,
                task_pb2.TASK_STATE_ERROR,
                error_description=reason,
                non_retryable=task is None,
            )
            return
        self._attempts[attempt_id] = asyncio.create_task(
            self._run(invoke, task.handler), name=f"attempt {attempt_id}"
        )

    async def _run(self, invoke: pb.Invoke, handler: TaskHandler) -> None:
        attempt_id = invoke.attempt_id
        loop = asyncio.get_running_loop()
        try:
            if self._slots.locked():
                log.info("queued attempt=%s: all %d slots busy", attempt_id, self._max_concurrency)
                self._report(attempt_id, task_pb2.TASK_STATE_QUEUED)
            async with self._slots:
                log.info("started attempt=%s task=%s", attempt_id, invoke.task_id)
                self._report(attempt_id, task_pb2.TASK_STATE_STARTED)
                started = loop.time()
                lines: list[pb.LogLine] = []
                try:
                    with handler_span(invoke):
                        outputs = await handler(
                            invoke,
                            lambda text: lines.append(_log_line(text)),
                            lambda fraction, message: self._progress(attempt_id, fraction, message),
                        )
                except Exception as error:  # the task's failure, in its own words
                    description = str(error) or type(error).__name__
                    log.warning("failed attempt=%s: %s", attempt_id, description)
                    self._send_logs(attempt_id, lines)
                    self._report(
                        attempt_id, task_pb2.TASK_STATE_ERROR, error_description=description
                    )
                else:
                    log.info(
                        "completed attempt=%s in %d ms",
                        attempt_id,
                        (loop.time() - started) * 1000,
                    )
                    self._send_logs(attempt_id, lines)
                    self._report(attempt_id, task_pb2.TASK_STATE_COMPLETED, outputs=outputs)
        finally:
            self._attempts.pop(attempt_id, None)
            self._remember(attempt_id)

    def _progress(self, attempt_id: str, fraction: float, message: str) -> None:
        """Sends how far a running attempt got, when cerebro takes it (protocol 1.4).

        Without a welcomed stream it is dropped: the next report says it again.
        """
        if not (self._welcomed and self._progress_accepted) or attempt_id not in self._attempts:
            return
        progress = pb.AttemptProgress(
            attempt_id=attempt_id, fraction=min(1.0, max(0.0, fraction)), message=message
        )
        self._send(pb.ConnectRequest(attempt_progress=progress))

    def _send_logs(self, attempt_id: str, lines: list[pb.LogLine]) -> None:
        """Sends an attempt's log before its final update, when cerebro keeps logs.

        Lines logged while no stream is welcomed are not kept: this example
        sends them once, at the end of the attempt.
        """
        if not lines or not (self._welcomed and self._logs_accepted):
            return
        kept = lines[-MAX_LOG_LINES:]
        self._send(
            pb.ConnectRequest(
                task_logs=pb.TaskLogs(
                    attempt_id=attempt_id, lines=kept, dropped_lines=len(lines) - len(kept)
                )
            )
        )

    def _on_cancel(self, cancel: pb.Cancel) -> None:
        if not self._abort(cancel.attempt_id, cancel.reason or "cancelled by cerebro"):
            log.info("cancel for an attempt not running attempt=%s", cancel.attempt_id)

    def _abort(self, attempt_id: str, reason: str) -> bool:
        """Stops an attempt, running or queued; nothing more is reported for it."""
        task = self._attempts.pop(attempt_id, None)
        if task is None:
            return False
        self._remember(attempt_id)
        task.cancel()
        log.info("cancelled attempt=%s: %s", attempt_id, reason)
        return True

    def _remember(self, attempt_id: str) -> None:
        self._finished[attempt_id] = None
        if len(self._finished) > REMEMBERED_ATTEMPTS:
            self._finished.popitem(last=False)

    def _report(
        self,
        attempt_id: str,
        state: task_pb2.TaskState,
        *,
        error_description: str = "",
        non_retryable: bool = False,
        outputs: Mapping[str, str] | None = None,
    ) -> None:
        update = pb.TaskStateUpdate(
            attempt_id=attempt_id,
            state=state,
            error_description=error_description,
            non_retryable=non_retryable,
            outputs=outputs or {},
        )
        update.time.GetCurrentTime()
        stamped = self._outbox.push(update)
        if stamped is not None:
            self._send(pb.ConnectRequest(task_state=stamped))

    # ── shutdown ────────────────────────────────────────────────────────────

    def _on_signal(self, sig: signal.Signals) -> None:
        if self._drain_task is None:
            log.info("%s received: draining", sig.name)
            self._drain_task = asyncio.create_task(self._drain())
        else:
            log.warning("%s received again: stopping now", sig.name)
            self._exit_code = 1
            self._closing.set()
            if self._connection is not None:
                self._connection.cancel()

    async def _drain(self) -> None:
        self._draining = True
        if self._welcomed:
            self._send(pb.ConnectRequest(drain=pb.Drain()))
        running = list(self._attempts.values())
        log.info("waiting for %d running attempts", len(running))
        if running:
            await asyncio.wait(running, timeout=DRAIN_TIMEOUT_S)
        for attempt_id in list(self._attempts):
            # Retryable: another instance can run it.
            self._report(
                attempt_id,
                task_pb2.TASK_STATE_ERROR,
                error_description="task-server shut down before the attempt finished",
            )
            self._abort(attempt_id, "drain timed out")
        try:
            await asyncio.wait_for(self._outbox.wait_empty(), ACK_TIMEOUT_S)
        except TimeoutError:
            log.warning("%d updates not acknowledged in time", len(self._outbox))
        # Half-closing the stream lets cerebro end it cleanly.
        self._closing.set()
        if self._queue is not None:
            self._queue.put_nowait(None)
        connection = self._connection
        if connection is not None:
            _, pending = await asyncio.wait([connection], timeout=STREAM_CLOSE_TIMEOUT_S)
            if pending:
                log.warning("cerebro did not end the stream; dropping it")
                connection.cancel()
        log.info("stream closed, drained")


def _log_line(text: str) -> pb.LogLine:
    """An info line of the handler's, cut to the protocol's 16 KiB."""
    data = text.encode()[:MAX_LINE_BYTES]
    line = pb.LogLine(
        level=pb.LOG_LEVEL_INFO,
        stream=pb.LOG_STREAM_LOGGER,
        text=data.decode(errors="ignore"),
    )
    line.time.GetCurrentTime()
    return line


async def _requests(
    queue: asyncio.Queue[pb.ConnectRequest | None],
) -> AsyncIterator[pb.ConnectRequest]:
    """The stream's messages up; None half-closes it."""
    while (request := await queue.get()) is not None:
        yield request
