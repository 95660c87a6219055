"""Shared plumbing of the safety self-tests: an emulator we start ourselves, the suite run
as a user would run it (a subprocess), snapshots of the target, and the artefact scanner.

Every wait here is bounded (a deadline, then a failure or a kill); nothing asserts on time.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests

REPO = Path(__file__).resolve().parents[2]
CRED = "/api/protocols/san/iscsi/credentials"
#: The basic-auth password of the emulators these tests start: long and distinctive, so
#: any occurrence in an artefact is a leak, never a coincidence.
USERNAME = "admin"
PASSWORD = "Basic-Auth-Pw-7f3e!q"
SUITE_TIMEOUT = 400  # seconds; a hung suite is killed and the test fails


@dataclass
class Emulator:
    """A ``python -m emulator`` we started, with an admin session on it."""

    url: str
    process: subprocess.Popen[bytes]
    session: requests.Session = field(default_factory=requests.Session)

    def records(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every credential record, GET ?fields=* (all SVMs), keyed by (svm name, initiator)."""
        answer = self.session.get(self.url + CRED, params={"fields": "*", "max_records": 10000},
                                  timeout=30)
        answer.raise_for_status()
        body = answer.json()
        assert "next" not in (body.get("_links") or {}), "snapshot must fit one page"
        return {(r["svm"]["name"], r["initiator"]): _no_links(r) for r in body["records"]}

    def create(self, body: dict[str, Any]) -> None:
        answer = self.session.post(self.url + CRED, json=body, timeout=30)
        assert answer.status_code == 201, answer.text


def _no_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_links(v) for k, v in value.items() if k != "_links"}
    if isinstance(value, list):
        return [_no_links(v) for v in value]
    return value


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a child: ours without ONTAP_/PYTEST_/HYPOTHESIS_ settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ONTAP_", "PYTEST_", "HYPOTHESIS_"))}
    env.update(PYTHONPATH=str(REPO), ONTAP_USERNAME=USERNAME, ONTAP_PASSWORD=PASSWORD, **extra)
    return env


@contextmanager
def emulator(workdir: Path, *args: str) -> Iterator[Emulator]:
    """Start ``python -m emulator --port 0`` on loopback with ``args``; stop it by its PID."""
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "emulator-ready.json"
    log = open(workdir / "emulator.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0",
         "--ready-file", str(ready), *args],
        cwd=REPO, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # up to ~30 s
            if ready.exists() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists(), (workdir / "emulator.log").read_text(errors="replace")
        running = Emulator(json.loads(ready.read_text())["url"], process)
        running.session.auth = (USERNAME, PASSWORD)
        yield running
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[Any], *, grace: float = 10) -> None:
    """Terminate one process we started (SIGTERM, then SIGKILL), by its PID only."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


def suite_command(*args: str) -> list[str]:
    """``python -m pytest`` on the suite, without the cache plugin (it writes under cwd)."""
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]


def run_suite(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the suite like a user would; ``cwd`` is ours so stray files can be scanned."""
    return subprocess.run(suite_command(*args), cwd=cwd, env=clean_env(**env),
                          capture_output=True, text=True, timeout=SUITE_TIMEOUT)


def live_args(target: Emulator, report_dir: Path) -> list[str]:
    return [str(REPO / "conformance"), "--target", target.url, "--svm", "svm1", "--svm", "svm2",
            "--report-dir", str(report_dir)]


# -- the artefact scanner ------------------------------------------------------------------
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_JSONBLOB = re.compile(r'data-jsonblob="([^"]*)"')
_PASSWORD_KEY = re.compile(
    r"""\b\w*password\w*["']?\s*[:=]\s*(?:"((?:\\.|[^"\\])*)"|'([^']*)'|([^\s,&)}\]"'<]+))""",
    re.IGNORECASE)


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _strings(item)
    elif isinstance(obj, str):
        yield obj


def _decoded(text: str) -> Iterator[str]:
    """Text hidden inside ``text``: base64 (optionally zlib, as in Hypothesis blobs),
    percent-encoding, and the strings of embedded JSON."""
    for match in _BASE64.finditer(text):
        chunk = match.group(0)
        for alphabet in (None, b"-_"):
            try:
                raw = base64.b64decode(chunk + "=" * (-len(chunk) % 4), altchars=alphabet)
            except (binascii.Error, ValueError):
                continue
            yield raw.decode("utf-8", errors="replace")
            with suppress(zlib.error):
                yield zlib.decompress(raw).decode("utf-8", errors="replace")
    if "%" in text:
        yield unquote(text)
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            yield "\n".join(_strings(json.loads(stripped)))
        except ValueError:
            pass
        else:
            return


def artefact_texts(name: str, data: bytes) -> list[str]:
    """Every reading of one artefact the scan looks at."""
    text = data.decode("utf-8", errors="replace")
    texts = [text, data.decode("latin-1"), html.unescape(text)]
    for blob in _JSONBLOB.findall(text):
        blob = html.unescape(blob)
        texts.append(blob)
        with suppress(ValueError):
            texts.append("\n".join(_strings(json.loads(blob))))
    for line in text.splitlines():  # JSON lines (journal, recorded logs)
        if line.startswith("{"):
            with suppress(ValueError):
                texts.append("\n".join(_strings(json.loads(line))))
    more: list[str] = []
    for item in texts:
        more.extend(_decoded(item))
    return texts + more


def collect_artefacts(*roots: Path, extra: dict[str, str] | None = None) -> dict[str, list[str]]:
    """name -> readings, for every file under ``roots`` and every extra text."""
    found: dict[str, list[str]] = {}
    for root in roots:
        if not root.exists():
            continue
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            found[str(path)] = artefact_texts(path.name, path.read_bytes())
    for name, text in (extra or {}).items():
        found[name] = artefact_texts(name, text.encode("utf-8", errors="surrogatepass"))
    return found


def leaks(artefacts: dict[str, list[str]], free_text: list[str],
          keyed_only: list[str]) -> list[str]:
    """One line per secret found: ``free_text`` secrets anywhere (case-insensitively),
    ``keyed_only`` secrets wherever they stand as the value of a password key."""
    problems = []
    for name, texts in artefacts.items():
        for text in texts:
            lowered = text.lower()
            for secret in free_text:
                at = lowered.find(secret.lower())
                if at >= 0:
                    problems.append(f"{name}: {_short(secret)} at {at}: "
                                    f"{_short(text[max(0, at - 80):at + len(secret) + 40], 200)}")
            if keyed_only:
                for match in _PASSWORD_KEY.finditer(text):
                    value = next(g for g in match.groups() if g is not None)
                    if value in keyed_only:
                        problems.append(f"{name}: {_short(value)} as a password value: "
                                        f"{_short(text[max(0, match.start() - 60):match.end() + 20], 200)}")
    return sorted(set(problems))


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)")
