"""A cluster full of other hosts' credentials costs a run what its own records cost.

Two emulators started apart, one empty and one holding a few hundred other hosts' records
(``--preload``), each run in live mode as a user runs a cluster: both conformant, the other
hosts' records exactly as they were, and the big one at most 1.3x the requests of the empty
one (``bench.cluster_size`` measures 2,000 and 20,000 records, with and without latency).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.safety.helpers import emulator, live_args, run_suite

pytestmark = pytest.mark.slow
OTHER_HOSTS = 400


def _run(tmp_path: Path, name: str, *emulator_args: str) -> tuple[dict, dict, dict, str]:
    with emulator(tmp_path / name, *emulator_args) as target:
        before = target.records()
        report_dir = tmp_path / name / "reports"
        result = run_suite(tmp_path, *live_args(target, report_dir), "-q", "--hypothesis-profile", "quick")
        after = target.records()
    document = json.loads((report_dir / "conformance.json").read_text())
    return document, before, after, result.stdout[-2000:]


def test_other_hosts_records_cost_nothing_and_are_never_touched(tmp_path: Path) -> None:
    empty, _, _, output = _run(tmp_path, "empty")
    assert empty["verdict"] == "conformant", output
    big, before, after, output = _run(tmp_path, "big", "--preload", str(OTHER_HOSTS))
    assert big["verdict"] == "conformant", output
    assert len(before) >= OTHER_HOSTS
    assert after == before  # every other host's record as it was, nothing of the run left
    assert big["foreign"]["records_seen_on_named_svms"] > 0  # the run did see them
    assert big["run"]["requests"] <= 1.3 * empty["run"]["requests"], (big["run"], empty["run"])
