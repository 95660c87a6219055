"""The failure a check raises: names the broken rules, what came back, what the doc allows.

It is an ``AssertionError`` so pytest and Hypothesis treat it as an ordinary failing
assertion (and shrink it); the plugin reads ``rule_ids`` back to fill the rule matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.rules import BY_ID


class ConformanceFailure(AssertionError):
    """A response broke one or more catalogued rules.

    Args:
        rule_ids: IDs from ``models.rules`` (one or more) that the response broke.
        message: One sentence saying what went wrong.
        received: What the target answered (already redacted by the caller or not;
            the plugin redacts every report anyway).
        documented: What the doc (or the model) allows.
        curl: A runnable reproduction with secrets replaced by placeholders.
    """

    def __init__(
        self,
        rule_ids: Sequence[str],
        message: str,
        *,
        received: str = "",
        documented: str = "",
        curl: str = "",
    ) -> None:
        if isinstance(rule_ids, str):
            rule_ids = (rule_ids,)
        self.rule_ids = tuple(rule_ids)
        self.message = message
        self.received = received
        self.documented = documented
        self.curl = curl
        super().__init__(self._render())

    def _render(self) -> str:
        heads = []
        for rule_id in self.rule_ids:
            rule = BY_ID.get(rule_id)
            heads.append(f"{rule_id} {rule.title}" if rule else f"{rule_id} (unknown rule)")
        lines = [f"{'; '.join(heads) or '(no rule)'}: {self.message}"]
        if self.received:
            lines.append(f"  received: {self.received}")
        if self.documented:
            lines.append(f"  documented: {self.documented}")
        if self.curl:
            lines.append(f"  reproduce: {self.curl}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        return f"ConformanceFailure({self.rule_ids!r}, {self.message!r})"

    def __reduce__(self):
        # Keyword-only fields would be lost by the default BaseException pickling, and the
        # per-rule subclasses are made at run time: rebuild through failure_for().
        return (_rebuild, (self.rule_ids, self.message, self.received, self.documented, self.curl))

    # Hypothesis tells distinct bugs apart by exception type and location; equal rule
    # sets with equal messages are the same bug.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConformanceFailure):
            return NotImplemented
        return (self.rule_ids, self.message) == (other.rule_ids, other.message)

    def __hash__(self) -> int:
        return hash((type(self), self.rule_ids, self.message))


def _rebuild(rule_ids, message, received, documented, curl):
    return failure_for(rule_ids)(rule_ids, message, received=received, documented=documented,
                                 curl=curl)


_PER_RULES: dict[tuple[str, ...], type[ConformanceFailure]] = {}


def failure_for(rule_ids: Sequence[str]) -> type[ConformanceFailure]:
    """The failure class for one set of rules.

    Hypothesis tells distinct bugs apart by exception type and the line that raised it.
    All checks raise from one line, so without a class per rule set every broken rule
    would count as one bug and be shrunk to one program; with it, each broken rule gets
    its own minimal program in the report.
    """
    key = (rule_ids,) if isinstance(rule_ids, str) else tuple(rule_ids)
    cls = _PER_RULES.get(key)
    if cls is None:
        cls = type(f"ConformanceFailure[{' '.join(key)}]", (ConformanceFailure,), {"__module__": __name__})
        _PER_RULES[key] = cls
    return cls
