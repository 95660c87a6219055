"""Helpers shared by the benchmarks: paths, machine label, tables, JSON output, emulator."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "reports" / "bench"
#: Committed figures (the hostile-mix, hostile-throughput and fault-run benchmarks write here).
RESULTS_DIR = ROOT / "bench" / "results"
USERNAME = "admin"
PASSWORD = "netapp1!"
CREDS = "/api/protocols/san/iscsi/credentials"


def machine() -> dict[str, Any]:
    """What the figures came from: CPU count, Python, platform and the UTC date."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
            "loadavg_1min": round(os.getloadavg()[0], 2), "commit": _commit()}


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "conformance", "models",
                                "emulator"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")


def machine_label(info: dict[str, Any]) -> str:
    """One line such as ``2 cores, Python 3.11.7, 2026-11-27``."""
    return (f"{info.get('cpus')} cores (load {info.get('loadavg_1min')}), Python "
            f"{info.get('python')}, {info.get('date')}, commit {info.get('commit')}")


def median(values: Sequence[float]) -> float | None:
    """The median, or ``None`` for no values."""
    return statistics.median(values) if values else None


def fmt_seconds(value: float | None) -> str:
    """``1.23`` or ``-`` for a missing value."""
    return "-" if value is None else f"{value:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with left-aligned columns (Markdown-compatible pipes)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def write_json(name: str, document: dict[str, Any], out_dir: Path | None = None) -> Path:
    """Write ``reports/bench/NAME`` (or ``out_dir/NAME``) and return its path."""
    folder = out_dir or OUT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def list_defects() -> list[dict[str, Any]]:
    """The emulator's named defects: ``[{"name", "rule", "description", "sequence"}]``."""
    out = subprocess.run([sys.executable, "-m", "emulator", "--list-defects", "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def emulator_env() -> dict[str, str]:
    """The environment for an emulator or suite subprocess: the bench's known credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_"))}
    env["ONTAP_USERNAME"], env["ONTAP_PASSWORD"] = USERNAME, PASSWORD
    return env


@contextlib.contextmanager
def emulator(defects: Sequence[str] = (), start_timeout: float = 30.0, args: Sequence[str] = (), *,
             env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``python -m emulator`` on a free loopback port (with ``args`` added); yield its
    base URL; stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-emu-") as tmp:
        ready = Path(tmp) / "ready.json"
        cmd = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0",
               "--ready-file", str(ready), *args]
        for name in defects:
            cmd += ["--defect", name]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or emulator_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + start_timeout
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not start (defects {list(defects)})")
                time.sleep(0.02)
            yield json.loads(ready.read_text())["url"]
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
