"""Key-based paging: ``_links.next`` resumes after the last record returned, by its key.

ONTAP's next link carries ``start.<field>=<value>`` (OB-50), not an offset, so records
another client creates or deletes between two pages never shift the rest of the
collection: a record that exists the whole time comes back exactly once. ``offset`` (skip N
after filter and sort) keeps working as documented.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.emulator.conftest import CREDS, Api, start_emulator, stop

STABLE = "iqn.1999-01.com.example.stable"
OTHER = "iqn.1999-01.com.example.other"


def create(api: Api, svm: str, initiator: str, auth: str = "none",
           user: str | None = None) -> None:
    body: dict[str, object] = {"svm": {"name": svm}, "initiator": initiator,
                               "authentication_type": auth}
    if user is not None:
        body["chap"] = {"inbound": {"user": user, "password": "pw-paging-1"}}
    resp = api.post(CREDS, json=body)
    assert resp.status_code == 201, resp.text


def delete(api: Api, svm_uuid: str, initiator: str) -> None:
    resp = api.delete(f"{CREDS}/{svm_uuid}/{initiator}")
    assert resp.status_code == 200, resp.text


@pytest.fixture
def stable(api: Api) -> Api:
    """23 records of ours in svm1 and svm2 (plus the two defaults): 25 in all."""
    for i in range(23):
        create(api, "svm1" if i % 3 else "svm2", f"{STABLE}:{i:02d}",
               auth=("none", "deny", "chap")[i % 3], user=f"user{i % 4}" if i % 3 == 2 else None)
    return api


def key(record: dict) -> tuple[str, str]:
    return (record["svm"]["uuid"], record["initiator"])


def pages(api: Api, url: str, between=None) -> Iterator[dict]:
    """Every page of a query, following ``_links.next`` verbatim; ``between`` runs between."""
    for _ in range(1000):
        resp = api.get(url)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["num_records"] == len(body["records"])
        yield body
        url = (body["_links"].get("next") or {}).get("href")
        if not url:
            return
        if between is not None:
            between()
    raise AssertionError("paging did not end")


def all_records(api: Api, url: str, between=None) -> list[dict]:
    return [r for body in pages(api, url, between) for r in body["records"]]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 12, 24, 25, 26, 10000])
@pytest.mark.parametrize("order", ["", "&order_by=initiator%20desc",
                                   "&order_by=authentication_type,initiator",
                                   "&order_by=chap.inbound.user%20desc"])
def test_paging_returns_every_record_exactly_once_in_order(stable, size, order):
    whole = all_records(stable, f"{CREDS}?fields=*{order}")
    assert len(whole) == 25
    paged = all_records(stable, f"{CREDS}?fields=*&max_records={size}{order}")
    assert [key(r) for r in paged] == [key(r) for r in whole]  # same records, same order
    assert all("authentication_type" in r for r in paged)  # fields= carried to every page


def test_page_sizes_and_page_count(stable):
    bodies = list(pages(stable, f"{CREDS}?max_records=7"))
    assert [len(b["records"]) for b in bodies] == [7, 7, 7, 4]
    assert "next" not in bodies[-1]["_links"]


def test_next_link_carries_the_query_and_a_start_key_not_an_offset(stable):
    url = (f"{CREDS}?svm.name=svm1&fields=authentication_type&max_records=3"
           "&order_by=initiator%20desc&return_records=true&return_timeout=15")
    body = stable.get(url).json()
    href = body["_links"]["next"]["href"]
    path, _, query = href.partition("?")
    assert path == CREDS
    params = dict(parse_qsl(query, keep_blank_values=True))
    last = body["records"][-1]
    assert params == {
        "svm.name": "svm1", "fields": "authentication_type", "max_records": "3",
        "order_by": "initiator desc", "return_records": "true", "return_timeout": "15",
        "start.initiator": last["initiator"], "start.svm.name": "svm1",
        "start.svm.uuid": last["svm"]["uuid"]}
    assert "offset" not in params
    assert ":" not in query and " " not in query  # values are percent-encoded
    following = stable.get(href).json()["records"]
    assert all(r["initiator"] < last["initiator"] for r in following)


def test_offset_skips_after_filter_and_sort_and_its_next_resumes_by_key(stable):
    whole = [r["initiator"] for r in all_records(stable, f"{CREDS}?svm.name=svm1&order_by=initiator")]
    body = stable.get(f"{CREDS}?svm.name=svm1&order_by=initiator&offset=3&max_records=4").json()
    assert [r["initiator"] for r in body["records"]] == whole[3:7]
    href = body["_links"]["next"]["href"]
    assert "offset" not in href
    rest = all_records(stable, href)
    assert [r["initiator"] for r in rest] == whole[7:]
    beyond = stable.get(f"{CREDS}?offset=1000&max_records=2").json()
    assert beyond["records"] == [] and "next" not in beyond["_links"]
    no_cap = stable.get(f"{CREDS}?order_by=initiator&offset=20").json()
    assert len(no_cap["records"]) == 5 and "next" not in no_cap["_links"]


def test_a_resume_position_whose_record_is_gone_still_resumes_after_it(stable, svm1):
    body = stable.get(f"{CREDS}?order_by=initiator&max_records=5").json()
    href = body["_links"]["next"]["href"]
    last = body["records"][-1]
    delete(stable, last["svm"]["uuid"], last["initiator"])
    rest = [r["initiator"] for r in all_records(stable, href)]
    whole = [r["initiator"] for r in all_records(stable, f"{CREDS}?order_by=initiator")]
    assert rest == [name for name in whole if name > last["initiator"]]


def test_unset_order_by_values_page_exactly_once(stable):
    """``order_by=chap.inbound.user``: most records have no user; a next link leaves the
    field out for them and resumes among them by the rest of the key."""
    whole = all_records(stable, f"{CREDS}?fields=*&order_by=chap.inbound.user")
    for size in (1, 2, 5):
        paged = all_records(stable, f"{CREDS}?fields=*&order_by=chap.inbound.user"
                                    f"&max_records={size}")
        assert [key(r) for r in paged] == [key(r) for r in whole]
    body = stable.get(f"{CREDS}?order_by=chap.inbound.user&max_records=1").json()
    assert "start.chap.inbound.user" not in body["_links"]["next"]["href"]


def test_values_that_need_percent_encoding_round_trip(api):
    users = ["a&b=c", "a+b c", "x%2Fy/z", "q?r#s", "zz;,'\""]
    for i, user in enumerate(users):
        create(api, "svm1", f"{STABLE}:enc{i}", auth="chap", user=user)
    whole = all_records(api, f"{CREDS}?fields=chap&order_by=chap.inbound.user%20desc")
    paged = all_records(api, f"{CREDS}?fields=chap&order_by=chap.inbound.user%20desc"
                             "&max_records=1")
    assert [key(r) for r in paged] == [key(r) for r in whole]
    assert sorted(r["chap"]["inbound"]["user"] for r in paged if "chap" in r) == sorted(users)


def test_svm_names_that_need_percent_encoding_round_trip(tmp_path: Path):
    seed = tmp_path / "seed.json"
    seed.write_text('[{"name": "vs a&b=c", "iscsi": true}, {"name": "vs+1%/", "iscsi": true},'
                    ' {"name": "plain", "iscsi": false}]')
    proc, info = start_emulator(tmp_path, "--seed", str(seed))
    try:
        api = Api(str(info["url"]))
        for svm in ("vs a&b=c", "vs+1%/"):
            for i in range(3):
                create(api, svm, f"{STABLE}:{i}")
        whole = all_records(api, CREDS)
        assert len(whole) == 8
        assert [key(r) for r in all_records(api, f"{CREDS}?max_records=1")] == \
            [key(r) for r in whole]
        svms = [r["name"] for r in all_records(api, "/api/svm/svms?max_records=1")]
        assert svms == sorted(["vs a&b=c", "vs+1%/", "plain"])
        services = all_records(api, "/api/protocols/san/iscsi/services?max_records=1")
        assert [r["svm"]["name"] for r in services] == sorted(["vs a&b=c", "vs+1%/"])
    finally:
        stop(proc)


class Churner:
    """Another client: creates records of its own in svm1 and svm2 that sort before, among
    and after the stable ones, and deletes its oldest ones beyond ``cap`` alive. Bounded by
    ``budget`` steps, so a reader paging behind it always reaches the end."""

    PREFIXES = ("iqn.1998-01.com.example.early:", f"{OTHER}:", f"{STABLE}:", "iqn.2001-01.z:")

    def __init__(self, api: Api, uuids: dict[str, str], cap: int = 4, budget: int = 20) -> None:
        self.api, self.uuids, self.cap, self.budget = Api(api.base), uuids, cap, budget
        self.alive: list[tuple[str, str]] = []
        self.created = self.deleted = self.steps = 0

    def step(self) -> None:
        """Odd steps create one record per prefix; even steps delete the oldest down to
        ``cap`` (they sit behind and ahead of the reader's position), so the number of
        records behind the position changes at every step."""
        if self.steps >= self.budget:
            return
        self.steps += 1
        if self.steps % 2:
            for prefix in self.PREFIXES:
                svm = ("svm1", "svm2")[self.created % 2]
                name = f"{prefix}{self.created:05d}x"  # "x": never a stable record's name
                create(self.api, svm, name)
                self.alive.append((svm, name))
                self.created += 1
            return
        while len(self.alive) > self.cap:
            svm, name = self.alive.pop(0)
            delete(self.api, self.uuids[svm], name)
            self.deleted += 1


@pytest.mark.parametrize("order", ["", "&order_by=initiator%20desc", "&order_by=initiator"])
@pytest.mark.parametrize("size", [1, 3, 8])
def test_writes_between_pages_neither_skip_nor_repeat_a_record(stable, svm1, svm2, order, size):
    churner = Churner(stable, {"svm1": svm1, "svm2": svm2})
    for _ in range(3):  # records of the other client that exist before paging starts
        churner.step()
    before = {key(r) for r in all_records(stable, CREDS)}
    paged = all_records(stable, f"{CREDS}?max_records={size}{order}", between=churner.step)
    after = {key(r) for r in all_records(stable, CREDS)}
    counts = Counter(key(r) for r in paged)
    assert not [k for k, n in counts.items() if n > 1], "a record came back twice"
    throughout = before & after
    assert len(throughout) >= 25
    assert throughout <= set(counts), f"skipped: {sorted(throughout - set(counts))}"
    assert churner.steps > 4 and churner.deleted > 0  # the writes did happen between pages
    names = [r["initiator"] for r in paged]
    if order:  # each page in order, and the pages in order: the whole sequence is sorted
        assert names == sorted(names, reverse="desc" in order)


def test_offset_paging_under_the_same_write_skips_and_the_key_does_not(stable):
    """The failure the key avoids, shown with ``offset``: deleting a record behind the
    position shifts the rest, and a record that existed throughout is skipped."""
    whole = [r["initiator"] for r in all_records(stable, f"{CREDS}?order_by=initiator")]
    first = stable.get(f"{CREDS}?order_by=initiator&max_records=5").json()
    href = first["_links"]["next"]["href"]
    gone = first["records"][2]  # [0] and [1] are the SVMs' defaults, which stay
    assert gone["initiator"].startswith(STABLE)
    delete(stable, gone["svm"]["uuid"], gone["initiator"])
    by_offset = stable.get(f"{CREDS}?order_by=initiator&max_records=5&offset=5").json()
    assert by_offset["records"][0]["initiator"] == whole[6]  # whole[5] skipped
    by_key = stable.get(href).json()
    assert [r["initiator"] for r in by_key["records"]] == whole[5:10]


def test_a_free_running_writer_thread_never_causes_loss_or_duplication(stable, svm1, svm2):
    churner = Churner(stable, {"svm1": svm1, "svm2": svm2}, cap=12, budget=150)
    stop_flag = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            while not stop_flag.is_set() and churner.steps < churner.budget:
                churner.step()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    stable_keys = {key(r) for r in all_records(stable, CREDS)}
    thread.start()
    try:
        for order, size in (("", 1), ("&order_by=initiator%20desc", 2), ("", 4),
                            ("&order_by=initiator%20desc", 1)):
            paged = [key(r) for r in all_records(stable, f"{CREDS}?max_records={size}{order}")]
            counts = Counter(paged)
            assert max(counts.values()) == 1, "a record came back twice"
            assert stable_keys <= set(counts), "a record that existed throughout was skipped"
    finally:
        stop_flag.set()
        thread.join(timeout=60)
    assert not failures, failures
    assert churner.created > 0


@pytest.mark.parametrize(("query", "code", "target"), [
    ("start.bogus=1", "262179", "start.bogus"),
    ("start.chap.inbound.user=a&start.svm.name=svm1&start.initiator=x&start.svm.uuid=u",
     "262179", "start.chap.inbound.user"),
    ("start.svm.name=svm1", "2", "start.initiator"),
    ("start.svm.name=svm1&start.initiator=x", "2", "start.svm.uuid"),
    ("order_by=initiator_address.masks.netmask&start.initiator_address.masks.netmask=x"
     "&start.svm.name=svm1&start.initiator=x&start.svm.uuid=u", "2",
     "start.initiator_address.masks.netmask"),
    ("order_by=initiator_address.ranges.start&start.initiator_address.ranges.start=10.0.0.300"
     "&start.svm.name=svm1&start.initiator=x&start.svm.uuid=u", "2",
     "start.initiator_address.ranges.start"),
])
def test_a_start_parameter_that_does_not_parse_is_a_clear_400(api, query, code, target):
    resp = api.get(f"{CREDS}?{query}")
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert (error["code"], error["target"]) == (code, target)
    assert target in error["message"]


def test_a_hand_written_start_resumes_after_it(stable, svm1):
    """A start position that names no record resumes strictly after where it would sit."""
    body = stable.get(f"{CREDS}?svm.name=svm1&start.svm.name=svm1&start.svm.uuid={svm1}"
                      f"&start.initiator={STABLE}:10").json()
    names = [r["initiator"] for r in body["records"]]
    assert names and all(n > f"{STABLE}:10" for n in names)
    assert f"{STABLE}:11" in names and f"{STABLE}:10" not in names
    assert urlsplit(body["_links"]["self"]["href"]).query.startswith("svm.name=svm1")
