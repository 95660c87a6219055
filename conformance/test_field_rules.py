"""One deterministic case for each rule that has no error code of its own.

Together with ``test_error_codes.py`` every rule of the catalog is judged in every run,
whatever the state machine happens to draw. Each case ends by requiring that a response
judged its rule (markers only label the tests; they never credit a rule).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.judging.driver import Driver
from conformance.judging.pages import read_all


def _name(target: Any, suffix: str) -> str:
    return f"{target.namespace}:{suffix}"


def _create(driver: Driver, target: Any, suffix: str, **settings: Any) -> Any:
    settings.setdefault("authentication_type", "none")
    return driver.create({"svm": {"uuid": target.iscsi_svms[0].uuid}, "initiator": _name(target, suffix),
                          **settings})


def _created(outcome: Any) -> None:
    assert outcome is not None and outcome.success, "setup: the create was not accepted"


@pytest.mark.rule("CRED-INIT-008")
@pytest.mark.parametrize("initiator", ["{ns}:host-a.example:disk.1", "{ns}", "eui.{eui}", "eui.{EUI}"])
def test_create_well_formed_names_is_accepted(driver: Driver, target: Any, initiator: str) -> None:
    eui = (target.eui_prefix.lower() + "0123456789abcdef")[:16]
    name = initiator.format(ns=target.namespace, eui=eui, EUI=eui.upper())
    driver.create({"svm": {"uuid": target.iscsi_svms[0].uuid}, "initiator": name,
                   "authentication_type": "deny"})
    driver.expect_judged("CRED-INIT-008")


@pytest.mark.rule("CRED-INIT-009")
def test_create_name_longer_than_223_bytes_is_refused(driver: Driver, target: Any) -> None:
    _create(driver, target, "x" * (224 - len(_name(target, ""))))
    driver.expect_judged("CRED-INIT-009")


@pytest.mark.rule("CRED-POST-002", "CRED-POST-005")
def test_create_with_return_records_returns_the_record(driver: Driver, target: Any) -> None:
    # Only the POST's own answer can judge these rules: when a transient fault loses it (the
    # create is then decided by a read), another create is tried.
    for attempt in range(5):
        driver.create({"svm": {"name": target.iscsi_svms[0].name}, "initiator": _name(target, f"rr{attempt}"),
                       "authentication_type": "chap",
                       "chap": {"inbound": {"user": "rr-user", "password": "rr-secret-1"}}},
                      return_records=True)
        if driver.judge.judged["CRED-POST-005"]:
            break
    driver.expect_judged("CRED-POST-005", "CRED-POST-002")


@pytest.mark.rule("CRED-POST-003")
@pytest.mark.parametrize("missing", ["initiator", "authentication_type"])
def test_create_without_a_required_property_is_refused(driver: Driver, target: Any, missing: str) -> None:
    body = {"svm": {"name": target.iscsi_svms[0].name}, "initiator": _name(target, "required"),
            "authentication_type": "none"}
    del body[missing]
    driver.create(body)
    driver.expect_judged("CRED-POST-003")


@pytest.mark.rule("CRED-BODY-001")
@pytest.mark.parametrize("change", [{"initiator": 42}, {"authentication_type": ["none"]},
                                    {"chap": "user1"}, {"colour": "blue"}])
def test_create_with_a_mistyped_or_unknown_property_is_refused(driver: Driver, target: Any,
                                                               change: dict[str, Any]) -> None:
    body = {"svm": {"name": target.iscsi_svms[0].name}, "initiator": _name(target, "typed"),
            "authentication_type": "none", **change}
    driver.create(body)
    driver.expect_judged("CRED-BODY-001")


@pytest.mark.rule("CRED-AUTH-001", "CRED-AUTH-002")
@pytest.mark.parametrize("spelling", ["NONE", "Deny", "CHAP"])
def test_create_authentication_type_in_any_case_is_returned_lowercase(driver: Driver, target: Any,
                                                                      spelling: str) -> None:
    chap = {"chap": {"inbound": {"user": "case-user", "password": "case-secret-1"}}} if spelling == "CHAP" else {}
    _create(driver, target, f"case-{spelling.lower()}", authentication_type=spelling, **chap)
    driver.expect_judged("CRED-AUTH-001", "CRED-AUTH-002")


@pytest.mark.rule("CRED-AUTH-003")
@pytest.mark.parametrize("spelling", ["kerberos", "", "chapx"])
def test_create_unknown_authentication_type_is_refused(driver: Driver, target: Any, spelling: str) -> None:
    _create(driver, target, "bad-type", authentication_type=spelling)
    driver.expect_judged("CRED-AUTH-003")


@pytest.mark.rule("CRED-CHAP-006")
@pytest.mark.parametrize("user", ["", "u" * 129])
def test_create_chap_user_outside_1_to_128_bytes_is_refused(driver: Driver, target: Any, user: str) -> None:
    _create(driver, target, "user-length", authentication_type="chap",
            chap={"inbound": {"user": user, "password": "length-secret-1"}})
    driver.expect_judged("CRED-CHAP-006")


@pytest.mark.rule("CRED-CHAP-007")
@pytest.mark.parametrize("password", ["", "p" * 513], ids=["empty", "513-bytes"])
def test_create_chap_password_outside_1_to_512_bytes_is_refused(driver: Driver, target: Any,
                                                                password: str) -> None:
    _create(driver, target, "password-length", authentication_type="chap",
            chap={"inbound": {"user": "user1", "password": password}})
    driver.expect_judged("CRED-CHAP-007")


@pytest.mark.rule("CRED-CHAP-008", "CRED-CHAP-009")
def test_chap_users_are_returned_and_passwords_never(driver: Driver, target: Any) -> None:
    chap = {"inbound": {"user": "in user ü", "password": "in secret ü 1"},
            "outbound": {"user": "out-user", "password": "0XA1B2C3D4"}}
    _created(_create(driver, target, "users", authentication_type="chap", chap=chap))
    exchange, records = read_all(driver, {"fields": "*", "initiator": _name(target, "users")})
    driver.compare_collection(records, driver.model.list({"initiator": _name(target, "users")}),
                              exchange, "CRED-LIST-003", filtered=True)
    driver.expect_judged("CRED-CHAP-008", "CRED-CHAP-009")


@pytest.mark.rule("CRED-ADDR-003", "CRED-ADDR-004", "CRED-ADDR-006")
def test_netmasks_are_returned_as_lengths_with_their_family(driver: Driver, target: Any) -> None:
    addresses = {"masks": [{"address": "10.1.0.0", "netmask": "255.255.0.0"},
                           {"address": "192.168.7.0", "netmask": "24"},
                           {"address": "fd20:8b1e:b255:4071::"}],
                 "ranges": [{"start": "fd20::1", "end": "fd20::ff"}]}
    _create(driver, target, "masks", initiator_address=addresses)
    driver.expect_judged("CRED-ADDR-003", "CRED-ADDR-004", "CRED-ADDR-006")


@pytest.mark.rule("CRED-ADDR-004")
@pytest.mark.parametrize("netmask", ["0", "128"])
def test_ipv6_netmask_outside_1_to_127_is_refused(driver: Driver, target: Any, netmask: str) -> None:
    _create(driver, target, f"v6-{netmask}", initiator_address={"masks": [{"address": "fd20::", "netmask": netmask}]})
    driver.expect_judged("CRED-ADDR-004")


@pytest.mark.rule("CRED-ADDR-005")
@pytest.mark.parametrize("address", ["10.0.0.256", "not-an-address", "fd20:::1"])
def test_address_that_is_no_ip_address_is_refused(driver: Driver, target: Any, address: str) -> None:
    _create(driver, target, "bad-ip", initiator_address={"ranges": [{"start": address, "end": address}]})
    driver.expect_judged("CRED-ADDR-005")


@pytest.mark.rule("CRED-ADDR-007")
def test_update_address_list_replaces_it(driver: Driver, target: Any) -> None:
    first = {"ranges": [{"start": "10.0.0.1", "end": "10.0.0.9"}], "masks": [{"address": "10.9.0.0", "netmask": "16"}]}
    _created(_create(driver, target, "replace", initiator_address=first))
    key = (target.iscsi_svms[0].uuid, _name(target, "replace"))
    driver.update(key, {"initiator_address": {"ranges": [{"start": "10.0.1.1", "end": "10.0.1.1"}], "masks": []}})
    driver.expect_judged("CRED-ADDR-007")


@pytest.mark.rule("CRED-PATCH-001")
def test_update_chap_then_back_to_none(driver: Driver, target: Any) -> None:
    _created(_create(driver, target, "flip"))
    key = (target.iscsi_svms[0].uuid, _name(target, "flip"))
    chap = {"inbound": {"user": "flip-in", "password": "flip-secret-1"},
            "outbound": {"user": "flip-out", "password": "flip-secret-2"}}
    driver.update(key, {"authentication_type": "chap", "chap": chap})
    driver.update(key, {"authentication_type": "none"})
    driver.expect_judged("CRED-PATCH-001")
