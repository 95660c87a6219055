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

from typing import Any

import pytest

from conformance.judging import queries
from conformance.judging.driver import Driver


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


@pytest.mark.rule("CRED-LIST-005", "CRED-LIST-008", "CRED-LIST-002")
def test_the_whole_collection_read_in_pages_holds_every_record_once(populated: Driver) -> None:
    populated.expect_judged(queries.check_whole_collection(populated))


@pytest.mark.rule("CRED-LIST-004", "CRED-LIST-007", "CRED-LIST-008", "CRED-GET-002")
def test_a_filtered_ordered_read_of_the_whole_collection_keeps_its_query_on_every_page(
        populated: Driver) -> None:
    queries.check_whole_query(populated)
    populated.expect_judged("CRED-LIST-004")
