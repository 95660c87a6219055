"""--time-budget: generation stops cleanly, at least one program runs, a failure is still shrunk."""

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from conformance.judging.ledger import Ledger
from conformance.programs import budget
from tests.conformance.test_ledger_reports import exchange

SETTINGS = settings(max_examples=60, stateful_step_count=5, deadline=None, database=None)


@pytest.fixture(autouse=True)
def no_budget_afterwards():
    yield
    budget.start(None)


def machine(ledger: Ledger, spend_after: int | None = None, fail_above: int | None = None):
    """A toy machine that calls the suite's hook; spends the budget after ``spend_after`` programs."""
    seen = {"programs": 0}

    class Toy(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            budget.before_program(self, ledger)
            seen["programs"] += 1
            if spend_after is not None and seen["programs"] >= spend_after:
                budget.current().seconds = 0.0  # spent from now on (no clock in the test)

        @rule(x=st.integers(0, 1000))
        def step(self, x: int) -> None:
            if fail_above is not None and x > fail_above:
                ledger.fail("CRED-CHAP-004", f"x={x}", exchange(201))
                raise AssertionError(f"x={x} is too large")

    return Toy, seen


def test_without_a_budget_every_program_runs():
    budget.start(None)
    toy, seen = machine(Ledger())
    run_state_machine_as_test(toy, settings=SETTINGS)
    assert seen["programs"] >= SETTINGS.max_examples
    assert not budget.current().reached


def test_generation_stops_at_the_budget_and_the_test_passes():
    budget.start(3600)
    toy, seen = machine(Ledger(), spend_after=5)
    run_state_machine_as_test(toy, settings=SETTINGS)  # no Flaky, no Unsatisfiable: a clean pass
    assert seen["programs"] == 5
    assert budget.current().reached
    assert budget.current().programs == 5


def test_a_spent_budget_still_runs_one_program():
    budget.start(0.0)
    toy, seen = machine(Ledger())
    run_state_machine_as_test(toy, settings=SETTINGS)
    assert seen["programs"] == 1
    assert budget.current().reached


def test_a_failure_found_before_the_budget_is_still_shrunk_and_reported():
    budget.start(3600)
    ledger = Ledger()
    # The budget is spent at the 20th program: a failure is found well before (derandomised),
    # and Hypothesis's shrinking replays that follow are never stopped.
    toy, seen = machine(ledger, spend_after=20, fail_above=10)
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(toy, settings=settings(SETTINGS, max_examples=200, derandomize=True))
    assert seen["programs"] > 20
    assert not isinstance(caught.value, Flaky)
    assert "x=11 is too large" in str(caught.value)  # shrunk to the smallest failing value
    assert budget.current().replays > 0
