"""Known deviations: every state an entry can end a run in, the verdict they give, bad files."""

import datetime as dt
import textwrap
import tomllib

import pytest

from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger
from conformance.judging.verdicts import passed
from conformance.reports import deviations
from conformance.reports.deviations import DeviationFileError, judge, load, parse
from conformance.reports.html_summary import html_summary
from conformance.reports.run_report import RunInfo, build_report
from conformance.reports.verdict_text import verdict_label
from models.rules import BY_ID
from tests.conformance.test_ledger_reports import DOCUMENTED_RULES, credit_everything, exchange

RULE = "CRED-CHAP-004"  # documented: a 0x password needs an even number of hex digits
TODAY = dt.date(2026, 11, 29)
LATER = "2027-06-30"


def entries(*bodies: str) -> list[deviations.Entry]:
    text = "\n".join(f"[[deviation]]\n{textwrap.dedent(body)}" for body in bodies)
    return parse(tomllib.loads(text))


def entry(rule: str = RULE, status: str = "201", code: str = '"none"', targets: str = '["emulator"]',
          releases: str = '["9.10.1"]', expires: str = LATER) -> str:
    return (f'rule = "{rule}"\ntargets = {targets}\nreleases = {releases}\nstatus = {status}\n'
            f'code = {code}\nreason = "odd hex accepted"\nowner = "emulator team"\nexpires = {expires}\n')


def failing_ledger(*outcomes: tuple[int, object]) -> Ledger:
    """Every documented rule passed and every code produced, then RULE broken with ``outcomes``."""
    ledger = Ledger()
    credit_everything(ledger)
    for status, code in outcomes:
        body = {"error": {"code": code, "message": "x"}} if code is not None else {"records": []}
        ledger.fail(RULE, "accepted an odd-length hex password", exchange(status, body))
    return ledger


def states(outcome: deviations.Outcome) -> list[str]:
    return [j.state for j in outcome.judgements]


def report(ledger: Ledger, outcome: deviations.Outcome) -> dict:
    document = build_report(ledger, RunInfo(url="http://127.0.0.1:1", kind="emulator", ontap_version=None,
                                            started="s"), known=outcome.known_rules)
    deviations.apply(document, outcome, None)
    return document


def test_a_listed_failure_is_known_and_the_run_stays_conformant_with_it_named():
    ledger = failing_ledger((201, None))
    assert ledger.verdict(strict_observed=False)[0] == "nonconformant"
    outcome = judge(entries(entry()), ledger, "emulator", "http://127.0.0.1:1", today=TODAY)
    assert states(outcome) == ["known"]
    assert outcome.known_rules == {RULE}
    document = report(ledger, outcome)
    assert document["verdict"] == "conformant"
    assert verdict_label(document) == "conformant with 1 known deviation"
    assert "1 known deviation (CRED-CHAP-004)" in document["verdict_reason"]
    rule = next(r for r in document["rules"] if r["id"] == RULE)
    assert rule["status"] == "known"
    assert rule["known_deviation"][0]["owner"] == "emulator team"
    assert "known deviation: odd hex accepted" in rule["reason"]
    html = "\n".join(html_summary(document))
    assert "Verdict: CONFORMANT WITH 1 KNOWN DEVIATION" in html
    assert 'id="known-deviations"' in html and "odd hex accepted" in html


def test_a_known_deviation_may_list_several_statuses():
    ledger = failing_ledger((200, None), (201, None))
    outcome = judge(entries(entry(status="[200, 201]")), ledger, "emulator", None, today=TODAY)
    assert states(outcome) == ["known"] and outcome.known_rules == {RULE}


def test_a_listed_rule_that_now_holds_is_stale_and_does_not_fail_the_run():
    ledger = Ledger()
    credit_everything(ledger)
    outcome = judge(entries(entry()), ledger, "emulator", None, today=TODAY)
    assert states(outcome) == ["stale"]
    assert "remove this entry" in outcome.judgements[0].detail
    assert not outcome.problems
    assert report(ledger, outcome)["verdict"] == "conformant"


def test_an_entry_whose_outcome_no_longer_happens_is_stale_when_another_entry_covers_the_break():
    ledger = failing_ledger((201, None))
    outcome = judge(entries(entry(), entry(status="400", code='"5373971"')), ledger, "emulator", None,
                    today=TODAY)
    assert states(outcome) == ["known", "stale"]
    assert outcome.known_rules == {RULE}


def test_an_expired_entry_excuses_nothing_and_makes_the_run_nonconformant():
    ledger = failing_ledger((201, None))
    outcome = judge(entries(entry(expires="2026-11-28")), ledger, "emulator", None, today=TODAY)
    assert states(outcome) == ["expired"]
    assert outcome.known_rules == frozenset()
    document = report(ledger, outcome)
    assert document["verdict"] == "nonconformant"
    assert document["verdict_reason"].startswith("known-deviations file needs review: 1 expired (CRED-CHAP-004")


def test_an_expired_entry_fails_the_run_even_when_the_rule_now_holds():
    ledger = Ledger()
    credit_everything(ledger)
    outcome = judge(entries(entry(expires="2026-11-28")), ledger, "emulator", None, today=TODAY)
    document = report(ledger, outcome)
    assert document["verdict"] == "nonconformant"
    assert "the target itself: conformant" in document["verdict_reason"]


def test_an_entry_expiring_today_still_holds():
    ledger = failing_ledger((201, None))
    outcome = judge(entries(entry(expires=TODAY.isoformat())), ledger, "emulator", None, today=TODAY)
    assert states(outcome) == ["known"]


def test_an_entry_for_no_rule_of_the_catalog_is_unmatched_and_fails_the_run():
    ledger = Ledger()
    credit_everything(ledger)
    outcome = judge(entries(entry(rule="CRED-NOPE-999")), ledger, "emulator", None, today=TODAY)
    assert states(outcome) == ["unmatched"]
    assert "no rule CRED-NOPE-999" in outcome.judgements[0].detail
    assert report(ledger, outcome)["verdict"] == "nonconformant"


def test_an_entry_for_a_rule_of_another_release_is_unmatched():
    ledger = Ledger()  # judges against 9.10.1; CRED-CHAP-010 applies from 9.11.1
    outcome = judge(entries(entry(rule="CRED-CHAP-010", releases='["*"]')), ledger, "emulator", None,
                    today=TODAY)
    assert states(outcome) == ["unmatched"]
    assert "applies from ONTAP 9.11.1" in outcome.judgements[0].detail


def test_a_failure_with_another_status_or_code_than_listed_is_drift_and_not_excused():
    ledger = failing_ledger((201, None))
    outcome = judge(entries(entry(status="400", code='"5373971"')), ledger, "emulator", None, today=TODAY)
    assert states(outcome) == ["drift"]
    assert "201 (no ONTAP code)" in outcome.judgements[0].detail
    assert outcome.known_rules == frozenset()
    document = report(ledger, outcome)
    assert document["verdict"] == "nonconformant"
    assert "1 drift (CRED-CHAP-004" in document["verdict_reason"]


def test_a_failure_that_also_breaks_an_unlisted_way_is_drift():
    ledger = failing_ledger((201, None), (400, "2"))
    outcome = judge(entries(entry()), ledger, "emulator", None, today=TODAY)
    assert states(outcome) == ["drift"]
    assert "400 code 2" in outcome.judgements[0].detail
    assert outcome.known_rules == frozenset()


def test_entries_for_other_targets_or_releases_are_not_covered_and_ignored():
    ledger = failing_ledger((201, None))
    outcome = judge(entries(entry(targets='["live"]'), entry(releases='[">=9.11.1"]')), ledger,
                    "emulator", None, today=TODAY)
    assert states(outcome) == ["not_covered", "not_covered"]
    assert not outcome.problems
    assert report(ledger, outcome)["verdict"] == "nonconformant"  # the failure itself stands


def test_an_entry_can_name_the_target_by_url():
    ledger = failing_ledger((201, None))
    listed = entries(entry(targets='["https://emu.example:8443/"]'))
    assert states(judge(listed, ledger, "live", "https://EMU.example:8443", today=TODAY)) == ["known"]
    assert states(judge(listed, ledger, "live", "https://other:8443", today=TODAY)) == ["not_covered"]


def test_a_rule_the_run_did_not_judge_leaves_its_entry_not_judged():
    outcome = judge(entries(entry()), Ledger(), "emulator", None, today=TODAY)
    assert states(outcome) == ["not_judged"]
    assert not outcome.problems


def test_a_known_deviation_of_an_observed_rule_is_known_too():
    ledger = Ledger()
    credit_everything(ledger)
    ledger.deviate("CRED-PATCH-003", "405", exchange(405, {"error": {"code": "3", "message": "x"}}))
    outcome = judge(entries(entry(rule="CRED-PATCH-003", status="405", code='"3"')), ledger, "emulator",
                    None, today=TODAY)
    assert states(outcome) == ["known"]
    assert verdict_label(report(ledger, outcome)) == "conformant with 1 known deviation"


# -- bad files -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "message"), [
    ("[[deviation]\nrule = 1", "not valid TOML"),
    ("[[deviation]]\n" + entry().replace('owner = "emulator team"\n', ""), "missing key(s) owner"),
    ("[[deviation]]\n" + entry() + 'severity = "high"\n', "unknown key(s) severity"),
    ("[[deviation]]\n" + entry(expires='"2027-02-30"'), "expires must be a date"),
    ("[[deviation]]\n" + entry(expires="2027-02-01T10:00:00"), "expires must be a date"),
    ("[[deviation]]\n" + entry(status='"201"'), "status must be an HTTP status"),
    ("[[deviation]]\n" + entry(status="[]"), "status must be an HTTP status"),
    ("[[deviation]]\n" + entry(code='"E42"'), "code must be an ONTAP error code"),
    ("[[deviation]]\n" + entry(targets='["staging"]'), "neither 'emulator', 'live' nor an http(s) URL"),
    ("[[deviation]]\n" + entry(releases='["9.10"]'), "releases: '9.10'"),
    ("[[deviation]]\n" + entry().replace('reason = "odd hex accepted"', 'reason = ""'), "reason must be a non-empty"),
    ("[[deviation]]\n" + entry() + "[[deviation]]\n" + entry(), "entry 2 repeats entry 1"),
    ("version = 2\n", "unknown top-level key(s) version"),
    ("deviation = 3\n", "array of tables"),
])
def test_a_bad_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "known.toml"
    path.write_text(text)
    with pytest.raises(DeviationFileError) as caught:
        load(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DeviationFileError, match="no such file"):
        load(tmp_path / "nope.toml")


def test_an_empty_file_lists_nothing(tmp_path):
    path = tmp_path / "known.toml"
    path.write_text("# every deviation fixed\n")
    assert load(path) == []


def test_code_may_be_written_as_a_number():
    [parsed] = entries(entry(status="400", code="5373971"))
    assert parsed.outcomes == {(400, "5373971")}


def test_the_code_of_a_known_deviation_is_not_required():
    code = BY_ID[RULE].error_code
    assert code is not None
    ledger = Ledger()
    judge_ = Judge(ledger)
    for rule_id in DOCUMENTED_RULES:
        judge_.apply(passed(exchange(), rule_id))
    for c in ledger.applicable_codes():
        if c != code:
            ledger.code_accepted(c)
    ledger.fail(RULE, "accepted", exchange(201, {}))
    assert ledger.verdict(strict_observed=False)[0] == "nonconformant"
    verdict, reason = ledger.verdict(strict_observed=False, known={RULE})
    assert verdict == "conformant", reason
    assert "the codes of known deviations are not required" in reason
