"""One deterministic request per documented error code, so every code is exercised every run.

Each case breaks exactly one rule; the model still allows every code the doc leaves open
(for example 5373970 or 5373997 for a bad prefix), so a target may answer with either. A
case passes only when a response judged its rule; a rule the target cannot judge (one SVM
only, no opt-in to change defaults) is skipped as not applicable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from conformance.judging.applicability import require
from conformance.judging.driver import Driver
from models.outcomes import Outcome

Scenario = Callable[[Driver, Any], "Outcome | None"]


def _name(target: Any, suffix: str) -> str:
    return f"{target.namespace}:{suffix}"


def _svm(target: Any, index: int = 0) -> Any:
    svms = target.iscsi_svms
    if len(svms) <= index:
        pytest.skip(f"the target needs {index + 1} SVMs with the iSCSI service")
    return svms[index]


def _post(driver: Driver, target: Any, **body: Any) -> Outcome | None:
    body.setdefault("svm", {"name": _svm(target).name})
    body.setdefault("authentication_type", "none")
    return driver.create(body)


def _chap(driver: Driver, target: Any, suffix: str, chap: dict[str, Any]) -> Outcome | None:
    return _post(driver, target, initiator=_name(target, suffix), authentication_type="chap", chap=chap)


def _addresses(driver: Driver, target: Any, suffix: str, addresses: dict[str, Any]) -> Outcome | None:
    return _post(driver, target, initiator=_name(target, suffix), initiator_address=addresses)


def _no_iscsi(driver: Driver, target: Any) -> Outcome | None:
    without = [s for s in target.svms if not s.iscsi]
    return _post(driver, target, svm={"name": without[0].name}, initiator=_name(target, "no-service"))


def _duplicate(driver: Driver, target: Any) -> Outcome | None:
    first = _post(driver, target, initiator=_name(target, "twice"))
    assert first is not None and first.success, "setup: the first create was not accepted"
    return _post(driver, target, initiator=_name(target, "twice"), authentication_type="deny")


def _default(target: Any) -> tuple[str, str]:
    svm = next(s for s in target.iscsi_svms if target.default_changeable(s.uuid))
    return (svm.uuid, "default")


def _mismatch(driver: Driver, target: Any) -> Outcome | None:
    first = _svm(target, 0)
    other = next(s for s in target.svms if s.uuid != first.uuid)
    return _post(driver, target, svm={"uuid": first.uuid, "name": other.name},
                 initiator=_name(target, "mismatch"))


CASES: dict[str, tuple[str, Scenario]] = {
    "2621462": ("CRED-SVM-001", lambda d, t: _post(d, t, svm={"uuid": str(uuid.uuid4())},
                                                   initiator=_name(t, "unknown-svm"))),
    "2621706": ("CRED-SVM-002", _mismatch),
    "2621707": ("CRED-SVM-003", lambda d, t: d.create({"initiator": _name(t, "no-svm"),
                                                       "authentication_type": "none"})),
    "5373969": ("CRED-INIT-001", lambda d, t: _post(d, t, initiator="iqn.")),
    "5373970": ("CRED-INIT-002", lambda d, t: _post(d, t, initiator="iqm.1992-08.com.netapp:host")),
    "5373971": ("CRED-INIT-003", lambda d, t: _post(d, t, initiator="iqn.1992-8.com.netapp:host")),
    "5373972": ("CRED-INIT-004", lambda d, t: _post(d, t, initiator=_name(t, "under_score"))),
    "5373977": ("CRED-INIT-005", lambda d, t: _post(d, t, initiator="eui.0123456789abcde")),
    "5373978": ("CRED-INIT-006", lambda d, t: _post(d, t, initiator="eui.0123456789abcdeg")),
    "5373997": ("CRED-INIT-007", lambda d, t: _post(d, t, initiator="naa.600a098038303053")),
    "5374078": ("CRED-SVM-004", _no_iscsi),
    "5374142": ("CRED-POST-004", _duplicate),
    "5374145": ("CRED-CHAP-004", lambda d, t: _chap(d, t, "odd-hex", {
        "inbound": {"user": "user1", "password": "0xabcdef1"}})),
    "5374147": ("CRED-CHAP-003", lambda d, t: _chap(d, t, "same", {
        "inbound": {"user": "user1", "password": "secret12"},
        "outbound": {"user": "user2", "password": "secret12"}})),
    "5374148": ("CRED-DEF-004", lambda d, t: d.delete(_default(t))),
    "5374149": ("CRED-CHAP-001", lambda d, t: _chap(d, t, "no-inbound", {"inbound": {"user": "user1"}})),
    "5374150": ("CRED-CHAP-002", lambda d, t: _chap(d, t, "outbound-user", {
        "inbound": {"user": "user1", "password": "secret12"}, "outbound": {"user": "user2"}})),
    "5374155": ("CRED-DEF-005", lambda d, t: d.update(_default(t), {"initiator_address": {
        "ranges": [{"start": "192.168.0.1", "end": "192.168.0.9"}]}})),
    "5374855": ("CRED-ADDR-001", lambda d, t: _addresses(d, t, "reversed", {
        "ranges": [{"start": "192.168.0.9", "end": "192.168.0.1"}]})),
    "5374856": ("CRED-ADDR-002", lambda d, t: _addresses(d, t, "mixed", {
        "ranges": [{"start": "192.168.0.1", "end": "fd20::1"}]})),
    "5374895": ("CRED-MISS-001", lambda d, t: d.update((_svm(t).uuid, _name(t, "never-created")),
                                                       {"authentication_type": "deny"})),
    "5374900": ("CRED-CHAP-005", lambda d, t: _post(
        d, t, initiator=_name(t, "chap-on-deny"), authentication_type="deny",
        chap={"inbound": {"user": "user1", "password": "secret12"}})),
    "4": ("CRED-MISS-002", lambda d, t: d.get((_svm(t).uuid, _name(t, "never-created")))),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_documented_error_code_is_refused(code: str, driver: Driver, target: Any,
                                          request: pytest.FixtureRequest) -> None:
    rule_id, scenario = CASES[code]
    request.node.add_marker(pytest.mark.rule(rule_id))  # a label for the report, never a credit
    require(target, rule_id)
    scenario(driver, target)
    driver.expect_judged(rule_id)


@pytest.mark.rule("CRED-MISS-001")
def test_delete_missing_credentials_is_refused(driver: Driver, target: Any) -> None:
    driver.delete((_svm(target).uuid, _name(target, "never-created")))
    driver.expect_judged("CRED-MISS-001")
