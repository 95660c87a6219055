"""A rule is credited only by a judged response that exercised it.

Driven against the in-process emulator: what a request did not exercise stays not
exercised, whatever the blame maps or test markers name, and precise blame follows the
second witness.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.judging import checks
from conformance.judging.driver import ALL, Driver
from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger
from conformance.judging.verdicts import passed
from conformance.wire.client import Client, OutcomeUnknown
from emulator import EmulatorServer
from emulator.defects import Defects
from models.records import Credential, Svm
from models.state import CredentialsModel

NAME = "iqn.1992-08.com.netapp:judging"


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


def driver_for(server: EmulatorServer, ledger: Ledger) -> Driver:
    client = Client(server.base_url, username="admin", password="netapp1!")
    svms = client.request("GET", "/api/svm/svms", params={"fields": "uuid,name"}).response_json["records"]
    services = client.request("GET", "/api/protocols/san/iscsi/services",
                              params={"fields": "svm"}).response_json["records"]
    iscsi = {r["svm"]["uuid"] for r in services}
    model = CredentialsModel.fresh([Svm(s["uuid"], s["name"], s["uuid"] in iscsi) for s in svms])
    return Driver(client, model, Judge(ledger), fresh_defaults=True)


def svm1(driver: Driver) -> str:
    return next(s.uuid for s in driver.model.svms.values() if s.name == "svm1")


def create_plain(driver: Driver) -> tuple[str, str]:
    """Create NAME on svm1 with type none (the start of most cases here); its key."""
    key = (svm1(driver), NAME)
    assert driver.create({"svm": {"uuid": key[0]}, "initiator": NAME, "authentication_type": "none"}).success
    return key


def test_a_rule_named_only_in_a_blame_map_stays_not_exercised(server: EmulatorServer) -> None:
    ledger = Ledger()
    driver = driver_for(server, ledger)
    key = create_plain(driver)
    # The read-back after this PATCH blames initiator_address differences on a rule of its
    # blame map; the PATCH sends no address, so no address rule may be credited.
    assert driver.update(key, {"authentication_type": "deny"}).success
    for rule_id in ("CRED-ADDR-007", "CRED-ADDR-008", "CRED-ADDR-009", "CRED-ADDR-003", "CRED-ADDR-006"):
        assert ledger.rule_status(rule_id) == "not_exercised", rule_id
    assert ledger.rule_status("CRED-PATCH-001") == "passed"
    # No password was sent or held: the write-only rule was not exercised either.
    assert ledger.rule_status("CRED-CHAP-008") == "not_exercised"


def test_agreement_credits_only_the_rules_it_is_given() -> None:
    ledger = Ledger()
    record = Credential("u1", "svm1", NAME, "deny")
    exchange = checks_exchange(record.as_json())
    verdicts = checks.record_matches_model(record.as_json(), (record,), exchange, credit=("CRED-PATCH-001",),
                                           blame={ALL: "CRED-PATCH-001", "initiator_address": "CRED-ADDR-007"})
    Judge(ledger).apply(verdicts)
    assert ledger.rule_status("CRED-PATCH-001") == "passed"
    assert ledger.rule_status("CRED-ADDR-007") == "not_exercised"


def test_a_refusal_credits_the_rule_its_code_identifies_and_only_that(server: EmulatorServer) -> None:
    ledger = Ledger()
    driver = driver_for(server, ledger)
    # Breaks CRED-CHAP-001 (5374149) and has an unknown property (CRED-BODY-001, any code).
    outcome = driver.create({"svm": {"name": "svm1"}, "initiator": NAME, "authentication_type": "chap",
                             "colour": "blue"})
    assert outcome is not None and not outcome.success
    credited = {r for r in ("CRED-CHAP-001", "CRED-BODY-001") if ledger.rule_status(r) == "passed"}
    assert len(credited) == 1  # whichever the answer identifies, never both


def test_a_stale_instance_get_is_blamed_on_get_not_on_the_patch() -> None:
    ledger = Ledger()
    with EmulatorServer(defects=Defects(["stale-instance-get"])) as server:
        driver = driver_for(server, ledger)
        key = create_plain(driver)
        with pytest.raises(AssertionError) as caught:
            driver.update(key, {"authentication_type": "deny"})
    assert caught.value.rule_ids == ("CRED-GET-001",)
    assert ledger.rule_status("CRED-PATCH-001") != "failed"


def test_a_patch_that_changed_nothing_breaks_patch_not_its_fields() -> None:
    ledger = Ledger()
    with EmulatorServer(defects=Defects(["patch-not-applied"])) as server:
        driver = driver_for(server, ledger)
        key = create_plain(driver)
        with pytest.raises(AssertionError) as caught:
            driver.update(key, {"initiator_address": {"ranges": [{"start": "10.0.0.1", "end": "10.0.0.2"}]}})
    assert caught.value.rule_ids == ("CRED-PATCH-001",)


def test_a_patch_that_set_its_type_again_and_changed_nothing_breaks_patch_not_addresses() -> None:
    """A PATCH that changed nothing after PATCHes were seen to apply: its address part, sent
    again alone, is applied, so the PATCH as a whole was not (not the address rule)."""
    ledger = Ledger()
    ranges = [{"start": "10.0.0.1", "end": "10.0.0.2"}]
    with EmulatorServer(defects=Defects(["third-patch-not-applied"])) as server:
        driver = driver_for(server, ledger)
        key = create_plain(driver)
        assert driver.update(key, {"authentication_type": "deny"}).success
        assert driver.update(key, {"authentication_type": "none"}).success
        with pytest.raises(AssertionError) as caught:
            driver.update(key, {"authentication_type": "none", "initiator_address": {"ranges": ranges}})
        after = driver.client.request("GET", f"/api/protocols/san/iscsi/credentials/{key[0]}/{NAME}",
                                      params={"fields": "initiator_address"}).response_json
    assert caught.value.rule_ids == ("CRED-PATCH-001",)
    assert ledger.rule_status("CRED-ADDR-007") != "failed"
    assert after["initiator_address"]["ranges"][0]["start"] == "10.0.0.1"  # the part sent alone


def test_an_address_part_that_is_not_applied_alone_either_keeps_the_address_rule() -> None:
    ledger = Ledger()
    both = [{"start": "10.0.0.1", "end": "10.0.0.2"}, {"start": "10.0.0.5", "end": "10.0.0.6"}]
    with EmulatorServer(defects=Defects(["patch-addresses-merge"])) as server:
        driver = driver_for(server, ledger)
        key = (svm1(driver), NAME)
        assert driver.create({"svm": {"uuid": key[0]}, "initiator": NAME, "authentication_type": "none",
                              "initiator_address": {"ranges": both}}).success
        assert driver.update(key, {"authentication_type": "deny"}).success
        with pytest.raises(AssertionError) as caught:
            # A merge of the first range leaves the list, and the type, as they were.
            driver.update(key, {"authentication_type": "deny", "initiator_address": {"ranges": both[:1]}})
    assert caught.value.rule_ids == ("CRED-ADDR-007",)


def test_a_filter_missing_a_record_the_stale_collection_shows_unlike_its_get_blames_the_listing() -> None:
    """The whole collection is no second witness for a record it shows stale: the record's
    GET is, and a GET that agrees with the model puts the blame on the collection."""
    from conformance.judging.queries import check_filtered

    ledger = Ledger()
    with EmulatorServer(defects=Defects(["list-cache-ignores-patch"])) as server:
        driver = driver_for(server, ledger)
        key = create_plain(driver)
        assert driver.update(key, {"authentication_type": "deny"}).success  # its GET is right
        with pytest.raises(AssertionError) as caught:
            check_filtered(driver, {"authentication_type": "deny"}, "CRED-LIST-004")
    assert caught.value.rule_ids == ("CRED-LIST-002",)
    assert ledger.rule_status("CRED-STATE-001") != "failed"


def test_an_operator_query_on_a_target_that_ignores_filters_blames_filtering_not_operators() -> None:
    """A plain ``initiator=`` query is the second witness: it returns the record as well."""
    from conformance.judging.queries import check_filtered

    ledger = Ledger()
    with EmulatorServer(defects=Defects(["filter-ignored"])) as server:
        driver = driver_for(server, ledger)
        for suffix, kind in (("a", "none"), ("b", "deny")):
            assert driver.create({"svm": {"uuid": svm1(driver)}, "initiator": f"{NAME}-{suffix}",
                                  "authentication_type": kind}).success
        with pytest.raises(AssertionError) as caught:
            check_filtered(driver, {"authentication_type": "deny|chap"}, "CRED-LIST-004")
    assert caught.value.rule_ids == ("CRED-LIST-003",)


def test_a_page_listing_a_deleted_record_blames_the_collection_not_the_next_links() -> None:
    from conformance.judging.queries import check_paged

    ledger = Ledger()
    with EmulatorServer(defects=Defects(["deleted-still-listed"])) as server:
        driver = driver_for(server, ledger)
        for suffix in "abc":
            assert driver.create({"svm": {"uuid": svm1(driver)}, "initiator": f"{NAME}-{suffix}",
                                  "authentication_type": "none"}).success
        assert driver.delete((svm1(driver), f"{NAME}-a")).success
        with pytest.raises(AssertionError) as caught:
            check_paged(driver, 2)  # the first page shows the deleted record; no other read does
    assert caught.value.rule_ids == ("CRED-LIST-002",)
    assert ledger.rule_status("CRED-LIST-008") != "failed"


def test_a_returned_record_that_shows_what_the_target_holds_blames_the_create() -> None:
    """return_records=true returned the record as stored; the stored record is what is wrong."""
    ledger = Ledger()
    ranges = [{"start": "10.0.0.1", "end": "10.0.0.2"}]
    with EmulatorServer(defects=Defects(["recreate-restores-addresses"])) as server:
        driver = driver_for(server, ledger)
        key = (svm1(driver), NAME)
        body = {"svm": {"uuid": key[0]}, "initiator": NAME, "authentication_type": "none"}
        assert driver.create({**body, "initiator_address": {"ranges": ranges}}).success
        assert driver.delete(key).success
        with pytest.raises(AssertionError) as caught:
            driver.create(body, return_records=True)
    assert caught.value.rule_ids == ("CRED-POST-001",)
    assert ledger.rule_status("CRED-POST-005") != "failed"


@pytest.mark.parametrize("defect, rule", [("list-cache-ignores-patch", "CRED-LIST-002"),
                                           ("fields-ignored", "CRED-GET-002")])
def test_a_fields_subset_that_disagrees_is_blamed_by_the_whole_collection(defect: str, rule: str) -> None:
    """A ``fields=`` listing that disagrees: the fields selection is to blame only when the
    whole collection with every field agrees; a stale collection is CRED-LIST-002."""
    from conformance.judging.queries import check_fields

    ledger = Ledger()
    with EmulatorServer(defects=Defects([defect])) as server:
        driver = driver_for(server, ledger)
        key = create_plain(driver)
        driver.update(key, {"authentication_type": "deny"})
        with pytest.raises(AssertionError) as caught:
            check_fields(driver, frozenset({"authentication_type"}))
    assert caught.value.rule_ids == (rule,)


def checks_exchange(body: object):
    from conformance.wire.client import Exchange
    return Exchange(method="GET", url="http://127.0.0.1:1/x", path="/x", params=None, request_json=None,
                    status=200, response_headers={}, response_text="", response_json=body, elapsed=0.0)


def test_passed_without_rules_credits_nothing() -> None:
    assert passed(checks_exchange({})) == []


class LosesOneAnswer:
    """A client whose first collection write loses its answer, after (or before) the target saw it."""

    def __init__(self, client: Client, *, applied: bool) -> None:
        self.client, self.applied, self.lost = client, applied, 0

    def request(self, method: str, path: str, **kwargs):
        if method in ("PATCH", "DELETE") and path.endswith("/credentials") and not self.lost:
            self.lost += 1
            if self.applied:
                self.client.request(method, path, **kwargs)
            raise OutcomeUnknown(f"{method} {path}: connection dropped")
        return self.client.request(method, path, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.client, name)


@pytest.mark.parametrize("applied", [True, False])
def test_a_lost_collection_delete_is_decided_by_reading_the_collection(server: EmulatorServer,
                                                                       applied: bool) -> None:
    ledger = Ledger()
    driver = driver_for(server, ledger)
    driver.client = LosesOneAnswer(driver.client, applied=applied)
    for suffix in ("gone-a", "gone-b", "kept"):
        name = f"{NAME}-{suffix}"
        assert driver.create({"svm": {"uuid": svm1(driver)}, "initiator": name, "authentication_type": "none"}).success
    outcome = driver.delete_collection({"initiator": f"{NAME}-gone-*"})
    assert outcome is not None and outcome.success
    assert driver.client.lost == 1 and ledger.indeterminate == 1
    assert {k[1] for k in driver.model.records} >= {f"{NAME}-kept"}
    assert not {k[1] for k in driver.model.records} & {f"{NAME}-gone-a", f"{NAME}-gone-b"}
    assert ledger.rule_status("CRED-DEL-002") == "passed"
    assert not ledger.failures


@pytest.mark.parametrize("content_type, accept, ok", [
    ("application/hal+json", "application/json", True),
    ("application/json; charset=utf-8", "application/json", True),
    ("application/hal+json", "*/*", True),
    ("application/json", "*/*", False),  # any other Accept gets HAL (OB-8)
    ("text/plain", "application/json", False),
    ("", "application/json", False),
])
def test_the_media_type_of_an_answer_follows_what_was_asked(content_type: str, accept: str, ok: bool) -> None:
    from dataclasses import replace
    exchange = replace(checks_exchange({"records": []}), response_text='{"records": []}',
                       response_headers={"Content-Type": content_type} if content_type else {})
    verdicts = checks.media_type_is_json(exchange, accept)
    assert [v.ok for v in verdicts] == [ok] and verdicts[0].rules == ("CRED-WIRE-002",)


def test_a_self_link_is_compared_after_percent_decoding() -> None:
    record = {"svm": {"uuid": "u-1"}, "initiator": "iqn.1992-08.com.netapp:a", "_links": {"self": {"href": ""}}}
    for href, ok in (("/api/protocols/san/iscsi/credentials/u-1/iqn.1992-08.com.netapp%3Aa", True),
                     ("/api/protocols/san/iscsi/credentials/u-1/iqn.1992-08.com.netapp:a", True),
                     ("/api/protocols/san/iscsi/credentials/iqn.1992-08.com.netapp%3Aa", False),
                     ("/api/protocols/san/iscsi/credentials/u-2/iqn.1992-08.com.netapp%3Aa", False)):
        record["_links"]["self"]["href"] = href
        verdicts = checks.self_link_names_record(record, checks_exchange(record))
        assert [(v.ok, v.rules) for v in verdicts] == [(ok, ("CRED-WIRE-003",))], href
