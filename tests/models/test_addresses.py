from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.addresses import AddressMask, AddressRange, parse_mask, parse_range, same_masks
from models.records import Credential
from tests.models.helpers import IQN, SVM1, commit_success, fresh_model, post_body
from tests.models.strategies import ipv4, ipv6


@settings(max_examples=200)
@given(ipv4, st.integers(0, 32))
def test_parse_mask_length_and_dotted_forms_same_mask(address, length: int) -> None:
    dotted = str(ipaddress.IPv4Network(f"0.0.0.0/{length}").netmask)
    by_length, bad_length = parse_mask({"address": str(address), "netmask": str(length)})
    by_dotted, bad_dotted = parse_mask({"address": str(address), "netmask": dotted})
    assert by_length == by_dotted
    assert [(v.rule, v.codes, v.certain) for v in bad_length] == \
        [(v.rule, v.codes, v.certain) for v in bad_dotted]
    if length:
        assert by_length == AddressMask(address, length)
        assert not bad_length
        assert by_length.as_json()["netmask"] == str(length)


@pytest.mark.parametrize("netmask", ["0.0.0.255", "255.0.255.0", "0.255.255.255"])
def test_parse_mask_host_or_broken_mask_refused(netmask: str) -> None:
    mask, found = parse_mask({"address": "10.0.0.0", "netmask": netmask})
    assert mask is None
    assert found and all(v.rule == "CRED-ADDR-003" for v in found)


@pytest.mark.parametrize("netmask", ["33", "256.0.0.0", "-1", "24.5", "ff"])
def test_parse_mask_bad_ipv4_netmask_refused(netmask: str) -> None:
    mask, found = parse_mask({"address": "10.0.0.0", "netmask": netmask})
    assert mask is None
    assert [v.certain for v in found] == [True]


@settings(max_examples=100)
@given(ipv6)
def test_parse_mask_ipv6_default_64(address) -> None:
    mask, found = parse_mask({"address": str(address)})
    assert (mask, found) == (AddressMask(address, 64), [])
    assert mask.as_json() == {"address": str(address), "netmask": "64", "family": "ipv6"}


@pytest.mark.parametrize("netmask", ["0", "128", "129", "ffff:ffff::", "255.255.0.0"])
def test_parse_mask_ipv6_out_of_range_refused(netmask: str) -> None:
    mask, found = parse_mask({"address": "fd00::", "netmask": netmask})
    assert mask is None
    assert [(v.rule, v.certain) for v in found] == [("CRED-ADDR-004", True)]


@settings(max_examples=100)
@given(ipv6, st.integers(1, 127))
def test_parse_mask_ipv6_length_kept_as_string(address, length: int) -> None:
    mask, found = parse_mask({"address": str(address), "netmask": str(length)})
    assert not found
    assert mask.as_json()["netmask"] == str(length)


@pytest.mark.parametrize(("left", "right"), [("::1", "0:0::1"), ("fd00::1", "FD00:0:0:0:0:0:0:1"),
                                             ("::ffff:a00:1", "::ffff:10.0.0.1")])
def test_parse_range_equal_addresses_compare_equal(left: str, right: str) -> None:
    assert parse_range({"start": left, "end": left}) == parse_range({"start": right, "end": right})


def test_same_masks_compares_networks() -> None:
    a = frozenset({AddressMask(ipaddress.ip_address("10.0.0.7"), 24)})
    b = frozenset({AddressMask(ipaddress.ip_address("10.0.0.0"), 24)})
    assert same_masks(a, b)
    assert not same_masks(a, frozenset({AddressMask(ipaddress.ip_address("10.0.0.0"), 25)}))


@pytest.mark.parametrize("item", [{"start": "10.0.0.1"}, {"start": "x", "end": "10.0.0.1"},
                                  {"start": "10.0.0.1", "end": "10.0.0.256"},
                                  {"start": 1, "end": 2}])
def test_parse_range_not_an_address_refused(item: dict[str, object]) -> None:
    parsed, found = parse_range(item)
    assert parsed is None
    assert any(v.rule == "CRED-ADDR-005" and v.certain for v in found)


def test_record_as_json_mixed_families_sorted() -> None:
    record = Credential(SVM1.uuid, SVM1.name, IQN, ranges=frozenset({
        AddressRange(ipaddress.ip_address("::1"), ipaddress.ip_address("::2")),
        AddressRange(ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("10.0.0.2")),
    }), masks=frozenset({
        AddressMask(ipaddress.ip_address("fd00::"), 64),
        AddressMask(ipaddress.ip_address("10.0.0.0"), 8),
    }))
    body = record.as_json()["initiator_address"]
    assert [r["family"] for r in body["ranges"]] == ["ipv4", "ipv6"]
    assert [m["family"] for m in body["masks"]] == ["ipv4", "ipv6"]


def test_create_mixed_family_address_lists_round_trip() -> None:
    model = fresh_model()
    addresses = {"ranges": [{"start": "10.0.0.1", "end": "10.0.0.9"}, {"start": "::1", "end": "::9"}],
                 "masks": [{"address": "fd00::"}, {"address": "192.168.0.0", "netmask": "255.255.0.0"}]}
    commit_success(model, model.create(post_body(initiator_address=addresses)))
    (record,) = model.get(SVM1.uuid, IQN).outcomes[0].result
    assert record.as_json()["initiator_address"] == {
        "ranges": [{"start": "10.0.0.1", "end": "10.0.0.9", "family": "ipv4"},
                   {"start": "::1", "end": "::9", "family": "ipv6"}],
        "masks": [{"address": "192.168.0.0", "netmask": "16", "family": "ipv4"},
                  {"address": "fd00::", "netmask": "64", "family": "ipv6"}],
    }
