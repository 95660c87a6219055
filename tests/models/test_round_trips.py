from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings

from models.addresses import AddressMask, AddressRange
from models.state import CredentialsModel
from tests.models.helpers import (
    IQN,
    SVM1,
    SVM2,
    commit_success,
    contains_password,
    fresh_model,
    post_body,
)
from tests.models.strategies import address_lists, initiators, valid_settings

CHAP_IN = {"inbound": {"user": "user1", "password": "password1"}}
CHAP_BOTH = {**CHAP_IN, "outbound": {"user": "target1", "password": "password2"}}


def _record(model: CredentialsModel, initiator: str = IQN, svm_uuid: str = SVM1.uuid):
    expectation = model.get(svm_uuid, initiator)
    assert [o.success for o in expectation.outcomes] == [True]
    (record,) = expectation.outcomes[0].result
    return record


def _assert_consistent(model: CredentialsModel) -> None:
    listed = model.list()
    assert listed.required == model.keys()
    assert not listed.optional
    for key, versions in model.records.items():
        for record in versions:
            assert record.key == key
            assert not contains_password(record.as_json())


def _ranges(*pairs: tuple[str, str]) -> frozenset[AddressRange]:
    return frozenset(AddressRange(ipaddress.ip_address(a), ipaddress.ip_address(b))
                     for a, b in pairs)


@settings(max_examples=60)
@given(initiators, valid_settings(), address_lists)
def test_create_get_list_delete_round_trip_consistent(initiator: str, settings_: dict,
                                                      addresses: dict) -> None:
    model = fresh_model()
    before = model.keys()
    commit_success(model, model.create(post_body(initiator=initiator, initiator_address=addresses,
                                                 **settings_)))
    record = _record(model, initiator)
    assert record.authentication_type == settings_["authentication_type"].lower()
    assert model.keys() == before | {(SVM1.uuid, initiator)}
    _assert_consistent(model)
    body = record.as_json()
    assert body["initiator"] == initiator
    assert body["svm"] == {"uuid": SVM1.uuid, "name": SVM1.name}
    if "chap" in settings_:
        assert body["chap"]["inbound"] == {"user": settings_["chap"]["inbound"]["user"]}
    commit_success(model, model.delete(SVM1.uuid, initiator))
    assert model.keys() == before
    assert model.get(SVM1.uuid, initiator).must_fail
    _assert_consistent(model)


def test_create_by_uuid_lands_on_that_svm() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(svm={"uuid": SVM2.uuid})))
    assert _record(model, IQN, SVM2.uuid).svm_name == SVM2.name
    assert model.get(SVM1.uuid, IQN).must_fail


def test_create_list_filters_exact_records() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(authentication_type="chap", chap=CHAP_IN)))
    commit_success(model, model.create(post_body(svm={"name": SVM2.name}, authentication_type="deny")))
    assert model.list({"authentication_type": "chap"}).required == {(SVM1.uuid, IQN)}
    assert model.list({"svm.name": SVM2.name}).required == {(SVM2.uuid, "default"), (SVM2.uuid, IQN)}
    assert model.list({"initiator": "default"}).required == {(SVM1.uuid, "default"),
                                                             (SVM2.uuid, "default")}
    assert model.list({"chap.inbound.user": "user1"}).required == {(SVM1.uuid, IQN)}


def test_update_replace_addresses_replaces_list() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(initiator_address={
        "ranges": [{"start": "10.0.0.1", "end": "10.0.0.5"}]})))
    body = {"initiator_address": {"ranges": [{"start": "10.1.0.1", "end": "10.1.0.5"}]}}
    expectation = model.update(SVM1.uuid, IQN, body)
    assert "CRED-ADDR-007" in expectation.rules
    commit_success(model, expectation)
    assert _record(model).ranges == _ranges(("10.1.0.1", "10.1.0.5"))
    _assert_consistent(model)


def test_update_add_addresses_merges() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(initiator_address={
        "ranges": [{"start": "10.0.0.1", "end": "10.0.0.5"}],
        "masks": [{"address": "10.9.0.0", "netmask": "16"}]})))
    body = {"initiator_address": {"ranges": [{"start": "::1", "end": "::5"}],
                                  "masks": [{"address": "10.9.1.0", "netmask": "255.255.0.0"},
                                            {"address": "fd00::"}]}}
    commit_success(model, model.update(SVM1.uuid, IQN, body, {"add_initiator_addresses": "true"}))
    record = _record(model)
    assert record.ranges == _ranges(("10.0.0.1", "10.0.0.5"), ("::1", "::5"))
    assert {m.network for m in record.masks} == {ipaddress.ip_network("10.9.0.0/16"),
                                                  ipaddress.ip_network("fd00::/64")}
    _assert_consistent(model)


def test_update_remove_addresses_removes() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(initiator_address={
        "ranges": [{"start": "10.0.0.1", "end": "10.0.0.5"}, {"start": "::1", "end": "0:0::5"}],
        "masks": [{"address": "10.9.0.0", "netmask": "16"}]})))
    body = {"initiator_address": {"ranges": [{"start": "0::1", "end": "::5"}],
                                  "masks": [{"address": "10.9.0.0", "netmask": "255.255.0.0"}]}}
    expectation = model.update(SVM1.uuid, IQN, body, {"remove_initiator_addresses": True})
    assert [o.success for o in expectation.outcomes] == [True]
    commit_success(model, expectation)
    record = _record(model)
    assert record.ranges == _ranges(("10.0.0.1", "10.0.0.5"))
    assert record.masks == frozenset()


def test_update_remove_absent_address_may_be_refused() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body()))
    body = {"initiator_address": {"masks": [{"address": "10.9.0.0", "netmask": "16"}]}}
    expectation = model.update(SVM1.uuid, IQN, body, {"remove_initiator_addresses": "true"})
    assert expectation.success is not None
    assert len(expectation.outcomes) == 2


@pytest.mark.parametrize(("first", "second"), [("none", "deny"), ("deny", "none"),
                                               ("DENY", "None")])
def test_update_type_change_round_trip(first: str, second: str) -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(authentication_type=first)))
    commit_success(model, model.update(SVM1.uuid, IQN, {"authentication_type": second}))
    assert _record(model).authentication_type == second.lower()
    _assert_consistent(model)


def test_update_none_to_chap_and_back_round_trip() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body()))
    commit_success(model, model.update(SVM1.uuid, IQN, {"authentication_type": "chap",
                                                         "chap": CHAP_BOTH}))
    record = _record(model)
    assert (record.inbound_user, record.outbound_user) == ("user1", "target1")
    assert record.as_json()["chap"] == {"inbound": {"user": "user1"},
                                        "outbound": {"user": "target1"}}
    expectation = model.update(SVM1.uuid, IQN, {"authentication_type": "none"})
    versions = expectation.success.result
    assert {(v.authentication_type, v.inbound_user) for v in versions} == {("none", None),
                                                                            ("none", "user1")}
    commit_success(model, expectation)
    assert model.observe({"svm": {"uuid": SVM1.uuid}, "initiator": IQN,
                          "authentication_type": "none"})
    assert _record(model).inbound_user is None
    _assert_consistent(model)


def test_update_chap_user_change_round_trip() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(authentication_type="chap", chap=CHAP_BOTH)))
    body = {"authentication_type": "chap",
            "chap": {"inbound": {"user": "user9", "password": "password9"}}}
    commit_success(model, model.update(SVM1.uuid, IQN, body))
    record = _record(model)
    assert (record.inbound_user, record.outbound_user) == ("user9", "target1")
    assert record.inbound_password == "password9"
    assert not contains_password(record.as_json())


def test_update_default_to_chap_and_deny_keeps_default() -> None:
    model = fresh_model()
    commit_success(model, model.update(SVM1.uuid, "default", {"authentication_type": "CHAP",
                                                               "chap": CHAP_IN}))
    assert _record(model, "default").authentication_type == "chap"
    commit_success(model, model.update(SVM1.uuid, "default", {"authentication_type": "deny"}))
    assert {v.authentication_type for v in model.versions(SVM1.uuid, "default")} == {"deny"}
    assert model.delete(SVM1.uuid, "default").must_fail
    _assert_consistent(model)


def test_refused_outcome_commit_changes_nothing() -> None:
    model = fresh_model()
    before = dict(model.records)
    expectation = model.create(post_body(initiator="bad name"))
    for outcome in expectation.outcomes:
        model.commit(outcome)
    assert model.records == before


def test_fresh_model_defaults_none_only_for_iscsi_svms() -> None:
    model = fresh_model()
    assert model.keys() == {(SVM1.uuid, "default"), (SVM2.uuid, "default")}
    assert _record(model, "default").as_json() == {
        "svm": {"uuid": SVM1.uuid, "name": SVM1.name}, "initiator": "default",
        "authentication_type": "none"}


def test_mask_with_host_bits_equals_network() -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(initiator_address={
        "masks": [{"address": "10.0.0.7", "netmask": "24"}]})))
    record = _record(model)
    assert model.observe({"svm": {"uuid": SVM1.uuid}, "initiator": IQN,
                          "authentication_type": "none",
                          "initiator_address": {"masks": [{"address": "10.0.0.0", "netmask": "24",
                                                           "family": "ipv4"}]}})
    assert record.masks == frozenset({AddressMask(ipaddress.ip_address("10.0.0.7"), 24)})
