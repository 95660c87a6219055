"""The collection's query language, one deterministic case per rule.

The state machine explores queries at random; these cases make sure every rule of the
collection is judged in every run, whatever Hypothesis happens to draw.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from conformance.driver import ALL, Driver


@pytest.fixture
def populated(driver: Driver, target: Any) -> Driver:
    """Three records of different types over up to two SVMs, beside the defaults."""
    svms = target.iscsi_svms
    second = svms[1] if len(svms) > 1 else svms[0]
    bodies = [
        (svms[0], "alpha", {"authentication_type": "none"}),
        (second, "bravo", {"authentication_type": "deny"}),
        (svms[0], "charlie", {"authentication_type": "chap",
                              "chap": {"inbound": {"user": "query-user", "password": "query-secret-1"}}}),
    ]
    for svm, suffix, settings in bodies:
        outcome = driver.create({"svm": {"uuid": svm.uuid}, "initiator": f"{target.namespace}:{suffix}",
                                 **settings})
        assert outcome is not None and outcome.success
    return driver


def _compare(driver: Driver, params: dict[str, str], filters: dict[str, str], rule: str) -> None:
    exchange, records = driver.list(params)
    driver.compare_collection(records, driver.model.list(filters), exchange, rule)


@pytest.mark.rule("CRED-LIST-001", "CRED-LIST-002", "CRED-SCHEMA-001")
def test_list_all_fields_returns_every_record(populated: Driver) -> None:
    _compare(populated, {"fields": ALL}, {}, "CRED-LIST-002")


@pytest.mark.rule("CRED-LIST-003")
@pytest.mark.parametrize("field", ["initiator", "svm.name", "authentication_type", "chap.inbound.user"])
def test_list_filtered_by_field_returns_the_matching_records(populated: Driver, target: Any, field: str) -> None:
    value = {"initiator": f"{target.namespace}:alpha", "svm.name": target.iscsi_svms[0].name,
             "authentication_type": "deny", "chap.inbound.user": "query-user"}[field]
    _compare(populated, {field: value, "fields": ALL}, {field: value}, "CRED-LIST-003")


@pytest.mark.rule("CRED-LIST-004")
@pytest.mark.parametrize("query", ["{ns}:*", "!none", "chap|deny", ">{ns}:b", "{ns}:alpha..{ns}:bravo"])
def test_list_with_query_operators_returns_the_matching_records(populated: Driver, target: Any,
                                                                query: str) -> None:
    field = "authentication_type" if query in ("!none", "chap|deny") else "initiator"
    value = query.format(ns=target.namespace)
    _compare(populated, {field: value, "fields": ALL}, {field: value}, "CRED-LIST-004")


@pytest.mark.rule("CRED-GET-002")
@pytest.mark.parametrize("fields", ["authentication_type", "chap", "authentication_type,initiator_address"])
def test_list_with_fields_returns_only_those_fields(populated: Driver, fields: str) -> None:
    exchange, records = populated.list({"fields": fields})
    wanted = set(fields.split(","))
    optional = {"authentication_type", "chap", "initiator_address"}
    for record in records:
        extra = (optional - wanted) & set(record)
        missing = {"authentication_type"} & wanted - set(record)
        if extra or missing:
            populated.checker.fail(["CRED-GET-002"], f"fields={fields} returned {sorted(record)}", exchange)
    populated.checker.passed(["CRED-GET-002"])
    populated.compare_collection(records, populated.model.list(), exchange, "CRED-GET-002",
                                 fields=frozenset(wanted))


@pytest.mark.rule("CRED-LIST-007")
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_list_ordered_by_initiator(populated: Driver, direction: str) -> None:
    exchange, records = populated.list({"order_by": f"initiator {direction}", "fields": ALL})
    names = [r.get("initiator") for r in records]
    if names != sorted(names, reverse=direction == "desc"):
        populated.checker.fail(["CRED-LIST-007"], f"order_by=initiator {direction} gave {names}", exchange)
    populated.checker.passed(["CRED-LIST-007"])


@pytest.mark.rule("CRED-LIST-005", "CRED-LIST-008")
def test_list_paged_by_max_records_follows_next_links(populated: Driver) -> None:
    exchange, page = populated.list({"max_records": "2", "fields": ALL})
    if len(page) > 2:
        populated.checker.fail(["CRED-LIST-005"], f"max_records=2 returned {len(page)} records", exchange)
    populated.checker.passed(["CRED-LIST-005"])
    collected = list(page)
    for _ in range(50):
        href = ((exchange.response_json or {}).get("_links") or {}).get("next", {}).get("href")
        if not href:
            break
        exchange, page = populated.list(dict(parse_qsl(href.partition("?")[2], keep_blank_values=True)))
        collected += page
    populated.compare_collection(collected, populated.model.list(), exchange, "CRED-LIST-008")


@pytest.mark.rule("CRED-LIST-006")
def test_list_without_records_returns_the_count(populated: Driver) -> None:
    exchange, records = populated.list({"return_records": "false"}, count_only=True)
    count = (exchange.response_json or {}).get("num_records")
    expected = len(populated.model.list().required)
    if records or count != expected:
        populated.checker.fail(["CRED-LIST-006"], f"{len(records)} records, num_records {count}; "
                               f"{expected} expected", exchange)
    populated.checker.passed(["CRED-LIST-006"])
