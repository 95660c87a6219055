"""The ONTAP query language as the model reads it: filters, order_by and fields.

Operators (OB-46, OB-87): ``*`` wildcard, ``!`` negation, ``|`` alternatives, ``<`` ``>`` ``<=``
``>=`` comparisons and ``a..b`` ranges; unset fields do not match. Whether string matching
folds case is not documented, so a match that depends on case is "uncertain" (``None``).
"""

from __future__ import annotations

import re
from typing import Any

from models.records import UNKNOWN, Credential


def _ranges(read: Any) -> Any:
    return lambda c: UNKNOWN if c.ranges is UNKNOWN else [read(r) for r in c.ranges]


def _masks(read: Any) -> Any:
    return lambda c: UNKNOWN if c.masks is UNKNOWN else [read(m) for m in c.masks]


def _mask_address(mask: Any) -> Any:
    """A mask's address as a target returns it: as given, or (the page does not say) with its
    host bits dropped; certain only when the two are the same."""
    return str(mask.address) if mask.address == mask.network.network_address else UNKNOWN


#: Filterable fields the model knows, with how to read each from a record: every filter of
#: the page's parameter table (the address filters by the property's own name,
#: ``initiator_address.ranges.end``: the table's ``initiator_address_ranges.end`` is DOC-001).
#: An address list reads as the values of its entries.
FILTER_FIELDS = {
    "initiator": lambda c: c.initiator,
    "svm.name": lambda c: c.svm_name,
    "svm.uuid": lambda c: c.svm_uuid,
    "authentication_type": lambda c: c.authentication_type,
    "chap.inbound.user": lambda c: c.inbound_user,
    "chap.outbound.user": lambda c: c.outbound_user,
    "initiator_address.ranges.start": _ranges(lambda r: str(r.start)),
    "initiator_address.ranges.end": _ranges(lambda r: str(r.end)),
    "initiator_address.ranges.family": _ranges(lambda r: f"ipv{r.start.version}"),
    "initiator_address.masks.address": _masks(_mask_address),
    "initiator_address.masks.netmask": _masks(lambda m: str(m.netmask)),
    "initiator_address.masks.family": _masks(lambda m: f"ipv{m.address.version}"),
}
#: Fields that hold one value per record (``order_by`` and plain filters draw from these).
SCALAR_FIELDS = ("initiator", "svm.name", "svm.uuid", "authentication_type", "chap.inbound.user",
                 "chap.outbound.user")


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


def matches_values(query: str, values: list[Any]) -> bool | None:
    """Whether a list field (an address list) matches: the page does not say whether one
    entry or every entry must, so only a list whose entries all agree gives a certain
    answer; an empty list is an unset field."""
    if not values:
        return matches(query, None)
    results = {None if v is UNKNOWN else matches(query, v) for v in values}
    return results.pop() if len(results) == 1 else None


def record_matches(record: Credential, filters: dict[str, str]) -> bool | None:
    """Whether a record passes every filter (None: it depends on an undocumented detail)."""
    verdict: bool | None = True
    for name, query in filters.items():
        value = FILTER_FIELDS[name](record)
        result = None if value is UNKNOWN else matches_values(query, value) if isinstance(value, list) \
            else matches(query, value)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def sort_key(field: str) -> Any:
    """A key function for order_by on a filterable field (unset values first)."""
    read = FILTER_FIELDS[field]
    return lambda record: (read(record) is not None, read(record) or "")
