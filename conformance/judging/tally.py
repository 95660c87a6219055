"""The run's tally: judged checks per rule, deviations, accepted error codes, failures.

Only :class:`conformance.judging.judge.Judge` writes rule entries, and every entry names the
exchange that earned it, so a rule passes only when a response judged it. What the run saw
besides verdicts is in :mod:`conformance.judging.sightings`, the statuses and the verdict in
:mod:`conformance.judging.run_verdict`; :class:`conformance.judging.ledger.Ledger` is all of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.wire.client import Exchange
from conformance.wire.redaction import REDACTOR
from models.releases import DEFAULT_RELEASE, Release, parse_release
from models.rules import BY_ID

MAX_DEVIATIONS_KEPT = 200
MAX_NOTES = 5


@dataclass(frozen=True)
class FailureRecord:
    """A failed test and the rules its verdicts named."""

    rule_ids: tuple[str, ...]
    test: str
    message: str
    curl: str


class Tally:
    """Counts what the run judged and what broke, rule by rule."""

    def __init__(self) -> None:
        self.passes: Counter[str] = Counter()
        self.fails: Counter[str] = Counter()
        self.deviation_count: Counter[str] = Counter()
        self.evidence: dict[str, list[str]] = {}  # a few judged exchanges per rule
        self.details: dict[str, list[str]] = {}  # a few failure messages per rule
        self.deviations: list[dict[str, str]] = []
        #: per rule, the (HTTP status, ONTAP code) of the responses that broke it or deviated
        self.broken_by: dict[str, set[tuple[int, str | None]]] = {}
        self.codes: Counter[str] = Counter()  # codes of responses the model allowed
        #: documented codes a required code's requirement is met by: the code itself, or
        #: another the model allowed in its place for the same rule (a correct target may
        #: always pick one side of a choice the doc leaves open)
        self.codes_met: Counter[str] = Counter()
        self.failures: list[FailureRecord] = []
        self.errors: list[dict[str, str]] = []  # the suite could not judge: not a verdict
        self.not_applicable: dict[str, str] = {}
        self.safety: list[dict[str, str]] = []  # live-target safety findings (not rules)
        self.foreign_keys: set[tuple[str, str]] = set()  # other clients' records on named SVMs
        self.unnamed_keys: set[tuple[str, str]] = set()  # records on SVMs the run was not told about
        self.foreign_activity: list[dict[str, str]] = []  # other clients' changes seen at the end
        self.flaky: list[dict[str, Any]] = []  # Hypothesis saw the target answer differently on replay
        self.stopped = ""  # why the run ended early ("interrupted", "target lost: ...")
        self.release: Release = parse_release(DEFAULT_RELEASE)  # the release judged against
        self.workers_merged = 0  # under xdist, on the controller: how many workers' ledgers
        self.not_applicable_votes: dict[str, tuple[int, str]] = {}
        self.request_count = 0
        self.retries = 0  # reads sent again after a transient failure
        self.indeterminate = 0  # writes whose outcome a follow-up read had to decide
        #: What the run has seen the target do right, to tell two causes of one failure
        #: apart (e.g. "ordinary PATCH applied": a default left unchanged is then the
        #: default's own rule, not PATCH in general). Never credits a rule.
        self.seen: Counter[str] = Counter()
        #: properties the target's records carried that the page does not list: path ->
        #: [count, an example request]; information, never a verdict
        self.undocumented: dict[str, list[Any]] = {}
        #: documentation finding -> reading the target followed -> [count, an example request]
        self.readings: dict[str, dict[str, list[Any]]] = {}
        self._form_judged: set[tuple[Any, Any]] = set()  # other clients' records whose form was judged
        self._scanned: set[Any] = set()  # records scanned for undocumented properties

    # ---- entries (the judge writes these) ---------------------------------------------------
    def credit(self, rule_id: str, exchange: Exchange, times: int = 1) -> None:
        """A check judged this response and the rule held (``times``: that many checks of it,
        e.g. one per record of a collection).

        Raises:
            KeyError: ``rule_id`` is not in the catalog.
            TypeError: no exchange: a rule is credited only by a judged response.
        """
        known_rule(rule_id, exchange)
        self.passes[rule_id] += times
        notes = self.evidence.setdefault(rule_id, [])
        if len(notes) < MAX_NOTES:
            summary = exchange.summary()
            if summary not in notes:
                notes.append(summary)

    def fail(self, rule_id: str, message: str, exchange: Exchange) -> None:
        """A check judged this response and the rule broke."""
        known_rule(rule_id, exchange)
        self.fails[rule_id] += 1
        self._broken_by(rule_id, exchange)
        notes = self.details.setdefault(rule_id, [])
        if len(notes) < MAX_NOTES:
            notes.append(REDACTOR.redact_text(f"{message}: {exchange.summary()}"))

    def deviate(self, rule_id: str, message: str, exchange: Exchange) -> None:
        """An observed rule broke and the run is not strict about observed rules."""
        known_rule(rule_id, exchange)
        self.deviation_count[rule_id] += 1
        self._broken_by(rule_id, exchange)
        entry = {"rule": rule_id, "message": REDACTOR.redact_text(message), "curl": exchange.as_curl()}
        # Shrinking replays a deviation many times; keep each distinct one once, and a few.
        if entry not in self.deviations and len(self.deviations) < MAX_DEVIATIONS_KEPT:
            self.deviations.append(entry)

    def _broken_by(self, rule_id: str, exchange: Exchange) -> None:
        body = exchange.response_json
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        self.broken_by.setdefault(rule_id, set()).add((exchange.status, None if code is None else str(code)))

    def code_accepted(self, code: str, alternatives: Collection[str] = ()) -> None:
        """Count an ONTAP error code carried by a response the model allowed; ``alternatives``
        are the codes the model allowed in its place for the same rule (each met by it)."""
        self.codes[str(code)] += 1
        for met in {str(code), *alternatives}:
            self.codes_met[met] += 1

    # ---- about the run ---------------------------------------------------------------------
    def failure(self, rule_ids: Sequence[str], test_nodeid: str, message: str, curl: str = "") -> None:
        """Record a failed test naming ``rule_ids`` (for the report's failure list)."""
        if isinstance(rule_ids, str):
            rule_ids = (rule_ids,)
        self.failures.append(FailureRecord(
            tuple(rule_ids), test_nodeid, REDACTOR.redact_text(message), REDACTOR.redact_text(curl)))

    def error(self, test_nodeid: str, message: str) -> None:
        """Record a test the suite could not complete (its own error, or a lost target)."""
        self.errors.append({"test": test_nodeid, "message": REDACTOR.redact_text(message)[:1000]})

    def flaky_replay(self, test_nodeid: str, message: str, outcomes: list[str],
                     rules: Sequence[str] = ()) -> None:
        """Record that replaying a program gave another outcome: a fact about the target or the
        network (faults, other clients), not a verdict on a rule (``rules``: those the run that
        did not come back named)."""
        self.flaky.append({"test": test_nodeid, "message": REDACTOR.redact_text(message)[:1500],
                           "outcomes": [REDACTOR.redact_text(o)[:500] for o in outcomes],
                           "rules": list(rules)})

    def safety_finding(self, what: str, detail: str) -> None:
        """Record a live-target safety problem (a record the run must not touch changed)."""
        self.safety.append({"check": what, "detail": REDACTOR.redact_text(detail)})

    def mark_not_applicable(self, reasons: dict[str, str]) -> None:
        """Rules this target cannot judge, each with the reason."""
        for rule_id, reason in reasons.items():
            known_rule(rule_id)
            self.not_applicable[rule_id] = reason

    # ---- flaky programs ------------------------------------------------------------------------
    def checkpoint(self) -> dict[str, Any]:
        """What the failures look like now (a test is about to run)."""
        return {"fails": Counter(self.fails), "details": {k: list(v) for k, v in self.details.items()},
                "broken_by": {k: set(v) for k, v in self.broken_by.items()}, "failures": len(self.failures)}

    def unfail_since(self, mark: dict[str, Any]) -> list[str]:
        """Take back the failures recorded since ``mark`` and return their rules.

        A Hypothesis program that failed once and passed when replayed ("Flaky") is a fact
        about the target or the network, not a verdict: its failures are reported with the
        flaky replay, never as rule failures.
        """
        rules = sorted(rule for rule, count in self.fails.items() if count > mark["fails"].get(rule, 0))
        rules += sorted({r for f in self.failures[mark["failures"]:] for r in f.rule_ids} - set(rules))
        self.fails, self.details, self.broken_by = mark["fails"], mark["details"], mark["broken_by"]
        del self.failures[mark["failures"]:]
        return rules


def known_rule(rule_id: str, exchange: Any = ...) -> None:
    """Raise unless ``rule_id`` is in the catalog (and ``exchange``, when given, is an exchange)."""
    if rule_id not in BY_ID:
        raise KeyError(f"unknown rule ID {rule_id!r}; see models/rules.py")
    if exchange is not ... and not isinstance(exchange, Exchange):
        raise TypeError(f"{rule_id}: a rule is judged only by a response (an Exchange), "
                        f"not by {type(exchange).__name__}")
