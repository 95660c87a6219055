"""The ONTAP query language on rendered records: fields, filters, order_by and paging.

It works on plain dicts against a small schema tree (leaf = value kind), so the same code
serves credentials, SVMs and services. Facts §46-§50 and §59-§60 describe the dialect.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from emulator import errors
from emulator.defects import Defects
from emulator.errors import OntapError

Schema = dict[str, Any]
LINKS = "links"

CREDENTIALS_SCHEMA: Schema = {
    "svm": {"uuid": "str", "name": "str", "_links": LINKS},
    "initiator": "str",
    "authentication_type": "enum",
    "chap": {"inbound": {"user": "str"}, "outbound": {"user": "str"}},
    "initiator_address": {
        "ranges": {"start": "ip", "end": "ip", "family": "enum"},
        "masks": {"address": "ip", "netmask": "int", "family": "enum"},
    },
    "_links": LINKS,
}
SVM_SCHEMA: Schema = {"uuid": "str", "name": "str", "state": "enum", "subtype": "enum",
                      "_links": LINKS}
SERVICE_SCHEMA: Schema = {"svm": {"uuid": "str", "name": "str", "_links": LINKS},
                          "enabled": "enum", "target": {"name": "str", "alias": "str"},
                          "_links": LINKS}

#: Fields every record carries whatever ``fields`` says (its keys and its self link).
IDENTITY = {
    "credentials": ["svm.uuid", "svm.name", "svm._links", "initiator", "_links"],
    "svms": ["uuid", "name", "_links"],
    "services": ["svm.uuid", "svm.name", "svm._links", "_links"],
}
SECRETS = {"chap.inbound.password", "chap.outbound.password"}
ALIASES = {"initiator_address_ranges.end": "initiator_address.ranges.end"}  # doc typo
CONTROL = {"fields", "max_records", "return_records", "return_timeout", "order_by", "offset",
           "pretty"}
MAX_RECORDS_CAP = 10000


def parse_bool(value: str, name: str) -> bool:
    """Booleans arrive as true/false, True/False (NetApp's client) or 1/0."""
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise errors.invalid(name, f'The value "{errors.show(value)}" is invalid for field '
                         f'"{name}" (true or false).')


def parse_int(value: str, name: str, low: int, high: int) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text[:12]) <= high:
        raise errors.invalid(name, f'The value "{errors.show(value)}" is invalid for field '
                             f'"{name}" ({low}..{high}).')
    return int(text)


def check_timeout(params: dict[str, str]) -> None:
    if "return_timeout" in params:
        parse_int(params["return_timeout"], "return_timeout", 0, 120)


def only(params: dict[str, str], allowed: set[str]) -> None:
    """Refuse any query parameter this operation does not take (262179)."""
    for name in params:
        if name not in allowed:
            raise errors.unexpected(name)


# --- schema paths ------------------------------------------------------------------------
def _node(schema: Schema, path: str) -> Any:
    node: Any = schema
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _leaf(schema: Schema, path: str) -> str | None:
    node = _node(schema, path)
    return node if isinstance(node, str) and node != LINKS else None


# --- fields ------------------------------------------------------------------------------
def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise OntapError(400, "262286", "Mismatching braces found in the fields= "
                                 "query.", "fields")
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if depth:
        raise OntapError(400, "262286", "Mismatching braces found in the fields= query.",
                         "fields")
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _expand(item: str) -> list[str]:
    """``svm.{name,uuid}`` -> ``svm.name``, ``svm.uuid`` (one brace group deep is enough)."""
    match = re.fullmatch(r"(.*?)\{(.*)\}(.*)", item)
    if not match:
        return [item]
    head, inner, tail = match.groups()
    return [f"{head}{p}{tail}" for p in _split_top(inner)]


@dataclass
class Selection:
    include: list[str]
    exclude: list[str]


def parse_fields(text: str | None, schema: Schema, kind: str) -> Selection | None:
    """None means "no fields parameter": the caller picks the default shape."""
    if text is None:
        return None
    include, exclude = list(IDENTITY[kind]), []
    for raw in _split_top(text):
        negate = raw.startswith("!")
        for item in _expand(raw[1:] if negate else raw):
            if item in ("*", "**"):
                include.extend(schema)
                continue
            if _node(schema, item) is None:
                raise errors.bad_fields(item)
            (exclude if negate else include).append(item)
    return Selection(include, exclude)


def project(record: dict[str, Any], sel: Selection) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sel.include:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is True:
                break
            node = node.setdefault(part, {})
        else:
            node[parts[-1]] = True
    out = _pick(record, tree)
    for path in sel.exclude:
        _drop(out, path.split("."))
    return out


def _pick(value: Any, tree: Any) -> Any:
    if tree is True:
        return value
    if isinstance(value, list):
        return [_pick(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: _pick(v, tree[k]) for k, v in value.items() if k in tree}


def _drop(value: Any, parts: list[str]) -> None:
    if isinstance(value, list):
        for v in value:
            _drop(v, parts)
    elif isinstance(value, dict) and parts and parts[0] in value:
        if len(parts) == 1:
            del value[parts[0]]
        else:
            _drop(value[parts[0]], parts[1:])


# --- filters -----------------------------------------------------------------------------
def values_at(record: Any, parts: list[str]) -> list[Any]:
    if isinstance(record, list):
        return [v for item in record for v in values_at(item, parts)]
    if not parts:
        return [] if record is None else [record]
    if not isinstance(record, dict) or parts[0] not in record:
        return []
    return values_at(record[parts[0]], parts[1:])


def _key(value: Any, kind: str) -> tuple[int, Any]:
    """A sort/compare key; values that do not parse as their kind compare as text."""
    text = str(value)
    try:
        if kind == "int":
            return (0, int(text))
        if kind == "ip":
            ip = ipaddress.ip_address(text)
            return (0, (ip.version, int(ip)))
    except ValueError:
        pass
    return (1, text.lower() if kind == "enum" else text)


def _compare_one(term: str, value: Any, kind: str, literal: bool) -> bool:
    if literal:
        return _key(term, kind) == _key(value, kind)
    if len(term) >= 2 and ((term[0], term[-1]) in (('"', '"'), ("{", "}"))):
        return _key(term[1:-1], kind) == _key(value, kind)
    v = _key(value, kind)
    for op in ("<=", ">=", "<", ">"):
        if term.startswith(op):
            k = _key(term[len(op):], kind)
            if k[0] != v[0]:
                return False
            return {"<=": v <= k, ">=": v >= k, "<": v < k, ">": v > k}[op]
    if ".." in term:
        low, high = (_key(t, kind) for t in term.split("..", 1))
        return low[0] == v[0] == high[0] and low <= v <= high
    if "*" in term:
        pattern = ".*".join(re.escape(p) for p in term.split("*"))
        flags = re.IGNORECASE if kind == "enum" else 0
        return re.fullmatch(pattern, str(value), flags | re.DOTALL) is not None
    return _key(term, kind) == v


def _match_term(term: str, values: list[Any], kind: str, literal: bool) -> bool:
    if literal:
        return any(_compare_one(term, v, kind, True) for v in values)
    negate = term.startswith("!")
    body = term[1:] if negate else term
    if body == "null":
        return bool(values) if negate else not values
    if not values:  # unset fields are excluded from matches
        return False
    hit = any(_compare_one(body, v, kind, False) for v in values)
    return not hit if negate else hit


def matches(record: dict[str, Any], path: str, query: str, kind: str, literal: bool) -> bool:
    values = values_at(record, path.split("."))
    if literal:
        return _match_term(query, values, kind, True)
    return any(_match_term(t, values, kind, False) for t in query.split("|"))


# --- order_by ----------------------------------------------------------------------------
def parse_order(text: str, schema: Schema) -> list[tuple[str, str, bool]]:
    order = []
    for item in _split_top(text):
        words = item.split()
        path = ALIASES.get(words[0], words[0])
        direction = words[1].lower() if len(words) > 1 else "asc"
        kind = _leaf(schema, path)
        if kind is None or len(words) > 2 or direction not in ("asc", "desc"):
            raise OntapError(400, "262268", f'The field "{errors.show(item)}" is not supported '
                             "as an order_by= field.", "order_by")
        order.append((path, kind, direction == "desc"))
    return order


def _sort_key(record: dict[str, Any], path: str, kind: str) -> tuple[int, Any]:
    values = values_at(record, path.split("."))
    return (0, None) if not values else (1, _key(values[0], kind))


# --- the collection ----------------------------------------------------------------------
def collection(records: list[dict[str, Any]], params: dict[str, str], schema: Schema,
               kind: str, base: str, raw_query: str, defects: Defects) -> dict[str, Any]:
    """Apply the whole query to full records and build ONTAP's collection response."""
    filters: list[tuple[str, str, str]] = []
    for name, value in params.items():
        if name in CONTROL:
            continue
        path = ALIASES.get(name, name)
        if path in SECRETS or path.endswith(".password"):
            raise OntapError(400, "262202", f'Field "{errors.show(name)}" is considered secret '
                             "and should not be provided in the URL.", name)
        field_kind = _leaf(schema, path)
        if field_kind is None:
            raise errors.unexpected(name)
        filters.append((path, value, field_kind))
    check_timeout(params)
    return_records = parse_bool(params.get("return_records", "true"), "return_records")
    max_records = (parse_int(params["max_records"], "max_records", 1, MAX_RECORDS_CAP)
                   if "max_records" in params else None)
    offset = (parse_int(params["offset"], "offset", 0, 10**9)
              if "offset" in params else 0)
    selection = parse_fields(params.get("fields"), schema, kind)
    order = parse_order(params["order_by"], schema) if "order_by" in params else []

    if "filter-ignored" not in defects:
        literal = "wildcard-literal" in defects
        scanned = records[:10] if filters and "filter-misses-late-records" in defects else records
        records = [r for r in scanned
                   if all(matches(r, p, q, k, literal) for p, q, k in filters)]
    if "order-by-ignored" not in defects and not (
            "order-by-ignored-past-ten" in defects and len(records) > 10):
        for path, field_kind, desc in reversed(order):
            records.sort(key=lambda r, p=path, k=field_kind: _sort_key(r, p, k), reverse=desc)
    self_href = f"{base}?{raw_query}" if raw_query else base
    if not return_records and "return-records-ignored" not in defects:
        return {"num_records": len(records), "_links": {"self": {"href": self_href}}}
    page = records[offset:]
    links: dict[str, Any] = {"self": {"href": self_href}}
    later = max_records is not None and offset >= 2 * max_records  # the third page on
    if max_records is not None and "max-records-ignored" not in defects:
        size = max_records + (1 if later and "later-pages-overfull" in defects else 0)
        page = page[:size]
        if offset + size < len(records):
            resume = {k: v for k, v in params.items() if k != "offset"}
            resume["offset"] = str(offset + size)
            links["next"] = {"href": f"{base}?{urlencode(resume, quote_via=quote)}"}
    if selection is None:
        selection = Selection(list(IDENTITY[kind]), [])
    if "fields-ignored" in defects:
        selection = Selection(list(IDENTITY[kind]), [])
    shown = [project(r, selection) for r in page]
    count = len(shown) + (1 if "num-records-off-by-one" in defects else 0)
    if later and "num-records-remaining-on-later-pages" in defects:
        count = len(records) - offset
    return {"records": shown, "num_records": count, "_links": links}
