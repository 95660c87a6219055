"""Initiator names: which IQNs and EUIs the doc accepts, and which code each malformation gets.

The doc's error texts define the shapes (doc: Create iSCSI credentials, codes 5373969-5373997):
``iqn.yyyy-mm.naming-authority[:string]`` with only ``a-z 0-9 . : -`` after the date, and
``eui.`` + exactly 16 hex digits. RFC 3720 caps iSCSI names at 223 bytes (OB-43).
Uppercase letters are left open: the doc lists only ``a-z``, while real clusters fold IQNs to
lowercase (OB-44), so both answers are allowed.
"""

from __future__ import annotations

import re

from models.outcomes import Violation, violation

MAX_NAME_BYTES = 223
INITIATOR_CODES = ("5373969", "5373970", "5373971", "5373972", "5373977", "5373978", "5373997")

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})")
#: ``<prefix>.<yyyy-mm>...``: an IQN in all but its prefix (CRED-INIT-002, not -007).
_IQN_SHAPED = re.compile(r"[A-Za-z]+\.[0-9]{4}-[0-9]{2}(\.|$)")
_IQN_CHARS = re.compile(r"[a-z0-9.:\-]+")
_IQN_CHARS_ANY_CASE = re.compile(r"[a-zA-Z0-9.:\-]+")
_HEX = re.compile(r"[0-9a-fA-F]*")


def initiator_violations(name: object) -> list[Violation]:
    """Return the rules a POSTed ``initiator`` value breaks (empty: a valid name)."""
    if not isinstance(name, str):
        return [violation("CRED-BODY-001", detail="initiator must be a string")]
    if name == "":
        return [violation("CRED-POST-003", detail="initiator is required and may not be empty")]
    found = _shape_violations(name)
    if len(name.encode()) > MAX_NAME_BYTES:
        found.append(violation("CRED-INIT-009", detail=f"{len(name.encode())} bytes > 223",
                               also=INITIATOR_CODES))  # an over-long name is an invalid name
    return found


def _shape_violations(name: str) -> list[Violation]:
    prefix, dot, rest = name.partition(".")
    if prefix == "iqn" and dot:
        return _iqn_violations(rest)
    if prefix == "eui" and dot:
        return _eui_violations(rest)
    if prefix.lower() in ("iqn", "eui") and dot:
        # "IQN." / "EUI.": real clusters may fold case first (OB-44); the doc lists
        # only the lowercase prefixes.
        inner = _iqn_violations(rest) if prefix.lower() == "iqn" else _eui_violations(rest)
        codes = ["5373970", "5373997", "5373978"]
        for v in inner:
            codes.extend(v.codes or ())
        return [violation("CRED-INIT-002", *codes, certain=bool(inner) and
                          any(v.certain for v in inner), detail="uppercase prefix")]
    if _IQN_SHAPED.match(name):
        # The doc does not say whether a wrong prefix earns "prefix invalid" or "name invalid".
        return [violation("CRED-INIT-002", "5373970", "5373997",
                          detail=f"IQN-shaped name with the prefix {prefix!r}")]
    return [violation("CRED-INIT-007", "5373997", "5373970",
                      detail="neither iqn. nor eui. name")]


def _iqn_violations(rest: str) -> list[Violation]:
    if rest == "":
        return [violation("CRED-INIT-001", "5373969", "5373971", detail="nothing after iqn.")]
    date = _DATE.match(rest)
    if not date or (len(rest) > 7 and rest[7] != "."):
        codes = ["5373971"] + (["5373969"] if "." not in rest else [])
        return [violation("CRED-INIT-003", *codes, detail="date is not yyyy-mm")]
    found: list[Violation] = []
    month = int(date.group(2))
    if not 1 <= month <= 12:
        found.append(violation("CRED-INIT-003", "5373971", certain=False,
                               detail="month outside 01..12"))
    tail = rest[8:]
    if tail == "":
        found.append(violation("CRED-INIT-001", "5373969", "5373971", "5373972",
                               detail="no naming authority after the date"))
        return found
    if not _IQN_CHARS.fullmatch(tail):
        certain = not _IQN_CHARS_ANY_CASE.fullmatch(tail)
        found.append(violation("CRED-INIT-004", "5373972", certain=certain,
                               detail="characters outside a-z 0-9 . : -"))
    elif _empty_part(tail):
        found.append(violation("CRED-INIT-001", "5373969", "5373972", certain=False,
                               detail="empty naming-authority or string part"))
    return found


def _empty_part(tail: str) -> bool:
    """An empty naming-authority label, or a ``:`` with no string after it.

    Only the naming authority is made of dot-separated labels; the string after the first
    ``:`` may hold any of ``a-z 0-9 . : -`` in any order (RFC 3720 §3.2.6.3.1).
    """
    authority, colon, string = tail.partition(":")
    return authority == "" or authority[0] == "." or ".." in authority or (bool(colon) and not string)


def _eui_violations(rest: str) -> list[Violation]:
    if not _HEX.fullmatch(rest):
        return [violation("CRED-INIT-006", "5373978", "5373977", detail="non-hex digits")]
    if len(rest) != 16:
        return [violation("CRED-INIT-005", "5373977", "5373978",
                          detail=f"{len(rest)} hex digits instead of 16")]
    return []
