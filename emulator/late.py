"""Writes applied after their (faulted) answer: ``--fault-late-apply``.

A real cluster may apply a write whose answer the client never got *after* the client's
next read: the read shows the old state, and the change appears later. Under
``--fault-late-apply`` a third of the faulted writes are "late": the client gets the drawn
fault, the write is held here, and it is applied, in the order the writes arrived,

* before the next write request of any kind is processed (the fault layer flushes first), or
* by a timer ``--fault-late-seconds`` after it arrived,

whichever comes first. Reads in between see the old state. ``POST /_emulator/reset`` drops
the writes still held. Only the event loop's thread touches this object.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Scope

KINDS = ("503", "429", "drop", "delay")


@dataclass
class LateWrite:
    """One held write: its request, when it must be applied at the latest, and (once
    applied) the answer the application gave, which nobody asked for but a delayed fault."""

    scope: Scope
    body: bytes
    kind: str
    due: float
    answer: list[Message] = field(default_factory=list)
    applied: asyncio.Event = field(default_factory=asyncio.Event)


class LateWrites:
    """The held writes (first in, first applied) and the counters health reports."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.app: ASGIApp | None = None  # set by the fault layer: the app without latency
        self.queue: list[LateWrite] = []
        self._lock: asyncio.Lock | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.held = dict.fromkeys(KINDS, 0)
        self.applied_before_write = 0
        self.applied_by_timer = 0
        self.dropped_by_reset = 0

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:  # created in the event loop that uses it
            self._lock = asyncio.Lock()
        return self._lock

    def hold(self, scope: Scope, body: bytes, kind: str) -> LateWrite:
        """Keep a faulted write, to be applied later; start the timer if none runs."""
        write = LateWrite(dict(scope), body, kind, time.monotonic() + self.seconds)
        self.queue.append(write)
        self.held[kind] += 1
        if self._timer is None:
            self._arm()
        return write

    async def apply_before_write(self) -> None:
        """Apply every held write (a write request is about to be processed)."""
        if self.queue:
            async with self.lock:
                self.applied_before_write += await self._apply(lambda w: True)

    async def drop(self) -> None:
        """Forget the held writes (a reset); waits for one being applied to finish."""
        async with self.lock:
            self.dropped_by_reset += len(self.queue)
            for write in self.queue:
                write.applied.set()  # a delayed fault waiting on it answers 503
            self.queue.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def report(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "by_kind": dict(self.held),
                "applied_before_write": self.applied_before_write,
                "applied_by_timer": self.applied_by_timer,
                "dropped_by_reset": self.dropped_by_reset, "pending": len(self.queue)}

    def _arm(self) -> None:
        self._timer = None
        if self.queue:
            wait = max(self.queue[0].due - time.monotonic(), 0.0)
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        task = asyncio.ensure_future(self._apply_due())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply_due(self) -> None:
        async with self.lock:
            now = time.monotonic()
            self.applied_by_timer += await self._apply(lambda w: w.due <= now)
            self._arm()

    async def _apply(self, due: Any) -> int:
        """Apply held writes from the front while ``due(write)``; how many (under the lock)."""
        count = 0
        while self.queue and due(self.queue[0]):
            write = self.queue.pop(0)
            await self._run(write)
            count += 1
        if not self.queue and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return count

    async def _run(self, write: LateWrite) -> None:
        assert self.app is not None
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": write.body, "more_body": False}
            return {"type": "http.disconnect"}

        async def keep(message: Message) -> None:
            write.answer.append(message)

        try:
            with contextlib.suppress(Exception):  # the app logs its own failures
                await self.app(write.scope, receive, keep)
        finally:
            write.applied.set()
