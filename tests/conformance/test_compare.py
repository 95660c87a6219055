"""python -m conformance.compare: the rule-level diff of two reports, its files and exit status."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.reports import postrun as postrun_module
from conformance.reports.postrun import PostRun
from conformance.targets.settings import TargetConfig
from conformance.upgrade.compare import CompareError, compare, documented_changes, exit_status, main
from conformance.upgrade.validation import baseline_section
from models.releases import parse_release
from models.rules import RULES

REPO = Path(__file__).resolve().parents[2]


def report(release: str, **statuses: str) -> dict[str, Any]:
    """A conformance.json as a clean run on ``release`` writes it, with some statuses changed."""
    numbers = parse_release(release)
    rules = []
    for rule in RULES:
        status = statuses.get(rule.id.replace("-", "_"), "passed" if rule.applies_to(numbers) else "not_applicable")
        rules.append({"id": rule.id, "title": rule.title, "basis": rule.basis_in(numbers), "status": status,
                      "checks": 0 if status in ("not_applicable", "not_exercised") else 3, "reason": "why",
                      "broken_by": [{"status": 201, "code": None}] if status in ("failed", "deviated") else []})
    return {"verdict": "conformant", "verdict_reason": "", "complete": True, "release": release,
            "target": {"url": "http://127.0.0.1:1", "kind": "emulator", "ontap_version": f"NetApp Release {release}"},
            "run": {"started": "t", "strict_observed": False},
            "rules": rules, "error_codes": [{"code": "5374145", "rule": "CRED-CHAP-004", "produced": 2, "required": True}]}


def test_the_documented_changes_are_the_catalogs() -> None:
    changes = {c["rule"]: c["change"] for c in documented_changes((9, 10, 1), (9, 16, 1))}
    assert set(changes) == {r.id for r in RULES if r.applies_to((9, 10, 1)) != r.applies_to((9, 16, 1))
                            or r.basis_in((9, 10, 1)) != r.basis_in((9, 16, 1))}
    assert changes["CRED-CHAP-010"] == "applies from ONTAP 9.11.1"
    assert "documented from 9.16.1" in changes["CRED-DEL-002"]
    assert documented_changes((9, 12, 1), (9, 13, 1)) == []


def test_a_clean_upgrade_lists_only_documented_changes() -> None:
    diff = compare(report("9.10.1"), report("9.16.1"))
    assert diff["regressions"] == [] and diff["new_failures"] == [] and diff["fixed"] == []
    assert diff["undocumented"] == [] and diff["observed_changes"] == [] and diff["coverage_lost"] == []
    assert {g["rule"] for g in diff["coverage_gained"]} == {"CRED-CHAP-010", "CRED-PATCH-002", "CRED-GET-003"}
    assert all(g["explained_by"] for g in diff["coverage_gained"])
    assert diff["cannot_validate"] == {"reasons": [], "rules": []}
    assert diff["summary"].startswith("ONTAP 9.10.1 -> 9.16.1: no undocumented regression; 5 documented changes")


def test_a_rule_that_passed_and_fails_is_an_undocumented_regression() -> None:
    diff = compare(report("9.10.1"), report("9.16.1", CRED_CHAP_004="failed"))
    assert [r["rule"] for r in diff["regressions"]] == ["CRED-CHAP-004"]
    assert "UNDOCUMENTED REGRESSION (CRED-CHAP-004)" in diff["summary"]
    assert {o["rule"] for o in diff["observed_changes"]} == {"CRED-CHAP-004"}  # what broke it: 201


def test_a_basis_change_explains_deviated_to_failed_but_nothing_explains_passed_to_failed() -> None:
    diff = compare(report("9.10.1", CRED_DEL_002="deviated"), report("9.16.1", CRED_DEL_002="failed"))
    assert diff["regressions"] == []
    [entry] = diff["new_failures"]
    assert entry["kind"] == "basis changed" and "documented" in entry["explained_by"]
    diff = compare(report("9.10.1"), report("9.16.1", CRED_DEL_002="failed"))
    assert [r["rule"] for r in diff["regressions"]] == ["CRED-DEL-002"]


def test_a_newly_applicable_rule_that_fails_is_a_new_failure_not_explained() -> None:
    diff = compare(report("9.10.1"), report("9.16.1", CRED_CHAP_010="failed"))
    [entry] = diff["new_failures"]
    assert entry["kind"] == "newly applicable rule broken" and entry["explained_by"] is None
    assert diff["regressions"] == []


def test_fixed_rules_and_lost_coverage_are_listed() -> None:
    diff = compare(report("9.10.1", CRED_CHAP_004="failed"), report("9.10.1", CRED_LIST_007="not_exercised"))
    assert [f["rule"] for f in diff["fixed"]] == ["CRED-CHAP-004"]
    assert [f["rule"] for f in diff["coverage_lost"]] == ["CRED-LIST-007"]
    assert diff["coverage_lost"][0]["explained_by"] is None


def test_replayed_behaviour_changes_are_observed_changes() -> None:
    after = report("9.16.1")
    after["replay"] = {"changes": [
        {"class": "behaviour change", "op": "create", "before": "POST x -> 404 2621462", "after": "POST x -> 400 2621462",
         "allowed": True, "why": "both releases allow 4xx", "count": 3, "examples": ["t step 1"]},
        {"class": "documented change", "op": "update", "before": "PATCH x -> 200", "after": "PATCH x -> 400 262203",
         "why": "ONTAP 9.10.1 allows 200; ONTAP 9.16.1 allows 4xx", "count": 1, "examples": ["t step 2"]}]}
    diff = compare(report("9.10.1"), after)
    kinds = {o["kind"]: o["explained_by"] for o in diff["observed_changes"]}
    assert kinds["replayed steps: behaviour change"] is None
    assert kinds["replayed steps: documented change"].startswith("ONTAP 9.10.1 allows")
    # Allowed by both releases' documentation: neither documented nor undocumented, listed apart.
    assert diff["undocumented"] == []
    assert [w["op"] for w in diff["within_documentation"]] == ["create"]
    assert "of which 1 within the documentation of both releases (3 replayed steps)" in diff["summary"]
    after["replay"]["changes"][0]["allowed"] = False
    diff = compare(report("9.10.1"), after)
    assert [u["op"] for u in diff["undocumented"]] == ["create"] and diff["within_documentation"] == []


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"), ("{", "not JSON"), ("[]", "not a conformance.json report"),
    (json.dumps({"verdict": "x", "rules": []}), "names no ONTAP release"),
    (json.dumps({"verdict": "x", "rules": [], "release": "nine"}), "an ONTAP release looks like"),
    (json.dumps({"verdict": "x", "release": "9.10.1", "rules": [{"id": "CRED-NOPE-1", "status": "passed"}]}),
     "not in this suite's catalog"),
])
def test_unusable_inputs_exit_2_with_one_line(tmp_path, capsys, content, message) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(report("9.10.1")))
    for argv in ([str(bad), str(good)], [str(good), str(bad)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and err.startswith("compare: ")
    assert not (tmp_path / "upgrade.html").exists()
    with pytest.raises(CompareError):
        compare(report("9.10.1"), {"verdict": "x"})


def test_the_command_writes_both_files_and_exits_1_on_a_regression(tmp_path) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after" / "conformance.json"
    after.parent.mkdir()
    before.write_text(json.dumps(report("9.10.1")))
    after.write_text(json.dumps(report("9.16.1", CRED_CHAP_004="failed")))
    result = subprocess.run([sys.executable, "-m", "conformance.compare", str(before), str(after)],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "UNDOCUMENTED REGRESSION (CRED-CHAP-004)" in result.stdout.splitlines()[0]
    page = (after.parent / "upgrade.html").read_text()
    diff = json.loads((after.parent / "upgrade.json").read_text())
    assert diff["regressions"][0]["rule"] == "CRED-CHAP-004"
    # Self-contained: nothing is fetched, nothing runs.
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.IGNORECASE)
    assert "CRED-CHAP-004" in page and "Every rule, side by side" in page
    after.write_text(json.dumps(report("9.16.1")))
    assert main([str(before), str(after), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "upgrade.html").exists()


# ---- the gate fails closed ------------------------------------------------------------------------
def without(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    document["rules"] = [r for r in document["rules"] if r["id"] != rule_id]
    return document


@pytest.mark.parametrize(("after", "shown"), [
    (report("9.10.1", CRED_DEL_001="not_exercised"), "not_exercised"),
    (without(report("9.10.1"), "CRED-DEL-001"), "absent"),
    (report("9.10.1", CRED_DEL_001="not_applicable"), "not_applicable"),
])
def test_a_rule_judged_before_and_not_judged_after_lost_its_evidence(after, shown) -> None:
    diff = compare(report("9.10.1"), after)
    assert diff["regressions"] == []
    [lost] = diff["cannot_validate"]["rules"]
    assert (lost["rule"], lost["before"], lost["after"]) == ("CRED-DEL-001", "passed", shown)
    assert lost["reason"]  # the after report's reason, or "absent from the after report"
    assert diff["cannot_validate"]["reasons"] == [
        "1 rule lost its evidence (judged before, not judged after): CRED-DEL-001"]
    assert "CANNOT VALIDATE: 1 rule lost its evidence" in diff["summary"]
    assert "no undocumented regression" not in diff["summary"]
    assert exit_status(diff) == 3


def test_a_failed_or_deviated_rule_that_is_not_judged_after_lost_its_evidence_too() -> None:
    diff = compare(report("9.10.1", CRED_DEL_001="failed", CRED_POST_002="deviated"),
                   report("9.10.1", CRED_DEL_001="not_exercised", CRED_POST_002="not_exercised"))
    assert {r["rule"]: r["before"] for r in diff["cannot_validate"]["rules"]} == {
        "CRED-POST-002": "deviated", "CRED-DEL-001": "failed"}
    assert diff["cannot_validate"]["reasons"][0].startswith("2 rules lost their evidence")


def test_a_rule_that_stops_applying_by_a_documented_change_keeps_the_comparison_valid() -> None:
    # 9.16.1 -> 9.10.1: CRED-CHAP-010 applies from 9.11.1, so it is not applicable after: explained.
    diff = compare(report("9.16.1"), report("9.10.1"))
    assert "CRED-CHAP-010" in {r["rule"] for r in diff["coverage_lost"]}
    assert diff["cannot_validate"] == {"reasons": [], "rules": []}
    assert exit_status(diff) == 0


@pytest.mark.parametrize(("changes", "reason"), [
    ({"verdict": "inconclusive", "verdict_reason": "1 documented rule not exercised (CRED-DEL-001)"},
     "the after run is inconclusive: 1 documented rule not exercised (CRED-DEL-001)"),
    ({"complete": False, "verdict": "nonconformant", "verdict_reason": "1 rule broken: CRED-CHAP-004"},
     "the after run is incomplete: 1 rule broken: CRED-CHAP-004"),
    ({"complete": False, "verdict": "inconclusive", "verdict_reason": "the run stopped early (target lost)"},
     "the after run is incomplete and inconclusive: the run stopped early (target lost)"),
])
def test_an_incomplete_or_inconclusive_after_run_cannot_validate(changes, reason) -> None:
    diff = compare(report("9.10.1"), {**report("9.16.1"), **changes})
    assert diff["cannot_validate"]["reasons"] == [reason]
    assert diff["cannot_validate"]["rules"] == []
    assert f"CANNOT VALIDATE: {reason}" in diff["summary"]
    assert exit_status(diff) == 3


def test_an_inconclusive_before_run_is_no_usable_baseline() -> None:
    before = {**report("9.10.1"), "verdict": "inconclusive", "verdict_reason": "a subset run"}
    diff = compare(before, report("9.16.1"))
    assert diff["cannot_validate"]["reasons"] == [
        "the before run is no usable baseline: it is inconclusive: a subset run"]
    assert exit_status(diff) == 3


def test_an_undocumented_regression_wins_over_cannot_validate() -> None:
    after = {**report("9.16.1", CRED_CHAP_004="failed", CRED_DEL_001="not_exercised"), "complete": False,
             "verdict": "nonconformant", "verdict_reason": "1 rule broken: CRED-CHAP-004"}
    diff = compare(report("9.10.1"), after)
    assert [r["rule"] for r in diff["regressions"]] == ["CRED-CHAP-004"]
    assert len(diff["cannot_validate"]["reasons"]) == 2
    assert diff["summary"].startswith("ONTAP 9.10.1 -> 9.16.1: UNDOCUMENTED REGRESSION (CRED-CHAP-004); "
                                      "CANNOT VALIDATE: 1 rule lost its evidence")
    assert exit_status(diff) == 1


def test_a_known_deviation_is_judged_evidence_not_a_regression() -> None:
    diff = compare(report("9.10.1"), report("9.10.1", CRED_CHAP_004="known"))
    [entry] = diff["new_failures"]
    assert entry["kind"] == "broken, listed as a known deviation"
    assert diff["regressions"] == [] and diff["cannot_validate"]["rules"] == []
    assert [f["rule"] for f in compare(report("9.10.1", CRED_CHAP_004="known"), report("9.10.1"))["fixed"]] == [
        "CRED-CHAP-004"]


def test_the_command_exits_3_and_upgrade_html_says_cannot_validate_first(tmp_path, capsys) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(report("9.10.1")))
    broken_delete = {**report("9.10.1", CRED_DEL_001="not_exercised", CRED_MISS_001="not_exercised"),
                     "verdict": "inconclusive", "verdict_reason": "2 documented rules not exercised"}
    after.write_text(json.dumps(broken_delete))
    assert main([str(before), str(after)]) == 3
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("ONTAP 9.10.1 -> 9.10.1: CANNOT VALIDATE: 2 rules lost their evidence")
    assert "cannot validate: the after run is inconclusive: 2 documented rules not exercised" in out
    assert "lost evidence: CRED-DEL-001: passed => not_exercised (why)" in out
    diff = json.loads((tmp_path / "upgrade.json").read_text())
    assert [r["rule"] for r in diff["cannot_validate"]["rules"]] == ["CRED-DEL-001", "CRED-MISS-001"]
    assert len(diff["cannot_validate"]["reasons"]) == 2
    page = (tmp_path / "upgrade.html").read_text()
    banner = re.search(r'<p class="up-verdict ([^"]+)">([^<]*)</p>', page)
    assert banner and banner.group(1) == "up-bad" and "CANNOT VALIDATE" in banner.group(2)
    section = page.index('id="cannot-validate"')
    assert section < page.index('class="up-side"') < page.index("Documented changes between")
    listed = page[section:page.index('class="up-side"')]
    assert "CRED-DEL-001" in listed and "CRED-MISS-001" in listed and "2 documented rules not exercised" in listed
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.IGNORECASE)


def test_a_validated_upgrade_shows_no_cannot_validate_section(tmp_path) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(report("9.10.1")))
    after.write_text(json.dumps(report("9.16.1")))
    assert main([str(before), str(after)]) == 0
    page = (tmp_path / "upgrade.html").read_text()
    assert 'id="cannot-validate"' not in page and 'class="up-verdict up-ok"' in page


# ---- --baseline in a run: the run's exit status -----------------------------------------------
def baseline_of(before: dict[str, Any], after: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    section, line = baseline_section(after, before, tmp_path / "before.json", tmp_path)
    assert line.startswith("baseline: ") and (tmp_path / "upgrade.html").exists()
    return {**after, "baseline": section}


def test_the_baseline_section_names_regressions_and_why_it_cannot_validate(tmp_path) -> None:
    document = baseline_of(report("9.10.1"), report("9.10.1", CRED_DEL_001="not_exercised"), tmp_path)
    assert document["baseline"]["undocumented_regressions"] == []
    assert document["baseline"]["cannot_validate"] == {
        "reasons": ["1 rule lost its evidence (judged before, not judged after): CRED-DEL-001"],
        "rules": ["CRED-DEL-001"]}
    assert "CANNOT VALIDATE" in document["baseline"]["summary"]


def test_a_comparison_that_fails_cannot_validate(tmp_path) -> None:
    after = {**report("9.10.1"), "rules": [{"id": "CRED-NOPE-1", "status": "passed"}]}
    section, line = baseline_section(after, report("9.10.1"), tmp_path / "before.json", tmp_path)
    assert line.startswith("baseline: CANNOT VALIDATE: the comparison with the baseline failed: ")
    assert section["cannot_validate"]["reasons"] and section["undocumented_regressions"] == []


@pytest.mark.parametrize(("after", "by_verdict", "expected", "note"), [
    (report("9.10.1"), 0, 0, ""),
    (report("9.10.1", CRED_DEL_001="not_exercised"), 0, 6, "--baseline: the comparison cannot validate"),
    ({**report("9.10.1", CRED_DEL_001="not_exercised"), "verdict": "inconclusive"}, 6, 6, ""),
    ({**report("9.10.1", CRED_CHAP_004="failed", CRED_DEL_001="not_exercised"), "verdict": "nonconformant"},
     1, 1, ""),
    # --fail-on new may let a nonconformant run exit 0; a regression since the baseline still fails it.
    ({**report("9.10.1", CRED_CHAP_004="failed"), "verdict": "nonconformant"}, 0, 1,
     "--baseline: undocumented regression since the baseline (CRED-CHAP-004): exit status 1"),
])
def test_with_a_baseline_a_run_that_cannot_validate_is_inconclusive(tmp_path, after, by_verdict, expected,
                                                                    note) -> None:
    postrun = PostRun(TargetConfig())
    document = baseline_of(report("9.10.1"), after, tmp_path)
    assert postrun.exit_status(document, by_verdict) == expected
    assert postrun.exit_note.startswith(note) and bool(postrun.exit_note) == bool(note)
    if note:
        assert postrun.terminal_lines()[-1] == postrun.exit_note
    assert PostRun(TargetConfig()).exit_status(after, by_verdict) == by_verdict  # no --baseline


def test_the_exit_statuses_postrun_sets_are_the_plugins() -> None:
    from conformance.face import session_end
    assert session_end.EXIT_STATUS["nonconformant"] == postrun_module.EXIT_NONCONFORMANT
    assert session_end.EXIT_STATUS["inconclusive"] == postrun_module.EXIT_INCONCLUSIVE


def test_a_reason_names_ten_rules_and_the_list_holds_them_all() -> None:
    lost = [r.id for r in RULES if r.applies_to((9, 10, 1))][:12]
    diff = compare(report("9.10.1"), report("9.10.1", **{r.replace("-", "_"): "not_exercised" for r in lost}))
    [reason] = diff["cannot_validate"]["reasons"]
    assert reason == (f"12 rules lost their evidence (judged before, not judged after): {', '.join(lost[:10])} "
                      "and 2 more (see rules)")
    assert [r["rule"] for r in diff["cannot_validate"]["rules"]] == lost


def test_the_conformance_report_shows_why_its_baseline_comparison_cannot_validate(tmp_path) -> None:
    from conformance.upgrade.report_html import replay_blocks
    document = baseline_of(report("9.10.1"), report("9.10.1", CRED_DEL_001="not_exercised"), tmp_path)
    [block] = replay_blocks(document)
    assert "Compared with the baseline" in block and "Cannot validate:" in block
    assert "<li>1 rule lost its evidence (judged before, not judged after): CRED-DEL-001</li>" in block
