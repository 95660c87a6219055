"""A loopback proxy in front of a target whose faults never relent on chosen requests.

The emulator's own faults (``--faults``) strike at random; these strike one request shape
every time (503 forever, a dropped connection forever) or alternate with each repetition of
a request, so that a program replayed by Hypothesis meets other answers than the first time.
Everything else is forwarded unchanged.
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Stubborn:
    """Requests matching ``method`` and ``pattern`` (a regex searched in path?query and body)
    get ``action``: ``"503"`` (always), ``"drop"`` (always) or ``"alternate"`` (every other
    time: forwarded, then dropped)."""

    method: str
    pattern: str
    action: str


class _Handler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        text = f"{self.path} {body.decode('utf-8', 'replace')}"
        for rule in self.server.rules:
            if rule.method == self.command and re.search(rule.pattern, text):
                self.server.hits[rule] += 1
                if rule.action == "503":
                    return self._answer(503, b'{"error": {"message": "busy", "code": "7"}}',
                                        {"Retry-After": "0", "Content-Type": "application/json"})
                if rule.action == "drop" or (rule.action == "alternate" and self.server.hits[rule] % 2 == 0):
                    return self._drop()
        upstream = self.server.session.request(
            self.command, self.server.upstream + self.path, data=body or None, timeout=30,
            headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS})
        headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS}
        self._answer(upstream.status_code, upstream.content, headers)

    def _answer(self, status: int, content: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _drop(self) -> None:
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, rules: list[Stubborn]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream.rstrip("/")
        self.rules = rules
        self.hits: Counter[Stubborn] = Counter()
        self.session = requests.Session()
        self.session.trust_env = False


@contextmanager
def stubborn_proxy(upstream: str, rules: list[Stubborn]) -> Iterator[_ProxyServer]:
    """Serve the proxy on a free loopback port; yields the server (``url`` and ``hits``)."""
    server = _ProxyServer(upstream, rules)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
