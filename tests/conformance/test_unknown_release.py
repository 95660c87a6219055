"""A target whose release cannot be read stops the run with one line, unless --ontap-version
names the release to judge against (docs/options.md; OB-73)."""

from __future__ import annotations

import pytest

from conformance.judging.ledger import Ledger
from conformance.targets.target import TargetError, open_target
from tests.conformance.conftest import PASSWORD, USERNAME
from tests.conformance.test_journal_sweep import live_config
from tests.conformance.test_plugin_reports import run_pytest

UNREADABLE = [None, {}, {"full": "NetApp Release (development build)"}, {"generation": 9, "major": "x"}]


@pytest.mark.parametrize("version", UNREADABLE, ids=["no-version", "empty", "no-numbers", "garbled"])
def test_an_unknown_release_is_one_line_naming_the_option(fake_ontap, tmp_path, version):
    fake_ontap.cluster_version = version
    with pytest.raises(TargetError) as info:
        open_target(live_config(fake_ontap, tmp_path), Ledger())
    message = str(info.value)
    assert "\n" not in message
    assert "cannot tell the ONTAP release" in message and "--ontap-version" in message


@pytest.mark.parametrize("version", UNREADABLE, ids=["no-version", "empty", "no-numbers", "garbled"])
def test_ontap_version_judges_a_target_whose_release_is_unknown(fake_ontap, tmp_path, version):
    fake_ontap.cluster_version = version
    ledger = Ledger()
    target = open_target(live_config(fake_ontap, tmp_path, ontap_version="9.12.1"), ledger)
    try:
        assert target.release == (9, 12, 1)
        assert ledger.release == (9, 12, 1)
    finally:
        target.close()


def test_the_release_comes_from_the_three_numbers_first(fake_ontap, tmp_path):
    fake_ontap.cluster_version = {"full": "NetApp Release 9.10.1 (fake)", "generation": 9, "major": 15, "minor": 1}
    target = open_target(live_config(fake_ontap, tmp_path), Ledger())
    try:
        assert target.release == (9, 15, 1)
    finally:
        target.close()


def test_a_run_against_a_target_of_unknown_release_stops_with_one_line(fake_ontap, tmp_path):
    fake_ontap.cluster_version = None
    (tmp_path / "conformance").mkdir()
    (tmp_path / "conformance" / "test_one.py").write_text("def test_one(target):\n    pass\n")
    result = run_pytest(tmp_path, "conformance", "--target", fake_ontap.url, "--svm", "vs1",
                        "--report-dir", str(tmp_path / "out"),
                        env={"ONTAP_USERNAME": USERNAME, "ONTAP_PASSWORD": PASSWORD})
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    lines = [line for line in output.splitlines() if "cannot tell the ONTAP release" in line]
    assert len(lines) == 1 and "--ontap-version X.Y.Z" in lines[0], output
    assert "Traceback" not in output
    assert PASSWORD not in output
