from __future__ import annotations

import pytest

from tests.models.helpers import (
    IQN,
    NO_ISCSI,
    SVM1,
    SVM2,
    UNKNOWN_UUID,
    assert_refused_with,
    commit_success,
    fresh_model,
    post_body,
)

CHAP_IN = {"inbound": {"user": "user1", "password": "password1"}}


def _chap_body(chap: object, auth_type: str = "chap") -> dict[str, object]:
    return post_body(authentication_type=auth_type, chap=chap)


def _with_record(**overrides: object):
    model = fresh_model()
    commit_success(model, model.create(post_body(**overrides)))
    return model


@pytest.mark.parametrize("password", ["0xabc", "0Xa", "0x12g4", "0xzz", "0x 1"])
def test_create_bad_hex_secret_refused_5374145(password: str) -> None:
    chap = {"inbound": {"user": "user1", "password": password}}
    assert_refused_with(fresh_model().create(_chap_body(chap)), "5374145")


@pytest.mark.parametrize("password", ["0xabcd", "0XABcd", "0x00", "abc", "x0abc", "0 xab"])
def test_create_good_secret_allows_201(password: str) -> None:
    chap = {"inbound": {"user": "user1", "password": password}}
    assert [o.success for o in fresh_model().create(_chap_body(chap)).outcomes] == [True]


def test_update_bad_hex_outbound_secret_refused_5374145() -> None:
    model = _with_record(authentication_type="chap", chap=CHAP_IN)
    body = {"authentication_type": "chap",
            "chap": {**CHAP_IN, "outbound": {"user": "u2", "password": "0x123"}}}
    assert_refused_with(model.update(SVM1.uuid, IQN, body), "5374145")


def test_create_equal_passwords_refused_5374147() -> None:
    chap = {"inbound": {"user": "a", "password": "secret1"},
            "outbound": {"user": "b", "password": "secret1"}}
    assert_refused_with(fresh_model().create(_chap_body(chap)), "5374147")


def test_create_equal_users_different_passwords_allows_201() -> None:
    chap = {"inbound": {"user": "a", "password": "secret1"},
            "outbound": {"user": "a", "password": "secret2"}}
    assert fresh_model().create(_chap_body(chap)).outcomes[0].success


def test_create_hex_passwords_differing_in_case_may_clash() -> None:
    chap = {"inbound": {"user": "a", "password": "0xABCD"},
            "outbound": {"user": "b", "password": "0xabcd"}}
    expectation = fresh_model().create(_chap_body(chap))
    assert expectation.success is not None
    assert {c for o in expectation.outcomes if not o.success for c in o.codes} == {"5374147"}


def test_update_outbound_equal_to_stored_inbound_refused_5374147() -> None:
    model = _with_record(authentication_type="chap", chap=CHAP_IN)
    body = {"authentication_type": "chap", "chap": {
        "inbound": {"user": "user1", "password": "password1"},
        "outbound": {"user": "u2", "password": "password1"}}}
    assert_refused_with(model.update(SVM1.uuid, IQN, body), "5374147")


@pytest.mark.parametrize("chap", [None, {}, {"inbound": {"user": "u"}},
                                  {"inbound": {"password": "p"}},
                                  {"outbound": {"user": "u", "password": "p"}}])
def test_create_chap_without_inbound_refused_5374149(chap: object) -> None:
    body = _chap_body(chap) if chap is not None else post_body(authentication_type="chap")
    assert_refused_with(fresh_model().create(body), "5374149")


def test_update_to_chap_without_inbound_refused_5374149() -> None:
    model = _with_record()
    assert_refused_with(model.update(SVM1.uuid, IQN, {"authentication_type": "chap"}), "5374149")


def test_create_outbound_user_without_password_refused_5374150() -> None:
    chap = {**CHAP_IN, "outbound": {"user": "u2"}}
    assert_refused_with(fresh_model().create(_chap_body(chap)), "5374150")


@pytest.mark.parametrize("auth_type", ["none", "deny", "NONE", "Deny"])
@pytest.mark.parametrize("chap", [CHAP_IN, {"inbound": {"user": "u"}},
                                  {"outbound": {"user": "u", "password": "p"}}])
def test_create_chap_properties_with_none_or_deny_refused_5374900(auth_type: str,
                                                                   chap: object) -> None:
    assert_refused_with(fresh_model().create(_chap_body(chap, auth_type)), "5374900")


@pytest.mark.parametrize("auth_type", ["none", "deny"])
def test_update_chap_properties_with_none_or_deny_refused_5374900(auth_type: str) -> None:
    model = _with_record()
    body = {"authentication_type": auth_type, "chap": CHAP_IN}
    assert_refused_with(model.update(SVM1.uuid, IQN, body), "5374900")


def test_update_chap_properties_on_deny_record_refused_5374900() -> None:
    model = _with_record(authentication_type="deny")
    assert_refused_with(model.update(SVM1.uuid, IQN, {"chap": CHAP_IN}), "5374900")


def test_create_empty_chap_with_none_may_be_refused_5374900() -> None:
    expectation = fresh_model().create(_chap_body({}, "none"))
    assert expectation.success is not None
    assert {c for o in expectation.outcomes if not o.success for c in o.codes} == {"5374900"}


def _range_body(start: str, end: str) -> dict[str, object]:
    return post_body(initiator_address={"ranges": [{"start": start, "end": end}]})


@pytest.mark.parametrize(("start", "end"), [("10.0.0.2", "10.0.0.1"), ("::2", "::1"),
                                            ("192.168.1.0", "192.168.0.255")])
def test_create_reversed_range_refused_5374855(start: str, end: str) -> None:
    assert_refused_with(fresh_model().create(_range_body(start, end)), "5374855")


def test_update_reversed_range_refused_5374855() -> None:
    model = _with_record()
    body = {"initiator_address": {"ranges": [{"start": "10.0.0.9", "end": "10.0.0.1"}]}}
    assert_refused_with(model.update(SVM1.uuid, IQN, body), "5374855")


@pytest.mark.parametrize(("start", "end"), [("10.0.0.1", "::1"), ("::ffff:10.0.0.1", "10.0.0.2"),
                                            ("255.255.255.255", "::")])
def test_create_mixed_family_range_refused_5374856(start: str, end: str) -> None:
    assert_refused_with(fresh_model().create(_range_body(start, end)), "5374856")


def test_update_mixed_family_range_refused_5374856() -> None:
    model = _with_record()
    body = {"initiator_address": {"ranges": [{"start": "10.0.0.1", "end": "::1"}]}}
    assert_refused_with(model.update(SVM1.uuid, IQN, body), "5374856")


def test_create_unknown_svm_uuid_refused_2621462() -> None:
    body = post_body(svm={"uuid": UNKNOWN_UUID})
    assert_refused_with(fresh_model().create(body), "2621462")


def test_create_svm_uuid_and_name_mismatch_refused_2621706() -> None:
    body = post_body(svm={"uuid": SVM1.uuid, "name": SVM2.name})
    assert_refused_with(fresh_model().create(body), "2621706")


def test_create_unknown_uuid_with_known_name_refused_2621462_or_2621706() -> None:
    body = post_body(svm={"uuid": UNKNOWN_UUID, "name": SVM1.name})
    assert_refused_with(fresh_model().create(body), "2621462", "2621706")
    assert_refused_with(fresh_model().create(body), "2621706", "2621462")


@pytest.mark.parametrize("svm", [None, {}])
def test_create_without_svm_refused_2621707(svm: object) -> None:
    body = {"initiator": IQN, "authentication_type": "none"}
    if svm is not None:
        body["svm"] = svm
    assert_refused_with(fresh_model().create(body), "2621707")


def test_create_svm_without_iscsi_refused_5374078() -> None:
    body = post_body(svm={"name": NO_ISCSI.name})
    assert_refused_with(fresh_model().create(body), "5374078")


def test_create_duplicate_refused_5374142() -> None:
    model = _with_record()
    assert_refused_with(model.create(post_body(authentication_type="deny")), "5374142")


def test_create_same_initiator_other_svm_allows_201() -> None:
    model = _with_record()
    assert model.create(post_body(svm={"uuid": SVM2.uuid})).outcomes[0].success


def test_delete_default_refused_5374148() -> None:
    assert_refused_with(fresh_model().delete(SVM1.uuid, "default"), "5374148")


@pytest.mark.parametrize("addresses", [
    {"ranges": [{"start": "10.0.0.1", "end": "10.0.0.2"}]},
    {"masks": [{"address": "10.0.0.0", "netmask": "24"}]},
])
@pytest.mark.parametrize("params", [None, {"add_initiator_addresses": "true"}])
def test_update_default_address_list_refused_5374155(addresses: object, params: object) -> None:
    body = {"initiator_address": addresses}
    assert_refused_with(fresh_model().update(SVM1.uuid, "default", body, params), "5374155")


@pytest.mark.parametrize("auth_type", ["deny", "CHAP"])
def test_update_default_type_allows_200(auth_type: str) -> None:
    body = {"authentication_type": auth_type}
    if auth_type == "CHAP":
        body["chap"] = CHAP_IN
    expectation = fresh_model().update(SVM1.uuid, "default", body)
    assert [o.statuses for o in expectation.outcomes] == [frozenset({200})]
    assert "CRED-DEF-003" in expectation.outcomes[0].rules


def test_update_missing_credential_refused_5374895() -> None:
    expectation = fresh_model().update(SVM1.uuid, IQN, {"authentication_type": "deny"})
    assert expectation.must_fail
    assert any(o.allows(400, "5374895") for o in expectation.outcomes)
    # The page's own example error of its Update section: 404 code "4" "entry doesn't exist".
    assert {c for o in expectation.outcomes for c in o.codes} == {"5374895", "4"}
    assert any(o.allows(404, "4") for o in expectation.outcomes)
    assert not any(o.allows(400, "4") for o in expectation.outcomes)


def test_delete_missing_credential_refused_5374895() -> None:
    expectation = fresh_model().delete(SVM1.uuid, IQN)
    assert expectation.must_fail
    assert any(o.allows(404, "5374895") for o in expectation.outcomes)
    assert {c for o in expectation.outcomes for c in o.codes} == {"5374895", "4"}
    assert any(o.allows(404, "4") for o in expectation.outcomes)


def test_get_missing_credential_404_code_4_or_any_4xx_with_5374895() -> None:
    # The doc's example error is 404 code "4"; the endpoint's own "does not exist" code
    # 5374895 is also allowed, with any 4xx since no doc gives its status (OQ-2).
    expectation = fresh_model().get(SVM1.uuid, IQN)
    assert [(o.statuses, o.codes) for o in expectation.outcomes] == [
        (frozenset({404}), frozenset({"4"})), (frozenset(range(400, 500)), frozenset({"5374895"}))]
    assert all(o.rules == ("CRED-MISS-002",) for o in expectation.outcomes)


def test_get_credential_of_other_svm_404_code_4() -> None:
    model = _with_record()
    expectation = model.get(SVM2.uuid, IQN)
    assert expectation.must_fail
    assert expectation.outcomes[0].allows(404, "4")
    assert "CRED-SVM-005" in expectation.rules


@pytest.mark.parametrize("operation", ["get", "update", "delete"])
def test_operation_unknown_svm_in_path_refused_generic_or_2621462(operation: str) -> None:
    model = fresh_model()
    call = getattr(model, operation)
    expectation = call(UNKNOWN_UUID, "default", {}) if operation == "update" else \
        call(UNKNOWN_UUID, "default")
    assert expectation.must_fail
    allowed = {"4", "2", "5374895"} | ({"2621462"} if operation != "get" else set())
    assert {c for o in expectation.outcomes for c in o.codes} == allowed


def test_unknown_svm_status_is_400_or_404_from_9_15_1_and_any_4xx_before() -> None:
    from models.state import CredentialsModel

    svms = [SVM1, SVM2]
    body = {"svm": {"uuid": UNKNOWN_UUID}, "initiator": IQN, "authentication_type": "none"}
    old = CredentialsModel.fresh(svms, release=(9, 10, 1)).create(body)
    new = CredentialsModel.fresh(svms, release=(9, 15, 1)).create(body)
    assert old.matching(409, "2621462") and old.matching(404, "2621462")
    assert new.matching(400, "2621462") and new.matching(404, "2621462")
    assert not new.matching(409, "2621462")


def test_a_refusal_carrying_another_rules_code_identifies_nothing() -> None:
    # authentication_type "kerberos" breaks CRED-AUTH-003 alone: an answer naming the SVM
    # (2621462, CRED-SVM-001's code) is not a refusal of it, and neither is "6" (permission).
    expectation = fresh_model().create({"svm": {"uuid": SVM1.uuid}, "initiator": IQN,
                                        "authentication_type": "kerberos"})
    assert expectation.must_fail
    assert expectation.matching(400, "2621462") == []
    assert expectation.matching(403, "6") == []
    assert [o.rules for o in expectation.matching(400, "2")] == [("CRED-AUTH-003",)]


def test_an_empty_inbound_password_may_be_answered_as_a_missing_one() -> None:
    expectation = fresh_model().create({"svm": {"uuid": SVM1.uuid}, "initiator": IQN,
                                        "authentication_type": "chap",
                                        "chap": {"inbound": {"user": "u1", "password": ""}}})
    assert ("CRED-CHAP-007",) in {o.rules for o in expectation.matching(400, "5374149")}
    assert expectation.matching(400, "5374142") == []
