"""Collection reads page by page: every page a query's next links lead to, and whether the
later pages answer the same query as the first (CRED-LIST-005, CRED-LIST-008).

A real cluster may end a page before ``max_records`` (when ``return_timeout`` strikes) and give a
next link (OB-50), so every read that judges which records a query returns follows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.judging.judge import Judge
from conformance.judging.readings import next_href, record_key, shown_filters
from conformance.judging.step_hook import recorded
from conformance.judging.verdicts import broken, passed
from conformance.wire.client import Exchange

MAX_PAGES = 200
PAGING_RULE = "CRED-LIST-008"
UNPAGED = 10000  # the documented default cap of max_records
OPTIONAL_FIELDS = frozenset({"authentication_type", "chap", "initiator_address"})


class Reader(Protocol):
    """What a page walk needs of the driver (:class:`conformance.judging.driver.Driver`), which reads
    its collections through this module: a protocol, so the two never import each other."""

    judge: Judge

    def list(self, params: dict[str, Any] | None = None, *, count_only: bool = False,
             href: str | None = None, whole: bool = False) -> tuple[Exchange, list[Any]]:
        """GET the collection (or a link it gave), its form judged."""

    def observed(self, operation: str, key: Any, outcome: Any, **details: Any) -> Any:
        """Tell the exploration report what a judged call did."""

    def _matches(self, record: Any, filters: dict[str, str]) -> bool | None:
        """Whether a returned record passes the query's filters."""


@dataclass
class Pages:
    """Every page of one collection query, next links followed exactly as given."""

    first: Exchange
    pages: list[tuple[Exchange, list[Any]]] = field(default_factory=list)

    @property
    def records(self) -> list[Any]:
        """The records of every page, in the order they came."""
        return [record for _, page in self.pages for record in page]

    @property
    def last(self) -> Exchange:
        return self.pages[-1][0]


def walk(driver: Reader, params: dict[str, Any], *, whole: bool = False, size: int | None = None) -> Pages:
    """Read a query and every page its next links lead to (a real cluster may end a page
    early, when ``return_timeout`` strikes, and give a next link: OB-50).

    With ``size`` (the query's ``max_records``) every page must hold at most that many
    records (CRED-LIST-005). A next link that comes back again breaks CRED-LIST-008.
    """
    exchange, page = driver.list(params, whole=whole)
    walked = Pages(exchange, [(exchange, page)])
    seen: set[str] = set()
    while True:
        exchange, page = walked.pages[-1]
        if size is not None and len(page) > size:
            driver.judge.apply([broken(exchange, ["CRED-LIST-005"], f"max_records={size} returned "
                                       f"{len(page)} records on page {len(walked.pages)}")])
        href = next_href(exchange.response_json)
        if not href or len(walked.pages) >= MAX_PAGES:
            break
        if href in seen:
            driver.judge.apply([broken(exchange, [PAGING_RULE], f"the next link {href} came back again")])
            break
        seen.add(href)
        walked.pages.append(driver.list(href=href))
    if len(walked.pages) > 1:
        driver.observed("list", None, None, pages=len(walked.pages))
    return walked


@recorded("read_all", "params", "whole")
def read_all(driver: Reader, params: dict[str, Any], *, whole: bool = False) -> tuple[Exchange, list[Any]]:
    """One query, every page of it: the first exchange and all records (a step of its own in
    a recording, so a replay follows the target's own next links)."""
    walked = walk(driver, params, whole=whole)
    return walked.first, walked.records


def later_pages_keep_the_query(driver: Reader, walked: Pages, filters: dict[str, str],
                               fields: frozenset[str] | None = None, order: str | None = None,
                               required: frozenset[Any] = frozenset()) -> None:
    """CRED-LIST-008: the pages the next links lead to answer the same query as the first.

    When the first page honours the query's filters, fields and order and a later page does
    not, the next link lost the query: whoever owns the records (the run or another client),
    each record of each later page must match the filters (judged by what the record shows),
    carry the fields asked, and keep the order across pages. And the records the query must
    return (``required``, the run's own) that the pages lack but the same query read at once
    holds were lost by the next links.
    """
    if len(walked.pages) < 2:
        return
    got = {record_key(r) for r in walked.records if isinstance(r, dict)}
    if required - got:
        params = {**(walked.first.params or {}), "max_records": str(UNPAGED)}
        at_once = {record_key(r) for r in walk(driver, params, whole=True).records if isinstance(r, dict)}
        lost = sorted(map(str, (required - got) & at_once))
        if lost:
            driver.judge.apply([broken(walked.last, [PAGING_RULE], f"the next links lost records the same query "
                                       f"returns read at once: {lost[:5]}", "every record of the query, once")])
    problems = [_page_problems(driver, page, filters, fields) for _, page in walked.pages]
    if order:
        names = [r.get("initiator") for r in walked.records if isinstance(r, dict)]
        first = [r.get("initiator") for r in walked.pages[0][1] if isinstance(r, dict)]
        if _sorted(first, order) and not _sorted(names, order):
            problems.append(f"initiators out of order across pages for order_by={order}")
    later = [(index, text) for index, text in enumerate(problems) if index and text]
    if later and not problems[0] and not _unpaged_problems(driver, walked.first, filters, fields, order):
        index, text = later[0]
        exchange = walked.pages[min(index, len(walked.pages) - 1)][0]
        driver.judge.apply([broken(exchange, [PAGING_RULE], "a page its next link led to does not answer "
                                   f"the query of the first page: {text}",
                                   "every page of the query's records, and no other")])
    driver.judge.apply(passed(walked.last, PAGING_RULE))


def _unpaged_problems(driver: Reader, first: Exchange, filters: dict[str, str],
                      fields: frozenset[str] | None, order: str | None) -> str:
    """A second witness: the same query in pages of the documented cap. If its records break
    the query too, the query itself is wrong (its own rule), not the next links."""
    params = {**(first.params or {}), "max_records": str(UNPAGED)}
    witness = walk(driver, params, whole=True)
    problem = _page_problems(driver, witness.records, filters, fields)
    names = [r.get("initiator") for r in witness.records if isinstance(r, dict)]
    if not problem and order and not _sorted(names, order):
        problem = f"initiators out of order for order_by={order}"
    return problem


def _page_problems(driver: Reader, page: list[Any], filters: dict[str, str],
                   fields: frozenset[str] | None) -> str:
    """What one page's records show against the query: a record that does not match a
    filter on a property the query returns, or that carries optional properties not asked for."""
    judged = shown_filters(filters, fields)
    for record in page:
        if not isinstance(record, dict):
            continue
        if judged and driver._matches(record, judged) is False:
            return f"{record.get('initiator')!r} does not match {judged}"
        if fields is not None and (OPTIONAL_FIELDS - fields) & set(record):
            return f"{record.get('initiator')!r} carries {sorted((OPTIONAL_FIELDS - fields) & set(record))} not asked for"
        if (fields is None or "authentication_type" in fields) and "authentication_type" not in record:
            return f"{record.get('initiator')!r} lacks authentication_type, which the query asked for"
    return ""


def _sorted(names: list[Any], order: str) -> bool:
    return names == sorted(names, reverse=order.endswith("desc"))
