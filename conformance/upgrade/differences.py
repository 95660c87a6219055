"""Comparing two observations of one step, field by field (a replay against its recording,
or the calibration pass of ``--record`` against the first): what differs, and where.

A field's *noise key* names where it lives whatever the record and list index (as Diffy
keeps one per endpoint field): a field that differed between two passes on one target is
noise for every later replay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from conformance.wire.client import CREDENTIALS_PATH
from conformance.wire.redaction import MASK


def route_of(path: str) -> str:
    """``collection`` or ``instance`` for the credentials endpoint, else the path itself."""
    if path.rstrip("/") == CREDENTIALS_PATH:
        return "collection"
    if path.startswith(CREDENTIALS_PATH + "/"):
        return "instance"
    return path


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, leaf)`` pairs of a JSON value (``body.records[0].initiator``)."""
    if isinstance(value, dict):
        if not value:
            yield path, {}
        for key in sorted(value):
            yield from flatten(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        if not value:
            yield path, []
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value


@dataclass(frozen=True)
class FieldDifference:
    """One field that differs between two observations of a step."""

    exchange: int
    method: str
    route: str
    path: str
    before: Any
    after: Any

    @property
    def noise_key(self) -> str:
        """Where this field lives, whatever the record and list index (Diffy's per-endpoint field)."""
        return f"{self.method} {self.route} {_INDEX.sub('[]', self.path)}"

    def as_json(self) -> dict[str, Any]:
        return {"exchange": self.exchange, "request": f"{self.method} {self.route}", "field": self.path,
                "before": _short(self.before), "after": _short(self.after)}


_MISSING = "(absent)"
_INDEX = re.compile(r"\[\d+\]")


def differences(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[FieldDifference]:
    """Every field that differs between two observations of one step (exchange by exchange)."""
    found: list[FieldDifference] = []
    for index in range(max(len(before), len(after))):
        one = before[index] if index < len(before) else None
        two = after[index] if index < len(after) else None
        request = (one or two or {}).get("request") or {}
        method, route = str(request.get("method")), route_of(str(request.get("path", "")))
        if one is None or two is None:
            found.append(FieldDifference(index, method, route, "(exchange)",
                                         _MISSING if one is None else _summary(one),
                                         _MISSING if two is None else _summary(two)))
            continue
        left, right = dict(flatten(one)), dict(flatten(two))
        for path in sorted(set(left) | set(right)):
            a, b = left.get(path, _MISSING), right.get(path, _MISSING)
            if a != b and not _same_but_masked(a, b):
                found.append(FieldDifference(index, method, route, path, a, b))
    return found


def _same_but_masked(a: Any, b: Any) -> bool:
    """Two strings that agree wherever neither is masked (a mask hides some text: the redactor
    masks what it knows at the moment, so one run may mask what the other shows)."""
    if not (isinstance(a, str) and isinstance(b, str)) or MASK not in a + b:
        return False
    for masked, plain in ((a, b), (b, a)):
        if MASK in masked:
            pattern = ".+?".join(re.escape(part) for part in masked.split(MASK))
            if re.fullmatch(pattern, plain, re.DOTALL):
                return True
    return False


def _summary(observed: dict[str, Any]) -> str:
    request = observed.get("request") or {}
    return f"{request.get('method')} {request.get('path')} -> {observed.get('status')}"


def _short(value: Any, limit: int = 200) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"...({len(value)} chars)"
    return value


def noise_keys(pairs: Iterable[tuple[list[dict[str, Any]], list[dict[str, Any]]]]) -> list[str]:
    """The fields that differed between two observations of the same steps on one target."""
    return sorted({d.noise_key for before, after in pairs for d in differences(before, after)})
