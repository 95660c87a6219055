"""Verdicts: what one check concluded about one response, for the rules it judged.

A check function returns verdicts and writes nothing; :class:`conformance.judging.judge.Judge`
alone turns them into ledger entries. Every verdict carries the exchange it judged, so a
rule can be credited only by a response to a request that exercised it, never by a test
marker, a blame map or the absence of a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.wire.client import Exchange


@dataclass(frozen=True)
class Verdict:
    """One judgement of one response.

    Attributes:
        rules: the rules judged (credited when ``ok``, blamed otherwise); never empty.
        ok: whether the response conformed to them.
        exchange: the request and the response that was judged.
        message: for a broken rule, one sentence on what went wrong.
        documented: for a broken rule, what the doc (or the model) allows.
    """

    rules: tuple[str, ...]
    ok: bool
    exchange: Exchange
    message: str = ""
    documented: str = ""

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError("a verdict judges at least one rule")
        if not isinstance(self.exchange, Exchange):
            raise TypeError("a verdict needs the exchange it judged")


def passed(exchange: Exchange, *rules: str) -> list[Verdict]:
    """Credit ``rules`` for this response (nothing when no rule is given)."""
    unique = tuple(dict.fromkeys(rules))
    return [Verdict(unique, True, exchange)] if unique else []


def broken(exchange: Exchange, rules: tuple[str, ...] | list[str], message: str,
           documented: str = "") -> Verdict:
    """Blame ``rules`` for this response."""
    return Verdict(tuple(dict.fromkeys(rules)), False, exchange, message, documented)


def failing(verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts that blame a rule."""
    return [v for v in verdicts if not v.ok]
