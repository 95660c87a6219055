"""Judging request bodies: the CHAP and address parts of POST and PATCH.

Each function returns the violations a body part commits and the possible results of
accepting it. Results are lists because the doc sometimes leaves two readings open (for
example whether switching a CHAP record to ``none`` keeps the stored users, OQ-10); the
model keeps every reading until a GET shows which one the target chose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from models.addresses import AddressMask, AddressRange, parse_mask, parse_range
from models.chap import password_violations, secrets_clash, user_violations
from models.outcomes import Violation, allowance, violation
from models.records import UNKNOWN, Credential
from models.releases import BASE_RELEASE, Release

#: The first release that documents clearing outbound CHAP with an empty user (OB-65).
CLEAR_OUTBOUND_SINCE: Release = (9, 11, 1)

SIDES = ("inbound", "outbound")


@dataclass(frozen=True)
class ChapInput:
    """The CHAP values a body sets; a key absent from ``values`` was not given."""

    values: dict[tuple[str, str], Any]
    touched: bool  # the body had a chap object at all
    sides: frozenset[str] = frozenset()  # the sides given as objects (``{}`` included)

    def get(self, side: str, key: str) -> Any:
        """The value given for ``chap.<side>.<key>``, or None."""
        return self.values.get((side, key))

    def has(self, side: str, key: str) -> bool:
        """Whether ``chap.<side>.<key>`` was given."""
        return (side, key) in self.values


def read_chap(chap: Any) -> tuple[ChapInput, list[Violation]]:
    """Read the ``chap`` object of a body, refusing what the schema does not allow."""
    if chap is None:
        return ChapInput({}, False), []
    if not isinstance(chap, dict):
        return ChapInput({}, True), [violation("CRED-BODY-001", detail="chap must be an object")]
    found: list[Violation] = []
    values: dict[tuple[str, str], Any] = {}
    sides: set[str] = set()
    unknown = set(chap) - set(SIDES)
    if unknown:
        found.append(violation("CRED-BODY-001", detail=f"unknown chap fields {sorted(unknown)}"))
    for side in SIDES:
        part = chap.get(side)
        if part is None:
            continue
        if not isinstance(part, dict):
            found.append(violation("CRED-BODY-001", detail=f"chap.{side} must be an object"))
            continue
        sides.add(side)
        extra = set(part) - {"user", "password"}
        if extra:
            found.append(violation("CRED-BODY-001", detail=f"unknown chap.{side} fields {sorted(extra)}"))
        for key in ("user", "password"):
            if part.get(key) is not None:
                values[(side, key)] = part[key]
    return ChapInput(values, True, frozenset(sides)), found


def clears_outbound(given: ChapInput) -> bool:
    """``chap.outbound.user`` set to an empty string: the 9.11.1+ way to clear outbound CHAP."""
    return given.get("outbound", "user") == ""


def chap_violations(auth_type: str, given: ChapInput, current: Credential | None,
                    type_given: bool, release: Release = BASE_RELEASE
                    ) -> tuple[list[Violation], list[dict[str, Any]]]:
    """Judge the CHAP part of a POST (``current`` None) or PATCH.

    Returns:
        The violations, and the possible CHAP field sets of the resulting record (each a
        dict of Credential field names to values).
    """
    if auth_type != "chap":
        return _non_chap(given, current)
    found: list[Violation] = []
    for side in SIDES:
        if given.has(side, "user") and not (side == "outbound" and current and given.get(side, "user") == ""):
            found += user_violations(given.get(side, "user"), f"chap.{side}")
        if given.has(side, "password") and not (
                side == "outbound" and current and given.get(side, "user") == ""):
            found += password_violations(given.get(side, "password"), f"chap.{side}")
    base = current if current is not None and current.authentication_type == "chap" else None
    if current is not None and given.values and not type_given:
        # Ansible and Trident always send authentication_type with chap: real clusters may
        # refuse a chap-only PATCH (OB-34, OQ-9); the error is unknown.
        found.append(allowance("chap changed without authentication_type",
                               "OB-34 (NetApp's clients always send both)"))
    merged = {}
    for side in SIDES:
        for key in ("user", "password"):
            stored = getattr(base, f"{side}_{key}") if base else None
            merged[(side, key)] = given.get(side, key) if given.has(side, key) else stored
    clearing_outbound = current is not None and clears_outbound(given)
    if clearing_outbound:
        # "set chap.outbound.user to an empty string" clears outbound CHAP from 9.11.1 on
        # (CRED-CHAP-010); 9.10.1 does not say, so refusing stays allowed there.
        if release < CLEAR_OUTBOUND_SINCE:
            found.append(allowance("an empty outbound user (clears outbound CHAP from 9.11.1)",
                                   "OB-32, OB-65 (not documented for 9.10.1)"))
        merged[("outbound", "user")] = merged[("outbound", "password")] = None
    found += _inbound_violations(given, merged)
    found += _outbound_violations(given, merged, clearing_outbound)
    found += _clash_violations(given, merged)
    result = {f"{side}_{key}": merged[(side, key)] for side in SIDES for key in ("user", "password")}
    if "outbound" in given.sides and not any(given.has("outbound", k) for k in ("user", "password")) \
            and base is not None and base.outbound_user is not None:
        # An empty outbound object means "no outbound credentials" to NetApp's clients
        # (OB-74): whether it clears stored ones or leaves them is not documented.
        cleared = {**result, "outbound_user": None, "outbound_password": None}
        return found, [result, cleared]
    return found, [result]


def _non_chap(given: ChapInput, current: Credential | None
              ) -> tuple[list[Violation], list[dict[str, Any]]]:
    found = []
    if given.values:
        found.append(violation("CRED-CHAP-005", "5374900",
                               detail="CHAP properties with authentication type none/deny"))
    elif given.touched:
        found.append(violation("CRED-CHAP-005", "5374900", certain=False,
                               detail="an empty chap object with none/deny"))
    cleared = {f"{s}_{k}": None for s in SIDES for k in ("user", "password")}
    if current is None or (current.inbound_user is None and current.outbound_user is None):
        return found, [cleared]
    kept = {f"{s}_{k}": getattr(current, f"{s}_{k}") for s in SIDES for k in ("user", "password")}
    return found, [cleared, kept]


def _inbound_violations(given: ChapInput, merged: dict[tuple[str, str], Any]) -> list[Violation]:
    if merged[("inbound", "user")] is not None and merged[("inbound", "password")] is not None:
        partial = given.has("inbound", "user") != given.has("inbound", "password")
        if partial:
            return [violation("CRED-CHAP-001", "5374149", certain=False,
                              detail="only one of inbound user/password given; the other is stored")]
        return []
    return [violation("CRED-CHAP-001", "5374149", detail="CHAP without inbound user and password")]


def _outbound_violations(given: ChapInput, merged: dict[tuple[str, str], Any],
                         clearing: bool) -> list[Violation]:
    if clearing:
        return []
    user, password = merged[("outbound", "user")], merged[("outbound", "password")]
    if user is not None and password is None:
        return [violation("CRED-CHAP-002", "5374150", detail="outbound user without password")]
    if user is not None and given.has("outbound", "user") and not given.has("outbound", "password"):
        return [violation("CRED-CHAP-002", "5374150", certain=False,
                          detail="outbound user changed; its password is only stored")]
    if user is None and password is not None:
        return [violation("CRED-CHAP-002", certain=False,
                          detail="outbound password without user (the doc gives no rule)")]
    return []


def _clash_violations(given: ChapInput, merged: dict[tuple[str, str], Any]) -> list[Violation]:
    inbound, outbound = merged[("inbound", "password")], merged[("outbound", "password")]
    if not (isinstance(inbound, str) and isinstance(outbound, str)):
        if UNKNOWN in (inbound, outbound) and None not in (inbound, outbound):
            return [violation("CRED-CHAP-003", "5374147", certain=False,
                              detail="a stored password is unknown to the run")]
        return []
    clash = secrets_clash(inbound, outbound)
    if clash is False:
        return []
    return [violation("CRED-CHAP-003", "5374147", certain=bool(clash),
                      detail="inbound and outbound passwords are the same")]


def read_addresses(body: Any) -> tuple[dict[str, frozenset[Any]], list[Violation]]:
    """Read ``initiator_address``; returns the lists given (by key) and the violations."""
    if not isinstance(body, dict):
        return {}, [violation("CRED-BODY-001", detail="initiator_address must be an object")]
    found: list[Violation] = []
    unknown = set(body) - {"ranges", "masks"}
    if unknown:
        found.append(violation("CRED-BODY-001",
                               detail=f"unknown initiator_address fields {sorted(unknown)}"))
    lists: dict[str, frozenset[Any]] = {}
    for key, parse in (("ranges", parse_range), ("masks", parse_mask)):
        items = body.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            found.append(violation("CRED-BODY-001", detail=f"initiator_address.{key} must be a list"))
            continue
        parsed = []
        for item in items:
            value, bad = parse(item)
            found += bad
            if value is not None:
                parsed.append(value)
        lists[key] = frozenset(parsed)
    return lists, found


def apply_addresses(record: Credential, given: dict[str, frozenset[Any]], mode: str
                    ) -> tuple[list[Violation], list[Credential]]:
    """Apply a PATCH address list in ``replace``, ``add`` or ``remove`` mode (CRED-ADDR-007..9)."""
    found: list[Violation] = []
    ranges_options: list[frozenset[AddressRange]]
    masks_options: list[frozenset[AddressMask]]
    if mode == "add":
        ranges_options = [record.ranges | given.get("ranges", frozenset())]
        masks_options = [record.masks | _new_masks(record.masks, given.get("masks", frozenset()))]
    elif mode == "remove":
        missing_ranges = given.get("ranges", frozenset()) - record.ranges
        gone = {m.network for m in given.get("masks", frozenset())}
        missing_masks = gone - {m.network for m in record.masks}
        if missing_ranges or missing_masks:
            found.append(violation("CRED-ADDR-009", certain=False,
                                   detail="removing addresses the list does not hold"))
        ranges_options = [record.ranges - given.get("ranges", frozenset())]
        masks_options = [frozenset(m for m in record.masks if m.network not in gone)]
    else:
        # A list the body leaves out may be kept or cleared: the doc says only "replace".
        ranges_options = [given["ranges"]] if "ranges" in given else _kept_or_cleared(record.ranges)
        masks_options = [given["masks"]] if "masks" in given else _kept_or_cleared(record.masks)
    versions = [replace(record, ranges=r, masks=m) for r in ranges_options for m in masks_options]
    return found, versions


def _new_masks(held: frozenset[AddressMask], added: frozenset[AddressMask]) -> frozenset[AddressMask]:
    networks = {m.network for m in held}
    return frozenset(m for m in added if m.network not in networks)


def _kept_or_cleared(values: frozenset[Any]) -> list[frozenset[Any]]:
    return [values, frozenset()] if values else [values]
