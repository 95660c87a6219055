"""The ONTAP query language as the model reads it: filters, order_by and fields.

Operators (OB-46, OB-87): ``*`` wildcard, ``!`` negation, ``|`` alternatives, ``<`` ``>`` ``<=``
``>=`` comparisons and ``a..b`` ranges; unset fields do not match. Whether string matching
folds case is not documented, so a match that depends on case is "uncertain" (``None``).
"""

from __future__ import annotations

import re
from typing import Any

from models.records import UNKNOWN, Credential

#: Filterable fields the model knows, with how to read each from a record.
FILTER_FIELDS = {
    "initiator": lambda c: c.initiator,
    "svm.name": lambda c: c.svm_name,
    "svm.uuid": lambda c: c.svm_uuid,
    "authentication_type": lambda c: c.authentication_type,
    "chap.inbound.user": lambda c: c.inbound_user,
    "chap.outbound.user": lambda c: c.outbound_user,
}


def matches(query: str, value: str | None) -> bool | None:
    """Whether ``value`` matches an ONTAP query; None when only case decides."""
    results = [_match_one(part, value) for part in query.split("|")]
    if True in results:
        return True
    if None in results:
        return None
    return False


def _match_one(query: str, value: str | None) -> bool | None:
    if query.startswith("!"):
        inner = _match_one(query[1:], value)
        if value is None:
            return None  # is an unset field "not joe"? the doc does not say
        return None if inner is None else not inner
    if value is None:
        return False
    exact = _compare(query, value)
    folded = _compare(query.lower(), value.lower())
    if exact == folded:
        return exact
    return None


def _compare(query: str, value: str) -> bool:
    for operator in ("<=", ">=", "<", ">"):
        if query.startswith(operator):
            bound = query[len(operator):]
            return {"<=": value <= bound, ">=": value >= bound,
                    "<": value < bound, ">": value > bound}[operator]
    if ".." in query:
        low, _, high = query.partition("..")
        return low <= value <= high
    if "*" in query:
        pattern = ".*".join(re.escape(part) for part in query.split("*"))
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    return value == query


def record_matches(record: Credential, filters: dict[str, str]) -> bool | None:
    """Whether a record passes every filter (None: it depends on an undocumented detail)."""
    verdict: bool | None = True
    for name, query in filters.items():
        value = FILTER_FIELDS[name](record)
        result = None if value is UNKNOWN else matches(query, value)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def sort_key(field: str) -> Any:
    """A key function for order_by on a filterable field (unset values first)."""
    read = FILTER_FIELDS[field]
    return lambda record: (read(record) is not None, read(record) or "")
