"""Schemathesis as the peer: derive a loadable copy of NetApp's swagger, run the CLI, read it.

NetApp's OpenAPI text is read from the path the user gives (``--peer-spec``) and copied,
renamed, into a temporary directory only (never into the project). The rename is the one
described in ``shared/peers/README.md`` section 4.2: the dotted path parameter
``{svm.uuid}`` becomes ``{svm_uuid}`` (path template and its ``in: path`` declaration);
the query filter ``svm.uuid`` keeps its name because it goes on the wire.

How "killed" is judged (printed with the results): Schemathesis exits 1 even against a
correct server (prose-only rules make its ``positive_data_acceptance`` check fail, and
it has intermittent false positives). So it is first run once against the clean emulator;
every (check, operation) pair that fails there is its baseline noise. A defect counts as
killed when the run exits 1 **and** reports a failure of a (check, operation) pair outside
that baseline. Time to kill is the time of the first such failure in its NDJSON event
stream, relative to the run's start event.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import PASSWORD, USERNAME, emulator

DOTTED = "{svm.uuid}"
RENAMED = "{svm_uuid}"


def rename_dotted_path_params(document: dict[str, Any]) -> dict[str, Any]:
    """Return the swagger document with the path parameter ``svm.uuid`` renamed ``svm_uuid``."""
    paths: dict[str, Any] = {}
    for path, item in (document.get("paths") or {}).items():
        if DOTTED in path:
            for op in item.values() if isinstance(item, dict) else ():
                if not isinstance(op, dict):
                    continue
                for param in op.get("parameters") or []:
                    if (isinstance(param, dict) and param.get("in") == "path"
                            and param.get("name") == "svm.uuid"):
                        param["name"] = "svm_uuid"
            if isinstance(item, dict):
                for param in item.get("parameters") or []:
                    if (isinstance(param, dict) and param.get("in") == "path"
                            and param.get("name") == "svm.uuid"):
                        param["name"] = "svm_uuid"
            path = path.replace(DOTTED, RENAMED)
        paths[path] = item
    return {**document, "paths": paths}


def derive_spec(source: Path, folder: Path) -> Path:
    """Read NetApp's spec from ``source`` and write the renamed copy into ``folder``."""
    import yaml

    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    target = folder / "renamed.yaml"
    target.write_text(yaml.safe_dump(rename_dotted_path_params(document), sort_keys=False,
                                     width=1000), encoding="utf-8")
    return target


@dataclass
class PeerRun:
    """One Schemathesis run against one emulator configuration."""

    defect: str | None
    exit_code: int | None
    seconds: float
    failures: list[tuple[str, str]] = field(default_factory=list)  # ("CODE check", operation)
    first_failure_at: dict[tuple[str, str], float] = field(default_factory=dict)
    error: str = ""

    def new_failures(self, baseline: set[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (check, operation) pairs it failed that the clean run did not."""
        return sorted(set(self.failures) - baseline)

    def killed(self, baseline: set[tuple[str, str]]) -> bool:
        """Exit code 1 and at least one failure outside the baseline."""
        return self.exit_code == 1 and bool(self.new_failures(baseline))

    def time_to_kill(self, baseline: set[tuple[str, str]]) -> float | None:
        """Seconds from the run's start to its first failure outside the baseline, if known."""
        times = [self.first_failure_at[k] for k in self.new_failures(baseline)
                 if k in self.first_failure_at]
        return min(times) if times else None


def schemathesis_command(spec: Path, url: str, budget: float, seed: int, report_dir: Path
                         ) -> list[str]:
    """The CLI call: all checks, all phases, basic auth, the same time budget as the suite."""
    exe = shutil.which("schemathesis") or shutil.which("st")
    base = [exe] if exe else [sys.executable, "-m", "schemathesis.cli"]
    return [*base, "run", str(spec), "--url", f"{url}/api", "--auth", f"{USERNAME}:{PASSWORD}",
            "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
            "--continue-on-failure", "--max-time", str(int(max(1, budget))),
            "--seed", str(seed), "--report", "ndjson,json", "--report-dir", str(report_dir),
            "--no-color", "--output-sanitize", "false"]


def parse_ndjson(lines: list[str]) -> tuple[list[tuple[str, str]], dict[tuple[str, str], float]]:
    """(check, operation) failures and the seconds after the run's start each first appeared.

    The event stream is searched for objects with a ``failures``-like shape rather than a
    fixed schema, so small changes between Schemathesis versions do not break the parser.
    """
    start: float | None = None
    found: list[tuple[str, str]] = []
    first: dict[tuple[str, str], float] = {}
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        stamp = _timestamp(event)
        if start is None and stamp is not None:
            start = stamp
        for check, operation in _failed_checks(event):
            key = (check, operation)
            if key not in first:
                found.append(key)
                if stamp is not None and start is not None:
                    first[key] = round(stamp - start, 3)
    return found, first


def _timestamp(event: Any) -> float | None:
    if isinstance(event, dict):
        for value in event.values():
            if isinstance(value, dict) and isinstance(value.get("timestamp"), int | float):
                return float(value["timestamp"])
    return None


def _failed_checks(node: Any) -> list[tuple[str, str]]:
    """Every failed check under ``node`` as ("CODE check_name", operation)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        info = node.get("failure_info")
        if isinstance(info, dict) and isinstance(node.get("name"), str):
            failure = info.get("failure") if isinstance(info.get("failure"), dict) else info
            code = str(failure.get("code") or "?")
            found.append((f"{code} {node['name']}", str(failure.get("operation") or "?")))
        for value in node.values():
            found += _failed_checks(value)
    elif isinstance(node, list):
        for item in node:
            found += _failed_checks(item)
    return found


def run_peer(spec: Path, defect: str | None, budget: float, seed: int = 1) -> PeerRun:
    """Start the emulator with ``defect`` (or clean), run Schemathesis on it, read its events."""
    with tempfile.TemporaryDirectory(prefix="bench-st-") as tmp:
        report_dir = Path(tmp) / "report"
        started = time.perf_counter()
        try:
            with emulator([defect] if defect else []) as url:
                # cwd=tmp: Schemathesis leaves a .schemathesis/ cache where it runs.
                proc = subprocess.run(schemathesis_command(spec, url, budget, seed, report_dir),
                                      capture_output=True, text=True, cwd=tmp,
                                      timeout=budget * 3 + 120)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return PeerRun(defect, None, time.perf_counter() - started, error=str(exc)[:200])
        seconds = time.perf_counter() - started
        lines: list[str] = []
        for path in report_dir.glob("*.ndjson"):
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
        failures, first = parse_ndjson(lines)
        error = "" if proc.returncode in (0, 1) else (proc.stderr or proc.stdout)[-300:]
        return PeerRun(defect, proc.returncode, round(seconds, 2), failures, first, error)


VERDICT_NOTE = (
    "schemathesis verdict: 'new pair' = exit code 1 AND a failing (check, operation) pair that "
    "its run against the clean emulator (same seed and budget) did not report; 'new code' = "
    "exit code 1 AND a failing check whose code is not ST201/ST202/ST204, which it also "
    "raises on a correct server (intermittently, or labelled with another operation). Time = "
    "first such failure in its NDJSON events after the run's start. Only 'new code' is a "
    "trustworthy kill; 'new pair' counts its own noise."
)
