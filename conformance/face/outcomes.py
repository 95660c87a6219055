"""What a failed test means for the ledger: a broken rule is a verdict, anything else a suite
error, and a failure that did not come back when replayed a flaky replay.

Markers only label tests: a passing test credits nothing (its checks already credited the
rules their responses judged), and a test that failed without a ConformanceFailure (its own
assertion, ``NotJudged``, a lost target) is an error, never a rule failure. A verdict leads
its report (the rule, what came back, what the doc allows, the curl line and the shrunk step
program) instead of the suite's own stack frames.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.face import run_state
from conformance.judging.failures import ConformanceFailure
from conformance.reports.step_program import step_program
from conformance.targets.emulator_process import EmulatorFailed
from conformance.targets.housekeeping import RunStopped
from conformance.wire.client import TargetUnreachable
from conformance.wire.redaction import REDACTOR
from models.rules import BY_ID


def check_rule_marks(items: list[pytest.Item]) -> None:
    """Every ``@pytest.mark.rule`` names a rule of the catalog (one line when one does not)."""
    for item in items:
        unknown = [rid for rid in _marked_rules(item) if rid not in BY_ID]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown rule ID(s) {', '.join(unknown)} "
                                    "in @pytest.mark.rule; see python -m models")


def judge_failure(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """A test of the suite failed: enter it into the ledger and make its report a verdict."""
    if not run_state.in_suite(item) or not report.failed:
        return
    ledger = run_state.state().ledger
    error = call.excinfo.value if call.excinfo is not None else None
    failures = _conformance_failures(error)
    if _is_flaky(error):
        # The failure did not come back when replayed: its rules are reported with the flaky
        # replay, never as failures (the ledger forgets what this test recorded as failed).
        mark = getattr(item, "_ontap_checkpoint", None)
        rules = ledger.unfail_since(mark) if mark is not None else []
        ledger.flaky_replay(item.nodeid, str(error).split("\n\n")[0], _outcomes(error), rules)
        report.conformance_rules = "(flaky replay" + (f": {', '.join(rules)})" if rules else ")")
        return
    if not failures:
        if _found(error, RunStopped):
            # A housekeeping finding is already a verdict of its own; every later test would
            # meet the same state, so the run ends here (the reports name the sweep command).
            item.session.shouldstop = ledger.stopped or "stopped at a housekeeping finding"
            report.conformance_rules = "(run stopped)"
            return
        if isinstance(error, TargetUnreachable | EmulatorFailed):
            # The target is gone: every further test would fail the same way.
            ledger.stopped = REDACTOR.redact_text(f"target lost: {error}")
            item.session.shouldstop = ledger.stopped
        text = f"{type(error).__name__}: {error}" if error is not None else report.longreprtext[-500:]
        ledger.error(item.nodeid, f"{report.when}: {text}")
        report.conformance_rules = "(not judged)"
        return
    for failure in failures:
        ledger.failure(failure.rule_ids, item.nodeid, failure.message, failure.curl)
    report.conformance_rules = ", ".join(sorted({rid for f in failures for rid in f.rule_ids}))
    text = report.longreprtext
    program = step_program(text)
    if not item.config.getoption("conformance_full_tracebacks", False):
        # A verdict, not a crash: lead with the rule, what came back, what the doc allows,
        # the curl line and the shrunk program, instead of the suite's own stack frames.
        verdicts = "\n\n".join(str(f) for f in failures)
        report.longrepr = REDACTOR.redact_text(verdicts + (f"\n\n{program}" if program else ""))
    html_extras = _html_extras()
    if html_extras is not None:
        extras: list[Any] = []
        if program:
            extras.append(html_extras.text(program, name="step program"))
        for curl in (f.curl for f in failures if f.curl):
            extras.append(html_extras.text(REDACTOR.redact_text(curl), name="reproduce (curl)"))
        report.extras = [*getattr(report, "extras", []), *extras]


def _conformance_failures(exc: BaseException | None) -> list[ConformanceFailure]:
    if isinstance(exc, ConformanceFailure):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        found: list[ConformanceFailure] = []
        for inner in exc.exceptions:
            found += _conformance_failures(inner)
        return found
    return []


def _found(error: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether ``error`` is, or (in an exception group) holds, an exception of ``kind``."""
    if isinstance(error, kind):
        return True
    return isinstance(error, BaseExceptionGroup) and any(_found(e, kind) for e in error.exceptions)


def _is_flaky(error: BaseException | None) -> bool:
    """Whether Hypothesis saw a program end differently when it replayed it."""
    try:
        from hypothesis.errors import Flaky
    except ImportError:
        return False
    return isinstance(error, Flaky)


def _outcomes(error: BaseException | None) -> list[str]:
    """The outcomes Hypothesis saw for one program (first run, replay)."""
    inner = list(error.exceptions) if isinstance(error, BaseExceptionGroup) else []
    seen = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}" for e in inner]
    return seen or [f"{type(error).__name__}: {str(error).splitlines()[0] if error and str(error) else ''}"]


def _marked_rules(item: pytest.Item) -> tuple[str, ...]:
    return tuple(rid for mark in item.iter_markers("rule") for rid in mark.args)


def _html_extras() -> Any:
    try:
        from pytest_html import extras
    except ImportError:
        return None
    return extras
