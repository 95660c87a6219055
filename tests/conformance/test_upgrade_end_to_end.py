"""Upgrade validation end to end on one machine, with the commands of docs/upgrade-validation.md.

Before: the embedded emulator playing ONTAP 9.10.1, recorded. After: the embedded emulator
playing 9.16.1, which replays the recording and compares its report with the one before.
The diff lists exactly the documented changes between the two releases and nothing the
documentation does not allow; the same upgrade with a defect switched on only in "after"
shows that defect as an undocumented regression on its rule. Each command's wall time is
printed (``-s``), never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.upgrade.compare import documented_changes

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_", "PYTEST_"))}
    started = time.monotonic()
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    print(f"{time.monotonic() - started:6.1f} s  {' '.join(args[:2])} ... {' '.join(a for a in args if a.startswith('--'))}")
    return result


def suite(report_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run("-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider", "--report-dir", str(report_dir), *options)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("upgrade") / "before"
    result = suite(reports, "--record", str(reports / "recording.json"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "recording: " in result.stdout and "noise calibrated" in result.stdout
    return reports


@pytest.mark.slow
def test_9_10_1_to_9_16_1_gives_only_the_documented_changes(before: Path) -> None:
    after = before.parent / "after"
    result = suite(after, "--emulator-ontap-version", "9.16.1", "--replay", str(before / "recording.json"),
                   "--baseline", str(before / "conformance.json"))
    output = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    report = load(after / "conformance.json")
    assert report["verdict"] == "conformant" and report["release"] == "9.16.1"
    assert report["baseline"]["undocumented_regressions"] == []

    compared = run("-m", "conformance.compare", str(before / "conformance.json"), str(after / "conformance.json"),
                   "--out", str(before.parent / "compare"))
    assert compared.returncode == 0, compared.stdout + compared.stderr
    diff = load(before.parent / "compare" / "upgrade.json")
    assert diff == load(after / "upgrade.json") | {"before": diff["before"], "after": diff["after"]}
    # Exactly the documented changes of the catalog ...
    expected = {c["rule"] for c in documented_changes((9, 10, 1), (9, 16, 1))}
    assert {c["rule"] for c in diff["documented_changes"]} == expected
    assert expected == {"CRED-CHAP-010", "CRED-PATCH-002", "CRED-PATCH-003", "CRED-DEL-002", "CRED-GET-003"}
    # ... and nothing else at the level of rules: every status change is one they imply.
    assert diff["regressions"] == [] and diff["new_failures"] == [] and diff["fixed"] == []
    assert diff["coverage_lost"] == [] and diff["cannot_validate"] == {"reasons": [], "rules": []}
    assert {g["rule"] for g in diff["coverage_gained"]} == {"CRED-CHAP-010", "CRED-PATCH-002", "CRED-GET-003"}
    assert all(g["explained_by"] for g in diff["coverage_gained"])
    rule_level = [o for o in diff["observed_changes"] if not o["kind"].startswith("replayed")]
    assert rule_level == [] and diff["undocumented"] == []
    assert all(w["after"].endswith("400 2621462") for w in diff["within_documentation"])
    # The replay of the 9.10.1 programs: every step the same, or changed as the documentation
    # of 9.16.1 allows. What the model allows in both releases alike (the HTTP status of 2621462,
    # 404 in 9.10.1 and 400 from 9.15.1, OB-68) is a behaviour change within the documentation.
    replay = load(after / "replay.json")
    assert replay["programs_replayed"] == replay["programs"] > 100
    steps = [s for r in replay["results"] for s in r["steps"]]
    assert {s["class"] for s in steps} <= {"same", "documented change", "behaviour change"}
    changed = [s for s in steps if s["class"] == "behaviour change"]
    assert all(s["allowed"] is True for s in changed), [s for s in changed if not s["allowed"]][:3]
    assert {s["answers"].split(" => ")[1] for s in changed} <= {"POST collection -> 400 2621462"}
    assert report["replay"]["counts"]["same"] > 0.9 * len(steps)


@pytest.mark.slow
def test_a_defect_only_after_the_upgrade_is_a_regression_on_its_rule(before: Path) -> None:
    after = before.parent / "after-defect"
    result = suite(after, "--emulator-ontap-version", "9.16.1", "--emulator-defect", "odd-hex-password",
                   "--replay", str(before / "recording.json"), "--baseline", str(before / "conformance.json"))
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert "baseline: ONTAP 9.10.1 -> 9.16.1: UNDOCUMENTED REGRESSION (CRED-CHAP-004)" in result.stdout
    compared = run("-m", "conformance.compare", str(before / "conformance.json"), str(after / "conformance.json"))
    assert compared.returncode == 1, compared.stdout + compared.stderr
    diff = load(after / "upgrade.json")
    assert [r["rule"] for r in diff["regressions"]] == ["CRED-CHAP-004"]
    assert [f["rule"] for f in diff["new_failures"]] == ["CRED-CHAP-004"]
    assert {c["rule"] for c in diff["documented_changes"]} == {
        c["rule"] for c in documented_changes((9, 10, 1), (9, 16, 1))}
    # The replay shows where: steps the recording saw refused with 5374145 are now accepted.
    replay = load(after / "replay.json")
    broken = [s for r in replay["results"] for s in r["steps"]
              if s["class"] == "behaviour change" and s.get("allowed") is False]
    assert broken and all("5374145 =>" in s["answers"] for s in broken)
    assert "CRED-CHAP-004" in (after / "upgrade.html").read_text()
