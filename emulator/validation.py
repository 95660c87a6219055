"""Field rules of the credentials document: initiator names, CHAP, addresses. No HTTP here.

Every check raises :class:`emulator.errors.OntapError` with the documented ONTAP code; the
comments name the rule of the project's catalog each check implements.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from emulator import errors
from emulator.defects import Defects
from emulator.errors import OntapError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AUTH_TYPES = ("chap", "none", "deny")
MAX_INITIATOR_BYTES = 223  # RFC 3720 §3.2.6
#: Most ranges, and most masks, one request may carry (a limit of this emulator, not ONTAP's,
#: which documents none; real access lists hold a handful). Counted before any is parsed.
MAX_ADDRESS_ITEMS = 1024
_IQN_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z")
_IQN_DATE_LOOSE = re.compile(r"\d+-\d+\Z")
_IQN_CHARS = re.compile(r"[a-z0-9.:-]*\Z")
_IQN_CHARS_UNDERSCORE = re.compile(r"[a-z0-9.:_-]*\Z")
_HEX = re.compile(r"[0-9a-fA-F]*\Z")
_OTHER_PREFIX_IQN = re.compile(  # <letters>.yyyy-mm.authority[:string], for iqn-any-prefix
    r"(?!(?i:iqn|eui)\.)[A-Za-z]+\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9-]+(\.[a-z0-9-]+)*"
    r"(:[a-z0-9.:-]+)?\Z")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._:-]+\Z")


# --- JSON shape --------------------------------------------------------------------------
def check_keys(obj: Any, allowed: set[str], where: str) -> dict[str, Any]:
    """Refuse a non-object and unknown keys (262179), as ONTAP does for any body field."""
    if not isinstance(obj, dict):
        raise errors.invalid(where or "body", f'Field "{where or "body"}" must be an object.')
    for key in obj:
        if key not in allowed:
            raise errors.unexpected(f"{where}.{key}" if where else key)
    return obj


def opt_str(obj: dict[str, Any], key: str, target: str) -> str | None:
    """An optional string field; JSON null counts as absent."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.invalid(target, f'Field "{target}" must be a string.')
    return value


# --- initiator names (CRED-INIT-*) --------------------------------------------------------
def check_initiator(name: str, defects: Defects) -> None:
    """Refuse names that are neither a well-formed IQN nor EUI, with the documented code."""
    if len(name.encode("utf-8", "surrogatepass")) > MAX_INITIATOR_BYTES:  # CRED-INIT-009
        raise OntapError(400, "5373997", "The initiator name supplied is invalid: longer than "
                         f"{MAX_INITIATOR_BYTES} bytes.", "initiator")
    if name.startswith("eui."):
        _check_eui(name[4:], defects)
    elif name.startswith("iqn."):
        _check_iqn(name[4:], defects)
    else:
        prefix, dot, rest = name.partition(".")
        if "iqn-any-prefix" in defects and _OTHER_PREFIX_IQN.match(name):
            return
        if dot and prefix and rest and _IQN_DATE_LOOSE.match(rest.split(".", 1)[0]):
            raise OntapError(400, "5373970", "The IQN prefix is invalid. The correct IQN prefix "
                             "is \"iqn\". An example of a valid IQN is "
                             "\"iqn.1995-08.com.example:string\".", "initiator")  # CRED-INIT-002
        if ("any-initiator-name" in defects and prefix.lower() not in ("iqn", "eui")
                and _PLAIN_NAME.match(name)):
            return
        raise OntapError(400, "5373997", "The initiator name supplied is invalid. The valid "
                         "initiator name formats are \"iqn.1995-08.com.example:string\" or "
                         "\"eui.0123456789abcdef\".", "initiator")  # CRED-INIT-007


def _check_eui(digits: str, defects: Defects) -> None:
    if ("eui-non-hex" in defects and len(digits) == 16 and digits.isascii()
            and digits.isalnum() and not _HEX.match(digits)):
        return
    if not digits or not _HEX.match(digits):  # CRED-INIT-006
        raise OntapError(400, "5373978", "The EUI formatted initiator name supplied is invalid. "
                         "A valid EUI format is \"eui.XXXXXXXXXXXXXXXX\", where X is a "
                         "hexadecimal digit.", "initiator")
    if len(digits) != 16 and "eui-any-length" not in defects:  # CRED-INIT-005
        raise OntapError(400, "5373977", "The EUI-64 identifier field must be exactly 16 "
                         "hexadecimal digits.", "initiator")
    if "uppercase-eui-refused" in defects and digits != digits.lower():  # breaks CRED-INIT-008
        raise OntapError(400, "5373978", "The EUI formatted initiator name supplied is invalid. "
                         "A valid EUI format is \"eui.XXXXXXXXXXXXXXXX\", where X is a "
                         "hexadecimal digit.", "initiator")
    if "refuse-eui-names" in defects:  # breaks CRED-INIT-008
        raise OntapError(400, "5373997", "The initiator name supplied is invalid. The valid "
                         "initiator name format is \"iqn.1995-08.com.example:string\".",
                         "initiator")


def _check_iqn(qualifier: str, defects: Defects) -> None:
    date, _, authority = qualifier.partition(".")
    if not qualifier or (_IQN_DATE.match(date) and not authority):  # CRED-INIT-001
        if "iqn-empty-qualifier" in defects:
            return
        raise OntapError(400, "5373969", "A non-empty qualifier is required after the prefix. "
                         "An example of a valid IQN is \"iqn.1995-08.com.example:string\".",
                         "initiator")
    if not _IQN_DATE.match(date) and "bad-iqn-date" not in defects:  # CRED-INIT-003
        raise OntapError(400, "5373971", "The date field is invalid. A valid date field is "
                         "\"yyyy-mm\". An example of a valid IQN is "
                         "\"iqn.1995-08.com.example:string\".", "initiator")
    chars = _IQN_CHARS_UNDERSCORE if "iqn-underscore" in defects else _IQN_CHARS
    if not chars.match(authority):  # CRED-INIT-004
        raise OntapError(400, "5373972", "The naming authority and string fields can contain "
                         "only the characters a-z, 0-9, \".\", \":\", and \"-\".", "initiator")


# --- authentication type (CRED-AUTH-*) ----------------------------------------------------
def parse_auth_type(value: Any, defects: Defects) -> str:
    """Accept chap/none/deny in any case (CRED-AUTH-001) and store it lowercase."""
    if not isinstance(value, str):
        raise errors.invalid("authentication_type",
                             'Field "authentication_type" must be a string.')
    lowered = value.lower()
    if "lowercase-auth-type-only" in defects and lowered in AUTH_TYPES and value != lowered:
        raise errors.invalid("authentication_type", f'The value "{errors.show(value)}" is '
                             'invalid for field "authentication_type" (chap, none, deny).')
    if lowered not in AUTH_TYPES:
        if "any-auth-type" in defects and value.strip():
            return lowered[:32]
        raise errors.invalid("authentication_type", f'The value "{errors.show(value)}" is '
                             'invalid for field "authentication_type" (chap, none, deny).')
    return lowered


# --- CHAP (CRED-CHAP-*) -------------------------------------------------------------------
def check_user(user: str, target: str, defects: Defects) -> None:
    size = len(user.encode("utf-8", "surrogatepass"))
    if size < 1 or (size > 128 and "long-chap-user" not in defects):  # CRED-CHAP-006
        raise errors.invalid(target, f'Field "{target}" must be 1 to 128 bytes long.')


def check_password(password: str, target: str, defects: Defects) -> None:
    """A password is 1..512 bytes (CRED-CHAP-007); a 0x/0X one is even hex (CRED-CHAP-004)."""
    size = len(password.encode("utf-8", "surrogatepass"))
    if size < 1 or (size > 512 and "long-chap-password" not in defects):  # CRED-CHAP-007
        raise errors.invalid(target, f'Field "{target}" must be 1 to 512 bytes long.')
    if password[:2] in ("0x", "0X"):
        digits = password[2:]
        odd_ok = "odd-hex-password" in defects
        if not digits or not _HEX.match(digits) or (len(digits) % 2 and not odd_ok):
            message = ("The iSCSI security password must contain an even number of valid hex "
                       "digits.")
            if "echo-password-in-error" in defects:
                message += f' Received "{password}".'
            raise OntapError(400, "5374145", message, target)


def same_secret(a: str, b: str) -> bool:
    """Compare two passwords as ONTAP stores them: hex secrets by value, others verbatim."""
    def norm(p: str) -> tuple[str, str]:
        if p[:2] in ("0x", "0X") and _HEX.match(p[2:]):
            return ("hex", p[2:].lower())
        return ("text", p)
    return norm(a) == norm(b)


# --- addresses (CRED-ADDR-*) --------------------------------------------------------------
@dataclass(frozen=True)
class Range:
    start: IPAddress
    end: IPAddress

    # Immutable all the way down: a copy (the backend copies records on every read and
    # write) can be the object itself, which keeps a record with a long list cheap to copy.
    def __copy__(self) -> Range:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Range:
        return self


@dataclass(frozen=True)
class Mask:
    address: IPAddress
    netmask: int

    def __copy__(self) -> Mask:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Mask:
        return self


def family(ip: IPAddress) -> str:
    return "ipv4" if ip.version == 4 else "ipv6"


def _ip(value: Any, target: str, defects: Defects | None = None) -> IPAddress:
    if not isinstance(value, str):
        raise errors.invalid(target, f'Field "{target}" must be an IP address string.')
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        if defects is not None and "non-ip-address" in defects:
            return value  # type: ignore[return-value]  # kept verbatim, breaks CRED-ADDR-005
        raise errors.invalid(target, f'"{errors.show(value)}" is not a valid IPv4 or IPv6 '
                             f'address (field "{target}").') from None


def _check_family(obj: dict[str, Any], ip: IPAddress, target: str) -> None:
    given = obj.get("family")
    if given is None:
        return
    if not isinstance(given, str) or given.lower() != family(ip):
        raise errors.invalid(target, f'Field "{target}" does not match the address family.')


def parse_range(obj: Any, defects: Defects) -> Range:
    where = "initiator_address.ranges"
    check_keys(obj, {"start", "end", "family"}, where)
    if obj.get("start") is None:
        raise errors.missing(f"{where}.start")
    if obj.get("end") is None:
        raise errors.missing(f"{where}.end")
    start = _ip(obj["start"], f"{where}.start", defects)
    end = _ip(obj["end"], f"{where}.end", defects)
    if isinstance(start, str) or isinstance(end, str):  # only under non-ip-address
        return Range(start, end)
    if start.version != end.version:
        if "mixed-family-range" not in defects:  # CRED-ADDR-002
            raise OntapError(400, "5374856", "The value for property "
                             "initiator_address.ranges.start does not belong to the same IP "
                             "address family as the value for property "
                             "initiator_address.ranges.end.", f"{where}.start")
    elif start > end and "reversed-range" not in defects:  # CRED-ADDR-001
        raise OntapError(400, "5374855", "The value for property initiator_address.ranges.start "
                         "is greater than the value for property initiator_address.ranges.end.",
                         f"{where}.start")
    _check_family(obj, start, f"{where}.family")
    return Range(start, end)


def parse_mask(obj: Any, defects: Defects) -> Mask:
    """Netmask in as a length or an IPv4 dotted mask; IPv6 defaults to 64, 1..127."""
    where = "initiator_address.masks"
    check_keys(obj, {"address", "netmask", "family"}, where)
    if obj.get("address") is None:
        raise errors.missing(f"{where}.address")
    address = _ip(obj["address"], f"{where}.address", defects)
    if isinstance(address, str):  # only under non-ip-address: the netmask is read as for IPv4
        as_ipv4 = {"address": "0.0.0.0", "netmask": obj.get("netmask")}
        return Mask(address, parse_mask(as_ipv4, defects).netmask)
    _check_family(obj, address, f"{where}.family")
    raw = obj.get("netmask")
    target = f"{where}.netmask"
    if raw is None:
        if address.version == 6:
            return Mask(address, 64)  # CRED-ADDR-004
        raise errors.missing(target)
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise errors.invalid(target, f'Field "{target}" must be a string.')
    text = str(raw).strip()
    bad = errors.invalid(target, f'"{errors.show(raw)}" is not a valid netmask for '
                         f'{family(address)} (field "{target}").')
    if text.isascii() and text.isdigit() and len(text) <= 3:
        length = int(text)
        if address.version == 4 and 0 <= length <= 32:
            return Mask(address, length)
        top = 128 if "ipv6-netmask-128" in defects else 127
        if address.version == 6 and 1 <= length <= top:
            return Mask(address, length)
        raise bad
    if address.version == 4:
        try:
            return Mask(address, ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen)
        except ValueError:
            raise bad from None
    raise bad


def parse_addresses(obj: Any, defects: Defects) -> tuple[list[Range], list[Mask]]:
    check_keys(obj, {"ranges", "masks"}, "initiator_address")
    ranges: list[Range] = []
    masks: list[Mask] = []
    for key, parse, out in (("ranges", parse_range, ranges), ("masks", parse_mask, masks)):
        items = obj.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise errors.invalid(f"initiator_address.{key}",
                                 f'Field "initiator_address.{key}" must be an array.')
        if len(items) > MAX_ADDRESS_ITEMS:
            raise errors.invalid(f"initiator_address.{key}", f'Field "initiator_address.{key}" '
                                 f"holds {len(items)} entries; this emulator takes at most "
                                 f"{MAX_ADDRESS_ITEMS} per request.")
        seen: set[Any] = set()  # duplicates dropped in linear time, first occurrence kept
        for item in items:
            parsed = parse(item, defects)
            if parsed not in seen:
                seen.add(parsed)
                out.append(parsed)
    return ranges, masks
