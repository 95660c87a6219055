"""Live verdict = embedded verdict, and real-ONTAP variants stay conformant.

The live slice starts the emulator apart with one defect and runs the suite against it with
``--target``, as a user runs it against a cluster (``bench.live_matrix`` runs every defect
this way; this is a quick slice of it): each defect must fail exactly its own rule, also when
it breaks what the run itself relies on (its scope's query operators, its cleanup). The
variants are behaviours the documentation allows (``python -m emulator --list-variants``):
the suite must leave each of them conformant.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import live_matrix
from tests.suite.test_suite_against_emulator import run_suite

ROOT = Path(__file__).resolve().parents[2]
VARIANTS: list[dict[str, Any]] = json.loads(subprocess.run(
    [sys.executable, "-m", "emulator", "--list-variants", "--json"], cwd=ROOT, check=True,
    capture_output=True, text=True).stdout)
#: Defects that break what a live run relies on (its cleanup, its scope's operators, its
#: filters), the security rules, and one whole-collection rule only the bounded audit judges.
LIVE_SLICE = ("delete-not-applied", "wildcard-literal", "filter-ignored", "list-hides-deny",
              "auth-not-required", "readonly-may-write", "default-starts-deny")


@pytest.mark.slow
@pytest.mark.parametrize("name", LIVE_SLICE)
def test_a_live_run_fails_exactly_the_rule_of_each_defect_as_an_embedded_one_does(name: str) -> None:
    [defect] = [d for d in live_matrix.list_defects() if d["name"] == name]
    run = live_matrix.run_one(defect, budget=600)
    expected = "not_applicable" if defect["rule"] in live_matrix.NOT_JUDGED_LIVE else "caught"
    assert run.outcome == expected, (run.failed, run.deviated, run.reason)


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v["name"])
def test_a_real_ontap_variant_is_conformant(variant: dict[str, Any], tmp_path: Path) -> None:
    status, report, output = run_suite(tmp_path, "--emulator-variant", variant["name"])
    assert (status, report["verdict"]) == (0, "conformant"), f"{report['verdict_reason']}\n{output}"
    assert report["observed_deviations"] == []


def test_every_variant_names_where_it_comes_from() -> None:
    assert len(VARIANTS) >= 10
    assert all(v["source"] and v["description"] for v in VARIANTS)
