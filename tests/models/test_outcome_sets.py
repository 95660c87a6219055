from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from models.outcomes import Expectation
from tests.models.helpers import (
    IQN,
    KNOWN_CODES,
    NO_ISCSI,
    SVM1,
    SVM2,
    UNKNOWN_UUID,
    commit_success,
    fresh_model,
    post_body,
)
from tests.models.strategies import (
    address_lists,
    chap_settings,
    initiators,
    json_values,
    secrets,
    users,
)

svm_refs = st.one_of(
    st.fixed_dictionaries({}, optional={
        "name": st.one_of(st.sampled_from([SVM1.name, SVM2.name, NO_ISCSI.name, "nosuch"]),
                          json_values),
        "uuid": st.one_of(st.sampled_from([SVM1.uuid, SVM2.uuid, NO_ISCSI.uuid, UNKNOWN_UUID]),
                          json_values),
    }),
    json_values,
)
auth_types = st.one_of(st.sampled_from(["chap", "none", "deny", "CHAP", "None", "DENY", "bogus", ""]),
                       st.sampled_from(["chap", "CHAP"]), json_values)
chap_sides = st.fixed_dictionaries({}, optional={
    "user": st.one_of(users, st.just(""), json_values),
    "password": st.one_of(secrets, st.sampled_from(["", "0x", "0xabc", "0xzz"]), json_values),
})
chaps = st.one_of(chap_settings(), json_values,
                  st.fixed_dictionaries({}, optional={"inbound": chap_sides, "outbound": chap_sides}))
addresses = st.one_of(address_lists, json_values, st.fixed_dictionaries({}, optional={
    "ranges": st.lists(st.fixed_dictionaries({}, optional={
        "start": st.sampled_from(["10.0.0.1", "10.0.0.9", "::1", "x", ""]),
        "end": st.sampled_from(["10.0.0.1", "10.0.0.9", "::9", "::"]),
        "family": st.sampled_from(["ipv4", "ipv6", "IPv4", 4])}), max_size=3),
    "masks": st.lists(st.fixed_dictionaries({}, optional={
        "address": st.sampled_from(["10.0.0.0", "fd00::", "nope"]),
        "netmask": st.one_of(st.sampled_from(["0", "24", "64", "128", "255.255.0.0", "0.0.0.255"]),
                             json_values)}), max_size=3),
}))
initiator_values = st.one_of(initiators, st.text(max_size=30), st.sampled_from(["default", IQN]),
                             json_values)

post_bodies = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "svm": svm_refs,
    "initiator": initiator_values,
    "authentication_type": auth_types,
    "chap": chaps,
    "initiator_address": addresses,
    "extra": json_values,
}))
patch_bodies = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "authentication_type": auth_types,
    "chap": chaps,
    "initiator_address": addresses,
    "initiator": initiator_values,
}))
flags = st.fixed_dictionaries({}, optional={
    "add_initiator_addresses": st.sampled_from(["true", "false", "True", True]),
    "remove_initiator_addresses": st.sampled_from(["true", "false", True]),
})


def _check(expectation: Expectation) -> None:
    assert expectation.outcomes
    for outcome in expectation.outcomes:
        assert outcome.statuses
        if outcome.success:
            assert outcome.codes == frozenset()
            assert outcome.records is not None or expectation.operation == "get"
            for versions in (outcome.records or {}).values():
                assert versions
                for record in versions:
                    record.as_json()
        elif outcome.codes is not None:
            assert outcome.codes, outcome
            assert outcome.codes <= KNOWN_CODES, outcome


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(post_bodies)
@example({"svm": {"uuid": []}, "initiator": IQN, "authentication_type": "none"})
@example({"svm": {"name": {}}, "initiator": IQN, "authentication_type": "none"})
def test_create_any_body_outcomes_known(body: object) -> None:
    _check(fresh_model().create(body))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["default", IQN, "iqn.2000-01.com.other"]),
       st.sampled_from([SVM1.uuid, SVM2.uuid, UNKNOWN_UUID]), patch_bodies, flags)
@example(IQN, SVM1.uuid, {"authentication_type": "chap",
                          "chap": {"inbound": {"user": [], "password": "p3"}}}, {})
@example(IQN, SVM1.uuid, {"authentication_type": "chap",
                          "chap": {"inbound": {"user": "u", "password": {"a": 1}}}}, {})
def test_update_any_body_outcomes_known(initiator: str, svm_uuid: str, body: object,
                                        params: dict[str, object]) -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body(
        authentication_type="chap", chap={"inbound": {"user": "u", "password": "p1"},
                                          "outbound": {"user": "o", "password": "p2"}},
        initiator_address={"ranges": [{"start": "10.0.0.1", "end": "10.0.0.2"}]})))
    _check(model.update(svm_uuid, initiator, body, params))


@settings(max_examples=50)
@given(st.sampled_from(["default", IQN, "nope"]), st.sampled_from([SVM1.uuid, UNKNOWN_UUID, ""]))
def test_get_and_delete_any_key_outcomes_known(initiator: str, svm_uuid: str) -> None:
    model = fresh_model()
    commit_success(model, model.create(post_body()))
    _check(model.get(svm_uuid, initiator))
    _check(model.delete(svm_uuid, initiator))
