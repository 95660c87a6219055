"""The run's ledger: the tally of judged checks, what the run saw besides, and the verdict.

Only :class:`conformance.judging.judge.Judge` writes rule entries, and every entry names the
exchange that earned it, so a rule passes only when a response judged it. The reports and
the verdict are computed from the ledger alone. Its parts, one job each: the tally
(:mod:`~conformance.judging.tally`), what answers showed beyond the rules
(:mod:`~conformance.judging.sightings`), statuses and the verdict
(:mod:`~conformance.judging.run_verdict`), and a worker's share under pytest-xdist
(:mod:`~conformance.judging.ledger_wire`).
"""

from __future__ import annotations

from conformance.judging.ledger_wire import WireLedger
from conformance.judging.run_verdict import (
    CONFORMANT,
    DEVIATED,
    FAILED,
    INCONCLUSIVE,
    KNOWN,
    NONCONFORMANT,
    NOT_APPLICABLE,
    NOT_EXERCISED,
    PASSED,
    STATUSES,
    RunVerdict,
)
from conformance.judging.sightings import Sightings
from conformance.judging.tally import FailureRecord, Tally
from models.rules import OBSERVED


class Ledger(Tally, Sightings, RunVerdict, WireLedger):
    """Counts what the run judged and what broke, rule by rule, and says what it adds up to."""


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


__all__ = ["CONFORMANT", "DEVIATED", "FAILED", "INCONCLUSIVE", "KNOWN", "NONCONFORMANT", "NOT_APPLICABLE",
           "NOT_EXERCISED", "OBSERVED", "PASSED", "STATUSES", "FailureRecord", "Ledger", "current",
           "install"]
