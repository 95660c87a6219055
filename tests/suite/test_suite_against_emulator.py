"""The suite has teeth: it passes the conforming emulator and fails every named defect.

Each case runs ``pytest conformance`` in a subprocess, exactly as a user would (a default
run: no ``--strict-observed``), and reads the JSON report. A defect of a documented rule
must make the run nonconformant on exactly that rule; a defect of an observed rule must
show as that rule's deviation, and fail the run only with ``--strict-observed``. Every
artefact of every run is also scanned for the CHAP passwords the suite's deterministic
cases send, and for any password value: the leaking defects echo them.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.releases import parse_release
from models.rules import BY_ID, DOCUMENTED, ENDPOINT_ERROR_CODES, RULES, documented_release

ROOT = Path(__file__).resolve().parents[2]
DEFECTS: list[dict[str, Any]] = json.loads(subprocess.run(
    [sys.executable, "-m", "emulator", "--list-defects", "--json"], cwd=ROOT, check=True,
    capture_output=True, text=True).stdout)


# The passwords the suite's deterministic cases send ("password": "...") in its own source.
KNOWN_SECRETS = sorted({m for path in (ROOT / "conformance").glob("test_*.py")
                        for m in re.findall(r'"password": "([^"]{6,})"', path.read_text())})
QUICK_PROGRAMS = 20  # max_examples of the quick profile: a stream that is not stopped runs them all
PASSWORD_VALUE = re.compile(r"""password\w*["']?\s*[:=]\s*["'](?!<)[^"']""", re.IGNORECASE)


def run_suite(report_dir: Path, *options: str) -> tuple[int, dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_"))}
    # A working directory of its own: its own Hypothesis example database, so no run replays
    # the failures another defect's run saved (that made these runs depend on test order).
    cwd = report_dir / "cwd"
    cwd.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "conformance"), "-q", "-p", "no:cacheprovider",
         "--hypothesis-profile", "quick", "--report-dir", str(report_dir), *options],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((report_dir / "conformance.json").read_text())
    output = completed.stdout[-3000:] + completed.stderr[-2000:]
    assert_no_secret_in(report_dir, output)
    return completed.returncode, report, output


def assert_no_secret_in(report_dir: Path, output: str) -> None:
    texts = {path.name: html.unescape(path.read_text(encoding="utf-8"))
             for path in report_dir.iterdir() if path.is_file()}
    texts["terminal output"] = output
    assert KNOWN_SECRETS, "the deterministic cases send no recognisable password any more"
    for name, text in texts.items():
        match = PASSWORD_VALUE.search(text)
        assert match is None, f"{name}: {text[max(0, match.start() - 80):match.end() + 40]}"
        leaked = [s for s in KNOWN_SECRETS if s.lower() in text.lower()]
        assert not leaked, f"{name} holds {len(leaked)} CHAP password(s)"


def test_known_secrets_are_found_in_the_suite() -> None:
    assert len(KNOWN_SECRETS) >= 5


def test_every_documented_rule_has_a_defect_or_a_reason_why_none_can_exist() -> None:
    # A rule nothing can fail is a rule nobody knows is checked.
    broken_by_defects = {d["rule"] for d in DEFECTS}
    assert {d["rule"] for d in DEFECTS} <= set(BY_ID)
    for rule in RULES:
        if rule.basis == DOCUMENTED:
            assert rule.id in broken_by_defects or rule.no_defect, (
                f"{rule.id}: add an emulator defect that breaks it, or say in the catalog why none can exist")
        assert not (rule.id in broken_by_defects and rule.no_defect), rule.id


@pytest.mark.slow
def test_suite_passes_the_conforming_emulator(tmp_path: Path) -> None:
    status, report, output = run_suite(tmp_path)
    assert status == 0, output
    assert report["verdict"] == "conformant", report["verdict_reason"]
    assert report["complete"] is True
    # Every rule passed with judged checks, but those documented only by later releases.
    later = {r.id for r in RULES if not r.applies_to(parse_release("9.10.1"))}
    assert {r["id"]: r["status"] for r in report["rules"] if r["status"] != "passed"} == \
        dict.fromkeys(later, "not_applicable")
    assert all(r["checks"] > 0 for r in report["rules"] if r["id"] not in later)
    produced = {c["code"] for c in report["error_codes"] if c["produced"]}
    assert set(ENDPOINT_ERROR_CODES) | {"4"} <= produced
    assert report["observed_deviations"] == []
    for name in ("conformance.html", "junit.xml"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.slow
def test_a_subset_of_the_suite_is_inconclusive(tmp_path: Path) -> None:
    status, report, output = run_suite(tmp_path, "-k", "fields")
    assert status == 6, output
    assert report["verdict"] == "inconclusive"
    assert "not exercised" in report["verdict_reason"]


@pytest.mark.slow
@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d["name"])
def test_suite_fails_on_the_rule_each_defect_breaks(defect: dict[str, str], tmp_path: Path) -> None:
    release = documented_release(defect["rule"])
    # A sequence-only defect needs the default run's programs (and its shrinking, which may
    # move the blame to the rule the defect breaks); seed 1 keeps the run reproducible.
    default_run = ("--hypothesis-profile", "dev", "--hypothesis-seed", "1") if defect.get("sequence") else ()
    options = ("--emulator-defect", defect["name"], "--emulator-ontap-version", release, *default_run)
    status, report, output = run_suite(tmp_path, *options)
    failed = sorted(r["id"] for r in report["rules"] if r["status"] == "failed")
    deviated = sorted(r["id"] for r in report["rules"] if r["status"] == "deviated")
    if BY_ID[defect["rule"]].basis_in(parse_release(release)) == DOCUMENTED:
        assert (status, report["verdict"]) == (1, "nonconformant"), output
        assert failed == [defect["rule"]], f"{defect['name']}: failed {failed}\n{output}"
        return
    assert failed == [], f"{defect['name']}: failed {failed}\n{output}"
    assert defect["rule"] in deviated, f"{defect['name']}: deviated {deviated}\n{output}"
    assert report["verdict"] != "nonconformant"
    status, report, output = run_suite(tmp_path, *options, "--strict-observed")
    assert (status, report["verdict"]) == (1, "nonconformant"), output
    assert defect["rule"] in {r["id"] for r in report["rules"] if r["status"] == "failed"}


@pytest.mark.slow
def test_progress_lines_show_without_dash_s(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_"))}
    env["ONTAP_CONFORMANCE_PROGRESS_SECONDS"] = "0.2"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "conformance" / "test_stateful.py"), "-q", "-p",
         "no:cacheprovider", "--report-dir", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert "stateful:" in completed.stdout and "programs" in completed.stdout, completed.stdout[-2000:]


@pytest.mark.slow
def test_two_workers_give_the_verdict_one_process_gives(tmp_path: Path) -> None:
    status, single, output = run_suite(tmp_path / "one")
    assert status == 0, output
    status, merged, output = run_suite(tmp_path / "two", "-n", "2")
    assert (status, merged["verdict"]) == (0, "conformant"), output
    assert {r["id"]: r["status"] for r in merged["rules"]} == {r["id"]: r["status"] for r in single["rules"]}
    assert {c["code"]: bool(c["produced"]) for c in merged["error_codes"]} == \
        {c["code"]: bool(c["produced"]) for c in single["error_codes"]}
    # Each worker ran the state machine with its own stream; the controller counts both.
    assert set(single["exploration"]["programs_per_stream"]) == {"0"}
    per_stream = merged["exploration"]["programs_per_stream"]
    assert set(per_stream) == {"0", "1"} and merged["exploration"]["programs"] == sum(per_stream.values())
    assert min(per_stream.values()) >= QUICK_PROGRAMS, per_stream
    assert merged["exploration"]["programs"] >= 2 * QUICK_PROGRAMS
    status, broken, output = run_suite(tmp_path / "defect", "-n", "2", "--emulator-defect", "odd-hex-password")
    assert (status, broken["verdict"]) == (1, "nonconformant"), output
    assert [r["id"] for r in broken["rules"] if r["status"] == "failed"] == ["CRED-CHAP-004"]


@pytest.mark.slow
def test_each_worker_runs_its_own_stream_at_once_under_a_time_budget(tmp_path: Path) -> None:
    """With the whole suite on two workers, both streams start at once: were they queued on one
    worker, the second would start after the budget was spent and run a single program."""
    status, report, output = run_suite(tmp_path, "-n", "2", "--hypothesis-profile", "nightly",
                                       "--time-budget", "8", "--hypothesis-seed", "3")
    assert (status, report["verdict"]) == (0, "conformant"), output
    per_stream = report["exploration"]["programs_per_stream"]
    assert set(per_stream) == {"0", "1"} and min(per_stream.values()) >= 2, per_stream
    assert report["run"]["time_budget"]["reached"] is True
    assert report["run"]["time_budget"]["programs"] == report["exploration"]["programs"]
