"""Outcome sets: what the model allows a target to answer, and what each answer means.

The 9.10.1 doc often leaves a choice open (which error wins when a request breaks two rules,
which HTTP status goes with an endpoint code, whether a borderline value is accepted). The
model never picks one answer for the target: it returns every allowed outcome, and the suite
commits the one the target chose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.rules import RULE_FOR_CODE

#: Any 4xx status: the doc gives endpoint codes with "Status: Default" and no HTTP status.
CLIENT_ERRORS = frozenset(range(400, 500))
#: Codes that name one rule: the endpoint's tables (and "4", no such record), and the generic
#: codes with one meaning (OB-14: "1" an entry with the same identifiers exists, "6" permission
#: denied).
CODE_OWNERS: dict[str, str] = {**RULE_FOR_CODE, "1": "CRED-POST-004", "6": "CRED-ACCESS-002"}


@dataclass(frozen=True)
class Violation:
    """A rule that a request breaks, or an allowance where the doc is silent.

    Attributes:
        rule: the rule ID; ``None`` for an *allowance*: the doc neither requires nor forbids
            a refusal (``source`` says where the doubt comes from), so a refusal is allowed
            but judges no rule and is never blamed on one.
        codes: the ONTAP error codes the target may answer with; ``None`` when the doc gives
            no code for this rule (any code is allowed, never an invented one).
        certain: ``False`` when the doc leaves open whether the request breaks the rule
            (the target may then also accept the request).
        detail: a short human explanation for reports.
        statuses: the allowed HTTP statuses.
        source: for an allowance, the reference (OB-N, OQ-N of
            ``models.references``) that makes refusing allowed.
        also: for a rule without a code of its own, codes of other rules that may still
            identify it (an empty CHAP password may well be answered as "no password").
    """

    rule: str | None
    codes: frozenset[str] | None
    certain: bool = True
    detail: str = ""
    statuses: frozenset[int] = CLIENT_ERRORS
    source: str = ""
    also: frozenset[str] = frozenset()


def violation(rule: str, *codes: str, certain: bool = True, detail: str = "",
              statuses: Iterable[int] = CLIENT_ERRORS, also: Iterable[str] = ()) -> Violation:
    """Build a violation; no codes means the doc documents no code for it."""
    return Violation(rule, frozenset(codes) if codes else None, certain, detail,
                     frozenset(statuses), also=frozenset(also))


def allowance(detail: str, source: str) -> Violation:
    """A refusal the doc leaves open and no rule owns (any 4xx, any code; never certain).

    For example a PATCH that changes ``chap`` without ``authentication_type``: NetApp's
    clients always send both because a real cluster may refuse it (OB-34), but no rule
    says so. Such a refusal is allowed and judges nothing.
    """
    return Violation(None, None, False, detail, CLIENT_ERRORS, source)


@dataclass(frozen=True)
class Outcome:
    """One allowed answer and its effect on the model.

    Attributes:
        statuses: allowed HTTP statuses.
        codes: allowed ONTAP error codes (``None``: any code); empty for a success.
        rules: the rules this outcome rests on (a mismatch is blamed on them).
        success: whether this is an accepted request.
        records: for a success, the complete model state after the call.
        result: for a success, the record the call created, changed or returned.
        deviates_from: observed rules that accepting this request breaks (a success that the
            observed behaviour of real clusters would refuse): reported apart, never a
            documented failure.
        detail: why this outcome is allowed.
        certain: for a refusal, whether the request certainly broke the rule (only then does
            a matching answer judge the rule); a success is always certain.
    """

    statuses: frozenset[int]
    codes: frozenset[str] | None
    rules: tuple[str, ...]
    success: bool
    records: Mapping[tuple[str, str], Any] | None = None
    result: Any = None
    deviates_from: tuple[str, ...] = ()
    detail: str = ""
    certain: bool = True
    #: for a refusal with any code (``codes`` None): codes it may not carry, because they name
    #: another rule that the request did not break (an answer naming that rule is a mismatch)
    excluded: frozenset[str] = frozenset()

    def allows(self, status: int, code: str | None) -> bool:
        """Whether a response with this status and ONTAP code fits this outcome."""
        if status not in self.statuses:
            return False
        if self.success:
            return code is None
        if code is None:
            return False
        return code in self.codes if self.codes is not None else code not in self.excluded

    def describe(self) -> str:
        """A short text for "documented:" lines of a failure."""
        status = _describe_statuses(self.statuses)
        why = ", ".join(self.rules) or f"allowed: {self.detail}"
        if self.success:
            return f"{status} ({why})"
        codes = "any code" if self.codes is None else "code " + "|".join(sorted(self.codes))
        return f"{status} with {codes} ({why})"


def _describe_statuses(statuses: frozenset[int]) -> str:
    if statuses == CLIENT_ERRORS:
        return "4xx"
    return "|".join(str(s) for s in sorted(statuses))


@dataclass(frozen=True)
class Expectation:
    """The set of outcomes the model allows for one call."""

    operation: str
    outcomes: tuple[Outcome, ...]
    violations: tuple[Violation, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.outcomes:
            raise ValueError(f"{self.operation}: an expectation needs at least one outcome")

    def matching(self, status: int, code: str | None) -> list[Outcome]:
        """The outcomes that a response with this status and code fits, best first."""
        return [o for o in self.outcomes if o.allows(status, code)]

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule named by any outcome, in order, without repeats."""
        seen: dict[str, None] = {}
        for outcome in self.outcomes:
            for rule_id in outcome.rules:
                seen.setdefault(rule_id)
        return tuple(seen)

    @property
    def success(self) -> Outcome | None:
        """The accepting outcome, if accepting the request is allowed."""
        return next((o for o in self.outcomes if o.success), None)

    @property
    def must_fail(self) -> bool:
        """True when the doc requires the request to be refused."""
        return self.success is None

    def describe(self) -> str:
        """All allowed outcomes, for failure messages."""
        return "; ".join(o.describe() for o in self.outcomes)


def expectation_from(operation: str, violations: Iterable[Violation], success: Outcome,
                     *, observed_rules: frozenset[str] = frozenset()) -> Expectation:
    """Combine a request's violations with the outcome of accepting it.

    Every violation contributes an error outcome (the doc does not say which error wins).
    Accepting the request stays allowed when no violation is certain; when the only certain
    violations are of observed rules, accepting is allowed but marked as a deviation.
    """
    violations = tuple(violations)
    outcomes = list(refusals(violations))
    certain = [v for v in violations if v.certain]
    if not certain:
        outcomes.insert(0, success)
    elif all(v.rule in observed_rules for v in certain):
        deviating = tuple(dict.fromkeys(v.rule for v in certain if v.rule is not None))
        outcomes.append(Outcome(success.statuses, success.codes, success.rules, True,
                                success.records, success.result, deviating, success.detail))
    return Expectation(operation, tuple(outcomes), violations)


def refusal(v: Violation, excluded: frozenset[str] = frozenset()) -> Outcome:
    """The outcome of refusing a request for one violation (or allowance)."""
    rules = (v.rule,) if v.rule is not None else ()
    return Outcome(v.statuses, v.codes, rules, False, detail=v.detail, certain=v.certain,
                   excluded=excluded - v.also if v.rule is not None and v.codes is None else frozenset())


def refusals(violations: Iterable[Violation]) -> tuple[Outcome, ...]:
    """The refusals of a request that breaks ``violations``.

    A rule without a code of its own is identified by an answer with any code but one that
    names another rule the request did not break: a POST whose only fault is its
    authentication type, refused with "SVM does not exist", names the wrong rule.
    """
    violations = tuple(violations)
    broken = {v.rule for v in violations if v.rule is not None}
    excluded = frozenset(code for code, owner in CODE_OWNERS.items() if owner not in broken)
    return tuple(refusal(v, excluded) for v in violations)
