"""Collection queries and their checks, shared by the state machine and the fixed cases.

Each function sends one query (or follows a chain of pages), compares the answer with the
model and names the rule of the query feature it exercises.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from conformance.driver import ALL, Driver

OPTIONAL_FIELDS = frozenset({"authentication_type", "chap", "initiator_address"})
MAX_PAGES = 200


def check_filtered(driver: Driver, filters: dict[str, str], rule: str) -> None:
    """A filtered ``fields=*`` query returns exactly the records the model matches."""
    exchange, records = driver.list({**filters, "fields": ALL})
    driver.compare_collection(records, driver.model.list(filters), exchange, rule)


def check_fields(driver: Driver, wanted: frozenset[str]) -> None:
    """CRED-GET-002: ``fields`` returns the properties asked for and no other optional ones."""
    fields = ",".join(sorted(wanted))
    exchange, records = driver.list({"fields": fields})
    for record in records:
        keys = set(record) if isinstance(record, dict) else set()
        if (OPTIONAL_FIELDS - wanted) & keys or {"authentication_type"} & wanted - keys:
            driver.checker.fail(["CRED-GET-002"], f"fields={fields} returned {sorted(keys)}", exchange)
    driver.checker.passed(["CRED-GET-002"])
    driver.compare_collection(records, driver.model.list(), exchange, "CRED-GET-002", fields=wanted)


def check_ordered(driver: Driver, direction: str) -> None:
    """CRED-LIST-007: ``order_by=initiator asc|desc`` sorts the records, and they are all there."""
    exchange, records = driver.list({"order_by": f"initiator {direction}", "fields": ALL})
    names = [r.get("initiator") for r in records if isinstance(r, dict)]
    if names != sorted(names, reverse=direction == "desc"):
        driver.checker.fail(["CRED-LIST-007"], f"order_by=initiator {direction} gave {names}", exchange)
    driver.checker.passed(["CRED-LIST-007"])
    driver.compare_collection(records, driver.model.list(), exchange, "CRED-LIST-002")


def check_paged(driver: Driver, size: int) -> int:
    """CRED-LIST-005 and -008: every page holds at most ``size`` records; the next links,
    followed exactly as given (path and query), cover the rest. Returns the pages read."""
    exchange, page = driver.list({"max_records": str(size), "fields": ALL})
    collected, seen, pages = [], set(), 1
    while True:
        if len(page) > size:
            driver.checker.fail(["CRED-LIST-005"], f"max_records={size} returned {len(page)} records "
                                f"on page {pages}", exchange)
        driver.checker.passed(["CRED-LIST-005"])
        collected += page
        href = next_href(exchange.response_json)
        if not href or pages >= MAX_PAGES:
            break
        if href in seen:
            driver.checker.fail(["CRED-LIST-008"], f"the next link {href} came back again", exchange)
            break
        seen.add(href)
        exchange, page = driver.list(href=href)
        pages += 1
    driver.observed("list", None, None, pages=pages)
    driver.compare_collection(collected, driver.model.list(), exchange, "CRED-LIST-008")
    return pages


def next_href(body: Any) -> str | None:
    """The path and query of a collection's ``_links.next`` (a full URL loses its origin)."""
    links = body.get("_links") if isinstance(body, dict) else None
    link = links.get("next") if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str) or not href:
        return None
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.netloc else href


def check_count(driver: Driver) -> None:
    """CRED-LIST-006: ``return_records=false`` returns the count and no records."""
    exchange, records = driver.list({"return_records": "false"}, count_only=True)
    count = (exchange.response_json or {}).get("num_records")
    expected = len(driver.model.list().required)
    if records or count != expected:
        driver.checker.fail(["CRED-LIST-006"], f"return_records=false gave {len(records)} records and "
                            f"num_records {count} (model: {expected})", exchange)
    driver.checker.passed(["CRED-LIST-006"])
