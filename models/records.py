"""Model records: SVMs and credentials, their documented JSON form, and comparison with a response.

Passwords are held so that rules like CRED-CHAP-003 (inbound and outbound differ) can be
judged; they never appear in ``as_json`` (CRED-CHAP-008). A value the model cannot know is
``UNKNOWN``: a password set before the run, or on a shared cluster every field of a
``default`` credential that other clients may change (only its existence is known); a
comparison never judges an unknown field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from models.addresses import (
    AddressMask,
    AddressRange,
    family_first,
    parse_returned_mask,
    parse_returned_range,
    same_masks,
)

DEFAULT_INITIATOR = "default"
AUTH_TYPES = ("chap", "none", "deny")


class _Unknown:
    """A value the model cannot know (a secret set before the run)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Svm:
    """An SVM as the model sees it."""

    uuid: str
    name: str
    iscsi: bool


@dataclass(frozen=True)
class Credential:
    """One credentials record (one initiator on one SVM)."""

    svm_uuid: str
    svm_name: str
    initiator: str
    authentication_type: str = "none"
    inbound_user: str | None = None
    inbound_password: Any = None
    outbound_user: str | None = None
    outbound_password: Any = None
    ranges: frozenset[AddressRange] = field(default_factory=frozenset)
    masks: frozenset[AddressMask] = field(default_factory=frozenset)

    @property
    def key(self) -> tuple[str, str]:
        """The record's identity: (svm.uuid, initiator)."""
        return (self.svm_uuid, self.initiator)

    @property
    def is_default(self) -> bool:
        """Whether this is the SVM's ``default`` credential."""
        return self.initiator == DEFAULT_INITIATOR

    def without_chap(self) -> Credential:
        """The record with every CHAP user and secret dropped."""
        return replace(self, inbound_user=None, inbound_password=None, outbound_user=None,
                       outbound_password=None)

    @classmethod
    def unknown(cls, svm_uuid: str, svm_name: str, initiator: str) -> Credential:
        """A record known to exist whose content other clients may change at any time."""
        return cls(svm_uuid, svm_name, initiator, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN,
                   UNKNOWN, UNKNOWN)

    def as_json(self) -> dict[str, Any]:
        """The record as ``GET ...?fields=*`` documents it (no secrets, no HAL links)."""
        if UNKNOWN in (self.authentication_type, self.ranges):
            return {"svm": {"uuid": self.svm_uuid, "name": self.svm_name}, "initiator": self.initiator,
                    "(content)": "unknown: other clients may change it"}
        body: dict[str, Any] = {
            "svm": {"uuid": self.svm_uuid, "name": self.svm_name},
            "initiator": self.initiator,
            "authentication_type": self.authentication_type,
        }
        chap: dict[str, Any] = {}
        if self.inbound_user is not None:
            chap["inbound"] = {"user": self.inbound_user}
        if self.outbound_user is not None:
            chap["outbound"] = {"user": self.outbound_user}
        if chap:
            body["chap"] = chap
        addresses: dict[str, Any] = {}
        if self.ranges:
            addresses["ranges"] = [r.as_json() for r in sorted(self.ranges, key=family_first)]
        if self.masks:
            addresses["masks"] = [m.as_json() for m in sorted(self.masks, key=family_first)]
        if addresses:
            body["initiator_address"] = addresses
        return body


#: Field groups of a record; a difference in a group is blamed on the rule that owns it.
IDENTITY, AUTH, CHAP, ADDRESSES = "identity", "authentication_type", "chap", "initiator_address"


def differences(expected: Credential, observed: Any,
                fields: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """Compare a record from a response with the model's record.

    Args:
        expected: the model's record.
        observed: the JSON record received.
        fields: the top-level fields the response was asked for (``None``: all, as ``*``).

    Returns:
        ``(group, message)`` pairs, one per differing field group; empty when they agree.
    """
    if not isinstance(observed, dict):
        return [(IDENTITY, f"record is {type(observed).__name__}, not an object")]

    def wanted(name: str) -> bool:
        return fields is None or name in fields

    found = []
    svm = observed.get("svm")
    svm_uuid = svm.get("uuid") if isinstance(svm, dict) else None
    if svm_uuid != expected.svm_uuid or observed.get("initiator") != expected.initiator:
        found.append((IDENTITY, f"key ({svm_uuid!r}, {observed.get('initiator')!r}) != "
                                f"({expected.svm_uuid!r}, {expected.initiator!r})"))
    if isinstance(svm, dict) and "name" in svm and svm["name"] != expected.svm_name:
        found.append((IDENTITY, f"svm.name {svm['name']!r} != {expected.svm_name!r}"))
    if wanted("authentication_type") and expected.authentication_type is not UNKNOWN:
        got = observed.get("authentication_type")
        if not isinstance(got, str) or got.lower() != expected.authentication_type:
            found.append((AUTH, f"authentication_type {got!r} != {expected.authentication_type!r}"))
    if wanted("chap") and UNKNOWN not in (expected.inbound_user, expected.outbound_user):
        got_users = _chap_users(observed.get("chap"))
        want_users = (expected.inbound_user, expected.outbound_user)
        if got_users != want_users:
            found.append((CHAP, f"chap users (inbound, outbound) {got_users!r} != {want_users!r}"))
    if wanted("initiator_address") and UNKNOWN not in (expected.ranges, expected.masks):
        message = _address_difference(expected, observed.get("initiator_address"))
        if message:
            found.append((ADDRESSES, message))
    return found


def _chap_users(chap: Any) -> tuple[Any, Any]:
    if not isinstance(chap, dict):
        return (None, None)
    return tuple(  # type: ignore[return-value]
        (chap.get(side) or {}).get("user") if isinstance(chap.get(side) or {}, dict) else chap.get(side)
        for side in ("inbound", "outbound")
    )


def _address_difference(expected: Credential, observed: Any) -> str:
    observed = observed or {}
    if not isinstance(observed, dict):
        return f"initiator_address is {type(observed).__name__}, not an object"
    ranges = observed.get("ranges") or []
    masks = observed.get("masks") or []
    if not isinstance(ranges, list) or not isinstance(masks, list):
        return "initiator_address ranges/masks are not lists"
    got_ranges = {parse_returned_range(r) if isinstance(r, dict) else None for r in ranges}
    got_masks = {parse_returned_mask(m) if isinstance(m, dict) else None for m in masks}
    if None in got_ranges or None in got_masks:
        return f"unreadable address entries: ranges={ranges!r} masks={masks!r}"
    if got_ranges != set(expected.ranges):
        return (f"ranges {sorted(str(r.as_json()) for r in got_ranges)} != "
                f"{sorted(str(r.as_json()) for r in expected.ranges)}")
    if not same_masks(frozenset(got_masks), expected.masks):  # type: ignore[arg-type]
        return (f"masks {sorted(str(m.as_json()) for m in got_masks)} != "  # type: ignore[union-attr]
                f"{sorted(str(m.as_json()) for m in expected.masks)}")
    return ""
