"""Run the embedded emulator as a child process on a free loopback port.

A separate process keeps the suite a black-box HTTP client (no shared memory with
the implementation under test) and lets one run start it with named defects.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from conformance.wire.redaction import REDACTOR

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


class EmulatorFailed(Exception):
    """The emulator did not start, or died; the message carries its stderr tail."""


class EmulatorProcess:
    """Context manager around ``python -m emulator`` with a per-run admin password.

    Args:
        defects: Named defects to switch on (``--defect NAME`` each).
        variants: Named real-cluster variants to switch on (``--variant NAME`` each).
        tls: Serve HTTPS with a self-signed certificate (``--tls``); ``ca_file`` then
            names the CA bundle to verify it with.
        module: The module to run (tests point this at a fake emulator).
        faults: Share of requests the emulator answers with a transient fault (``--faults``).
        fault_delay: How late a delayed answer comes (``--fault-delay``).
        fault_retry_after: The ``Retry-After`` of a 503/429 fault (``--fault-retry-after``).
        fault_streak: Most faults in a row for one request (``--fault-streak``, 0: no bound).
        fault_late_apply: A third of faulted writes are applied late, after the next read
            (``--fault-late-apply``).
    """

    def __init__(self, defects: Sequence[str] = (), tls: bool = False, *,
                 module: str = "emulator", extra_env: dict[str, str] | None = None,
                 faults: float = 0.0, fault_delay: float = 35.0,
                 fault_retry_after: int = 1, fault_streak: int = 0,
                 fault_late_apply: bool = False,
                 ontap_version: str = "9.10.1", latency: float = 0.0,
                 variants: Sequence[str] = ()) -> None:
        self.defects = tuple(defects)
        self.variants = tuple(variants)
        self.ontap_version = ontap_version
        self.latency = latency
        self.faults = faults
        self.fault_delay = fault_delay
        self.fault_retry_after = fault_retry_after
        self.fault_streak = fault_streak
        self.fault_late_apply = fault_late_apply
        self.tls = tls
        self.module = module
        self.extra_env = dict(extra_env or {})
        self.username = "admin"
        self.password = secrets.token_urlsafe(18)
        REDACTOR.register_basic_auth(self.username, self.password)
        self.readonly_username = "readonly"  # its writes answer 403 (CRED-ACCESS-002)
        self.readonly_password = secrets.token_urlsafe(18)
        REDACTOR.register_basic_auth(self.readonly_username, self.readonly_password)
        self.url = ""
        self.ca_file: str | None = None
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the emulator and wait until its ready file appears.

        Raises:
            EmulatorFailed: it exited, or was not ready within 15 s.
        """
        self._dir = tempfile.TemporaryDirectory(prefix="ontap-emulator-")
        workdir = Path(self._dir.name)
        ready = workdir / "ready.json"
        command = [sys.executable, "-m", self.module, "--host", "127.0.0.1", "--port", "0",
                   "--ready-file", str(ready)]
        for defect in self.defects:
            command += ["--defect", defect]
        for variant in self.variants:
            command += ["--variant", variant]
        if self.latency:
            command += ["--latency", str(self.latency), "--latency-jitter", str(self.latency / 4)]
        if self.ontap_version != "9.10.1":
            command += ["--ontap-version", self.ontap_version]
        if self.tls:
            command += ["--tls", "--ca-file-dir", str(workdir)]
        if self.faults:
            command += ["--faults", str(self.faults), "--fault-delay", str(self.fault_delay),
                        "--fault-retry-after", str(self.fault_retry_after),
                        "--fault-streak", str(self.fault_streak)]
            if self.fault_late_apply:
                command.append("--fault-late-apply")
        env = {**os.environ, **self.extra_env,
               "ONTAP_USERNAME": self.username, "ONTAP_PASSWORD": self.password,
               "ONTAP_READONLY_USERNAME": self.readonly_username,
               "ONTAP_READONLY_PASSWORD": self.readonly_password}
        self._stderr = open(workdir / "stderr.log", "wb")  # noqa: SIM115 - lives with the child
        self._proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                      stdout=self._stderr, stderr=self._stderr,
                                      preexec_fn=_die_with_parent)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            info = _read_ready(ready)
            if info:
                self.url = str(info["url"]).rstrip("/")
                self.ca_file = info.get("ca_file") or None
                self.pid = info.get("pid") or self._proc.pid
                return
            if self._proc.poll() is not None:
                raise EmulatorFailed(self._failure(f"exited with status {self._proc.returncode}"))
            time.sleep(0.05)
        self.stop()
        raise EmulatorFailed(self._failure(f"was not ready within {READY_TIMEOUT:.0f} s"))

    def check_alive(self) -> None:
        """Raise :class:`EmulatorFailed` with the stderr tail if the emulator has died."""
        if self._proc is not None and self._proc.poll() is not None:
            raise EmulatorFailed(self._failure(f"died with status {self._proc.returncode}"))

    def stop(self) -> None:
        """Stop the emulator: SIGTERM, then SIGKILL after 5 s."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if getattr(self, "_stderr", None) and not self._stderr.closed:
            self._stderr.close()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def stderr_tail(self, lines: int = 15) -> str:
        """Return the last lines the emulator wrote to stdout/stderr (redacted)."""
        if self._dir is None:
            return ""
        path = Path(self._dir.name) / "stderr.log"
        try:
            self._stderr.flush()
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return REDACTOR.redact_text("\n".join(text.splitlines()[-lines:]))

    def _failure(self, what: str) -> str:
        tail = self.stderr_tail()
        switched = [f"{kind} {', '.join(names)}" for kind, names in
                    (("defects", self.defects), ("variants", self.variants)) if names]
        defects = f" with {' and '.join(switched)}" if switched else ""
        message = f"embedded emulator (python -m {self.module}{defects}) {what}"
        return message + (f"; its output ends:\n{tail}" if tail else "; it wrote nothing")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the suite dies, even by SIGKILL (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere an emulator can outlive a killed run; it serves loopback only


def _read_ready(path: Path) -> dict | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not there yet, or half-written
    return info if isinstance(info, dict) and info.get("url") else None
