"""Wire details NetApp's own clients rely on, authentication and methods.

The endpoint's page shows some of them in its examples (a raw ``:`` in a record's path, each
record's self link); NetApp's documentation of the whole REST API gives the rest (HAL and the
``Accept`` header, basic authentication on every call, read-only roles, 405 for a method a
resource lacks: OB-8, OB-14, OB-19, OB-20, OB-81 to OB-84), and NetApp's clients rely on them
(OB-2, OB-3, OB-75, OB-78). Every request here is safe on a shared cluster: reads, writes to
records this run created, and writes to names of the run's own namespace that do not exist (a
target that wrongly accepts one changes nothing of anyone else's). Each case ends by requiring
that a response judged its rule.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.judging import checks
from conformance.judging.applicability import require
from conformance.judging.driver import Driver
from conformance.wire.client import (
    CREDENTIALS_PATH,
    Client,
    Exchange,
    NoAnswer,
    OutcomeUnknown,
    record_path,
)

#: How often a write of these cases is sent again when its answer was lost (a refusal
#: changes nothing, so sending it again is harmless).
ATTEMPTS = 5


def _key(target: Any, suffix: str) -> tuple[str, str]:
    return target.iscsi_svms[0].uuid, f"{target.namespace}:{suffix}"


def _create(driver: Driver, key: tuple[str, str], authentication_type: str = "none") -> None:
    outcome = driver.create({"svm": {"uuid": key[0]}, "initiator": key[1],
                             "authentication_type": authentication_type})
    assert outcome is not None and outcome.success, "setup: the create was not accepted"


@contextmanager
def _client_as(target: Any, credentials: tuple[str, str] | None, curl_auth: str) -> Iterator[Client]:
    """A client of this run (guard, journal, rate limit) as other credentials (``None``: with
    none at all); its curl lines authenticate with ``curl_auth`` (placeholders, never a
    password)."""
    client = target.client(credentials or ("no-credentials", secrets.token_urlsafe(12)))
    client.curl_auth = curl_auth
    if credentials is None:
        client.session.auth = None
    try:
        yield client
    finally:
        client.close()


def _ask(client: Client, method: str, path: str, **kwargs: Any) -> Exchange:
    """One request, sent again while its answer is lost (transient faults are no answer)."""
    for _ in range(ATTEMPTS):
        try:
            return client.request(method, path, **kwargs)
        except OutcomeUnknown:
            continue
    raise NoAnswer(f"{method} {path}: no usable answer in {ATTEMPTS} attempts", ATTEMPTS)


# ---- wire details ---------------------------------------------------------------------------------
@pytest.mark.rule("CRED-WIRE-001")
def test_a_record_is_reached_with_the_raw_colon_of_its_iqn(driver: Driver, target: Any) -> None:
    """GET, PATCH and DELETE with the ``:`` raw, as NetApp's Ansible module sends it."""
    key = _key(target, "raw-colon")
    _create(driver, key)
    driver.raw_colons = True
    try:
        driver.get(key)
        driver.update(key, {"authentication_type": "deny"})
        driver.delete(key)
    finally:
        driver.raw_colons = False
    driver.expect_judged("CRED-WIRE-001")


@pytest.mark.rule("CRED-WIRE-002", "CRED-WIRE-003")
def test_answers_are_hal_json_and_self_links_name_their_records(driver: Driver, target: Any) -> None:
    key = _key(target, "self-link.a:b")
    _create(driver, key)
    driver.get(key)
    driver.list({"fields": "*", "initiator": key[1]})
    # As NetApp's Python client asks (Accept: */*): then only HAL is right (OB-7, OB-8), and a
    # HAL answer carries each record's self link (with Accept: application/json, which the
    # suite sends elsewhere, a target may leave links out: OB-8).
    params, _ = driver.scope.narrow({"initiator": key[1], "fields": "*"})
    for accept in ("*/*", "application/hal+json"):
        answer = driver.client.request("GET", CREDENTIALS_PATH, params=params, headers={"Accept": accept})
        driver.screen(answer)
        driver.judge.apply(checks.media_type_is_json(answer, accept))
        body = answer.response_json if isinstance(answer.response_json, dict) else {}
        for record in body.get("records") or []:
            if isinstance(record, dict):
                driver.judge.apply(checks.self_link_names_record(record, answer, required=True))
    driver.expect_judged("CRED-WIRE-002", "CRED-WIRE-003")


# ---- authentication and methods ------------------------------------------------------------------
@pytest.mark.rule("CRED-ACCESS-001")
def test_requests_without_or_with_wrong_credentials_are_refused(driver: Driver, target: Any) -> None:
    """401, whatever the body (no recorded 401 body exists, OB-20)."""
    missing = record_path(*_key(target, "no-such-record"))
    with _client_as(target, None, "") as anonymous, \
            _client_as(target, (target.username, secrets.token_urlsafe(12)),
                       '-u "$ONTAP_USERNAME:not-the-password"') as wrong:
        answers = [_ask(anonymous, "GET", CREDENTIALS_PATH),
                   _ask(wrong, "GET", CREDENTIALS_PATH),
                   _ask(anonymous, "PATCH", missing, json={"authentication_type": "deny"})]
    driver.judge.apply([v for a in answers for v in checks.answered_as(a, "CRED-ACCESS-001", 401)])
    driver.expect_judged("CRED-ACCESS-001")


@pytest.mark.rule("CRED-ACCESS-002")
def test_a_read_only_user_may_read_but_not_write(driver: Driver, target: Any) -> None:
    """Reads answer 200; POST, PATCH and DELETE answer 403 with code 6 (OB-14, OB-19) and
    change nothing (the record is read back as it was)."""
    require(target, "CRED-ACCESS-002")
    key = _key(target, "readonly")
    _create(driver, key, "deny")
    new = _key(target, "readonly-new")
    with _client_as(target, target.readonly, '-u "$ONTAP_READONLY_USERNAME:$ONTAP_READONLY_PASSWORD"') as readonly:
        read = _ask(readonly, "GET", CREDENTIALS_PATH, params=driver.scope.narrow({"fields": "initiator"})[0])
        writes = [_ask(readonly, "POST", CREDENTIALS_PATH,
                       json={"svm": {"uuid": new[0]}, "initiator": new[1], "authentication_type": "none"}),
                  _ask(readonly, "PATCH", record_path(*key), json={"authentication_type": "deny"}),
                  _ask(readonly, "DELETE", record_path(*key))]
    for answer in (read, *writes):
        driver.screen(answer)
    driver.judge.apply([*checks.answered_as(read, "CRED-ACCESS-002", 200),
                        *(v for w in writes for v in checks.answered_as(w, "CRED-ACCESS-002", 403, "6"))])
    if all(w.status == 403 for w in writes):
        driver.get(key)  # the refused writes changed nothing (accepted ones are the deviation)
    driver.expect_judged("CRED-ACCESS-002")


@pytest.mark.rule("CRED-ACCESS-003")
def test_a_method_the_endpoint_lacks_is_refused(driver: Driver, target: Any) -> None:
    """PUT of a record (one of the run's namespace that does not exist): 405. The collection
    too on the emulator (on a live target a PUT of the collection is never sent)."""
    paths = [record_path(*_key(target, "put-missing"))]
    if target.kind == "emulator":
        paths.append(CREDENTIALS_PATH)
    answers = [_ask(driver.client, "PUT", path, json={"authentication_type": "none"}) for path in paths]
    for answer in answers:
        driver.screen(answer)
    driver.judge.apply([v for a in answers for v in checks.answered_as(a, "CRED-ACCESS-003", 405)])
    driver.expect_judged("CRED-ACCESS-003")
