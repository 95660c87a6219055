"""Rules that later releases added to the documented behaviour (OB-65 to OB-73).

Each case is skipped as not applicable when the run judges against an earlier release
(``/api/cluster``'s version, or ``--ontap-version``; the embedded emulator plays one with
``--emulator-ontap-version``).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.judging import queries
from conformance.judging.applicability import require
from conformance.judging.driver import Driver


def _name(target: Any, suffix: str) -> str:
    return f"{target.namespace}:{suffix}"


def _created(driver: Driver, target: Any, suffix: str, svm: Any = None, **settings: Any) -> tuple[str, str]:
    svm = svm or target.iscsi_svms[0]
    settings.setdefault("authentication_type", "none")
    outcome = driver.create({"svm": {"uuid": svm.uuid}, "initiator": _name(target, suffix), **settings})
    assert outcome is not None and outcome.success, f"setup: {suffix} was not created"
    return (svm.uuid, _name(target, suffix))


@pytest.mark.rule("CRED-CHAP-010")
def test_update_with_an_empty_outbound_user_clears_outbound_chap(driver: Driver, target: Any) -> None:
    require(target, "CRED-CHAP-010")
    key = _created(driver, target, "clear-out", authentication_type="chap", chap={
        "inbound": {"user": "in-user", "password": "clear-in-secret-1"},
        "outbound": {"user": "out-user", "password": "clear-out-secret-2"}})
    driver.update(key, {"authentication_type": "chap", "chap": {"outbound": {"user": ""}}})
    driver.expect_judged("CRED-CHAP-010")


@pytest.mark.rule("CRED-PATCH-002")
def test_update_naming_an_svm_is_refused(driver: Driver, target: Any) -> None:
    require(target, "CRED-PATCH-002")
    key = _created(driver, target, "svm-patch")
    driver.update(key, {"svm": {"name": target.iscsi_svms[0].name}, "authentication_type": "deny"})
    driver.expect_judged("CRED-PATCH-002")


@pytest.mark.rule("CRED-GET-003")
@pytest.mark.parametrize("how", ["fields", "query"])
def test_a_password_in_fields_or_a_query_is_refused(driver: Driver, target: Any, how: str) -> None:
    require(target, "CRED-GET-003")
    _created(driver, target, "secret-query", authentication_type="chap",
             chap={"inbound": {"user": "q-user", "password": "query-secret-9"}})
    queries.check_secret_query(driver, how)
    driver.expect_judged("CRED-GET-003")


@pytest.mark.rule("CRED-PATCH-003")
def test_update_of_the_collection_changes_exactly_the_matching_records(driver: Driver, target: Any) -> None:
    require(target, "CRED-PATCH-003")
    svms = target.iscsi_svms
    for index, suffix in enumerate(("bulk-a", "bulk-b", "other")):
        _created(driver, target, suffix, svm=svms[index % len(svms)])
    driver.update_collection({"initiator": _name(target, "bulk-*")}, {"authentication_type": "deny"})
    driver.expect_judged("CRED-PATCH-003")


@pytest.mark.rule("CRED-DEL-002")
def test_delete_of_the_collection_deletes_exactly_the_matching_records(driver: Driver, target: Any) -> None:
    require(target, "CRED-DEL-002")
    svms = target.iscsi_svms
    for index, suffix in enumerate(("gone-a", "gone-b", "kept")):
        _created(driver, target, suffix, svm=svms[index % len(svms)])
    driver.delete_collection({"initiator": _name(target, "gone-*")})
    driver.expect_judged("CRED-DEL-002")
