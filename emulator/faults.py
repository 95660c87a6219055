"""Fault injection and the secret recorder: an ASGI layer outside the Starlette app.

``--faults RATE`` answers a share of the authenticated requests under ``/api`` with one
fault, drawn from a seeded generator (``--faults-seed``):

* ``503``  -- 503 with ``Retry-After: 1`` (``--fault-retry-after``) and ONTAP code "7"
  (request queue full),
* ``429``  -- 429 with the same ``Retry-After`` and ONTAP code "7",
* ``drop`` -- the connection is aborted (TCP reset) without any HTTP answer,
* ``delay`` -- the answer comes only after ``--fault-delay`` seconds (past the client's
  timeout).

A write (POST, PATCH, DELETE) is faulted ``before`` the change (the app never sees it; a
delayed write then answers 503 without applying anything) or ``after`` it (the app applies
the change, its answer is thrown away and the fault is answered instead; a delayed write
sends the real answer late), half and half. With ``--fault-late-apply`` a third each:
``before``, ``after`` and ``late`` (the fault is answered at once and the change is applied
later, before the next write or by a timer: emulator/late.py). Reads are always faulted
``before``. The control
endpoints ``/_emulator/*`` and requests without valid credentials are never faulted, so
401 and 403 stay deterministic. ``--fault-streak N`` bounds how often one request (method,
path and query) is faulted in a row: the next one passes, so the faults stay transient for a
client that tries again.

This layer sits outside Starlette on purpose: only the server's own ``send`` can reach the
transport to abort a connection, and it must be called before any response starts (the
traffic counters around it pass the server's request cycle on: emulator/traffic.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.errors import OntapError
from emulator.late import LateWrites

KINDS = ("503", "429", "drop", "delay")
PHASES = ("before", "after")
LATE_PHASES = (*PHASES, "late")  # --fault-late-apply
WRITE_METHODS = {"POST", "PATCH", "DELETE", "PUT"}
CREDENTIALS = "/api/protocols/san/iscsi/credentials"
MAX_RECORDED_BODY = 1024 * 1024


@dataclass
class FaultConfig:
    rate: float = 0.0
    seed: int | None = None
    delay: float = 35.0
    retry_after: int = 1  # the Retry-After seconds of a 503 / 429 fault
    streak: int = 0  # at most this many faults in a row for one request line (0: no bound)
    late_apply: bool = False  # --fault-late-apply: a third of faulted writes applied late
    late_seconds: float = 0.5  # --fault-late-seconds: a late write's timer


class FaultInjector:
    """The seeded draws and the counters reported by ``GET /_emulator/health``."""

    def __init__(self, config: FaultConfig) -> None:
        if config.seed is None:  # report the seed actually used, so a run can be replayed
            config.seed = random.SystemRandom().randrange(2**32)
        self.config = config
        self.lock = threading.Lock()
        self.random = random.Random(config.seed)
        self.eligible = 0
        self.spared = 0
        self.phases = LATE_PHASES if config.late_apply else PHASES
        self.counts = {f"{kind}/{phase}": 0 for kind in KINDS for phase in LATE_PHASES}
        self.writes = dict.fromkeys(LATE_PHASES, 0)
        self.streaks: dict[Any, int] = {}
        self.late = LateWrites(config.late_seconds)

    def draw(self, write: bool, key: Any = None) -> tuple[str, str] | None:
        """None (no fault) or (kind, phase); every eligible request consumes the same draws.

        ``key`` names the request (method, path, query): with ``streak`` N, a request that
        has just been faulted N times in a row passes the next time, so a client that tries
        again a few times always gets through (the faults are transient).
        """
        with self.lock:
            self.eligible += 1
            hit = self.random.random() < self.config.rate
            kind = self.random.choice(KINDS)
            phase = self.random.choice(self.phases) if write else "before"
            if not hit:
                self.streaks.pop(key, None)
                return None
            if self.config.streak:
                if self.streaks.get(key, 0) >= self.config.streak:
                    del self.streaks[key]
                    self.spared += 1
                    return None
                if len(self.streaks) > 10_000:  # keys never sent again: forget them
                    self.streaks.clear()
                self.streaks[key] = self.streaks.get(key, 0) + 1
            self.counts[f"{kind}/{phase}"] += 1
            if write:
                self.writes[phase] += 1
            return kind, phase

    def report(self) -> dict[str, Any]:
        with self.lock:
            counts = dict(self.counts)
            writes = dict(self.writes)
            eligible = self.eligible
            spared = self.spared
        return {
            "rate": self.config.rate, "seed": self.config.seed, "delay": self.config.delay,
            "retry_after": self.config.retry_after, "streak": self.config.streak,
            "eligible_requests": eligible, "injected": sum(counts.values()),
            "spared_by_streak": spared,
            "by_kind": {k: sum(v for key, v in counts.items() if key.startswith(k + "/"))
                        for k in KINDS},
            "by_phase": {p: sum(v for key, v in counts.items() if key.endswith("/" + p))
                         for p in LATE_PHASES},
            "by_kind_and_phase": counts,
            "writes_by_phase": writes,
            "late_apply": self.config.late_apply,
            "late": self.late.report(),
        }


class SecretRecorder:
    """``--record-secrets FILE``: a test aid that writes every CHAP password received to disk.

    One JSON line per password: ``{"method", "path", "side", "password"}``. The file is
    created with mode 0600 and appended to; it exists so that the suite's redaction
    self-tests know every secret that crossed the wire.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)

    def record_body(self, method: str, path: str, raw: bytes) -> None:
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError, UnicodeDecodeError):
            return
        chap = body.get("chap") if isinstance(body, dict) else None
        if not isinstance(chap, dict):
            return
        lines = []
        for side in ("inbound", "outbound"):
            part = chap.get(side)
            password = part.get("password") if isinstance(part, dict) else None
            if isinstance(password, str):
                lines.append(json.dumps({"method": method, "path": path, "side": side,
                                         "password": password}) + "\n")
        if not lines:
            return
        with self.lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.writelines(lines)


def fault_answer(kind: str, retry_after: int = 1) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    status = 429 if kind == "429" else 503
    exc = OntapError(status, "7", "The request queue is full; retry the request later.")
    body = json.dumps(exc.envelope()).encode()
    headers = [(b"content-type", b"application/hal+json"),
               (b"retry-after", str(retry_after).encode()),
               (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-cache,no-store,must-revalidate")]
    return status, body, headers


class FaultLayer:
    """Outermost ASGI layer: records secrets and injects faults, then calls the app."""

    def __init__(self, app: ASGIApp, *, injector: FaultInjector | None,
                 recorder: SecretRecorder | None,
                 authenticated: Callable[[Scope], bool], direct: ASGIApp | None = None) -> None:
        self.app = app
        self.injector = injector
        self.recorder = recorder
        self.authenticated = authenticated
        if injector is not None:  # late writes are applied without the latency layer
            injector.late.app = direct or app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if (self.recorder is not None and method in {"POST", "PATCH"}
                and path.startswith(CREDENTIALS)):
            receive = self._teeing(receive, method, path)
        api = path == "/api" or path.startswith("/api/")
        if self.injector is not None and api and method in WRITE_METHODS:
            await self.injector.late.apply_before_write()  # late writes first, in order
        fault = None
        if (self.injector is not None and self.injector.config.rate > 0 and api
                and self.authenticated(scope)):
            fault = self.injector.draw(method in WRITE_METHODS,
                                       (method, path, scope.get("query_string", b"")))
        if fault is None:
            await self.app(scope, receive, send)
            return
        kind, phase = fault
        write = method in WRITE_METHODS
        try:
            await self._fault(kind, phase, write, scope, receive, send)
        except asyncio.CancelledError:
            # the server is shutting down under a delayed answer: leave without a traceback
            await _abort(send)

    async def _fault(self, kind: str, phase: str, write: bool, scope: Scope,
                     receive: Receive, send: Send) -> None:
        delay = self.injector.config.delay if self.injector else 0.0
        if phase == "late" and self.injector is not None:
            await self._late(kind, delay, scope, receive, send)
            return
        if phase == "before":
            await _drain(receive)
            if kind == "delay":
                if not await _client_waits(delay, receive):
                    return  # the client gave up (timed out): nothing more to send
                if not write:
                    await self.app(scope, _empty_receive(), send)
                    return
                kind = "503"  # a late write answer: nothing was applied
            await self._answer(kind, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if kind == "delay":
            if await _client_waits(delay, receive):
                for message in held:
                    await send(message)
            return
        await self._answer(kind, send)

    async def _late(self, kind: str, delay: float, scope: Scope, receive: Receive,
                    send: Send) -> None:
        """Hold the write (applied before the next write or by the timer); answer the fault.
        A delayed one answers, if the client still waits, what the write's application
        answered, or 503 if it was dropped by a reset."""
        assert self.injector is not None
        body = await _read_body(receive)
        write = None if body is None else self.injector.late.hold(scope, body, kind)
        if kind == "delay":
            if not await _client_waits(delay, receive):
                return
            if write is not None and write.answer:
                for message in write.answer:
                    await send(message)
                return
            kind = "503"
        await self._answer(kind, send)

    async def _answer(self, kind: str, send: Send) -> None:
        if kind == "drop" and await _abort(send):
            return
        retry_after = self.injector.config.retry_after if self.injector else 1
        status, body, headers = fault_answer("503" if kind == "drop" else kind, retry_after)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _teeing(self, receive: Receive, method: str, path: str) -> Receive:
        chunks: list[bytes] = []
        state = {"size": 0, "done": False}
        recorder = self.recorder
        assert recorder is not None

        async def tee() -> Message:
            message = await receive()
            if message["type"] == "http.request" and not state["done"]:
                chunk = message.get("body", b"")
                state["size"] += len(chunk)
                if state["size"] <= MAX_RECORDED_BODY:
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    state["done"] = True
                    if state["size"] <= MAX_RECORDED_BODY:
                        recorder.record_body(method, path, b"".join(chunks))
            return message

        return tee


async def _drain(receive: Receive) -> None:
    """Read the request body (bounded), so the recorder sees it and keep-alive stays sane."""
    size = 0
    for _ in range(100_000):
        message = await receive()
        if message["type"] != "http.request":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size > MAX_RECORDED_BODY:
            return


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None past MAX_RECORDED_BODY (the app would refuse it: 413)."""
    chunks, size = [], 0
    for _ in range(100_000):
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_RECORDED_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
    return None


async def _client_waits(delay: float, receive: Receive) -> bool:
    """Sleep ``delay`` seconds; False as soon as the client disconnects (gives up)."""

    async def disconnected() -> None:
        for _ in range(100_000):
            if (await receive())["type"] == "http.disconnect":
                return
        await asyncio.sleep(delay)

    waiter = asyncio.ensure_future(disconnected())
    try:
        done, _ = await asyncio.wait({waiter}, timeout=delay)
    finally:
        if not waiter.done():
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
    return not done


def _empty_receive() -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    return receive


async def _abort(send: Send) -> bool:
    """Reset the connection under this request; False if the server offers no transport.

    uvicorn's ``send`` is a bound method of its per-request cycle, which holds the asyncio
    transport. Aborting it (with SO_LINGER 0, so the peer sees a reset, not a clean close)
    makes uvicorn's ``connection_lost`` mark the cycle disconnected; returning without a
    response is then silent: no 500, no traceback.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None or not hasattr(cycle, "disconnected"):
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    for _ in range(100):
        if cycle.disconnected:
            break
        await asyncio.sleep(0)
    cycle.disconnected = True  # what connection_lost sets; uvicorn then stays quiet
    return True
