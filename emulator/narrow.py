"""Narrow a credentials collection query to the SVMs and initiators it can select.

A cluster with 20,000 other hosts' records answers the suite's scoped reads
(``svm.uuid=<a>|<b>&initiator=<namespace>*|default``) without rendering and filtering
every record: the ``svm.*`` filters are tried on each SVM alone, and an ``initiator``
filter whose terms are all literals or ``prefix*`` wildcards picks its names from each SVM's
sorted initiators by bisection. The result is a superset of the query's matches, in the
collection's order; the generic filter (emulator/query.py) still runs on it, so the answer is
the one the whole collection gives. Where a defect reads the unfiltered collection (its first
records, its size), nothing is narrowed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from emulator import query
from emulator.defects import Defects
from emulator.state import Svm

#: Defects whose answer depends on the records before filtering: never narrowed.
WHOLE_COLLECTION_DEFECTS = frozenset({"filter-ignored", "filter-misses-late-records",
                                      "order-by-ignored-past-ten", "wildcard-literal",
                                      "count-ignores-filter", "address-filters-ignored"})
#: A filter with more distinct terms than this is left to the generic path (bounded work).
MAX_TERMS = 64
SVM_FIELDS = ("svm.uuid", "svm.name")
UNBOUNDED = 10**12


@dataclass(frozen=True)
class Narrowing:
    """The SVM filters of a query, and its initiator terms as (text, is_prefix), or None
    when any initiator may match."""

    svm_filters: tuple[query.Filter, ...]
    initiator_terms: tuple[tuple[str, bool], ...] | None

    def keeps_svm(self, svm: Svm) -> bool:
        record = {"svm": {"uuid": svm.uuid, "name": svm.name}}
        budget = query.Budget(UNBOUNDED)  # at most MAX_TERMS comparisons per filter
        return all(f.matches(record, budget) for f in self.svm_filters)

    def initiators(self, names: list[str]) -> Iterator[str]:
        """The names (sorted) some term can match, in order."""
        if self.initiator_terms is None:
            yield from names
            return
        spans = []
        for text, prefix in self.initiator_terms:
            low = high = bisect_left(names, text)
            if prefix:
                while high < len(names) and names[high].startswith(text):
                    high += 1
            elif high < len(names) and names[high] == text:
                high += 1
            if high > low:
                spans.append((low, high))
        done = 0
        for low, high in sorted(spans):
            for i in range(max(low, done), high):
                yield names[i]
            done = max(done, high)


def plan(params: dict[str, str], defects: Defects) -> Narrowing | None:
    """The narrowing a collection query allows, or None (no filter on SVM or initiator, or a
    defect that reads the whole collection)."""
    if any(name in defects for name in WHOLE_COLLECTION_DEFECTS):
        return None
    svm_filters = []
    for path in SVM_FIELDS:
        if path in params:
            compiled = query.Filter(path, params[path], "str", literal=False)
            if len(compiled.terms) <= MAX_TERMS:
                svm_filters.append(compiled)
    terms = _initiator_terms(params["initiator"]) if "initiator" in params else None
    if not svm_filters and terms is None:
        return None
    return Narrowing(tuple(svm_filters), terms)


def _initiator_terms(value: str) -> tuple[tuple[str, bool], ...] | None:
    """Each term as (literal, False) or (prefix, True); None if one is anything else
    (a negation, ``null``, an operator, a wildcard that does not start with text)."""
    compiled = query.Filter("initiator", value, "str", literal=False)
    if len(compiled.terms) > MAX_TERMS:
        return None
    out = []
    for term in compiled.terms:
        if term.negate or term.null:
            return None
        if term.op == "eq" and term.key is not None:
            out.append((str(term.key[1]), False))
        elif term.op == "glob" and term.first:
            out.append((term.first, True))
        else:
            return None
    return tuple(out)
