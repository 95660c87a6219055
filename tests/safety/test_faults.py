"""Transient faults do not produce false verdicts.

The embedded emulator answers a share of requests with 503 (Retry-After), 429, a dropped
connection or a delay past ``--request-timeout``, before or after a write is applied. The
suite must still find the conforming emulator conformant (retrying reads, deciding writes of
unknown outcome by a follow-up read, and saying so in run.retries / run.indeterminate), and
still catch a defect on its rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.safety.helpers import REPO, run_suite

pytestmark = pytest.mark.slow

FAULTS = ("--emulator-faults", "0.05", "--request-timeout", "2")


def run(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    report_dir = tmp_path / "reports"
    result = run_suite(tmp_path, str(REPO / "conformance"), "-q", "--report-dir", str(report_dir), *FAULTS, *args)
    document = json.loads((report_dir / "conformance.json").read_text())
    failures = [(f.get("rule"), f["test"], f["message"][:200]) for f in document["failures"]]
    errors = [(e["test"], e["message"][:200]) for e in document["errors"]]
    return result.returncode, document, f"failures {failures}\nerrors {errors}\n{result.stdout[-2500:]}"


@pytest.mark.slow
def test_the_conforming_emulator_stays_conformant_under_faults(tmp_path: Path) -> None:
    status, document, output = run(tmp_path)
    assert document["run"]["retries"] + document["run"]["indeterminate"] > 0, output
    assert document["failures"] == [] and document["errors"] == [], output
    assert document["verdict"] == "conformant" and document["complete"], output
    assert status == 0, output


@pytest.mark.parametrize(("defect", "rule", "strict"), [
    ("odd-hex-password", "CRED-CHAP-004", False),
    ("ignore-add-flag", "CRED-ADDR-008", False),
    ("delete-not-applied", "CRED-DEL-001", False),
    ("leak-password-in-get", "CRED-CHAP-008", False),
    ("no-location", "CRED-POST-002", True),
])
def test_a_defect_is_still_caught_under_faults(defect: str, rule: str, strict: bool,
                                               tmp_path: Path) -> None:
    options = ["--hypothesis-profile", "quick", "--emulator-defect", defect]
    status, document, output = run(tmp_path, *options, *(["--strict-observed"] if strict else []))
    broken = {r["id"] for r in document["rules"] if r["status"] == "failed"}
    broken |= {d["rule"] for d in document["observed_deviations"]}
    assert status != 0, output
    assert document["verdict"] == "nonconformant", output
    assert rule in broken, f"{defect}: reported {sorted(broken)}\n{output}"


def test_writes_a_live_cluster_applies_late_are_settled_without_blaming_the_target(tmp_path: Path) -> None:
    """A faulted write may be applied after the client's next read (the emulator holds it until
    the next write): the read shows it not applied, the suite sends it again, and the copy is
    refused as a duplicate (or a DELETE finds nothing). The suite settles it by a read and never
    blames the target for its own resend (a 409 5374142 is no CRED-POST-001 failure)."""
    from tests.safety.helpers import emulator, live_args

    args = ("--faults", "0.08", "--faults-seed", "3", "--fault-late-apply", "--fault-late-seconds", "2",
            "--fault-delay", "1", "--fault-retry-after", "0", "--fault-streak", "2")
    with emulator(tmp_path / "emulator", *args) as target:
        report_dir = tmp_path / "reports"
        result = run_suite(tmp_path, *live_args(target, report_dir), "-q", "--hypothesis-profile", "quick",
                           "--request-timeout", "0.5")
        health = target.session.get(target.url + "/_emulator/health", timeout=30).json()
    document = json.loads((report_dir / "conformance.json").read_text())
    late = health["faults"]["late"]
    assert sum(late["by_kind"].values()) > 0, late  # the scenario happened
    failures = [(f.get("rule"), f["message"][:200]) for f in document["failures"]]
    assert document["verdict"] != "nonconformant", (failures, result.stdout[-2000:])
    assert failures == [], failures
