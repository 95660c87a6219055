"""Hypothesis strategies for the model's self-tests."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
STRING_CHARS = LABEL_CHARS + ".:-"
HEX = "0123456789abcdefABCDEF"

labels = st.text(LABEL_CHARS, min_size=1, max_size=12)
dates = st.tuples(st.integers(1970, 2099), st.integers(1, 12)).map(lambda d: f"{d[0]:04d}-{d[1]:02d}")
authorities = st.lists(labels, min_size=1, max_size=5).map(".".join)
suffixes = st.one_of(st.just(""), st.text(STRING_CHARS, min_size=1, max_size=220).map(lambda s: ":" + s))


@st.composite
def iqns(draw: st.DrawFn) -> str:
    name = f"iqn.{draw(dates)}.{draw(authorities)}{draw(suffixes)}"
    return name[:223].rstrip(".:") if len(name) > 223 else name


euis = st.text(HEX, min_size=16, max_size=16).map(lambda h: "eui." + h)
initiators = st.one_of(iqns(), euis)

users = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=20)
plain_secrets = st.text(st.characters(codec="ascii", categories=("L", "N", "P")), min_size=1,
                        max_size=24).filter(lambda s: s[:2] not in ("0x", "0X"))
hex_secrets = st.builds(lambda p, h: p + h, st.sampled_from(["0x", "0X"]),
                        st.text(HEX, min_size=1, max_size=16).map(lambda h: h * 2))
secrets = st.one_of(plain_secrets, hex_secrets)

ipv4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
ipv6 = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


@st.composite
def ranges(draw: st.DrawFn) -> dict[str, str]:
    family = draw(st.sampled_from([ipv4, ipv6]))
    start, end = sorted([draw(family), draw(family)])
    return {"start": str(start), "end": str(end)}


@st.composite
def masks(draw: st.DrawFn) -> dict[str, str]:
    if draw(st.booleans()):
        return {"address": str(draw(ipv4)), "netmask": str(draw(st.integers(1, 32)))}
    item = {"address": str(draw(ipv6))}
    if draw(st.booleans()):
        item["netmask"] = str(draw(st.integers(1, 127)))
    return item


address_lists = st.fixed_dictionaries({}, optional={
    "ranges": st.lists(ranges(), min_size=1, max_size=3),
    "masks": st.lists(masks(), min_size=1, max_size=3),
}).filter(bool)


@st.composite
def chap_settings(draw: st.DrawFn) -> dict[str, dict[str, str]]:
    inbound_password = draw(secrets)
    chap = {"inbound": {"user": draw(users), "password": inbound_password}}
    if draw(st.booleans()):
        outbound_password = draw(secrets.filter(
            lambda s: s != inbound_password and s.lower() != inbound_password.lower()))
        chap["outbound"] = {"user": draw(users), "password": outbound_password}
    return chap


@st.composite
def valid_settings(draw: st.DrawFn) -> dict[str, object]:
    auth_type = draw(st.sampled_from(["none", "deny", "chap"]))
    body: dict[str, object] = {
        "authentication_type": draw(st.sampled_from([auth_type, auth_type.upper(),
                                                     auth_type.capitalize()])),
    }
    if auth_type == "chap":
        body["chap"] = draw(chap_settings())
    return body


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)
