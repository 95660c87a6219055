"""A program that fails once and passes when Hypothesis replays it is a flake, never a failure."""

import json

from tests.conformance.conftest import PASSWORD, USERNAME
from tests.conformance.test_plugin_reports import make_suite, run_pytest

FLAKY_SUITE = '''
from hypothesis import HealthCheck, given, settings, strategies as st

from conformance.wire.client import CREDENTIALS_PATH
from conformance.judging.judge import Judge
from conformance.judging.verdicts import broken, passed

CALLS = []


@settings(max_examples=5, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 3))
def test_answers_that_do_not_come_back(target, client, ledger, value):
    # The first example fails on a judged response, every later one (its replay included)
    # passes: Hypothesis reports the program as flaky.
    CALLS.append(value)
    exchange = client.request("GET", CREDENTIALS_PATH)
    if len(CALLS) == 1:
        Judge(ledger).apply([broken(exchange, ["CRED-LIST-001"], "a transient disagreement")])
    Judge(ledger).apply(passed(exchange, "CRED-LIST-001"))


def test_a_real_failure(target, client, ledger):
    exchange = client.request("GET", CREDENTIALS_PATH)
    Judge(ledger).apply(passed(exchange, "CRED-LIST-002"))
'''


def test_a_flaky_program_is_reported_as_a_flake_with_its_rules_never_as_a_failure(fake_ontap, tmp_path):
    make_suite(tmp_path, FLAKY_SUITE)
    out = tmp_path / "out"
    result = run_pytest(tmp_path, "conformance", "--target", fake_ontap.url, "--svm", "vs1",
                        "--report-dir", str(out),
                        env={"ONTAP_USERNAME": USERNAME, "ONTAP_PASSWORD": PASSWORD})
    data = json.loads((out / "conformance.json").read_text())
    statuses = {r["id"]: r["status"] for r in data["rules"]}
    assert statuses["CRED-LIST-001"] == "passed", result.stdout[-2000:]
    assert data["failures"] == []
    [flake] = data["flaky"]
    assert flake["test"].endswith("test_answers_that_do_not_come_back")
    assert flake["rules"] == ["CRED-LIST-001"]
    assert data["verdict"] == "inconclusive" and "flaky replay" in data["verdict_reason"]
    assert result.returncode == 6, result.stdout[-2000:]
