"""The 9.10.1 doc's own examples, replayed in order and judged like any other step.

On a live target the example initiators are moved into the run's namespace, since the
doc's names may belong to real hosts there.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.driver import ALL, Driver


def _initiator(target: Any, suffix: str) -> str:
    if target.kind == "emulator":
        return f"iqn.1992-08.com.netapp:{suffix}"
    return f"{target.namespace}:{suffix}"


@pytest.fixture
def svm(target: Any) -> Any:
    return target.iscsi_svms[0]


@pytest.mark.rule("CRED-POST-001", "CRED-INIT-008")
def test_create_credentials_requiring_no_authentication(driver: Driver, target: Any, svm: Any) -> None:
    outcome = driver.create({"svm": {"name": svm.name}, "initiator": _initiator(target, "initiator1"),
                             "authentication_type": "none"})
    assert outcome is not None and outcome.success


@pytest.mark.rule("CRED-POST-001", "CRED-AUTH-001", "CRED-AUTH-002", "CRED-CHAP-008", "CRED-CHAP-009")
def test_create_credentials_using_chap_inbound_authentication(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    outcome = driver.create({"svm": {"name": svm.name}, "initiator": key[1], "authentication_type": "CHAP",
                             "chap": {"inbound": {"user": "user1", "password": "password1"}}})
    assert outcome is not None and outcome.success
    assert driver.get(key).success


@pytest.mark.rule("CRED-LIST-001", "CRED-LIST-002", "CRED-DEF-001", "CRED-DEF-002", "CRED-CHAP-008")
def test_retrieve_all_properties_of_all_credentials(driver: Driver, target: Any, svm: Any) -> None:
    driver.create({"svm": {"name": svm.name}, "initiator": _initiator(target, "initiator1"),
                   "authentication_type": "none"})
    driver.create({"svm": {"name": svm.name}, "initiator": _initiator(target, "initiator2"),
                   "authentication_type": "chap", "chap": {"inbound": {"user": "user1", "password": "password1"}}})
    exchange, records = driver.list({"fields": ALL})
    driver.compare_collection(records, driver.model.list(), exchange, "CRED-LIST-002")
    defaults = {r["svm"]["uuid"] for r in records if r.get("initiator") == "default"}
    rule = "CRED-DEF-001"
    missing = {s.uuid for s in target.iscsi_svms} - defaults
    if missing:
        driver.checker.fail([rule], f"no default credential on SVMs {sorted(missing)}", exchange)
    driver.checker.passed([rule])
    if target.kind == "emulator":
        kinds = {r.get("authentication_type") for r in records if r.get("initiator") == "default"}
        if kinds != {"none"}:
            driver.checker.fail(["CRED-DEF-002"], f"default credentials start as {sorted(map(str, kinds))}",
                                exchange)
        driver.checker.passed(["CRED-DEF-002"])


@pytest.mark.rule("CRED-PATCH-001", "CRED-CHAP-009")
def test_update_the_authentication_type(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    assert driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "none"}).success
    outcome = driver.update(key, {"authentication_type": "chap",
                                  "chap": {"inbound": {"user": "user1", "password": "password1"}}})
    assert outcome is not None and outcome.success


@pytest.mark.rule("CRED-PATCH-001", "CRED-ADDR-007", "CRED-ADDR-006")
def test_update_the_initiator_address_list(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    assert driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "none",
                          "initiator_address": {"masks": [{"address": "10.10.10.0", "netmask": "24"}]}}).success
    outcome = driver.update(key, {"initiator_address": {"ranges": [
        {"start": "192.168.0.0", "end": "192.168.255.255"}]}})
    assert outcome is not None and outcome.success


@pytest.mark.rule("CRED-ADDR-008", "CRED-ADDR-009", "CRED-ADDR-003", "CRED-ADDR-004")
def test_add_and_remove_initiator_addresses(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "addresses"))
    first = {"masks": [{"address": "10.10.0.0", "netmask": "255.255.0.0"}]}
    assert driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "none",
                          "initiator_address": first}).success
    added = {"masks": [{"address": "fd20:8b1e:b255:4071::"}],
             "ranges": [{"start": "192.168.1.1", "end": "192.168.1.1"}]}
    assert driver.update(key, {"initiator_address": added}, {"add_initiator_addresses": "true"}).success
    assert driver.update(key, {"initiator_address": first}, {"remove_initiator_addresses": "True"}).success


@pytest.mark.rule("CRED-DEL-001")
def test_delete_credentials(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    assert driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "deny"}).success
    outcome = driver.delete(key)
    assert outcome is not None and outcome.success


@pytest.mark.rule("CRED-DEF-003")
def test_default_credential_changes_to_deny_and_chap(driver: Driver, target: Any, svm: Any) -> None:
    if not target.default_changeable(svm.uuid):
        pytest.skip("changing the default credential needs --allow-default-changes")
    key = (svm.uuid, "default")
    assert driver.update(key, {"authentication_type": "deny"}).success
    assert driver.update(key, {"authentication_type": "CHAP",
                               "chap": {"inbound": {"user": "defuser", "password": "0xA1B2c3d4"}}}).success


@pytest.mark.rule("CRED-SVM-005")
def test_record_is_not_reachable_through_another_svm(driver: Driver, target: Any) -> None:
    if len(target.iscsi_svms) < 2:
        pytest.skip("needs two SVMs with the iSCSI service")
    first, second = target.iscsi_svms[:2]
    name = _initiator(target, "scoped")
    assert driver.create({"svm": {"uuid": first.uuid}, "initiator": name, "authentication_type": "none"}).success
    outcome = driver.get((second.uuid, name))
    assert outcome is not None and not outcome.success
