"""The ONTAP query language on rendered records: fields, filters, order_by and paging.

It works on plain dicts against a small schema tree (leaf = value kind), so the same code
serves credentials, SVMs and services. OB-46 to OB-50 and OB-59 to OB-60
(docs/observed-behaviour.md) describe the dialect.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload
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
#: The order a collection is served in when no ``order_by`` is given (app.py pre-sorts so),
#: and the key that makes a record's position unique. ``_links.next`` resumes after the last
#: record of a page by its position in the query's order, sent as ``start.<field>=<value>``.
DEFAULT_ORDER = {"credentials": ["svm.name", "initiator"], "svms": ["name"],
                 "services": ["svm.name"]}
RECORD_KEY = {"credentials": ["svm.uuid", "initiator"], "svms": ["uuid"],
              "services": ["svm.uuid"]}
START = "start."
#: Most comparisons one collection query may make (a limit of this emulator, not ONTAP's):
#: one per (filter term, value) pair, plus one per wildcard piece scanned. A real query on
#: a real collection needs a few thousand; the cap keeps one request near 0.1 s of CPU.
MAX_FILTER_WORK = 200_000
#: Filters the address-filters-ignored defect skips (CRED-LIST-003).
ADDRESS_FILTERS = ("initiator_address.", "chap.outbound.user")


@dataclass(frozen=True)
class Dialect:
    """This server's own choices where the query language leaves room (emulator/variants.py):
    a cap on every page, a next link on the last page too, and whether the page's misspelt
    filter ``initiator_address_ranges.end`` is ignored (by default it is read as
    ``initiator_address.ranges.end``, see ALIASES)."""

    page_cap: int | None = None
    next_on_last_page: bool = False
    ignore_doc_typo: bool = False


PLAIN = Dialect()


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
    digits = text.lstrip("0") or "0"  # leading zeros are harmless; thousands of them too
    if not (text.isascii() and text.isdigit()) or len(digits) > 12 \
            or not low <= int(digits) <= high:
        raise errors.invalid(name, f'The value "{errors.show(value)}" is invalid for field '
                             f'"{name}" ({low}..{high}).')
    return int(digits)


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
    _tree: dict[str, Any] | None = None

    def tree(self) -> dict[str, Any]:
        """The included paths as a nested dict (built once, reused for every record)."""
        if self._tree is None:
            tree: dict[str, Any] = {}
            for path in self.include:
                node = tree
                parts = path.split(".")
                for part in parts[:-1]:
                    nxt = node.get(part)
                    if nxt is True:
                        break
                    node = node.setdefault(part, {})
                else:
                    node[parts[-1]] = True
            self._tree = tree
        return self._tree


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
    # a path named twice selects nothing more: keep the first (fields= may list thousands)
    return Selection(list(dict.fromkeys(include)), list(dict.fromkeys(exclude)))


def project(record: dict[str, Any], sel: Selection) -> dict[str, Any]:
    """The record as ``fields=`` shows it; ``record`` is never changed (records are rendered
    once and shared between reads: emulator/render.py)."""
    out = _pick(record, sel.tree())
    if sel.exclude:
        out = copy.deepcopy(out)  # _pick shares whole subtrees; dropping must not reach them
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


class Term:
    """One ``|``-separated part of a filter value, parsed once per request.

    The meaning is the query language's (OB-46): ``!`` negates, ``null`` matches an
    unset field, ``"x"`` / ``{x}`` compare literally, ``<``, ``>``, ``<=``, ``>=`` and
    ``low..high`` compare by the field's kind, ``*`` is a wildcard, anything else is an
    equality. Wildcards are matched by scanning for the literal pieces between the stars
    (leftmost first, which is exact for ``*``-only patterns), never by a backtracking regex:
    a pattern such as ``*********b`` costs one pass over the value, not exponential time.
    On enum fields the match ignores case (both sides lowercased).
    """

    __slots__ = ("first", "fold", "key", "last", "literal", "low_high", "middle", "negate",
                 "null", "op")

    def __init__(self, term: str, kind: str, literal: bool) -> None:
        self.literal = literal
        self.negate = False
        self.null = False
        self.op = "eq"
        self.key: tuple[int, Any] | None = None
        self.low_high: tuple[tuple[int, Any], tuple[int, Any]] | None = None
        self.fold = kind == "enum"
        self.first = self.last = ""
        self.middle: tuple[str, ...] = ()
        if literal:
            self.key = _key(term, kind)
            return
        if term.startswith("!"):
            self.negate, term = True, term[1:]
        if term == "null":
            self.null = True
            return
        if len(term) >= 2 and (term[0], term[-1]) in (('"', '"'), ("{", "}")):
            self.key = _key(term[1:-1], kind)
            return
        for op in ("<=", ">=", "<", ">"):
            if term.startswith(op):
                self.op, self.key = op, _key(term[len(op):], kind)
                return
        if ".." in term:
            low, high = term.split("..", 1)
            self.op, self.low_high = "range", (_key(low, kind), _key(high, kind))
            return
        if "*" in term:
            pieces = (term.lower() if self.fold else term).split("*")
            self.op, self.first, self.last = "glob", pieces[0], pieces[-1]
            self.middle = tuple(p for p in pieces[1:-1] if p)
            return
        self.key = _key(term, kind)

    def hit(self, value: Any, key: tuple[int, Any], budget: Budget) -> bool:
        """Whether one value matches (without ``!``); ``key`` is ``_key(value, kind)``."""
        budget.spend(1)
        op = self.op
        if op == "eq":
            return self.key == key
        if op == "glob":
            return self._glob(str(value), budget)
        if op == "range":
            assert self.low_high is not None
            low, high = self.low_high
            return low[0] == key[0] == high[0] and low <= key <= high
        k = self.key
        assert k is not None
        if k[0] != key[0]:
            return False
        return {"<=": key <= k, ">=": key >= k, "<": key < k, ">": key > k}[op]

    def _glob(self, text: str, budget: Budget) -> bool:
        if self.fold:
            text = text.lower()
        first, last = self.first, self.last
        if len(text) < len(first) + len(last) or not text.startswith(first) \
                or not text.endswith(last):
            return False
        pos, end = len(first), len(text) - len(last)
        for piece in self.middle:  # each piece found advances pos, so at most len(text) loops
            budget.spend(1)
            found = text.find(piece, pos, end)
            if found < 0:
                return False
            pos = found + len(piece)
        return True


class Budget:
    """Counts the comparisons of one request; past ``limit`` the query is refused (400)."""

    __slots__ = ("field", "limit", "spent")

    def __init__(self, limit: int = MAX_FILTER_WORK) -> None:
        self.limit = limit
        self.spent = 0
        self.field = ""

    def spend(self, units: int) -> None:
        self.spent += units
        if self.spent > self.limit:
            raise OntapError(400, "2", f'The query on field "{errors.show(self.field)}" needs '
                             f"more than {self.limit} comparisons, the limit of this emulator "
                             "for one request; narrow the query.", self.field)


class Filter:
    """``field=query``: the terms of one query parameter, compiled once per request."""

    def __init__(self, path: str, query: str, kind: str, literal: bool) -> None:
        self.path = path
        self.parts = path.split(".")
        self.kind = kind
        self.literal = literal
        texts = [query] if literal else query.split("|")
        # a term repeated adds nothing to an "any of": compile each distinct one once
        self.terms = [Term(t, kind, literal) for t in dict.fromkeys(texts)]

    def matches(self, record: dict[str, Any], budget: Budget) -> bool:
        values = values_at(record, self.parts)
        budget.field = self.path
        keys = [_key(v, self.kind) for v in values]
        budget.spend(len(values))
        for term in self.terms:
            if term.literal:
                if any(term.key == k for k in keys):
                    return True
                budget.spend(len(keys))
                continue
            if term.null:
                budget.spend(1)
                if bool(values) if term.negate else not values:
                    return True
                continue
            if not values:  # unset fields are excluded from matches
                budget.spend(1)
                continue
            hit = any(term.hit(v, k, budget) for v, k in zip(values, keys, strict=True))
            if hit != term.negate:
                return True
        return False


# --- order_by ----------------------------------------------------------------------------
def parse_order(text: str, schema: Schema) -> list[tuple[str, str, bool]]:
    """The sort keys, most significant first; a field named again is dropped (the first
    occurrence already decides every tie it could break), so at most one sort per field."""
    order = []
    seen: set[str] = set()
    for item in _split_top(text):
        words = item.split()
        path = ALIASES.get(words[0], words[0])
        direction = words[1].lower() if len(words) > 1 else "asc"
        kind = _leaf(schema, path)
        if kind is None or len(words) > 2 or direction not in ("asc", "desc"):
            raise OntapError(400, "262268", f'The field "{errors.show(item)}" is not supported '
                             "as an order_by= field.", "order_by")
        if path not in seen:
            seen.add(path)
            order.append((path, kind, direction == "desc"))
    return order


def _sort_key(record: dict[str, Any], path: str, kind: str) -> tuple[int, Any]:
    values = values_at(record, path.split("."))
    return (0, None) if not values else (1, _key(values[0], kind))


# --- key-based paging (start.<field>) ----------------------------------------------------
Position = list[tuple[str, str, bool]]  # (path, kind, descending), first field first


def position_fields(order: Position, schema: Schema, kind: str) -> Position:
    """The query's whole order: ``order_by``, then the default order, then the record key."""
    fields: Position = []
    for path, field_kind, desc in order:
        if path not in [f[0] for f in fields]:
            fields.append((path, field_kind, desc))
    for path in DEFAULT_ORDER[kind] + RECORD_KEY[kind]:
        if path not in [f[0] for f in fields]:
            fields.append((path, _leaf(schema, path) or "str", False))
    return fields


def _start_key(name: str, text: str, kind: str) -> tuple[int, Any]:
    """A ``start.<field>`` value as a sort key; a value that is not of its kind is a 400."""
    try:
        if kind == "int":
            int(text.strip())
        elif kind == "ip":
            ipaddress.ip_address(text.strip())
    except ValueError:
        what = "an integer" if kind == "int" else "an IP address"
        raise errors.invalid(name, f'The value "{errors.show(text)}" is invalid for field '
                             f'"{errors.show(name)}" ({what}).') from None
    return (1, _key(text, kind))


def parse_start(params: dict[str, str], fields: Position, kind: str
                ) -> list[tuple[int, Any]] | None:
    """The position a ``start.*`` query resumes after, or None when there is none.

    Every field of the default order and of the record key must be given; an ``order_by``
    field left out stands for a record where that field is unset.
    """
    given = {name[len(START):]: value for name, value in params.items()
             if name.startswith(START)}
    if not given:
        return None
    known = [path for path, _, _ in fields]
    for path in given:
        if path not in known:
            name = START + path
            raise OntapError(400, "262179", f'Unexpected argument "{errors.show(name)}": '
                             "start.<field> names a field of the query's order ("
                             + ", ".join(START + k for k in known) + ").", errors.show(name))
    for path in DEFAULT_ORDER[kind] + RECORD_KEY[kind]:
        if path not in given:
            raise OntapError(400, "2", f'Field "{START}{path}" is required to resume a '
                             "collection (give " + ", ".join(START + k for k in known)
                             + ").", START + path)
    return [(0, None) if path not in given else _start_key(START + path, given[path], fk)
            for path, fk, _ in fields]


def _after(keys: list[tuple[int, Any]], start: list[tuple[int, Any]], fields: Position
           ) -> bool:
    """Whether a record (its sort keys) comes strictly after ``start`` in the query's order."""
    for mine, theirs, (_, _, desc) in zip(keys, start, fields, strict=True):
        if mine != theirs:
            return (mine < theirs) if desc else (mine > theirs)
    return False


def start_params(record: dict[str, Any], fields: Position) -> dict[str, str]:
    """``start.<field>`` for a record's position (an unset ``order_by`` field is left out)."""
    out = {}
    for path, _, _ in fields:
        values = values_at(record, path.split("."))
        if values:
            out[START + path] = str(values[0])
    return out


def _first_after(records: Sequence[dict[str, Any]], start: list[tuple[int, Any]],
                 fields: Position) -> int:
    """Where the records strictly after ``start`` begin, by bisection: ``records`` are in
    the ascending order of ``fields``, so "after start" is false, then true."""
    low, high = 0, len(records)
    while low < high:
        mid = (low + high) // 2
        keys = [_sort_key(records[mid], p, k) for p, k, _ in fields]
        if _after(keys, start, fields):
            high = mid
        else:
            low = mid + 1
    return low


# --- the collection ----------------------------------------------------------------------
class Lazy(Sequence[dict[str, Any]]):
    """Records rendered on first access (and kept for the request), so that a page of a big
    collection renders its own records only, and an unfiltered count renders none."""

    def __init__(self, items: Sequence[Any], render: Callable[[Any], dict[str, Any]],
                 _cache: list[dict[str, Any] | None] | None = None,
                 _where: range | None = None) -> None:
        self._items = items
        self._render = render
        self._cache = _cache if _cache is not None else [None] * len(items)
        self._where = _where if _where is not None else range(len(items))

    def __len__(self) -> int:
        return len(self._where)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Lazy: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | Lazy:
        if isinstance(index, slice):
            return Lazy(self._items, self._render, self._cache, self._where[index])
        return self._at(self._where[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in self._where:
            yield self._at(i)

    def _at(self, i: int) -> dict[str, Any]:
        found = self._cache[i]
        if found is None:
            found = self._cache[i] = self._render(self._items[i])
        return found


def collection(records: Sequence[dict[str, Any]], params: dict[str, str], schema: Schema,
               kind: str, base: str, raw_query: str, defects: Defects,
               dialect: Dialect = PLAIN, *, presorted: bool = False) -> dict[str, Any]:
    """Apply the whole query to full records and build ONTAP's collection response.

    ``presorted``: the records come in the default order then the record key (see
    DEFAULT_ORDER), so a query in that order is not sorted again and its ``start.*`` position
    is found by bisection; with a :class:`Lazy` sequence, only the page is then rendered.
    """
    filters: list[tuple[str, str, str]] = []  # (path, query, kind)
    for name, value in params.items():
        if name in CONTROL or name.startswith(START):
            continue
        if name in ALIASES and dialect.ignore_doc_typo:
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
    ignored = "order-by-ignored" in defects or ("order-by-ignored-past-ten" in defects and len(records) > 10)
    fields = position_fields([] if ignored else order, schema, kind)
    start = parse_start(params, fields, kind)

    if not filters and "list-hides-deny" in defects:  # breaks CRED-LIST-002
        records = [r for r in records if r.get("authentication_type") != "deny"]
    if "address-filters-ignored" in defects:  # breaks CRED-LIST-003
        filters = [f for f in filters if not f[0].startswith(ADDRESS_FILTERS)]
    held = len(records)  # what count-ignores-filter counts (CRED-LIST-006)
    if "filter-ignored" not in defects and filters:
        literal = "wildcard-literal" in defects
        compiled = [Filter(p, q, k, literal) for p, q, k in filters]
        budget = Budget()
        scanned = records[:10] if "filter-misses-late-records" in defects else records
        records = [r for r in scanned if all(f.matches(r, budget) for f in compiled)]
    in_order = presorted and fields == position_fields([], schema, kind)
    if not in_order:
        records = list(records)
        # Stable passes, last field first: the order is total (the record key ends it).
        for path, field_kind, desc in reversed(fields):
            records.sort(key=lambda r, p=path, k=field_kind: _sort_key(r, p, k), reverse=desc)
    selected = len(records)
    if start is not None and in_order:
        records = records[_first_after(records, start, fields):]
    elif start is not None:
        records = [r for r in records
                   if _after([_sort_key(r, p, k) for p, k, _ in fields], start, fields)]
    position = selected - len(records) + offset  # where this page starts in the whole answer
    later = max_records is not None and position >= 2 * max_records  # the third page on
    self_href = f"{base}?{raw_query}" if raw_query else base
    if not return_records and "return-records-ignored" not in defects:
        counted = held if "count-ignores-filter" in defects else len(records)
        return {"num_records": counted, "_links": {"self": {"href": self_href}}}
    page = records[offset:]
    links: dict[str, Any] = {"self": {"href": self_href}}
    size = None if "max-records-ignored" in defects else max_records
    if dialect.page_cap is not None:
        size = dialect.page_cap if size is None else min(size, dialect.page_cap)
    if size is not None:
        size += 1 if later and "later-pages-overfull" in defects else 0
        more = len(page) > size
        page = page[:size]
        if more or (dialect.next_on_last_page and page):
            # resume after the page's last record, by key: immune to others' writes
            links["next"] = {"href": _next_href(base, params, page[-1], fields, kind, schema,
                                                "next-link-drops-query" in defects)}
    if selection is None:
        selection = Selection(list(IDENTITY[kind]), [])
    if "fields-ignored" in defects:
        selection = Selection(list(IDENTITY[kind]), [])
    shown = [project(r, selection) for r in page]
    count = len(shown) + (1 if "num-records-off-by-one" in defects else 0)
    if later and "num-records-remaining-on-later-pages" in defects:
        count = len(records) - offset
    return {"records": shown, "num_records": count, "_links": links}


def _next_href(base: str, params: dict[str, str], last: dict[str, Any], fields: Position,
               kind: str, schema: Schema, drop_query: bool) -> str:
    """The query without ``offset`` and ``start.*``, plus the last record's position.

    ``drop_query`` (the next-link-drops-query defect, CRED-LIST-008) keeps only
    ``max_records`` and a position in the default order: filters, fields and order_by go.
    """
    if drop_query:
        resume = {k: v for k, v in params.items() if k == "max_records"}
        resume.update(start_params(last, position_fields([], schema, kind)))
    else:
        resume = {k: v for k, v in params.items() if k != "offset" and not k.startswith(START)}
        resume.update(start_params(last, fields))
    return f"{base}?{urlencode(resume, quote_via=quote)}"
