"""Records as a target returns them: their key, their reading as a model credential, and
whether a returned record agrees with what the model allows (passwords are write-only, so
they never take part)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from models.records import UNKNOWN, Credential, differences

ALL = "*"  # fields=* and, in a blame map, every field group not named


def record_key(record: Any) -> tuple[Any, Any]:
    if not isinstance(record, dict):
        return (None, None)
    svm = record.get("svm")
    return (svm.get("uuid") if isinstance(svm, dict) else None, record.get("initiator"))


def credential_from_json(record: dict[str, Any], svm_names: dict[str, str]) -> Credential:
    """A model record for a record that existed before the run (its secrets are unknown)."""
    from models.addresses import parse_returned_mask, parse_returned_range

    svm = record.get("svm") or {}
    chap = record.get("chap") or {}
    inbound, outbound = chap.get("inbound") or {}, chap.get("outbound") or {}
    addresses = record.get("initiator_address") or {}
    uuid = str(svm.get("uuid"))
    return Credential(
        uuid, svm_names.get(uuid, str(svm.get("name"))), str(record.get("initiator")),
        str(record.get("authentication_type", "none")).lower(),
        inbound.get("user"), UNKNOWN if inbound.get("user") else None,
        outbound.get("user"), UNKNOWN if outbound.get("user") else None,
        frozenset(r for r in map(parse_returned_range, addresses.get("ranges") or []) if r),
        frozenset(m for m in map(parse_returned_mask, addresses.get("masks") or []) if m),
    )


def _entries(record: dict[str, Any], name: str) -> list[Any]:
    addresses = record.get("initiator_address")
    entries = addresses.get(name) if isinstance(addresses, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _user(record: dict[str, Any], side: str) -> Any:
    chap = record.get("chap")
    part = chap.get(side) if isinstance(chap, dict) else None
    return part.get("user") if isinstance(part, dict) else None


#: How to read each filterable field from a returned record, as the model reads it from its own
#: (``models.query.FILTER_FIELDS``): without building a model record, since a whole read of a
#: big cluster judges every one of its records against the query.
JSON_FIELDS: dict[str, Any] = {
    "initiator": lambda r: r.get("initiator"),
    "svm.uuid": lambda r: (r.get("svm") or {}).get("uuid") if isinstance(r.get("svm"), dict) else None,
    "svm.name": lambda r: (r.get("svm") or {}).get("name") if isinstance(r.get("svm"), dict) else None,
    "authentication_type": lambda r: str(r["authentication_type"]).lower() if "authentication_type" in r else None,
    "chap.inbound.user": lambda r: _user(r, "inbound"),
    "chap.outbound.user": lambda r: _user(r, "outbound"),
    "initiator_address.ranges.start": lambda r: [e.get("start") for e in _entries(r, "ranges")],
    "initiator_address.ranges.end": lambda r: [e.get("end") for e in _entries(r, "ranges")],
    "initiator_address.ranges.family": lambda r: [e.get("family") for e in _entries(r, "ranges")],
    "initiator_address.masks.address": lambda r: [e.get("address") for e in _entries(r, "masks")],
    "initiator_address.masks.netmask": lambda r: [e.get("netmask") for e in _entries(r, "masks")],
    "initiator_address.masks.family": lambda r: [e.get("family") for e in _entries(r, "masks")],
}


def json_matches(record: Any, filters: dict[str, str], svm_names: dict[str, str]) -> bool | None:
    """Whether a returned record passes every filter, read from what it shows (None: it
    depends on something the doc leaves open, as :func:`models.query.record_matches`)."""
    from models.query import matches, matches_values

    if not isinstance(record, dict):
        return False
    verdict: bool | None = True
    for name, query in filters.items():
        value = JSON_FIELDS[name](record)
        if name == "svm.name" and value is None:
            value = svm_names.get(JSON_FIELDS["svm.uuid"](record))
        result = matches_values(query, value) if isinstance(value, list) else matches(query, value)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def agrees(record: Any, versions: tuple[Credential, ...]) -> bool:
    return any(not differences(v, record) for v in versions)


def without_links(value: Any) -> Any:
    """A record (or any JSON value) without its ``_links``: what may differ between reads."""
    if isinstance(value, dict):
        return {k: without_links(v) if isinstance(v, dict | list) else v
                for k, v in value.items() if k != "_links"}
    if isinstance(value, list):
        return [without_links(v) if isinstance(v, dict | list) else v for v in value]
    return value


def same(first: Any, second: Any) -> bool:
    """Two readers show the same record (links aside)."""
    return without_links(first) == without_links(second)


def next_href(body: Any) -> str | None:
    """The path and query of a collection's ``_links.next`` (a full URL loses its origin)."""
    links = body.get("_links") if isinstance(body, dict) else None
    link = links.get("next") if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str) or not href:
        return None
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.netloc else href


#: Filters on a record's keys: a returned record always shows them.
KEY_FIELDS = frozenset({"initiator", "svm.uuid", "svm.name"})


def shown_filters(filters: dict[str, str], fields: frozenset[str] | None) -> dict[str, str]:
    """The filters a returned record can be judged by: those on its keys, and those on a
    property the query asked for (``fields`` None: every property)."""
    return {k: v for k, v in filters.items()
            if fields is None or k in KEY_FIELDS or k.split(".")[0] in fields}
