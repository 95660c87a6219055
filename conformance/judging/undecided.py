"""Writes whose answer was lost (dropped, timed out, 429/5xx): decided by a read, as Jepsen
does with indeterminate operations, and sent again only once a read shows they were not
applied, so that no change is ever made twice."""

from __future__ import annotations

from typing import Any

from conformance.judging import checks
from conformance.judging.pages import read_all
from conformance.judging.readings import ALL, agrees, record_key
from conformance.judging.verdicts import passed
from conformance.wire.client import Exchange, NoAnswer, OutcomeUnknown, record_path
from models.outcomes import Expectation, Outcome
from models.records import Credential, differences

WRITE_ATTEMPTS = 8  # a write that was shown not to be applied is sent again, at most this often
Key = tuple[str, str]


class UndecidedWrites:
    """Mixed into the driver: sending a write and deciding it when its answer is lost."""

    def _write(self, method: str, path: str, *, params: dict[str, Any] | None = None,
               json: Any = None) -> Exchange | None:
        """Send a write; None when its outcome is unknown (dropped, timed out, 429/5xx)."""
        try:
            return self.send(method, path, params=params, json=json)
        except OutcomeUnknown as exc:
            self.judge.ledger.indeterminate += 1
            self.note(f"{method} {path}: outcome unknown ({exc}); a read decides")
            return None

    def _decide(self, expectation: Expectation, key: Key | None,
                *, applied_if_present: bool) -> Outcome | None:
        """Decide an indeterminate write by reading its record, then commit what happened.

        Both possible states are kept until this read: the write was applied (its success
        outcome) or not (the model unchanged). A record that matches neither is blamed on
        the write's rules.
        """
        success = expectation.success
        if key is None or success is None:
            return None
        before = self.model.records.get(key)
        exchange = self.send("GET", record_path(*key), params={"fields": ALL})
        code = self._screen(exchange, secret_exercised=self._holds_secret(key))
        present = exchange.status == 200
        if not present:
            verdicts, _ = checks.status_matches_model(exchange, self.model.absent(*key), code)
            self.judge.apply(verdicts)
        applied = present == applied_if_present
        if applied and present:
            self.judge.apply(checks.record_form(exchange.response_json, exchange))
            candidates = success.result + (before or ())
            self.judge.apply(checks.record_matches_model(
                exchange.response_json, candidates, exchange, credit=(), blame={ALL: success.rules[0]}))
            applied = any(not differences(v, exchange.response_json) for v in success.result)
        if applied:
            # The write's own answer was lost, but this read shows it applied as its rules say.
            self.judge.apply(passed(exchange, *success.rules))
            self.writes_applied += 1
            self.model.commit(success)
            self.pristine.discard(key)
            if present:
                self.model.observe(exchange.response_json)
            return success
        return None

    def _decide_collection(self, expectation: Expectation, rule: str) -> Outcome | None:
        """Decide a query-based write whose answer was lost by reading the whole collection.

        The collection shows either the state before the write (it was not applied: send it
        again), the state its success predicts (applied: commit it, and the read credits its
        rule), or neither: the write changed something its rule does not allow, and the
        collection is compared with the predicted state on that rule.
        """
        success = expectation.success
        if success is None:
            return None  # only refusals predicted: a refusal changes nothing, so it can be sent again
        exchange, records = read_all(self, {"fields": ALL, "max_records": "10000"})
        if exchange.status != 200:
            return None
        after = dict(success.records or {})
        shown = {record_key(r): r for r in records if isinstance(r, dict) and not (
            self.scope.foreign(record_key(r)) and record_key(r) not in self.model.records and record_key(r) not in after)}

        def holds(state: dict[Key, tuple[Credential, ...]]) -> bool:
            return set(shown) == set(state) and all(agrees(shown[k], state[k]) for k in state)

        if holds(self.model.records) and not holds(after):
            return None
        self._commit_collection(success)
        if holds(after):
            self.judge.apply(passed(exchange, *success.rules))
            return success
        self._reading_back = rule
        try:
            self.compare_collection(records, self.model.list(), exchange, rule)
        finally:
            self._reading_back = ""
        return success

    def _write_until_answered(self, method: str, path: str, params: dict[str, Any] | None, body: Any,
                              expectation: Expectation, key: Key | None, applied_if_present: bool
                              ) -> tuple[Exchange | None, Outcome | None]:
        """Send a write; when its outcome is unknown, read to decide, and send it again only
        once the read shows it was not applied (so the change is never made twice).

        Returns the answered exchange, or ``(None, outcome)`` when a read showed the write
        was applied (the outcome committed).

        Raises:
            NoAnswer: no try got an answer and no read showed the write applied: the step is
                an error of the run (unjudged), never silently skipped.
        """
        for attempt in range(WRITE_ATTEMPTS):
            exchange = self._write(method, path, params=params, json=body)
            if exchange is not None and attempt and exchange.status >= 400:
                # Sent again after a read showed the first try not applied: a cluster may have
                # applied it since (late), and then refuses the copy (a duplicate, or no such
                # record any more). A read decides; the target's own write is not blamed.
                decided = self._decide(expectation, key, applied_if_present=applied_if_present)
                if decided is not None:
                    self.note(f"{method} {path}: applied late; the copy sent again was refused "
                              f"({exchange.summary()})")
                    return None, decided
            if exchange is not None:
                return exchange, None
            decided = self._decide(expectation, key, applied_if_present=applied_if_present)
            if decided is not None:
                return None, decided
        raise NoAnswer(f"{method} {path}: the answer was lost {WRITE_ATTEMPTS} times and a read never "
                       "showed the write applied", WRITE_ATTEMPTS)

    def _commit_collection(self, outcome: Outcome) -> None:
        self.writes_applied += 1
        self.model.commit(outcome)
        self.pristine -= {k for k in self.pristine if k not in self.model.records or
                          k in {v.key for v in outcome.result or ()}}
