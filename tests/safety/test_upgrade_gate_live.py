"""The upgrade gate on live targets, as docs/upgrade-validation.md runs it against a cluster.

Three emulators started apart and named with ``--target``: one playing ONTAP 9.10.1 (before,
recorded), one playing 9.16.1 (after, replaying the recording against the baseline), and one
playing 9.16.1 whose DELETE answers 200 and keeps the record. A clean upgrade passes the gate
(exit 0); the broken one never does: the run fails CRED-DEL-001 and ``conformance.upgrade.compare``
exits non-zero naming it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.safety.helpers import REPO, clean_env, emulator, live_args, run_suite

pytestmark = pytest.mark.slow


def _compare(before: Path, after: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance.compare", str(before / "conformance.json"),
                           str(after / "conformance.json")], cwd=REPO, env=clean_env(), capture_output=True,
                          text=True, timeout=120)


def test_a_clean_upgrade_passes_the_gate_and_a_delete_not_applied_fails_it(tmp_path: Path) -> None:
    before = tmp_path / "before"
    with emulator(tmp_path / "e-before") as target:
        result = run_suite(tmp_path, *live_args(target, before), "-q", "--record", str(before / "recording.json"))
    assert result.returncode == 0, result.stdout[-2000:]
    replay = ("-q", "--replay", str(before / "recording.json"), "--baseline", str(before / "conformance.json"))

    after = tmp_path / "after"
    with emulator(tmp_path / "e-after", "--ontap-version", "9.16.1") as target:
        result = run_suite(tmp_path, *live_args(target, after), *replay)
    assert result.returncode == 0, result.stdout[-2000:]
    compared = _compare(before, after)
    assert compared.returncode == 0, compared.stdout

    broken = tmp_path / "broken"
    with emulator(tmp_path / "e-broken", "--ontap-version", "9.16.1", "--defect", "delete-not-applied") as target:
        result = run_suite(tmp_path, *live_args(target, broken), *replay)
    report = json.loads((broken / "conformance.json").read_text())
    assert (result.returncode, report["verdict"]) == (1, "nonconformant"), result.stdout[-2000:]
    assert [r["id"] for r in report["rules"] if r["status"] == "failed"] == ["CRED-DEL-001"]
    compared = _compare(before, broken)
    assert compared.returncode != 0 and "CRED-DEL-001" in compared.stdout, compared.stdout
    gate = json.loads((broken / "upgrade.json").read_text())
    assert "CRED-DEL-001" in json.dumps(gate["regressions"])
