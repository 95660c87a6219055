"""Collection queries and their checks, shared by the state machine and the fixed cases.

Each function sends one query (or follows a chain of pages), compares the answer with the
model and names the rule of the query feature it exercises.
"""

from __future__ import annotations

from typing import Any

from conformance.judging import checks
from conformance.judging.driver import ALL, Driver
from conformance.judging.pages import PAGING_RULE, later_pages_keep_the_query, read_all, walk
from conformance.judging.step_hook import recorded
from conformance.judging.verdicts import broken, passed
from conformance.wire.client import CREDENTIALS_PATH, Exchange
from models.query import FILTER_FIELDS


@recorded("check_filtered", "filters", "rule")
def check_filtered(driver: Driver, filters: dict[str, str], rule: str) -> None:
    """A filtered ``fields=*`` query returns exactly the records the model matches."""
    walked = walk(driver, {**filters, "fields": ALL})
    later_pages_keep_the_query(driver, walked, {**_scope_of(driver, walked.first), **filters},
                               required=_required(driver, walked, filters))
    driver.compare_collection(walked.records, driver.model.list(filters), walked.first, rule,
                              filtered=bool(filters))


@recorded("check_fields", "wanted")
def check_fields(driver: Driver, wanted: frozenset[str]) -> None:
    """CRED-GET-002: ``fields`` returns the properties asked for and no other optional ones."""
    walked = walk(driver, {"fields": ",".join(sorted(wanted))})
    later_pages_keep_the_query(driver, walked, {}, fields=wanted, required=_required(driver, walked, {}))
    driver.judge.apply(checks.only_fields_returned(walked.records, wanted, walked.first))
    driver.compare_collection(walked.records, driver.model.list(), walked.first, "CRED-GET-002",
                              fields=wanted, membership_rule="CRED-LIST-002")


@recorded("check_ordered", "direction")
def check_ordered(driver: Driver, direction: str) -> None:
    """CRED-LIST-007: ``order_by=initiator asc|desc`` sorts the records, and they are all there."""
    order = f"initiator {direction}"
    walked = walk(driver, {"order_by": order, "fields": ALL})
    later_pages_keep_the_query(driver, walked, {}, order=order, required=_required(driver, walked, {}))
    names = [r.get("initiator") for r in walked.records if isinstance(r, dict)]
    if names != sorted(names, reverse=direction == "desc"):
        driver.judge.apply([broken(walked.first, ["CRED-LIST-007"], f"order_by={order} gave {names}")])
    driver.judge.apply(passed(walked.first, "CRED-LIST-007") if len(names) > 1 else [])
    driver.compare_collection(walked.records, driver.model.list(), walked.first, "CRED-LIST-002")


@recorded("check_paged", "size")
def check_paged(driver: Driver, size: int) -> int:
    """CRED-LIST-005 and -008: every page holds at most ``size`` records; the next links,
    followed exactly as given (path and query), cover the rest. Returns the pages read."""
    walked = walk(driver, {"max_records": str(size), "fields": ALL}, size=size)
    if len(walked.pages[0][1]) <= size < len(driver.model.list().required):
        driver.judge.apply(passed(walked.first, "CRED-LIST-005"))
    pages = len(walked.pages)
    later_pages_keep_the_query(driver, walked, _scope_of(driver, walked.first),
                               required=_required(driver, walked, {}))
    rule = PAGING_RULE if pages > 1 else "CRED-LIST-002"
    driver.compare_collection(walked.records, driver.model.list(), walked.last, rule, filtered=pages > 1,
                              scoped=driver.is_scoped(walked.first))
    return pages


def _required(driver: Driver, walked: Any, filters: dict[str, str]) -> frozenset[Any]:
    """The records of the run a read must return: the model's, within the scope it carried."""
    return driver.model.list(filters).within(driver.sent_scope(walked.first)).required


def _scope_of(driver: Driver, exchange: Exchange) -> dict[str, str]:
    """The filters of the run's scope this read carried."""
    return driver.sent_scope(exchange)


@recorded("check_count", "filters")
def check_count(driver: Driver, filters: dict[str, str] | None = None) -> None:
    """CRED-LIST-006: ``return_records=false`` returns the count and no records.

    On a shared cluster only the run's own records can be counted exactly, so the query
    selects them (the run's scope, :meth:`Scope.narrow`). A count that differs from the model's but equals
    the records the same query returns is a right count of a state that differs: the
    records are compared instead.
    """
    params, _ = driver.scope.narrow(filters)
    exchange, records = driver.list({**params, "return_records": "false"}, count_only=True)
    count = (exchange.response_json or {}).get("num_records")
    expected = driver.model.list({k: v for k, v in params.items() if k in FILTER_FIELDS})
    low, high = len(expected.required), len(expected.required) + len(expected.optional)
    right = isinstance(count, int) and low <= count <= high
    if not records and not right:
        whole_exchange, whole = read_all(driver, {**params, "fields": ALL})
        if len(whole) == count:
            # The count is that of the records the query returns: which ones it returns is what
            # is wrong, the rule of its filters (without any, the collection's).
            driver.compare_collection(whole, expected, whole_exchange, _selecting_rule(filters or {}),
                                      filtered=bool(params), scoped=driver.is_scoped(whole_exchange))
    if records or not right:
        driver.judge.apply([broken(exchange, ["CRED-LIST-006"], f"return_records=false gave {len(records)} "
                                   f"records and num_records {count} (model: {low}..{high})")])
    driver.judge.apply(passed(exchange, "CRED-LIST-006"))


def _selecting_rule(filters: dict[str, str]) -> str:
    """The rule of which records a query selects: its operators' (CRED-LIST-004), its plain
    filters' (CRED-LIST-003), or, with no filter of its own, the collection's (CRED-LIST-002)."""
    if not filters:
        return "CRED-LIST-002"
    operators = ("*", "|", "!", "<", ">", "..")
    return "CRED-LIST-004" if any(op in str(v) for v in filters.values() for op in operators) else "CRED-LIST-003"


@recorded("check_return_timeout", "seconds")
def check_return_timeout(driver: Driver, seconds: int) -> None:
    """CRED-LIST-009: ``return_timeout`` within 0..120 is accepted; outside, refused with a 4xx."""
    params, _ = driver.scope.narrow({"return_timeout": str(seconds)})
    exchange = driver.send("GET", CREDENTIALS_PATH, params=params)
    code = driver.screen(exchange)
    inside = 0 <= seconds <= 120
    if inside and exchange.status != 200:
        driver.judge.apply([broken(exchange, ["CRED-LIST-009"], f"return_timeout={seconds} was refused",
                                   "200: the documented range is 0..120")])
    elif not inside and not 400 <= exchange.status < 500:
        driver.judge.apply([broken(exchange, ["CRED-LIST-009"], f"return_timeout={seconds} was not refused",
                                   "a 4xx: the documented range is 0..120")])
    if not inside:
        driver.judge.accepted_code(code)
    driver.judge.apply(passed(exchange, "CRED-LIST-009"))


#: Generic codes for a secret in the URL (262202, 9.11.1+), a field not readable with
#: fields= (262249) and a field that cannot be queried (262250) (OB-18, OB-68).
SECRET_QUERY_CODES = frozenset({"262202", "262249", "262250"})


@recorded("check_secret_query", "how")
def check_secret_query(driver: Driver, how: str) -> None:
    """CRED-GET-003: a password asked for with ``fields=`` or used as a filter is refused."""
    params = {"fields": "chap.inbound.password"} if how == "fields" else {"chap.inbound.password": "x" * 8}
    params, _ = driver.scope.narrow(params)
    exchange = driver.send("GET", CREDENTIALS_PATH, params=params)
    code = driver.screen(exchange)
    if not (400 <= exchange.status < 500 and code in SECRET_QUERY_CODES):
        driver.judge.apply([broken(exchange, ["CRED-GET-003"], f"a password in the URL ({how}) was not refused "
                                   "with a secret-field code", "a 4xx with code 262202, 262249 or 262250")])
    driver.judge.accepted_code(code)
    driver.judge.apply(passed(exchange, "CRED-GET-003"))


# ---- the whole collection, other clients' records included (a bounded number per run) -----------
PAGES = 4  # about how many pages each whole read is cut into


def _page_size(driver: Driver, filters: dict[str, str]) -> int:
    """A page size from the count of the whole query: about PAGES pages, whatever its size."""
    exchange, _ = driver.list({**filters, "return_records": "false"}, count_only=True, whole=True)
    count = (exchange.response_json or {}).get("num_records") if isinstance(exchange.response_json, dict) else None
    return max(1, -(-count // PAGES)) if isinstance(count, int) and count > 0 else 1


@recorded("check_whole_collection")
def check_whole_collection(driver: Driver) -> str:
    """CRED-LIST-002, -005, -008 over every record of the target, in about PAGES pages sized
    from a count. Keys only (a bare collection GET answers the keys and links, OB-48): which
    records come back, and how often, is the question; the run's records' content is judged by
    the scoped reads. Returns the rule the read judged."""
    size = _page_size(driver, {})
    walked = walk(driver, {"max_records": str(size)}, whole=True, size=size)
    rule = PAGING_RULE if len(walked.pages) > 1 else "CRED-LIST-002"
    driver.compare_collection(walked.records, driver.model.list(), walked.first, rule, fields=frozenset(),
                              filtered=len(walked.pages) > 1, scoped=False)
    return rule


@recorded("check_whole_query")
def check_whole_query(driver: Driver) -> None:
    """CRED-LIST-004, -007, -008 and CRED-GET-002 over every record of the target: an operator
    filter, an order and a fields list, in pages; whoever owns a record, each of each page
    matches the filter, keeps the order and carries the fields asked."""
    filters = {"authentication_type": "!chap"}
    size = _page_size(driver, filters)
    order = "initiator desc"
    walked = walk(driver, {**filters, "order_by": order, "fields": "authentication_type", "max_records": str(size)},
                  whole=True, size=size)
    wanted = frozenset({"authentication_type"})
    later_pages_keep_the_query(driver, walked, filters, fields=wanted, order=order,
                               required=_required(driver, walked, filters))
    names = [r.get("initiator") for r in walked.records if isinstance(r, dict)]
    if names != sorted(names, reverse=True):
        driver.judge.apply([broken(walked.first, ["CRED-LIST-007"], f"order_by={order} gave {names[:20]}")])
    driver.judge.apply(passed(walked.first, "CRED-LIST-007") if len(names) > 1 else [])
    driver.compare_collection(walked.records, driver.model.list(filters), walked.first, "CRED-LIST-004",
                              fields=wanted, filtered=True, scoped=False)
