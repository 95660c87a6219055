"""Faults that never relent never become verdicts.

A proxy in front of the (correct) emulator answers one read with 503 forever, drops the
connection on one request shape forever, or answers every other create with a dropped
connection (so a replayed program meets other answers). None may make the run
nonconformant: what never got an answer stays unjudged and the run is at worst
inconclusive, saying why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.safety.helpers import REPO, emulator, run_suite
from tests.safety.stubborn_proxy import Stubborn, stubborn_proxy

pytestmark = pytest.mark.slow

CASES = {
    "503-forever-on-one-read": [Stubborn("GET", r"/credentials/[^/?]+/default\?", "503")],
    "drop-forever-on-one-shape": [Stubborn("POST", r'"initiator": "iqn\.[0-9]{4}-8\.', "drop")],
    "answers-differ-on-replay": [Stubborn("POST", r"/iscsi/credentials", "alternate")],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_fault_that_never_relents_is_never_a_verdict(case: str, tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    with emulator(tmp_path / "emulator") as target, stubborn_proxy(target.url, CASES[case]) as proxy:
        result = run_suite(tmp_path, str(REPO / "conformance"), "-q", "--target", proxy.url, "--svm", "svm1", "--svm", "svm2",
                           # A replay needs shrinking (ci); the other cases only need programs (quick).
                           "--hypothesis-profile", "ci" if case == "answers-differ-on-replay" else "quick",
                           "--request-timeout", "5", "--report-dir", str(report_dir))
    document = json.loads((report_dir / "conformance.json").read_text())
    context = f"{document['verdict']}: {document['verdict_reason']}\n{result.stdout[-3000:]}"
    assert sum(proxy.hits.values()) > 0, "the stubborn fault never struck"
    assert document["verdict"] in ("conformant", "inconclusive"), context
    assert [r["id"] for r in document["rules"] if r["status"] == "failed"] == [], context
    assert result.returncode in (0, 6), context
    if case != "answers-differ-on-replay":
        # What never got an answer is named as unjudged, never as a rule failure.
        assert document["verdict"] == "inconclusive", context
        assert document["errors"] and document["failures"] == [], context
