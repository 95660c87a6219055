"""CHAP user names and secrets: lengths, hex secrets, and when two secrets are "the same".

Doc: Overview ("any valid string or an even number of valid hexadecimal digits preceded by
'0X' or '0x'"), code 5374145. Lengths come from the CLI and SAN guides (OB-28, OB-29): users 1-128
bytes, passwords 1-512 bytes.
"""

from __future__ import annotations

import re

from models.outcomes import Violation, violation

MAX_USER_BYTES = 128
MAX_PASSWORD_BYTES = 512
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")
#: An empty user or password may be answered as a missing one: with the code of the rule that
#: requires it (CRED-CHAP-001 inbound, CRED-CHAP-002 outbound).
_MISSING = {"chap.inbound": ("5374149",), "chap.outbound": ("5374150",)}


def is_hex_secret(password: str) -> bool:
    """True when the password uses the hex form (``0x``/``0X`` prefix)."""
    return password[:2] in ("0x", "0X")


def user_violations(user: object, where: str) -> list[Violation]:
    """Rules a CHAP user name breaks."""
    if not isinstance(user, str):
        return [violation("CRED-BODY-001", detail=f"{where} user must be a string")]
    size = len(user.encode())
    if not 1 <= size <= MAX_USER_BYTES:
        return [violation("CRED-CHAP-006", detail=f"{where} user is {size} bytes", also=_MISSING.get(where, ())
                          if size == 0 else ())]
    return []


def password_violations(password: object, where: str) -> list[Violation]:
    """Rules a CHAP password breaks (the hex form, and the observed length bounds)."""
    if not isinstance(password, str):
        return [violation("CRED-BODY-001", detail=f"{where} password must be a string")]
    found = []
    size = len(password.encode())
    if not 1 <= size <= MAX_PASSWORD_BYTES:
        found.append(violation("CRED-CHAP-007", detail=f"{where} password is {size} bytes",
                               also=_MISSING.get(where, ()) if size == 0 else ()))
    if is_hex_secret(password):
        digits = password[2:]
        if not _HEX_DIGITS.fullmatch(digits) or len(digits) % 2:
            found.append(violation("CRED-CHAP-004", "5374145",
                                   detail=f"{where} hex password is odd or not hex"))
        elif not digits:
            found.append(violation("CRED-CHAP-004", "5374145", certain=False,
                                   detail=f"{where} hex password has no digits"))
    return found


def secrets_clash(inbound: str, outbound: str) -> bool | None:
    """Whether two secrets are the same for rule CRED-CHAP-003.

    Returns True (certainly the same), False (certainly different) or None when the doc
    leaves it open: two hex secrets that differ only in the case of their digits or prefix
    (OQ-13).
    """
    if inbound == outbound:
        return True
    if is_hex_secret(inbound) and is_hex_secret(outbound) and (
            inbound[2:].lower() == outbound[2:].lower()):
        return None
    return False
