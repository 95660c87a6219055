"""The 9.10.1 doc's own examples, replayed in order and judged like any other step.

On a live target the example initiators are moved into the run's namespace, since the
doc's names may belong to real hosts there.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.judging.applicability import require
from conformance.judging.driver import ALL, Driver
from conformance.judging.pages import read_all
from conformance.judging.verdicts import broken, passed


def _initiator(target: Any, suffix: str) -> str:
    if target.kind == "emulator":
        return f"iqn.1992-08.com.netapp:{suffix}"
    return f"{target.namespace}:{suffix}"


@pytest.fixture
def svm(target: Any) -> Any:
    return target.iscsi_svms[0]


def _created(outcome: Any) -> None:
    assert outcome is not None and outcome.success, "setup: the create was not accepted"


@pytest.mark.rule("CRED-POST-001", "CRED-INIT-008")
def test_create_credentials_requiring_no_authentication(driver: Driver, target: Any, svm: Any) -> None:
    driver.create({"svm": {"name": svm.name}, "initiator": _initiator(target, "initiator1"),
                   "authentication_type": "none"})
    driver.expect_judged("CRED-POST-001", "CRED-INIT-008")


@pytest.mark.rule("CRED-POST-001", "CRED-AUTH-001", "CRED-AUTH-002", "CRED-CHAP-008", "CRED-CHAP-009")
def test_create_credentials_using_chap_inbound_authentication(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    _created(driver.create({"svm": {"name": svm.name}, "initiator": key[1], "authentication_type": "CHAP",
                            "chap": {"inbound": {"user": "user1", "password": "password1"}}}))
    driver.get(key)
    driver.expect_judged("CRED-POST-001", "CRED-AUTH-001", "CRED-AUTH-002", "CRED-CHAP-008",
                         "CRED-CHAP-009")


@pytest.mark.rule("CRED-LIST-001", "CRED-LIST-002", "CRED-DEF-001", "CRED-DEF-002", "CRED-CHAP-008")
def test_retrieve_all_properties_of_all_credentials(driver: Driver, target: Any, svm: Any) -> None:
    driver.create({"svm": {"name": svm.name}, "initiator": _initiator(target, "initiator1"),
                   "authentication_type": "none"})
    driver.create({"svm": {"name": svm.name}, "initiator": _initiator(target, "initiator2"),
                   "authentication_type": "chap", "chap": {"inbound": {"user": "user1", "password": "password1"}}})
    exchange, records = read_all(driver, {"fields": ALL})
    driver.compare_collection(records, driver.model.list(), exchange, "CRED-LIST-002")
    defaults = {r["svm"]["uuid"] for r in records if r.get("initiator") == "default"}
    missing = {s.uuid for s in target.iscsi_svms} - defaults
    if missing:
        driver.judge.apply([broken(exchange, ["CRED-DEF-001"], f"no default credential on SVMs {sorted(missing)}",
                                   "one default credential per SVM with the iSCSI service")])
    driver.judge.apply(passed(exchange, "CRED-DEF-001"))
    rules = ["CRED-LIST-001", "CRED-LIST-002", "CRED-DEF-001", "CRED-CHAP-008"]
    driver.expect_judged(*rules, *(["CRED-DEF-002"] if target.kind == "emulator" else []))


@pytest.mark.rule("CRED-PATCH-001", "CRED-CHAP-009")
def test_update_the_authentication_type(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    _created(driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "none"}))
    driver.update(key, {"authentication_type": "chap",
                        "chap": {"inbound": {"user": "user1", "password": "password1"}}})
    driver.expect_judged("CRED-PATCH-001", "CRED-CHAP-009")


@pytest.mark.rule("CRED-PATCH-001", "CRED-ADDR-007", "CRED-ADDR-006")
def test_update_the_initiator_address_list(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    _created(driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "none",
                            "initiator_address": {"masks": [{"address": "10.10.10.0", "netmask": "24"}]}}))
    driver.update(key, {"initiator_address": {"ranges": [{"start": "192.168.0.0", "end": "192.168.255.255"}]}})
    driver.expect_judged("CRED-PATCH-001", "CRED-ADDR-007", "CRED-ADDR-006")


@pytest.mark.rule("CRED-ADDR-008", "CRED-ADDR-009", "CRED-ADDR-003", "CRED-ADDR-004")
def test_add_and_remove_initiator_addresses(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "addresses"))
    first = {"masks": [{"address": "10.10.0.0", "netmask": "255.255.0.0"}]}
    _created(driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "none",
                            "initiator_address": first}))
    added = {"masks": [{"address": "fd20:8b1e:b255:4071::"}],
             "ranges": [{"start": "192.168.1.1", "end": "192.168.1.1"}]}
    driver.update(key, {"initiator_address": added}, {"add_initiator_addresses": "true"})
    driver.update(key, {"initiator_address": first}, {"remove_initiator_addresses": "True"})
    driver.expect_judged("CRED-ADDR-008", "CRED-ADDR-009", "CRED-ADDR-003", "CRED-ADDR-004")


@pytest.mark.rule("CRED-DEL-001")
def test_delete_credentials(driver: Driver, target: Any, svm: Any) -> None:
    key = (svm.uuid, _initiator(target, "initiator2"))
    _created(driver.create({"svm": {"uuid": svm.uuid}, "initiator": key[1], "authentication_type": "deny"}))
    driver.delete(key)
    driver.expect_judged("CRED-DEL-001")


@pytest.mark.rule("CRED-DEF-003")
def test_default_credential_changes_to_deny_and_chap(driver: Driver, target: Any) -> None:
    require(target, "CRED-DEF-003")
    svm = next(s for s in target.iscsi_svms if target.default_changeable(s.uuid))
    # A control: an ordinary record's PATCH applies, so a default left unchanged is the
    # default's own rule (CRED-DEF-003), not PATCH in general (CRED-PATCH-001).
    control = (svm.uuid, _initiator(target, "control"))
    _created(driver.create({"svm": {"uuid": svm.uuid}, "initiator": control[1], "authentication_type": "none"}))
    driver.update(control, {"authentication_type": "deny"})
    key = (svm.uuid, "default")
    driver.update(key, {"authentication_type": "deny"})
    driver.update(key, {"authentication_type": "CHAP",
                        "chap": {"inbound": {"user": "defuser", "password": "0xA1B2c3d4"}}})
    driver.expect_judged("CRED-DEF-003")


@pytest.mark.rule("CRED-SVM-005")
def test_record_is_not_reachable_through_another_svm(driver: Driver, target: Any) -> None:
    require(target, "CRED-SVM-005")
    first = target.iscsi_svms[0]
    other = next(s for s in target.svms if s.uuid != first.uuid)
    name = _initiator(target, "scoped")
    _created(driver.create({"svm": {"uuid": first.uuid}, "initiator": name, "authentication_type": "none"}))
    driver.get((other.uuid, name))
    driver.expect_judged("CRED-SVM-005")


@pytest.mark.rule("CRED-STATE-001")
def test_writes_change_only_the_record_they_name(driver: Driver, target: Any) -> None:
    """One initiator on two SVMs and a neighbour: PATCH one and DELETE the neighbour, then
    every record must be as the writes left it (no side effect on the others)."""
    if len(target.iscsi_svms) < 2:
        pytest.skip("this case needs two SVMs with the iSCSI service (CRED-STATE-001 is also judged "
                    "by every whole-collection read after a write)")
    first, second = target.iscsi_svms[:2]
    shared, neighbour = _initiator(target, "shared"), _initiator(target, "neighbour")
    for svm, name in ((first, shared), (second, shared), (first, neighbour)):
        _created(driver.create({"svm": {"uuid": svm.uuid}, "initiator": name, "authentication_type": "none"}))
    driver.update((first.uuid, shared), {"authentication_type": "deny"})
    driver.delete((first.uuid, neighbour))
    driver.delete((second.uuid, shared))
    exchange, records = read_all(driver, {"fields": ALL})
    driver.compare_collection(records, driver.model.list(), exchange, "CRED-LIST-002")
    driver.expect_judged("CRED-STATE-001")
