"""Run the app on uvicorn: bind first (so --port 0 works), write the ready file, stop cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import tempfile
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from emulator import preload, releases
from emulator.app import Settings, build_app
from emulator.defects import Defects
from emulator.state import Backend, SvmSeed, default_seed
from emulator.tls import TlsFiles

#: Request line and headers together (h11's own default, set here so it is ours to document):
#: a longer head gets 400 in the ONTAP envelope before any of it is parsed.
MAX_HEAD = 16 * 1024


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def write_ready(path: str, info: dict[str, Any]) -> None:
    """Write atomically: a reader sees no file or the whole JSON, never a part."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ready-", dir=target.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle)
    os.replace(tmp, target)


class OntapH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, but a request h11 cannot parse gets the ONTAP envelope.

    uvicorn answers such requests itself (before any ASGI app runs) in plain text; the
    emulator promises the ONTAP error envelope on every non-2xx answer.
    """

    def send_400_response(self, msg: str) -> None:
        cycle = getattr(self, "cycle", None)
        if cycle is not None and not cycle.response_complete:
            # The request being served (e.g. a chunked body that turned to garbage) gets this
            # 400 instead of the app's answer: what the app still sends is dropped quietly,
            # as uvicorn does for a client that has gone.
            cycle.disconnected = True
            cycle.message_event.set()
        body = json.dumps({"error": {"message": "The HTTP request is malformed.",
                                     "code": "2"}}).encode()
        headers = [(b"content-type", b"application/hal+json"),
                   (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        try:
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                          h11.Data(data=body), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event) or b"")
        except h11.LocalProtocolError:
            pass  # an answer had already started on this connection: closing is all we can do
        self.transport.close()


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGTERM after shutdown; we want a clean exit 0 instead."""

    on_started: Any = None

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        def stop(signum: int, frame: Any) -> None:
            self.should_exit = True
        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_started is not None:
            self.on_started()


class EmulatorServer:
    """The emulator on a loopback port: ``start()`` in a thread (tests) or ``run()`` (CLI)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 seed: list[SvmSeed] | None = None, defects: Defects | None = None,
                 settings: Settings | None = None, tls: TlsFiles | None = None) -> None:
        self.settings = settings or Settings()
        if defects is not None:
            self.settings.defects = defects
        svms = seed if seed is not None else default_seed()
        preloaded = preload.generate(svms, self.settings.preload,
                                     preload.DEFAULT_SEED if self.settings.preload_seed is None
                                     else self.settings.preload_seed)
        self.backend = Backend(svms, self.settings.defects,
                               releases.parse(self.settings.ontap_version), preloaded)
        self.app = build_app(self.backend, self.settings)
        self.tls = tls
        self.sock = bind(host, port)
        self.host = host
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off",
            server_header=False, date_header=True, timeout_graceful_shutdown=1,
            http=OntapH11Protocol, h11_max_incomplete_event_size=MAX_HEAD,
            ssl_certfile=str(tls.cert_file) if tls else None,
            ssl_keyfile=str(tls.key_file) if tls else None)
        self.server = _Server(config)
        self.started = threading.Event()
        self.server.on_started = self.started.set
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def run(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM or :meth:`stop`."""
        self.server.run(sockets=[self.sock])

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self.run, name="ontap-emulator", daemon=True)
        self._thread.start()
        if not self.started.wait(15):
            raise RuntimeError("the emulator did not start within 15 s")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
