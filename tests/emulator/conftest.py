"""A real emulator subprocess for the whole session, reset before each test that uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
AUTH = ("admin", "netapp1!")
READONLY = ("readonly", "readonly1!")
CREDS = "/api/protocols/san/iscsi/credentials"


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ONTAP_USERNAME", "ONTAP_PASSWORD", "ONTAP_READONLY"))}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def start_emulator(tmp: Path, *args: str, env: dict[str, str] | None = None
                   ) -> tuple[subprocess.Popen[str], dict[str, object]]:
    ready = tmp / f"ready-{time.monotonic_ns()}.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--ready-file", str(ready), *args],
        cwd=ROOT, env=env or clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 20
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            raise RuntimeError(f"emulator did not start: {out}\n{err}")
        time.sleep(0.02)
    return proc, json.loads(ready.read_text())


def stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.terminate()
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err


class Api:
    """A tiny client: base URL + admin auth; every method returns the requests Response."""

    def __init__(self, base: str, auth: tuple[str, str] = AUTH) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.auth = auth
        self.session.trust_env = False

    def __getattr__(self, method: str):  # get, post, patch, delete, put, request
        def call(path: str, **kwargs):
            return self.session.request(method.upper(), self.base + path, timeout=10, **kwargs)
        return call

    def svm_uuid(self, name: str) -> str:
        records = self.get("/api/svm/svms", params={"name": name}).json()["records"]
        return records[0]["uuid"]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    proc, info = start_emulator(tmp_path_factory.mktemp("emu"))
    yield info
    stop(proc)


@pytest.fixture
def api(emulator: dict[str, object]) -> Api:
    client = Api(str(emulator["url"]))
    assert client.post("/_emulator/reset").status_code == 200
    return client


@pytest.fixture
def svm1(api: Api) -> str:
    return api.svm_uuid("svm1")


@pytest.fixture
def svm2(api: Api) -> str:
    return api.svm_uuid("svm2")


@pytest.fixture
def svm3(api: Api) -> str:
    return api.svm_uuid("svm3")
