import json

import pytest

from conformance.judging.failures import ConformanceFailure
from conformance.judging.judge import Judge, NotJudged
from conformance.judging.ledger import Ledger
from conformance.judging.verdicts import Verdict, broken, passed
from conformance.reports.html_summary import html_summary
from conformance.reports.run_report import RunInfo, build_report, write_json
from conformance.reports.step_program import step_program
from conformance.wire.client import Exchange
from conformance.wire.redaction import REDACTOR
from models.rules import BY_ID, DOCUMENTED, ENDPOINT_ERROR_CODES, OBSERVED, RULE_FOR_CODE, RULES

DOC_RULE = next(r.id for r in RULES if r.basis == DOCUMENTED)
OBS_RULE = next(r.id for r in RULES if r.basis == OBSERVED)
DOCUMENTED_RULES = [r.id for r in RULES if r.basis == DOCUMENTED]


def exchange(status: int = 200, body: object = None) -> Exchange:
    return Exchange(method="GET", url="http://127.0.0.1:1/api/x", path="/api/x", params=None,
                    request_json=None, status=status, response_headers={}, response_text="",
                    response_json=body, elapsed=0.0)


def credit_everything(ledger: Ledger) -> None:
    judge = Judge(ledger)
    for rule_id in DOCUMENTED_RULES:
        judge.apply(passed(exchange(), rule_id))
    for code in ledger.applicable_codes():
        ledger.code_accepted(code)


def test_unknown_rule_is_a_key_error():
    with pytest.raises(KeyError, match="CRED-NOPE-001"):
        Ledger().credit("CRED-NOPE-001", exchange())


def test_a_rule_is_credited_only_with_the_response_that_judged_it():
    with pytest.raises(TypeError, match="only by a response"):
        Ledger().credit(DOC_RULE, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Verdict((DOC_RULE,), True, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Verdict((), True, exchange())


def test_statuses_follow_judged_verdicts():
    ledger = Ledger()
    judge = Judge(ledger)
    assert ledger.rule_status(DOC_RULE) == "not_exercised"
    judge.apply(passed(exchange(), DOC_RULE))
    assert ledger.rule_status(DOC_RULE) == "passed"
    assert ledger.judged(DOC_RULE) == 1
    with pytest.raises(ConformanceFailure) as caught:
        judge.apply([broken(exchange(400), [DOC_RULE], "boom", "201")])
    assert caught.value.rule_ids == (DOC_RULE,)
    assert ledger.rule_status(DOC_RULE) == "failed"
    assert "boom" in ledger.rule_reason(DOC_RULE)


def test_a_broken_observed_rule_is_a_deviation_unless_strict():
    ledger = Ledger()
    Judge(ledger).apply([broken(exchange(201), [OBS_RULE], "no Location header")])
    assert ledger.rule_status(OBS_RULE) == "deviated"
    assert ledger.verdict(strict_observed=False)[0] != "nonconformant"
    with pytest.raises(ConformanceFailure):
        Judge(ledger, strict_observed=True).apply([broken(exchange(201), [OBS_RULE], "no Location")])
    assert ledger.rule_status(OBS_RULE) == "failed"
    assert ledger.verdict(strict_observed=True)[0] == "nonconformant"


def test_conformant_needs_every_documented_rule_and_code_and_a_complete_run():
    ledger = Ledger()
    credit_everything(ledger)
    verdict, reason = ledger.verdict(strict_observed=False)
    assert verdict == "conformant", reason
    assert f"all {len(DOCUMENTED_RULES)} documented rules of ONTAP 9.10.1 that apply to this target passed" in reason
    ledger.error("conformance/test_x.py::test_y", "call: NotJudged: ...")
    assert ledger.verdict(strict_observed=False)[0] == "inconclusive"


def test_a_rule_nobody_judged_makes_the_run_inconclusive():
    ledger = Ledger()
    credit_everything(ledger)
    fresh = Ledger()
    judge = Judge(fresh)
    for rule_id in DOCUMENTED_RULES[1:]:
        judge.apply(passed(exchange(), rule_id))
    for code in fresh.applicable_codes():
        fresh.code_accepted(code)
    verdict, reason = fresh.verdict(strict_observed=False)
    assert verdict == "inconclusive"
    assert DOCUMENTED_RULES[0] in reason and "not exercised" in reason


def test_a_code_never_accepted_makes_the_run_inconclusive():
    ledger = Ledger()
    judge = Judge(ledger)
    for rule_id in DOCUMENTED_RULES:
        judge.apply(passed(exchange(), rule_id))
    for code in ledger.applicable_codes()[1:]:
        ledger.code_accepted(code)
    verdict, reason = ledger.verdict(strict_observed=False)
    assert verdict == "inconclusive"
    assert ledger.applicable_codes()[0] in reason


def test_not_applicable_rules_and_their_codes_are_not_required():
    ledger = Ledger()
    ledger.mark_not_applicable({"CRED-DEF-004": "needs --allow-default-changes"})
    judge = Judge(ledger)
    for rule_id in DOCUMENTED_RULES:
        if rule_id != "CRED-DEF-004":
            judge.apply(passed(exchange(), rule_id))
    for code in ledger.applicable_codes():
        ledger.code_accepted(code)
    assert "5374148" not in ledger.applicable_codes()
    assert ledger.verdict(strict_observed=False)[0] == "conformant"
    assert ledger.rule_status("CRED-DEF-004") == "not_applicable"
    assert ledger.rule_reason("CRED-DEF-004") == "needs --allow-default-changes"


def test_a_documented_failure_wins_over_everything_else():
    ledger = Ledger()
    ledger.error("t", "suite error")
    with pytest.raises(ConformanceFailure):
        Judge(ledger).apply([broken(exchange(400), [DOC_RULE], "broke")])
    assert ledger.verdict(strict_observed=False)[0] == "nonconformant"


def test_expect_judged_raises_when_the_rule_was_not_judged():
    judge = Judge(Ledger())
    judge.apply(passed(exchange(), DOC_RULE))
    judge.expect_judged(DOC_RULE)
    with pytest.raises(NotJudged, match=OBS_RULE):
        judge.expect_judged(OBS_RULE)


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
    with pytest.raises(ConformanceFailure):
        Judge(ledger).apply([broken(exchange(400), [DOC_RULE], "server said json-report-secret")])
    ledger.code_accepted("5374142")
    ledger.code_accepted("4")
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
    assert DOC_RULE in data["verdict_reason"]
    assert data["complete"] is True
    assert data["target"] == {"url": "http://127.0.0.1:1", "kind": "emulator",
                              "ontap_version": "9.10.1"}
    assert data["run"]["requests"] == 12
    assert data["run"]["profile"] == "ci"
    assert {r["id"] for r in data["rules"]} == set(BY_ID)
    rule = next(r for r in data["rules"] if r["id"] == DOC_RULE)
    assert (rule["status"], rule["checks"], rule["failures"]) == ("failed", 1, 1)
    assert rule["source"] == BY_ID[DOC_RULE].source
    codes = {c["code"]: c for c in data["error_codes"]}
    assert set(codes) == {*ENDPOINT_ERROR_CODES, "4"}
    assert codes["5374142"]["produced"] == 1
    assert codes["5374142"]["rule"] == RULE_FOR_CODE["5374142"]
    assert codes["5374142"]["required"] is True
    assert data["failures"][0]["rule"] == DOC_RULE
    assert data["failures"][0]["test"] == "conformance/test_x.py::test_y"


def test_html_summary_leads_with_the_verdict_and_the_reason_and_escapes():
    ledger = Ledger()
    ledger.failure((DOC_RULE,), "t", "<script>alert(1)</script>")
    run = RunInfo(url="https://c", kind="live", ontap_version="9.13.1", started="s")
    blocks = "\n".join(html_summary(build_report(ledger, run)))
    assert blocks.index("Verdict: INCONCLUSIVE") < blocks.index("<b>Why:</b>") < blocks.index("<h2>Rules</h2>")
    assert "not exercised" in blocks
    assert "<script>alert" not in blocks
    assert "9.13.1" in blocks
    assert "5374142" in blocks
    assert BY_ID[DOC_RULE].source in blocks
    assert "Safety on the live target" in blocks


def test_step_program_is_cut_from_hypothesis_output():
    text = """    def test_machine():
>       run_state_machine_as_test(factory)
E   conformance.judging.failures.ConformanceFailure: CRED-POST-001 ...: wrong
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
    judge = Judge(ledger)
    for _ in range(50):
        judge.apply([broken(exchange(201), [OBS_RULE], "same thing")])
    assert len(ledger.to_dict()["observed_deviations"]) == 1
    assert ledger.rule_status(OBS_RULE) == "deviated"


def test_ledgers_of_several_workers_merge_into_the_same_verdict():
    import json as jsonlib

    whole, first, second = Ledger(), Ledger(), Ledger()
    for ledger, rules in ((first, DOCUMENTED_RULES[::2]), (second, DOCUMENTED_RULES[1::2])):
        for target in (ledger, whole):
            judge = Judge(target)
            for rule_id in rules:
                judge.apply(passed(exchange(), rule_id))
    for ledger in (first, whole):  # an observed rule deviates (not strict): recorded, no raise
        Judge(ledger).apply([broken(exchange(400, {"error": {"code": "2", "message": "m"}}), [OBS_RULE], "x")])
    for code in whole.applicable_codes():
        whole.code_accepted(code)
        second.code_accepted(code)
    first.request_count, second.request_count = 3, 4
    first.error("t1", "boom")
    merged = Ledger()
    for worker in (first, second):
        merged.merge(jsonlib.loads(jsonlib.dumps(worker.to_wire())))  # as xdist carries it
    assert merged.verdict(strict_observed=False)[0] == "inconclusive"  # t1 could not be judged
    assert merged.request_count == 7
    assert merged.broken_by[OBS_RULE] == {(400, "2")}
    for rule_id in (r.id for r in RULES):
        assert merged.rule_status(rule_id) == whole.rule_status(rule_id), rule_id
    assert merged.errors == [{"test": "t1", "message": "boom"}]
