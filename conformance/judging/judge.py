"""The judge: the one place where verdicts become ledger entries and failures.

Checks return verdicts; the judge credits the rules of passing verdicts, records a broken
observed rule as a deviation (unless the run is strict about observed rules), and raises a
:class:`~conformance.judging.failures.ConformanceFailure` naming every broken rule otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pytest

from conformance.judging.checks import SecretBook
from conformance.judging.failures import failure_for
from conformance.judging.ledger import Ledger
from conformance.judging.verdicts import Verdict
from conformance.wire.client import Exchange
from models.rules import BY_ID, OBSERVED


class NotJudged(Exception):
    """A test could not get its rule judged: the target took another allowed path.

    Not a verdict on the target: the rule stays not exercised and the run inconclusive.
    """


class Judge:
    """Records the verdicts of one test or one state-machine program.

    Args:
        ledger: the run's ledger.
        strict_observed: whether a broken observed rule fails the run.
    """

    def __init__(self, ledger: Ledger, *, strict_observed: bool = False) -> None:
        self.ledger = ledger
        self.strict_observed = strict_observed
        self.secrets = SecretBook()
        self.broken = False  # a failure was raised: the model no longer follows the target
        self.judged: Counter[str] = Counter()  # rules judged here (conformed or deviated)
        self.deviated: Counter[str] = Counter()  # observed rules that deviated here

    def apply(self, verdicts: Iterable[Verdict]) -> None:
        """Record verdicts in order; raise for the broken rules that fail the run."""
        failures: list[tuple[Verdict, tuple[str, ...]]] = []
        credits: Counter[tuple[str, int]] = Counter()  # one ledger entry per rule and response
        exchanges: dict[int, Exchange] = {}
        for verdict in verdicts:
            if verdict.ok:
                for rule_id in verdict.rules:
                    credits[(rule_id, id(verdict.exchange))] += 1
                    exchanges[id(verdict.exchange)] = verdict.exchange
                continue
            lenient = [r for r in verdict.rules
                       if not self.strict_observed and BY_ID[r].basis_in(self.ledger.release) == OBSERVED]
            for rule_id in lenient:
                self.ledger.deviate(rule_id, f"{verdict.message}; received {_received(verdict.exchange)}",
                                    verdict.exchange)
                self.judged[rule_id] += 1
                self.deviated[rule_id] += 1
            strict = tuple(r for r in verdict.rules if r not in lenient)
            if strict:
                failures.append((verdict, strict))
        for (rule_id, exchange_id), times in credits.items():
            self.ledger.credit(rule_id, exchanges[exchange_id], times)
            self.judged[rule_id] += times
        if failures:
            self._raise(failures)

    def _raise(self, failures: list[tuple[Verdict, tuple[str, ...]]]) -> None:
        rules = tuple(dict.fromkeys(r for _, strict in failures for r in strict))
        for verdict, strict in failures:
            for rule_id in strict:
                self.ledger.fail(rule_id, verdict.message, verdict.exchange)
        self.broken = True
        first = failures[0][0]
        message = "; ".join(dict.fromkeys(v.message for v, _ in failures))
        raise failure_for(rules)(rules, message, received=_received(first.exchange),
                                 documented=first.documented, curl=first.exchange.as_curl())

    def accepted_code(self, code: str | None, alternatives: Iterable[str] = ()) -> None:
        """Count an ONTAP error code carried by a response the model allowed (``alternatives``:
        the codes the model allowed in its place for the same rule)."""
        if code is not None:
            self.ledger.code_accepted(code, tuple(alternatives))

    def expect_judged(self, *rule_ids: str) -> None:
        """Require each rule to have been judged by a response here.

        A test named after a rule ends with this, so it cannot pass without its rule having
        been judged: :class:`NotJudged` when a target took another allowed path (e.g. answered
        with another rule's code for a request that breaks two), and an expected failure
        (xfail) when an observed rule deviated in a run that is not strict about them.
        """
        missing = [r for r in rule_ids if not self.judged[r]]
        if missing:
            raise NotJudged(f"{', '.join(missing)} not judged: no response to this test's requests "
                            "exercised it (the target took another allowed outcome)")
        deviated = [r for r in rule_ids if self.deviated[r]]
        if deviated:
            pytest.xfail(f"{', '.join(deviated)} deviated: an observed rule, reported apart "
                         "(--strict-observed makes it a failure)")


def _received(exchange: Exchange) -> str:
    text = exchange.response_text
    return exchange.summary() + " " + (text if len(text) <= 300 else text[:300] + "...")
