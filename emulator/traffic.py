"""What the clients cost this emulator since it started: requests and bytes under ``/api``.

``GET /_emulator/health`` reports them under ``traffic``, so a benchmark can say what a run
cost the cluster (the difference of two health reads; health and reset are outside ``/api``
and count nothing). They are not set back by ``POST /_emulator/reset``.

This is the outermost ASGI layer: it sees every request as received and every answer as
sent, the fault layer's included (a dropped connection sends nothing).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class Traffic:
    """Counters since start (only the event loop's thread changes them)."""

    def __init__(self) -> None:
        self.requests = 0
        self.answered = 0
        self.request_bytes = 0
        self.request_body_bytes = 0
        self.response_body_bytes = 0

    def report(self) -> dict[str, Any]:
        return {"api_requests": self.requests, "api_requests_answered": self.answered,
                "request_bytes": self.request_bytes,
                "request_body_bytes": self.request_body_bytes,
                "response_body_bytes": self.response_body_bytes}


def head_size(scope: Scope) -> int:
    """The bytes of the request line and headers, as an HTTP/1.1 client writes them."""
    target = len(scope.get("raw_path") or scope["path"].encode())
    query = scope.get("query_string", b"")
    line = len(scope["method"]) + 1 + target + (1 + len(query) if query else 0) + len(
        " HTTP/1.1\r\n")
    return line + sum(len(k) + 2 + len(v) + 2 for k, v in scope.get("headers", [])) + 2


class CountingSend:
    """The server's ``send``, counting the answer and its body bytes. ``__self__`` is the
    server's own request cycle, which the fault layer reaches through ``send`` to drop a
    connection (faults._abort)."""

    def __init__(self, send: Send, traffic: Traffic) -> None:
        self._send = send
        self._traffic = traffic

    @property
    def __self__(self) -> Any:
        return getattr(self._send, "__self__", None)

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._traffic.answered += 1
        elif message["type"] == "http.response.body":
            self._traffic.response_body_bytes += len(message.get("body", b""))
        await self._send(message)


class TrafficLayer:
    """Counts each request under ``/api`` (its head and body) and its answer."""

    def __init__(self, app: ASGIApp, traffic: Traffic) -> None:
        self.app = app
        self.traffic = traffic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        traffic = self.traffic
        traffic.requests += 1
        traffic.request_bytes += head_size(scope)

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                size = len(message.get("body", b""))
                traffic.request_body_bytes += size
                traffic.request_bytes += size
            return message

        await self.app(scope, counting_receive, CountingSend(send, traffic))
