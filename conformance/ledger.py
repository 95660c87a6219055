"""The run's tally: checks per rule, deviations, error codes produced, failures.

One ledger per session (the plugin installs it; :func:`current` reaches it from code
that runs outside fixtures, such as a Hypothesis state machine); the reports and the
verdict are computed from it alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conformance.redaction import REDACTOR
from models.rules import BY_ID, DOCUMENTED, ENDPOINT_ERROR_CODES, OBSERVED, RULES

PASSED, FAILED, NOT_EXERCISED = "passed", "failed", "not_exercised"
CONFORMANT, NONCONFORMANT = "conformant", "nonconformant"
#: Codes the report lists: the 22 endpoint codes and "4" (missing record on GET).
REPORTED_ERROR_CODES: tuple[str, ...] = (*ENDPOINT_ERROR_CODES, "4")
MAX_DEVIATIONS_KEPT = 200


@dataclass(frozen=True)
class FailureRecord:
    """A failed test (or teardown verification) and the rules it names."""

    rule_ids: tuple[str, ...]
    test: str
    message: str
    curl: str


class Ledger:
    """Counts what the run checked and what broke, rule by rule."""

    def __init__(self) -> None:
        self.checks: Counter[str] = Counter()
        self.failed_checks: Counter[str] = Counter()
        self.details: dict[str, list[str]] = {}
        self.deviations: list[dict[str, str]] = []
        self.deviation_count: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.failures: list[FailureRecord] = []
        self.request_count = 0
        self.errors: list[dict[str, str]] = []  # the suite could not judge: not a verdict
        self.retries = 0  # reads sent again after a transient failure
        self.indeterminate = 0  # writes whose outcome a follow-up read had to decide

    def check(self, rule_id: str, ok: bool, *, detail: str = "", exchange: Any = None) -> None:
        """Count one check of a rule; ``ok=False`` marks the rule failed.

        Raises:
            KeyError: ``rule_id`` is not in the catalog.
        """
        _known(rule_id)
        self.checks[rule_id] += 1
        if not ok:
            self.failed_checks[rule_id] += 1
            text = detail or (exchange.summary() if exchange is not None else "")
            if text:
                notes = self.details.setdefault(rule_id, [])
                if len(notes) < 5:
                    notes.append(REDACTOR.redact_text(text))

    def observed_deviation(self, rule_id: str, message: str, exchange: Any = None) -> None:
        """Record a deviation from an observed rule (fails the run only when strict)."""
        _known(rule_id)
        self.checks[rule_id] += 1
        self.deviation_count[rule_id] += 1
        entry = {"rule": rule_id, "message": REDACTOR.redact_text(message),
                 "curl": exchange.as_curl() if exchange is not None else ""}
        # Shrinking replays a deviation many times; keep each distinct one once, and a few.
        if entry not in self.deviations and len(self.deviations) < MAX_DEVIATIONS_KEPT:
            self.deviations.append(entry)

    def error(self, test_nodeid: str, message: str) -> None:
        """Record a test the suite could not complete (its own error, or a lost target)."""
        self.errors.append({"test": test_nodeid, "message": REDACTOR.redact_text(message)[:1000]})

    def code_produced(self, code: str) -> None:
        """Count an ONTAP error code seen in a response."""
        self.codes[str(code)] += 1

    def failure(self, rule_ids: Sequence[str], test_nodeid: str, message: str, curl: str = "") -> None:
        """Record a failed test naming ``rule_ids`` (unknown IDs are kept, not counted)."""
        if isinstance(rule_ids, str):
            rule_ids = (rule_ids,)
        self.failures.append(FailureRecord(
            tuple(rule_ids), test_nodeid, REDACTOR.redact_text(message), REDACTOR.redact_text(curl)))

    def failure_count(self, rule_id: str) -> int:
        """How many failures name this rule (a failed check without a test failure counts one)."""
        named = sum(rule_id in record.rule_ids for record in self.failures)
        return named or (1 if self.failed_checks[rule_id] else 0)

    def deviated(self, rule_id: str) -> bool:
        """Whether an observed deviation was recorded for this rule."""
        return self.deviation_count[rule_id] > 0

    def rule_status(self, rule_id: str) -> str:
        """Return ``"passed"``, ``"failed"`` or ``"not_exercised"`` for one rule."""
        _known(rule_id)
        if self.failure_count(rule_id):
            return FAILED
        return PASSED if self.checks[rule_id] else NOT_EXERCISED

    def verdict(self, strict_observed: bool) -> str:
        """Nonconformant iff a documented rule failed (or, strict, an observed one broke)."""
        for rule in RULES:
            failed = self.rule_status(rule.id) == FAILED
            if rule.basis == DOCUMENTED and failed:
                return NONCONFORMANT
            if rule.basis == OBSERVED and strict_observed and (failed or self.deviated(rule.id)):
                return NONCONFORMANT
        return CONFORMANT

    def to_dict(self, strict_observed: bool = False) -> dict[str, Any]:
        """Return the ledger's part of ``conformance.json``."""
        return {
            "verdict": self.verdict(strict_observed),
            "rules": [
                {
                    "id": rule.id,
                    "title": rule.title,
                    "basis": rule.basis,
                    "status": self.rule_status(rule.id),
                    "checks": self.checks[rule.id],
                    "failures": self.failure_count(rule.id),
                }
                for rule in RULES
            ],
            "observed_deviations": list(self.deviations),
            "error_codes": [
                {"code": code, "produced": self.codes[code]} for code in REPORTED_ERROR_CODES
            ],
            "failures": [
                {"rule": rid, "test": record.test, "message": record.message, "curl": record.curl}
                for record in self.failures
                for rid in (record.rule_ids or ("",))
            ],
        }


def _known(rule_id: str) -> None:
    if rule_id not in BY_ID:
        raise KeyError(f"unknown rule ID {rule_id!r}; see models/rules.py")


_CURRENT: Ledger | None = None


def current() -> Ledger:
    """Return the session's ledger (a fresh one when no session installed any)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Ledger()
    return _CURRENT


def install(ledger: Ledger | None) -> None:
    """Make ``ledger`` the session's ledger (the plugin calls this at configure time)."""
    global _CURRENT
    _CURRENT = ledger
