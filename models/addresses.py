"""Initiator address ranges and masks: parsing, validation and comparison.

Doc: Definitions ``ip_info`` (netmask as a length or an IPv4 mask, returned as a length;
IPv6 default 64 within 1..127) and ``ip_address_range``; codes 5374855 (start > end) and
5374856 (mixed families). Addresses are parsed with the stdlib ``ipaddress``, so ``::1`` and
``0:0::1`` are the same address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from models.outcomes import Violation, violation

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPV6_DEFAULT_NETMASK = 64


def family_of(address: IPAddress) -> str:
    """The family name ONTAP returns (``ipv4``/``ipv6``)."""
    return f"ipv{address.version}"


@dataclass(frozen=True, order=True)
class AddressRange:
    """An inclusive range of addresses; a single address has start == end."""

    start: IPAddress
    end: IPAddress

    def as_json(self) -> dict[str, str]:
        """The form a GET returns (OB-37)."""
        return {"start": str(self.start), "end": str(self.end), "family": family_of(self.start)}


@dataclass(frozen=True, order=True)
class AddressMask:
    """An address with a netmask length; compared by the network it names."""

    address: IPAddress
    netmask: int

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The network the mask names (host bits dropped)."""
        return ipaddress.ip_network(f"{self.address}/{self.netmask}", strict=False)

    def as_json(self) -> dict[str, str]:
        """The form a GET returns: the netmask as a length."""
        return {"address": str(self.address), "netmask": str(self.netmask),
                "family": family_of(self.address)}


def family_first(item: AddressRange | AddressMask) -> tuple[Any, ...]:
    """A sort key for ranges and masks: IPv4 and IPv6 addresses do not compare with each other."""
    address = item.start if isinstance(item, AddressRange) else item.address
    return (address.version, item)


def parse_range(item: object) -> tuple[AddressRange | None, list[Violation]]:
    """Parse one POSTed/PATCHed range; return it (or None) and the rules it breaks."""
    if not isinstance(item, dict):
        return None, [violation("CRED-BODY-001", detail="a range must be an object")]
    unknown = set(item) - {"start", "end", "family"}
    if unknown:
        return None, [violation("CRED-BODY-001", detail=f"unknown range fields {sorted(unknown)}")]
    start, bad_start = _parse_address(item.get("start"), "range start")
    end, bad_end = _parse_address(item.get("end"), "range end")
    if bad_start or bad_end:
        return None, bad_start + bad_end
    assert start is not None and end is not None
    found = _family_field_violations(item, start)
    if start.version != end.version:
        return None, [*found, violation("CRED-ADDR-002", "5374856",
                                        detail=f"{start} and {end} differ in family")]
    if start > end:
        return None, [*found, violation("CRED-ADDR-001", "5374855",
                                        detail=f"start {start} > end {end}")]
    return AddressRange(start, end), found


def parse_mask(item: object) -> tuple[AddressMask | None, list[Violation]]:
    """Parse one POSTed/PATCHed mask; return it (or None) and the rules it breaks."""
    if not isinstance(item, dict):
        return None, [violation("CRED-BODY-001", detail="a mask must be an object")]
    unknown = set(item) - {"address", "netmask", "family"}
    if unknown:
        return None, [violation("CRED-BODY-001", detail=f"unknown mask fields {sorted(unknown)}")]
    address, bad = _parse_address(item.get("address"), "mask address")
    if bad:
        return None, bad
    assert address is not None
    found = _family_field_violations(item, address)
    netmask = item.get("netmask")
    if netmask is None:
        if address.version == 6:
            return AddressMask(address, IPV6_DEFAULT_NETMASK), found
        # The doc gives no IPv4 default: refusing and accepting are both allowed.
        return None, [*found, violation("CRED-ADDR-003", certain=False,
                                        detail="IPv4 mask without a netmask")]
    length, bad = _parse_netmask(netmask, address)
    if length is None:
        return None, found + bad
    return AddressMask(address, length), found + bad


def _parse_address(value: object, where: str) -> tuple[IPAddress | None, list[Violation]]:
    if not isinstance(value, str):
        return None, [violation("CRED-ADDR-005", detail=f"{where} missing or not a string")]
    try:
        return ipaddress.ip_address(value), []
    except ValueError:
        return None, [violation("CRED-ADDR-005", detail=f"{where} {value!r} is not an IP address")]


def _family_field_violations(item: dict[str, Any], address: IPAddress) -> list[Violation]:
    family = item.get("family")
    if family is None or (isinstance(family, str) and family.lower() == family_of(address)):
        return []
    return [violation("CRED-BODY-001", certain=False,
                      detail=f"family {family!r} does not fit {address}")]


def _parse_netmask(value: object, address: IPAddress) -> tuple[int | None, list[Violation]]:
    if not isinstance(value, str):
        return None, [violation("CRED-BODY-001", certain=False,
                                detail="netmask is documented as a string")]
    if value.isdigit() and value.isascii():
        length = int(value)
        if address.version == 6:
            if 1 <= length <= 127:
                return length, []
            return None, [violation("CRED-ADDR-004", detail=f"IPv6 netmask {length} outside 1..127")]
        if 1 <= length <= 32:
            return length, []
        if length == 0:
            return None, [violation("CRED-ADDR-003", certain=False, detail="IPv4 netmask 0")]
        return None, [violation("CRED-ADDR-003", detail=f"IPv4 netmask {length} > 32")]
    if address.version == 4:
        try:
            network = ipaddress.IPv4Network(f"0.0.0.0/{value}")
            # ipaddress also reads host masks (0.0.0.255 as /24); the doc takes only masks.
            if network.netmask != ipaddress.IPv4Address(value):
                raise ValueError(value)
        except ValueError:
            return None, [violation("CRED-ADDR-003", detail=f"{value!r} is no IPv4 mask")]
        length = network.prefixlen
        if length == 0:
            return None, [violation("CRED-ADDR-003", certain=False, detail="mask 0.0.0.0")]
        return length, []
    return None, [violation("CRED-ADDR-004", detail=f"{value!r} is no IPv6 netmask length")]


def parse_returned_range(item: dict[str, Any]) -> AddressRange | None:
    """Read a range from a response; None when it cannot be parsed."""
    try:
        return AddressRange(ipaddress.ip_address(item["start"]), ipaddress.ip_address(item["end"]))
    except (KeyError, TypeError, ValueError):
        return None


def parse_returned_mask(item: dict[str, Any]) -> AddressMask | None:
    """Read a mask from a response (netmask must be a length); None when it cannot be parsed."""
    try:
        netmask = item["netmask"]
        if not (isinstance(netmask, str) and netmask.isdigit()):
            return None
        return AddressMask(ipaddress.ip_address(item["address"]), int(netmask))
    except (KeyError, TypeError, ValueError):
        return None


def same_masks(left: frozenset[AddressMask], right: frozenset[AddressMask]) -> bool:
    """Masks are equal when they name the same networks (host bits may be kept or dropped)."""
    return {m.network for m in left} == {m.network for m in right}
