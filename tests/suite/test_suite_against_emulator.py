"""The suite has teeth: it passes the conforming emulator and fails every named defect.

Each case runs ``pytest conformance`` in a subprocess, exactly as a user would, and reads
the JSON report. Defects of observed rules need ``--strict-observed`` to fail the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.rules import BY_ID, ENDPOINT_ERROR_CODES, OBSERVED

ROOT = Path(__file__).resolve().parents[2]
DEFECTS: list[dict[str, str]] = json.loads(subprocess.run(
    [sys.executable, "-m", "emulator", "--list-defects", "--json"], cwd=ROOT, check=True,
    capture_output=True, text=True).stdout)


def run_suite(report_dir: Path, *options: str) -> tuple[int, dict[str, Any], str]:
    env = {**os.environ, "ONTAP_CONFORMANCE_SHRINK_SECONDS": "5"}
    env.pop("HYPOTHESIS_PROFILE", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
         "--hypothesis-profile", "ci", "--report-dir", str(report_dir), *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((report_dir / "conformance.json").read_text())
    return completed.returncode, report, completed.stdout[-3000:] + completed.stderr[-2000:]


@pytest.mark.slow
def test_suite_passes_the_conforming_emulator(tmp_path: Path) -> None:
    status, report, output = run_suite(tmp_path)
    assert status == 0, output
    assert report["verdict"] == "conformant"
    assert {r["status"] for r in report["rules"]} == {"passed"}, [
        (r["id"], r["status"]) for r in report["rules"] if r["status"] != "passed"]
    produced = {c["code"] for c in report["error_codes"] if c["produced"]}
    assert set(ENDPOINT_ERROR_CODES) | {"4"} <= produced
    assert report["observed_deviations"] == []
    for name in ("conformance.html", "junit.xml"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d["name"])
def test_suite_fails_on_the_rule_each_defect_breaks(defect: dict[str, str], tmp_path: Path) -> None:
    strict = ("--strict-observed",) if BY_ID[defect["rule"]].basis == OBSERVED else ()
    status, report, output = run_suite(tmp_path, "--emulator-defect", defect["name"], *strict)
    broken = {r["id"] for r in report["rules"] if r["status"] == "failed"}
    broken |= {d["rule"] for d in report["observed_deviations"]}
    assert status != 0, output
    assert report["verdict"] == "nonconformant"
    assert defect["rule"] in broken, f"{defect['name']}: reported {sorted(broken)}\n{output}"
