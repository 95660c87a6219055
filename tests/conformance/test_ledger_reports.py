import json

import pytest

from conformance.failures import ConformanceFailure
from conformance.ledger import Ledger
from conformance.redaction import REDACTOR
from conformance.reports import RunInfo, build_report, html_summary, step_program, write_json
from models.rules import BY_ID, DOCUMENTED, ENDPOINT_ERROR_CODES, OBSERVED, RULES

DOC_RULE = next(r.id for r in RULES if r.basis == DOCUMENTED)
OBS_RULE = next(r.id for r in RULES if r.basis == OBSERVED)


def test_unknown_rule_is_a_key_error():
    with pytest.raises(KeyError, match="CRED-NOPE-001"):
        Ledger().check("CRED-NOPE-001", True)


def test_statuses_follow_checks_and_failures():
    ledger = Ledger()
    ledger.check(DOC_RULE, True)
    assert ledger.rule_status(DOC_RULE) == "passed"
    assert ledger.rule_status(OBS_RULE) == "not_exercised"
    ledger.check(DOC_RULE, False, detail="boom")
    assert ledger.rule_status(DOC_RULE) == "failed"


def test_documented_failure_makes_the_run_nonconformant():
    ledger = Ledger()
    ledger.check(DOC_RULE, True)
    assert ledger.verdict(strict_observed=False) == "conformant"
    ledger.failure((DOC_RULE,), "t::x", "broke", "curl ...")
    assert ledger.verdict(strict_observed=False) == "nonconformant"


def test_observed_rules_only_count_when_strict():
    ledger = Ledger()
    ledger.observed_deviation(OBS_RULE, "no Location header")
    assert ledger.rule_status(OBS_RULE) == "passed"
    assert ledger.verdict(strict_observed=False) == "conformant"
    assert ledger.verdict(strict_observed=True) == "nonconformant"
    ledger = Ledger()
    ledger.failure((OBS_RULE,), "t::y", "broke")
    assert ledger.verdict(strict_observed=False) == "conformant"
    assert ledger.verdict(strict_observed=True) == "nonconformant"


def test_failure_message_names_rules_and_pickles():
    import pickle
    failure = ConformanceFailure([DOC_RULE, OBS_RULE], "wrong status",
                                 received="400 code 1", documented="201", curl="curl -X POST")
    text = str(failure)
    assert text.startswith(f"{DOC_RULE} {BY_ID[DOC_RULE].title}; {OBS_RULE} ")
    assert "  received: 400 code 1\n  documented: 201\n  reproduce: curl -X POST" in text
    clone = pickle.loads(pickle.dumps(failure))
    assert clone.rule_ids == failure.rule_ids
    assert clone.curl == "curl -X POST"
    assert repr(clone) == repr(failure)
    assert isinstance(failure, AssertionError)


def test_json_report_has_every_rule_and_code_and_no_secret(tmp_path):
    REDACTOR.register("json-report-secret")
    ledger = Ledger()
    ledger.check(DOC_RULE, True)
    ledger.code_produced("5374142")
    ledger.code_produced("4")
    ledger.request_count = 12
    ledger.failure((DOC_RULE,), "conformance/test_x.py::test_y",
                   "server said json-report-secret", "curl -d '{\"password\": \"json-report-secret\"}'")
    run = RunInfo(url="http://127.0.0.1:1", kind="emulator", ontap_version="9.10.1",
                  started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:01:00+00:00",
                  profile="ci", seed="42")
    document = build_report(ledger, run)
    path = write_json(document, tmp_path / "out")
    text = path.read_text()
    assert "json-report-secret" not in text
    data = json.loads(text)
    assert data["verdict"] == "nonconformant"
    assert data["target"] == {"url": "http://127.0.0.1:1", "kind": "emulator",
                              "ontap_version": "9.10.1"}
    assert data["run"]["requests"] == 12
    assert data["run"]["profile"] == "ci"
    assert {r["id"] for r in data["rules"]} == set(BY_ID)
    rule = next(r for r in data["rules"] if r["id"] == DOC_RULE)
    assert (rule["status"], rule["checks"], rule["failures"]) == ("failed", 1, 1)
    codes = {c["code"]: c["produced"] for c in data["error_codes"]}
    assert set(codes) == {*ENDPOINT_ERROR_CODES, "4"}
    assert len(codes) == 23
    assert codes["5374142"] == 1
    assert data["failures"][0]["rule"] == DOC_RULE
    assert data["failures"][0]["test"] == "conformance/test_x.py::test_y"


def test_html_summary_leads_with_the_verdict_and_escapes():
    ledger = Ledger()
    ledger.failure((DOC_RULE,), "t", "<script>alert(1)</script>")
    run = RunInfo(url="https://c", kind="live", ontap_version="9.13.1", started="s")
    blocks = "\n".join(html_summary(build_report(ledger, run)))
    assert blocks.index("Verdict: NONCONFORMANT") < blocks.index("<h2>Rules</h2>")
    assert "<script>alert" not in blocks
    assert "9.13.1" in blocks
    assert "5374142" in blocks


def test_step_program_is_cut_from_hypothesis_output():
    text = """    def test_machine():
>       run_state_machine_as_test(factory)
E   conformance.failures.ConformanceFailure: CRED-POST-001 ...: wrong
E   Falsifying example:
E   state = CredentialsMachine()
E   v1 = state.create_credentials(initiator='iqn.2000-01.a:b', inbound_password='pw')
E   state.teardown()
E   curl -X POST ...

conformance/test_machine.py:12: ConformanceFailure"""
    program = step_program(text)
    assert program.startswith("Falsifying example:\nstate = CredentialsMachine()")
    assert "state.teardown()" in program
    assert "inbound_password='<redacted>'" in program
    assert "test_machine.py:12" not in program


def test_repeated_deviations_are_kept_once():
    ledger = Ledger()
    for _ in range(50):
        ledger.observed_deviation(OBS_RULE, "same thing")
    assert len(ledger.to_dict()["observed_deviations"]) == 1
    assert ledger.deviated(OBS_RULE)
