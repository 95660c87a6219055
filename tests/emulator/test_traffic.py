"""GET /_emulator/health counts /api requests, their bytes and the answers' body bytes."""

from __future__ import annotations

import base64
import http.client
import json
import socket
from urllib.parse import urlsplit

from emulator import EmulatorServer
from tests.emulator.conftest import AUTH, CREDS

TOKEN = base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode()).decode()


def exchange(base: str, raw: bytes) -> tuple[int, bytes]:
    """Send exactly ``raw`` on a fresh connection; the answer's status and body."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return resp.status, resp.read()


def request(method: str, target: str, body: bytes = b"", auth: bool = True) -> bytes:
    head = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if auth:
        head.append(f"Authorization: Basic {TOKEN}")
    if body:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def traffic(base: str) -> dict[str, int]:
    status, body = exchange(base, request("GET", "/_emulator/health"))
    assert status == 200
    return json.loads(body)["traffic"]


def test_requests_and_bytes_are_counted_and_control_endpoints_are_not():
    with EmulatorServer() as server:
        base = server.base_url
        start = traffic(base)
        assert start == {"api_requests": 0, "api_requests_answered": 0, "request_bytes": 0,
                         "request_body_bytes": 0, "response_body_bytes": 0}
        post = json.dumps({"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.com.x:t",
                           "authentication_type": "none"}).encode()
        sent = [request("GET", "/api/cluster?fields=name"), request("POST", CREDS, post),
                request("GET", CREDS, auth=False)]
        answers = [exchange(base, raw) for raw in sent]
        assert [status for status, _ in answers] == [200, 201, 401]
        assert exchange(base, request("POST", "/_emulator/reset"))[0] == 200
        after = traffic(base)  # health and reset are outside /api: not counted
        assert after == {"api_requests": 3, "api_requests_answered": 3,
                         "request_bytes": sum(len(raw) for raw in sent),
                         "request_body_bytes": len(post),
                         "response_body_bytes": sum(len(body) for _, body in answers)}
        assert exchange(base, request("GET", "/api/cluster"))[0] == 200
        assert traffic(base)["api_requests"] == 4  # not set back by the reset
