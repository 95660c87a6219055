"""Real clusters are shared: other clients, other SVMs and their changes never fail a run.

The emulator plays a live cluster (three SVMs with the iSCSI service, one without) while a
churner plays another client: it holds records from before the run, changes and deletes
some of them mid-run, and creates, patches and deletes its own initiators in a named SVM
and in an SVM the run was not told about. The suite must find the clean emulator
conformant and complete, report the other client's activity, and still catch a defect on
its own rule. A run never touches a foreign record.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.safety.churn import Churn
from tests.safety.helpers import PASSWORD, REPO, USERNAME, emulator, run_suite

pytestmark = pytest.mark.slow

SEED = Path(__file__).with_name("seed-three-iscsi.json")
SUITE_NAMESPACE = "iqn.2000-01.org.conformance."


def live_run(tmp_path: Path, url: str, *svms: str, options: tuple[str, ...] = (),
             profile: str = "ci") -> tuple[int, dict[str, Any], str]:
    report_dir = tmp_path / "reports"
    named = [arg for svm in svms for arg in ("--svm", svm)]
    result = run_suite(tmp_path, str(REPO / "conformance"), "-q", "--target", url, *named, "--report-dir", str(report_dir),
                       "--hypothesis-profile", profile, *options)
    document = json.loads((report_dir / "conformance.json").read_text())
    errors = [(e["test"], e["message"][:300]) for e in document["errors"]]
    context = (f"verdict {document['verdict']}: {document['verdict_reason']}\nerrors {errors}\n"
               f"{result.stdout[-3000:]}")
    return result.returncode, document, context


def foreign_untouched(before: dict, after: dict, churn: Churn) -> list[str]:
    """Records that are not the churner's, not the run's, and changed: none may exist."""
    theirs = {initiator for _, initiator in churn.created_keys()}
    return [f"{key}" for key in set(before) | set(after)
            if key[1] not in theirs and before.get(key) != after.get(key)]


def start_when_the_run_writes(churn: Churn, target: Any, attempts: int = 1200) -> None:
    """Start the churn thread once a record of the suite's namespace exists (bounded wait;
    started anyway at the end, so the churn's counts are still checked)."""
    for _ in range(attempts):
        if any(initiator.startswith(SUITE_NAMESPACE) for _, initiator in target.records()):
            break
        time.sleep(0.05)
    churn.start()


@pytest.mark.parametrize("defect", [None, "odd-hex-password", "patch-not-applied"])
def test_other_clients_writing_during_the_run_are_observed_not_blamed(tmp_path: Path, defect: str | None) -> None:
    args = ("--seed", str(SEED), *(("--defect", defect) if defect else ()))
    with emulator(tmp_path / "emulator", *args) as target:
        before = target.records()
        with Churn(target.url, ["svm1", "svm4"], USERNAME, PASSWORD, seed=7, rate=20, max_alive=6,
                   hold=4, hold_patch=2, hold_delete=1, autostart=False) as churn:
            # The other client starts once the run has taken its snapshot (its first write is
            # later), so its changes to the held records happen during the run, not before.
            starter = threading.Thread(target=start_when_the_run_writes, args=(churn, target), daemon=True)
            starter.start()
            # With a defect, only *that* the run fails on the rule matters: no shrinking (quick).
            status, document, context = live_run(tmp_path, target.url, "svm1", "svm2",
                                                 profile="ci" if defect is None else "quick")
            starter.join(timeout=5)
        after = target.records()
    counts = churn.counts()
    assert counts["created"] > 0 and counts["patched"] > 0 and counts["deleted"] > 0, counts
    assert foreign_untouched(before, after, churn) == [], context
    if defect is None:
        assert (status, document["verdict"], document["complete"]) == (0, "conformant", True), context
        foreign = document["foreign"]
        assert foreign["records_seen_on_named_svms"] > 0, foreign
        assert foreign["records_seen_on_other_svms"] > 0 and foreign["other_svms"] >= 1, foreign
        assert sum(foreign["changes"].values()) > 0, foreign
        assert document["safety"] == [], document["safety"]
        return
    rule = {"odd-hex-password": "CRED-CHAP-004", "patch-not-applied": "CRED-PATCH-001"}[defect]
    failed = sorted(r["id"] for r in document["rules"] if r["status"] == "failed")
    assert (status, document["verdict"]) == (1, "nonconformant"), context
    assert failed == [rule], context


def test_one_named_svm_of_two_is_conformant(tmp_path: Path) -> None:
    with emulator(tmp_path / "emulator") as target:
        before = target.records()
        status, document, context = live_run(tmp_path, target.url, "svm1")
        after = target.records()
    assert (status, document["verdict"], document["complete"]) == (0, "conformant", True), context
    not_applicable = {r["id"] for r in document["rules"] if r["status"] == "not_applicable"}
    assert {"CRED-SVM-002", "CRED-SVM-005"} <= not_applicable
    assert document["foreign"]["records_seen_on_other_svms"] >= 1  # svm2's default
    assert after == before, context
