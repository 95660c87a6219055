"""Probes of the documentation findings a run can tell apart only by asking (``models.findings``).

Each sends, once per run, a request that the page's two readings answer differently (a filter
named as the parameter table prints it, a body shaped as the page's examples draw it) and notes
which reading the target followed. A reading is information for the report, never a verdict;
only an answer that follows neither reading breaks the rule the finding touches. Every request
stays inside the run's namespace, and whatever a probe creates the next reset deletes.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.judging.driver import ALL, Driver
from conformance.judging.readings import record_key
from conformance.judging.verdicts import broken
from conformance.wire.client import (
    CREDENTIALS_PATH,
    Exchange,
    NoAnswer,
    OutcomeUnknown,
    record_path,
)

END = "10.44.0.9"


def _read(driver: Driver, finding: str, reading: str, exchange: Exchange) -> None:
    driver.judge.ledger.read_doc(finding, reading, exchange)


def _created(driver: Driver, target: Any, suffix: str, **settings: Any) -> tuple[str, str]:
    svm = target.iscsi_svms[0]
    body = {"svm": {"uuid": svm.uuid}, "initiator": f"{target.namespace}:{suffix}",
            "authentication_type": "none", **settings}
    outcome = driver.create(body)
    assert outcome is not None and outcome.success, f"setup: {suffix} was not created"
    return (svm.uuid, body["initiator"])


def _refused_or_created(exchange: Exchange | None) -> str | None:
    if exchange is None:
        return None
    return "refused" if 400 <= exchange.status < 500 else "created" if exchange.status == 201 else None


def _probe(driver: Driver, method: str, path: str, **kwargs: Any) -> Exchange | None:
    """One probe; None when its answer was lost (a write may then have been applied or not,
    so the probe tells nothing, and the next reset deletes whatever it made)."""
    try:
        exchange = driver.client.request(method, path, **kwargs)
    except (OutcomeUnknown, NoAnswer):
        return None
    driver.screen(exchange)
    return exchange


@pytest.mark.rule("CRED-LIST-003")
def test_the_filter_the_parameter_table_names_initiator_address_ranges_end(driver: Driver, target: Any) -> None:
    """DOC-001: the table prints ``initiator_address_ranges.end``; the property is
    ``initiator_address.ranges.end``. Asked with a value the record does not hold and with
    its own (a plain ``svm.uuid`` and ``initiator`` beside it, so the answer is one record at
    most): refused is the dotted reading; the record only for its own value, the literal one;
    the record both times, the name ignored. Any other answer follows neither."""
    key = _created(driver, target, "doc-range", initiator_address={"ranges": [{"start": "10.44.0.1", "end": END}]})

    def ask(value: str) -> tuple[Exchange, bool]:
        exchange = driver.send("GET", CREDENTIALS_PATH, params={
            "svm.uuid": key[0], "initiator": key[1], "initiator_address_ranges.end": value, "fields": ALL})
        driver.screen(exchange)
        body = exchange.response_json if isinstance(exchange.response_json, dict) else {}
        return exchange, any(record_key(r) == key for r in body.get("records") or [] if isinstance(r, dict))

    other, shown_other = ask("10.44.0.8")
    own, shown_own = ask(END)
    if 400 <= other.status < 500 and 400 <= own.status < 500:
        _read(driver, "DOC-001", "dotted", own)
    elif other.status == own.status == 200 and shown_own and not shown_other:
        _read(driver, "DOC-001", "literal", own)
    elif other.status == own.status == 200 and shown_own and shown_other:
        _read(driver, "DOC-001", "ignored", other)
    else:
        driver.judge.apply([broken(own, ["CRED-LIST-003"], "the filter named initiator_address_ranges.end "
                                   f"answered {other.summary()} (another value) and {own.summary()} (the "
                                   "record's own): neither refused, nor filtering, nor ignored",
                                   "a refusal, the matching record only, or the record both times")])


def test_a_body_shaped_as_the_pages_examples(driver: Driver, target: Any) -> None:
    """DOC-016, DOC-017, DOC-021: the SVM's name and uuid outside ``svm`` (as the example
    requests print them), ``_links`` in a POST body, and a JSON body without a JSON label."""
    svm = target.iscsi_svms[0]
    name = f"{target.namespace}:doc-"
    top = _probe(driver, "POST", CREDENTIALS_PATH, json={
        "name": svm.name, "uuid": svm.uuid, "initiator": name + "top", "authentication_type": "none"})
    links = _probe(driver, "POST", CREDENTIALS_PATH, json={
        "_links": {"self": {"href": "/api/resourcelink"}}, "svm": {"uuid": svm.uuid},
        "initiator": name + "links", "authentication_type": "none"})
    label = _probe(driver, "POST", CREDENTIALS_PATH, headers={"Content-Type": "text/plain"}, json={
        "svm": {"uuid": svm.uuid}, "initiator": name + "label", "authentication_type": "none"})
    for finding, exchange, readings in (("DOC-016", top, {"refused": "nested", "created": "top-level"}),
                                        ("DOC-017", links, {"refused": "refused", "created": "ignored"}),
                                        ("DOC-021", label, {"refused": "label-required", "created": "any-label"})):
        reading = readings.get(_refused_or_created(exchange) or "")
        if reading and exchange is not None:
            _read(driver, finding, reading, exchange)


def test_a_patch_body_that_names_the_record_and_a_repeated_fields_parameter(driver: Driver, target: Any) -> None:
    """DOC-018: the page's PATCH body sends ``initiator`` and ``svm`` (the record's own);
    DOC-015: ``fields`` typed as an array, sent as a repeated parameter."""
    key = _created(driver, target, "doc-patch", authentication_type="chap",
                   chap={"inbound": {"user": "doc-user", "password": "doc-secret-17"}})
    svm = target.iscsi_svms[0]
    patch = _probe(driver, "PATCH", record_path(*key), json={
        "svm": {"name": svm.name, "uuid": svm.uuid}, "initiator": key[1], "authentication_type": "chap"})
    if patch is not None and (400 <= patch.status < 500 or patch.status == 200):
        _read(driver, "DOC-018", "not-patchable" if patch.status >= 400 else "patchable", patch)
    params, _ = driver.scope.narrow({"initiator": key[1]})
    repeated = _probe(driver, "GET", CREDENTIALS_PATH, params={**params, "fields": ["authentication_type", "chap"]})
    if repeated is None:
        return
    records = (repeated.response_json or {}).get("records") if isinstance(repeated.response_json, dict) else None
    record = next((r for r in records or [] if isinstance(r, dict) and record_key(r) == key), None)
    if 400 <= repeated.status < 500 or (record is not None and not {"authentication_type", "chap"} <= set(record)):
        _read(driver, "DOC-015", "comma", repeated)
    elif record is not None:
        _read(driver, "DOC-015", "repeated", repeated)
