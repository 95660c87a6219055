"""The whole collection, other clients' records included: a bounded number of reads per run.

Every other read of the suite is narrowed to the run's scope on a live target (its SVMs, its
initiators, the defaults), so its cost follows the run's own records. The rules that are about
the collection as a whole (paging across every record, order, filters and fields over records
the run knows nothing of) are judged here, once per run: the page size comes from a count, so
a cluster of twenty thousand records is read in a handful of pages. The run's own records are
judged exactly; other clients' records only where no knowledge of their content is needed
(they match the filter, keep the order, carry the fields asked, never come twice).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from conformance.driver import Driver
from conformance.pages import PAGING_RULE, later_pages_keep_the_query, walk
from conformance.verdicts import broken, passed

PAGES = 4  # about how many pages each whole read is cut into


@pytest.fixture
def populated(driver: Driver, target: Any) -> Driver:
    """Three records of the run over up to two SVMs, beside whatever else the target holds."""
    svms = target.iscsi_svms
    second = svms[1] if len(svms) > 1 else svms[0]
    for svm, suffix, settings in (
            (svms[0], "whole-a", {"authentication_type": "none"}),
            (second, "whole-b", {"authentication_type": "deny"}),
            (svms[0], "whole-c", {"authentication_type": "chap",
                                  "chap": {"inbound": {"user": "whole-user", "password": "whole-secret-1"}}})):
        outcome = driver.create({"svm": {"uuid": svm.uuid}, "initiator": f"{target.namespace}:{suffix}",
                                 **settings})
        assert outcome is not None and outcome.success, f"setup: {suffix} was not created"
    return driver


def _page_size(driver: Driver, filters: dict[str, str]) -> int:
    """A page size from the count of the whole query: about PAGES pages, whatever its size."""
    exchange, _ = driver.list({**filters, "return_records": "false"}, count_only=True, whole=True)
    count = (exchange.response_json or {}).get("num_records") if isinstance(exchange.response_json, dict) else None
    return max(1, math.ceil(count / PAGES)) if isinstance(count, int) and count > 0 else 1


@pytest.mark.rule("CRED-LIST-005", "CRED-LIST-008", "CRED-LIST-002")
def test_the_whole_collection_read_in_pages_holds_every_record_once(populated: Driver) -> None:
    """Keys only (a bare collection GET answers the keys and links, OB-48): which records come
    back, and how often, is the question here; the run's records' content is judged by the
    scoped reads."""
    size = _page_size(populated, {})
    walked = walk(populated, {"max_records": str(size)}, whole=True, size=size)
    rule = PAGING_RULE if len(walked.pages) > 1 else "CRED-LIST-002"
    populated.compare_collection(walked.records, populated.model.list(), walked.first, rule,
                                 fields=frozenset(), filtered=len(walked.pages) > 1, scoped=False)
    populated.expect_judged(rule)


@pytest.mark.rule("CRED-LIST-004", "CRED-LIST-007", "CRED-LIST-008", "CRED-GET-002")
def test_a_filtered_ordered_read_of_the_whole_collection_keeps_its_query_on_every_page(
        populated: Driver) -> None:
    filters = {"authentication_type": "!chap"}
    size = _page_size(populated, filters)
    query = {**filters, "order_by": "initiator desc", "fields": "authentication_type", "max_records": str(size)}
    walked = walk(populated, query, whole=True, size=size)
    wanted = frozenset({"authentication_type"})
    later_pages_keep_the_query(populated, walked, filters, fields=wanted, order="initiator desc")
    names = [r.get("initiator") for r in walked.records if isinstance(r, dict)]
    if names != sorted(names, reverse=True):
        populated.judge.apply([broken(walked.first, ["CRED-LIST-007"], f"order_by=initiator desc gave {names[:20]}")])
    populated.judge.apply(passed(walked.first, "CRED-LIST-007") if len(names) > 1 else [])
    populated.compare_collection(walked.records, populated.model.list(filters), walked.first, "CRED-LIST-004",
                                 fields=wanted, filtered=True, scoped=False)
    populated.expect_judged("CRED-LIST-004")
