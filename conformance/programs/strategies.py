"""Hypothesis strategies for the suite: initiator names, CHAP secrets, addresses, bodies.

Valid strategies stay inside the run's namespace (``prefix``) so a live run only ever
touches what it created. ``invalid_`` strategies break one documented rule on purpose.
"""

from __future__ import annotations

import ast
import functools
import ipaddress
import string
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from conformance.wire.client import placeholder_text
from conformance.wire.redaction import MIN_FREE_TEXT_LENGTH

LABEL_CHARS = string.ascii_lowercase + string.digits
IQN_STRING_CHARS = LABEL_CHARS + ".:-"
HEX = "0123456789abcdef"


# ---- initiator names -----------------------------------------------------------------------
def iqn_names(prefix: str) -> st.SearchStrategy[str]:
    """Valid IQNs under the run's prefix: ``<prefix>:<string>`` with a-z 0-9 . : - only."""
    tail = st.text(IQN_STRING_CHARS, min_size=1, max_size=24).filter(
        lambda s: s[0] not in ".:" and not s.endswith(":") and ".." not in s)
    return tail.map(lambda s: f"{prefix}:{s}")


def eui_names(eui_prefix: str) -> st.SearchStrategy[str]:
    """Valid EUI names: ``eui.`` + 16 hex digits starting with the run's prefix, in lower or
    upper case (the page's "X is a hexadecimal digit" allows both; whether a target folds the
    case is open, OQ-5, and the model learns it)."""
    free = 16 - len(eui_prefix)
    digits = st.text(HEX, min_size=free, max_size=free).map(lambda s: eui_prefix + s)
    return st.tuples(digits, st.booleans()).map(lambda t: f"eui.{t[0].upper() if t[1] else t[0]}")


def initiator_names(prefix: str, eui_prefix: str) -> st.SearchStrategy[str]:
    """Valid initiator names of both forms."""
    return st.one_of(iqn_names(prefix), eui_names(eui_prefix))


def invalid_initiator_names(prefix: str) -> st.SearchStrategy[str]:
    """Names that break one documented naming rule (codes 5373969 .. 5373997)."""
    date_free = prefix.split(".", 2)[-1]  # the naming authority of the run's prefix
    return st.sampled_from([
        "iqn.",                                        # 5373969: empty qualifier
        "iqx.2000-01.org.example:host",                # 5373970 / 5373997: bad prefix
        f"iqn.2000-1.{date_free}:host",                # 5373971: bad date
        f"iqn.20x0-01.{date_free}:host",               # 5373971
        f"{prefix}:under_score",                       # 5373972: underscore
        f"{prefix}:spa ce",                            # 5373972: space
        "eui.0123456789abcde",                         # 5373977: 15 digits
        "eui.0123456789abcdef0",                       # 5373977: 17 digits
        "eui.0123456789abcdeg",                        # 5373978: not hex
        "naa.600a098038303053",                        # 5373997: neither form
        "host-without-prefix",                         # 5373997
    ])


def free_variant(name: str, taken: set[str] | frozenset[str]) -> str:
    """``name``, or its first variant not in ``taken``: an IQN gets ``-2``, ``-3``...; an EUI
    the next numbers in its last four digits (the run's prefix stays)."""
    candidate = name
    for attempt in range(2, 0x10000):
        if candidate not in taken:
            return candidate
        if name.startswith("eui."):
            candidate = name[:-4] + f"{(int(name[-4:], 16) + attempt - 1) % 0x10000:04x}"
        else:
            candidate = f"{name}-{attempt}"
    raise ValueError(f"no free variant of {name!r}")


# ---- CHAP ------------------------------------------------------------------------------------
# Built once: a characters() strategy recomputes its code-point intervals whenever it is
# constructed, which cost a third of a run when chap_bodies() built it on every draw.
# No codec="utf-8": UTF-8 encodes every code point but the surrogates, which category Cs
# already excludes, and Hypothesis derives a codec's intervals by trying to encode each of
# the 1.1 million code points (about a second of every process that draws a CHAP body).
_UNICODE = st.characters(exclude_categories=("Cs", "Cc"))
_CHAP_USERS = st.one_of(
    st.text(string.ascii_letters + string.digits + "._-@ ", min_size=1, max_size=32),
    st.sampled_from(["u", "U" * 128]),
    st.text(_UNICODE, min_size=1, max_size=20).filter(lambda s: len(s.encode()) <= 128),
)
@functools.cache
def _own_text() -> str:
    """Every string literal of the suite and its model, lowercased, one per line.

    Hypothesis draws strings from the constants of the code under test, so a generated
    password may be "conformant" or a rule ID. The redactor masks a password wherever it
    shows, and would then mask the report's own words: such passwords are not drawn.
    """
    root = Path(__file__).resolve().parents[2]  # the project (this file: conformance/programs/strategies.py)
    found: list[str] = []
    for package in ("conformance", "models"):
        for path in sorted((root / package).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError):
                continue
            found += [node.value.lower() for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return "\n".join([*found, placeholder_text().lower()])


@functools.cache
def _own_windows() -> frozenset[str]:
    """Every window of :func:`_own_text` as long as the shortest secret that is looked for."""
    text = _own_text()
    return frozenset(text[i:i + MIN_FREE_TEXT_LENGTH] for i in range(len(text) - MIN_FREE_TEXT_LENGTH + 1))


def _not_own_text(secret: str) -> bool:
    if len(secret) < MIN_FREE_TEXT_LENGTH:
        return True
    lowered = secret.lower()
    windows = _own_windows()
    # A text holds the secret only if it holds each of the secret's windows: one window it
    # lacks settles it without searching the text (most drawn passwords).
    if any(lowered[i:i + MIN_FREE_TEXT_LENGTH] not in windows
           for i in range(len(lowered) - MIN_FREE_TEXT_LENGTH + 1)):
        return True
    return lowered not in _own_text()


_PLAIN_SECRETS = st.one_of(
    st.text(string.ascii_letters + string.digits + " !#$%&*+,-./:;=?@_~", min_size=1, max_size=40),
    st.text(_UNICODE, min_size=1, max_size=24).filter(lambda s: len(s.encode()) <= 512),
    st.sampled_from(["p", "P" * 512]),
).filter(lambda s: s[:2] not in ("0x", "0X") and _not_own_text(s))


def chap_users() -> st.SearchStrategy[str]:
    """CHAP user names of 1 to 128 bytes, mostly ASCII, sometimes with spaces or unicode."""
    return _CHAP_USERS


def plain_secrets() -> st.SearchStrategy[str]:
    """Plain CHAP passwords (1 to 512 bytes) that are not in the 0x form."""
    return _PLAIN_SECRETS


_HEX_SECRETS = st.tuples(
    st.sampled_from(["0x", "0X"]),
    st.lists(st.sampled_from("0123456789abcdefABCDEF"), min_size=2, max_size=64).map(
        lambda d: "".join(d if len(d) % 2 == 0 else d[:-1])),
).map("".join)
_CHAP_SECRETS = st.one_of(_PLAIN_SECRETS, _HEX_SECRETS)
# At least 5 characters after the prefix so an echo of the secret is recognisable.
_INVALID_HEX_SECRETS = st.tuples(st.sampled_from(["0x", "0X"]), st.one_of(
    st.text("0123456789abcdef", min_size=5, max_size=15).map(lambda d: d if len(d) % 2 else d + "a"),
    st.text("0123456789abcdef", min_size=4, max_size=8).map(lambda d: d + "zz"),
)).map("".join)


def hex_secrets() -> st.SearchStrategy[str]:
    """Hex CHAP passwords: 0x or 0X and an even number of hex digits, either case."""
    return _HEX_SECRETS


def chap_secrets() -> st.SearchStrategy[str]:
    """Valid CHAP passwords, plain or hex."""
    return _CHAP_SECRETS


def invalid_hex_secrets() -> st.SearchStrategy[str]:
    """0x passwords with an odd number of digits or a non-hex digit (code 5374145)."""
    return _INVALID_HEX_SECRETS


@st.composite
def chap_bodies(draw: st.DrawFn, *, outbound: bool | None = None) -> dict[str, Any]:
    """A valid ``chap`` object: inbound user+password, optionally a distinct outbound pair."""
    inbound_secret = draw(chap_secrets())
    body: dict[str, Any] = {"inbound": {"user": draw(chap_users()), "password": inbound_secret}}
    if outbound if outbound is not None else draw(_BOOLEANS):
        # Drawn again when equal (case aside): a suffix would make "P" * 512 one byte too long,
        # and "p" + "-out" a part of the placeholder "<chap-outbound-password>" (not maskable).
        secret = draw(chap_secrets().filter(lambda s: s.lower() != inbound_secret.lower()))
        body["outbound"] = {"user": draw(chap_users()), "password": secret}
    return body


# ---- addresses -------------------------------------------------------------------------------
_IPV4 = st.ip_addresses(v=4)
_IPV6 = st.ip_addresses(v=6)
_BOOLEANS = st.booleans()
_ONE_IN_FIVE = st.integers(0, 4)
_IPV4_LENGTHS = st.integers(1, 32)
_IPV6_LENGTHS = st.integers(1, 127)


def ipv4_addresses() -> st.SearchStrategy[ipaddress.IPv4Address]:
    """IPv4 addresses."""
    return _IPV4


def ipv6_addresses() -> st.SearchStrategy[ipaddress.IPv6Address]:
    """IPv6 addresses."""
    return _IPV6


@st.composite
def address_ranges(draw: st.DrawFn) -> dict[str, str]:
    """A valid range (start <= end, one family); sometimes a single address."""
    addresses = _IPV4 if draw(_BOOLEANS) else _IPV6
    a, b = draw(addresses), draw(addresses)
    start, end = min(a, b), max(a, b)
    if draw(_ONE_IN_FIVE) == 0:
        end = start
    return {"start": str(start), "end": str(end)}


@st.composite
def address_masks(draw: st.DrawFn) -> dict[str, str]:
    """A valid mask: a network address with a length, or an IPv4 dotted mask; IPv6 may omit it."""
    if draw(_BOOLEANS):
        length = draw(_IPV4_LENGTHS)
        network = ipaddress.ip_network(f"{draw(_IPV4)}/{length}", strict=False)
        dotted = draw(_BOOLEANS)
        return {"address": str(network.network_address),
                "netmask": str(network.netmask) if dotted else str(length)}
    length = draw(_IPV6_LENGTHS)
    network = ipaddress.ip_network(f"{draw(_IPV6)}/{length}", strict=False)
    if length == 64 and draw(_BOOLEANS):
        return {"address": str(network.network_address)}
    return {"address": str(network.network_address), "netmask": str(length)}


_RANGE_LISTS = {n: st.lists(address_ranges(), min_size=n, max_size=3) for n in (0, 1)}
_MASK_LISTS = {n: st.lists(address_masks(), min_size=n, max_size=3) for n in (0, 1)}


@st.composite
def initiator_addresses(draw: st.DrawFn, *, both_lists: bool = False, min_size: int = 0) -> dict[str, Any]:
    """A valid ``initiator_address`` object with a few ranges and masks."""
    body: dict[str, Any] = {}
    if both_lists or draw(_BOOLEANS):
        body["ranges"] = draw(_RANGE_LISTS[min_size])
    if both_lists or draw(_BOOLEANS) or not body:
        body["masks"] = draw(_MASK_LISTS[min_size])
    return body


@st.composite
def invalid_address_entries(draw: st.DrawFn) -> dict[str, Any]:
    """An ``initiator_address`` with one documented mistake."""
    kind = draw(st.sampled_from(["reversed", "mixed", "v6-mask-0", "v6-mask-128", "bad-ip", "bad-mask"]))
    if kind == "reversed":
        a, b = sorted({draw(ipv4_addresses()), draw(ipv4_addresses())} | {ipaddress.IPv4Address(1)})[:2]
        return {"ranges": [{"start": str(b), "end": str(a)}]}
    if kind == "mixed":
        return {"ranges": [{"start": str(draw(ipv4_addresses())), "end": str(draw(ipv6_addresses()))}]}
    if kind.startswith("v6-mask"):
        return {"masks": [{"address": "fd00::", "netmask": kind.rsplit("-", 1)[1]}]}
    if kind == "bad-ip":
        return {"ranges": [{"start": "10.0.0.300", "end": "10.0.1.1"}]}
    return {"masks": [{"address": "10.1.0.0", "netmask": "255.0.255.0"}]}


# ---- whole bodies ----------------------------------------------------------------------------
AUTH_SPELLINGS = {"chap": ["chap", "CHAP", "Chap"], "none": ["none", "NONE"], "deny": ["deny", "Deny"]}


@st.composite
def auth_types(draw: st.DrawFn, kind: str | None = None) -> tuple[str, str]:
    """(canonical type, spelling sent): types are accepted in any case (CRED-AUTH-001)."""
    kind = kind or draw(st.sampled_from(sorted(AUTH_SPELLINGS)))
    return kind, draw(st.sampled_from(AUTH_SPELLINGS[kind]))


MISTAKES = ["chap-on-none", "no-inbound", "outbound-no-password", "same-passwords", "odd-hex",
            "bad-address", "bad-type"]
PATCH_MISTAKES = ["chap-on-none", "no-inbound", "odd-hex", "bad-address"]


@st.composite
def credential_settings(draw: st.DrawFn, *, mistakes: bool | None = None) -> dict[str, Any]:
    """Authentication and address settings for a POST body.

    ``mistakes``: True always breaks one documented rule, False never does, None (the
    default) breaks one about half of the time.
    """
    kind, spelling = draw(auth_types())
    body: dict[str, Any] = {"authentication_type": spelling}
    if kind == "chap":
        body["chap"] = draw(chap_bodies())
    if draw(st.integers(0, 2)) == 0:
        body["initiator_address"] = draw(initiator_addresses())
    if mistakes is False:
        return body
    choices = MISTAKES if mistakes else [None] * 6 + MISTAKES
    return _break(draw, body, draw(st.sampled_from(choices)))


def valid_credential_settings() -> st.SearchStrategy[dict[str, Any]]:
    """Settings a POST accepts: any type, CHAP pairs, sometimes addresses."""
    return credential_settings(mistakes=False)


def invalid_credential_settings() -> st.SearchStrategy[dict[str, Any]]:
    """Settings that break exactly one documented rule."""
    return credential_settings(mistakes=True)


def _break(draw: st.DrawFn, body: dict[str, Any], mistake: str | None) -> dict[str, Any]:
    """Apply one documented mistake to a valid body."""
    if mistake is None:
        return body
    if mistake == "chap-on-none":
        body["authentication_type"] = draw(st.sampled_from(["none", "deny"]))
        body["chap"] = draw(chap_bodies(outbound=False))
    elif mistake == "bad-type":
        body["authentication_type"] = draw(st.sampled_from(["kerberos", "chapx", ""]))
    elif mistake == "bad-address":
        body["initiator_address"] = draw(invalid_address_entries())
    else:
        body["authentication_type"] = "chap"
        chap = draw(chap_bodies(outbound=True))
        if mistake == "no-inbound":
            del chap["inbound"][draw(st.sampled_from(["user", "password"]))]
        elif mistake == "outbound-no-password":
            del chap["outbound"]["password"]
        elif mistake == "same-passwords":
            chap["outbound"]["password"] = chap["inbound"]["password"]
        elif mistake == "odd-hex":
            chap[draw(st.sampled_from(["inbound", "outbound"]))]["password"] = draw(invalid_hex_secrets())
        body["chap"] = chap
    return body


@st.composite
def patch_bodies(draw: st.DrawFn, *, mistakes: bool | None = None
                 ) -> tuple[dict[str, Any], dict[str, str]]:
    """A PATCH body and its query flags: type, CHAP and address changes.

    ``mistakes``: True always breaks one documented rule, False never does, None (the
    default) breaks one about a third of the time.
    """
    kind = draw(st.sampled_from(["type", "chap", "addresses", "addresses", "mixed"]))
    params: dict[str, str] = {}
    body: dict[str, Any] = {}
    if kind in ("type", "mixed"):
        canonical, spelling = draw(auth_types())
        body["authentication_type"] = spelling
        if canonical == "chap":
            body["chap"] = draw(chap_bodies())
    if kind == "chap":
        body["authentication_type"] = draw(st.sampled_from(AUTH_SPELLINGS["chap"]))
        body["chap"] = draw(chap_bodies())
    if kind in ("addresses", "mixed"):
        mode = draw(st.sampled_from(["replace", "add", "remove"]))
        body["initiator_address"] = draw(initiator_addresses(both_lists=mode == "replace"))
        if mode != "replace":
            params[f"{mode}_initiator_addresses"] = draw(st.sampled_from(["true", "True"]))
    if mistakes is False:
        return body, params
    mistake = draw(st.sampled_from(PATCH_MISTAKES if mistakes else [None] * 5 + PATCH_MISTAKES))
    if mistake is not None:
        body = _break(draw, body, mistake)
    return body, params


@st.composite
def authentication_changes(draw: st.DrawFn) -> dict[str, Any]:
    """A PATCH body that sets the authentication type (with a CHAP pair for chap), any spelling."""
    canonical, spelling = draw(auth_types())
    body: dict[str, Any] = {"authentication_type": spelling}
    if canonical == "chap":
        body["chap"] = draw(chap_bodies())
    return body


def valid_patch_bodies() -> st.SearchStrategy[tuple[dict[str, Any], dict[str, str]]]:
    """PATCH bodies (and flags) a credential accepts."""
    return patch_bodies(mistakes=False)


def invalid_patch_bodies() -> st.SearchStrategy[tuple[dict[str, Any], dict[str, str]]]:
    """PATCH bodies that break exactly one documented rule."""
    return patch_bodies(mistakes=True)


@st.composite
def malformed_create_bodies(draw: st.DrawFn, svm_name: str, prefix: str) -> dict[str, Any]:
    """POST bodies that break a rule the doc gives no code for: missing or mistyped fields,
    unknown fields, lengths past the bounds, and names past 223 bytes."""
    name = f"{prefix}:{draw(st.text(LABEL_CHARS, min_size=1, max_size=12))}"
    body: dict[str, Any] = {"svm": {"name": svm_name}, "initiator": name, "authentication_type": "none"}
    kind = draw(st.sampled_from(["no-initiator", "no-type", "typed-initiator", "typed-type", "unknown-field",
                                 "typed-chap", "long-name", "long-user", "empty-user", "long-password",
                                 "empty-password", "bad-ip"]))
    chap = {"inbound": {"user": "user1", "password": "secret-in-1"}}
    if kind == "no-initiator":
        del body["initiator"]
    elif kind == "no-type":
        del body["authentication_type"]
    elif kind == "typed-initiator":
        body["initiator"] = draw(st.sampled_from([7, ["iqn.2000-01.org.example:a"], None, True]))
    elif kind == "typed-type":
        body["authentication_type"] = draw(st.sampled_from([1, ["chap"], {"type": "chap"}]))
    elif kind == "unknown-field":
        body[draw(st.sampled_from(["color", "initiators", "auth"]))] = "x"
    elif kind == "typed-chap":
        body.update(authentication_type="chap", chap=draw(st.sampled_from(["user1", ["user1"], 5])))
    elif kind == "long-name":
        body["initiator"] = name + ":" + "a" * (224 - len(name) - 1 + draw(st.integers(0, 40)))
    elif kind in ("long-user", "empty-user"):
        chap["inbound"]["user"] = "u" * draw(st.integers(129, 200)) if kind == "long-user" else ""
        body.update(authentication_type="chap", chap=chap)
    elif kind in ("long-password", "empty-password"):
        chap["inbound"]["password"] = "p" * draw(st.integers(513, 600)) if kind == "long-password" else ""
        body.update(authentication_type="chap", chap=chap)
    else:
        body["initiator_address"] = {"ranges": [{"start": draw(st.sampled_from(
            ["10.0.0.256", "not-an-ip", "1.2.3", ":::1"])), "end": "10.0.0.9"}]}
    return body
