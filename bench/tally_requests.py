"""pytest plugin (``-p bench.tally_requests``): count the suite's HTTP calls by kind.

When ``BENCH_TALLY_FILE`` is set, every ``requests.Session.request`` made during the
*call* phase of a test is counted as ``post`` / ``patch`` / ``delete`` / ``get`` (one
record) / ``collection`` (GET of the collection) / ``other`` (control endpoints, probes),
and the call phases are timed with ``perf_counter``. At session end the counts and
seconds go to that file as JSON. Under pytest-xdist each worker writes its own file, the
name suffixed with its id (``tally-gw0.json``); the controller, which runs no test, writes
none. The cost is one dict increment per request.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

CREDS = "/api/protocols/san/iscsi/credentials"
_FILE = os.environ.get("BENCH_TALLY_FILE")
_TALLY: dict[str, int] = {}
_STATE = {"in_call": False, "seconds": 0.0}


def kind_of(method: str, url: str) -> str:
    """The bucket of one request: post, patch, delete, get, collection or other."""
    path = urlsplit(url).path.rstrip("/")
    method = method.upper()
    if not path.startswith(CREDS):
        return "other"
    if path == CREDS:
        return {"GET": "collection", "POST": "post"}.get(method, "other")
    return {"GET": "get", "PATCH": "patch", "DELETE": "delete"}.get(method, "other")


if _FILE:
    _original = requests.Session.request

    def _counting(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        if _STATE["in_call"]:
            kind = kind_of(str(method), str(url))
            _TALLY[kind] = _TALLY.get(kind, 0) + 1
        return _original(self, method, url, *args, **kwargs)

    requests.Session.request = _counting  # type: ignore[method-assign]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(item):  # type: ignore[no-untyped-def]
        _STATE["in_call"] = True
        began = time.perf_counter()
        try:
            yield
        finally:
            _STATE["seconds"] += time.perf_counter() - began
            _STATE["in_call"] = False

    def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
        path = tally_path(_FILE, os.environ.get("PYTEST_XDIST_WORKER"), controller=_is_controller(session.config))
        if path is not None:
            path.write_text(json.dumps({"counts": _TALLY, "call_seconds": _STATE["seconds"]}))


def _is_controller(config: pytest.Config) -> bool:
    """Whether this process is an xdist controller (it hands out tests and runs none)."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def tally_path(name: str, worker: str | None, *, controller: bool = False) -> Path | None:
    """Where a process writes its tally: ``name`` alone; ``<stem>-<worker><suffix>`` on an
    xdist worker; nowhere on an xdist controller."""
    if controller:
        return None
    path = Path(name)
    return path.with_name(f"{path.stem}-{worker}{path.suffix}") if worker else path
