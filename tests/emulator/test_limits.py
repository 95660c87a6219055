"""Bounded work per request (issue 15): the emulator's own limits answer 4xx in the ONTAP
envelope, and the filter matcher that replaced a backtracking regex means exactly the same.

The limits are the emulator's, not ONTAP's (emulator/README.md lists them).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator import EmulatorServer, app, query
from emulator.defects import Defects
from emulator.validation import MAX_ADDRESS_ITEMS, parse_addresses
from tests.emulator.conftest import AUTH, CREDS


# --- the reference: the matcher as it was before issue 15 (a regex per wildcard term) -------
def _old_key(value: Any, kind: str) -> tuple[int, Any]:
    text = str(value)
    try:
        if kind == "int":
            return (0, int(text))
        if kind == "ip":
            ip = ipaddress.ip_address(text)
            return (0, (ip.version, int(ip)))
    except ValueError:
        pass
    return (1, text.lower() if kind == "enum" else text)


def _old_compare(term: str, value: Any, kind: str, literal: bool) -> bool:
    if literal:
        return _old_key(term, kind) == _old_key(value, kind)
    if len(term) >= 2 and ((term[0], term[-1]) in (('"', '"'), ("{", "}"))):
        return _old_key(term[1:-1], kind) == _old_key(value, kind)
    v = _old_key(value, kind)
    for op in ("<=", ">=", "<", ">"):
        if term.startswith(op):
            k = _old_key(term[len(op):], kind)
            if k[0] != v[0]:
                return False
            return {"<=": v <= k, ">=": v >= k, "<": v < k, ">": v > k}[op]
    if ".." in term:
        low, high = (_old_key(t, kind) for t in term.split("..", 1))
        return low[0] == v[0] == high[0] and low <= v <= high
    if "*" in term:
        pattern = ".*".join(re.escape(p) for p in term.split("*"))
        flags = re.IGNORECASE if kind == "enum" else 0
        return re.fullmatch(pattern, str(value), flags | re.DOTALL) is not None
    return _old_key(term, kind) == v


def _old_term(term: str, values: list[Any], kind: str, literal: bool) -> bool:
    if literal:
        return any(_old_compare(term, v, kind, True) for v in values)
    negate = term.startswith("!")
    body = term[1:] if negate else term
    if body == "null":
        return bool(values) if negate else not values
    if not values:
        return False
    hit = any(_old_compare(body, v, kind, False) for v in values)
    return not hit if negate else hit


def old_matches(values: list[Any], query_text: str, kind: str, literal: bool) -> bool:
    if literal:
        return _old_term(query_text, values, kind, True)
    return any(_old_term(t, values, kind, False) for t in query_text.split("|"))


def new_matches(values: list[Any], query_text: str, kind: str, literal: bool) -> bool:
    record = {"f": values}
    return query.Filter("f", query_text, kind, literal).matches(record, query.Budget())


# --- the new matcher means what the old one meant --------------------------------------------
PIECE = st.text("ab.*|!<>\"{}", max_size=6)
TEXT = st.text("ab.Ab", max_size=8)
IPS = st.sampled_from(["10.0.0.1", "10.0.0.9", "192.168.1.1", "fd00::1", "::1", "x", ""])
INTS = st.sampled_from(["0", "7", "16", "32", "128", "x", "-1"])


@settings(max_examples=400, deadline=None, database=None)
@given(query_text=st.lists(PIECE, min_size=1, max_size=4).map("|".join),
       values=st.lists(TEXT, max_size=3), kind=st.sampled_from(["str", "enum"]),
       literal=st.booleans())
def test_filter_matches_as_the_regex_did_on_text(query_text, values, kind, literal):
    assert new_matches(values, query_text, kind, literal) == \
        old_matches(values, query_text, kind, literal)


@settings(max_examples=300, deadline=None, database=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["", "!", "<", ">", "<=", ">=", "*", "!<"]),
                              st.one_of(IPS, INTS), st.sampled_from(["", "..10.0.0.5", "*"])),
                    min_size=1, max_size=3),
       values=st.lists(st.one_of(IPS, INTS), max_size=3), kind=st.sampled_from(["ip", "int"]))
def test_filter_matches_as_before_on_addresses_and_numbers(ops, values, kind):
    query_text = "|".join(f"{a}{b}{c}" for a, b, c in ops)
    assert new_matches(values, query_text, kind, False) == \
        old_matches(values, query_text, kind, False)


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("*********b", "a" * 200 + "b", True), ("*********b", "a" * 200 + "c", False),
    ("*a" * 500 + "*b", "a" * 200, False), ("*" * 5000, "anything", True),
    ("iqn.*:*", "iqn.1992-08.com.netapp:x", True), ("*ab*ab*", "abab", True),
    ("*ab*ab*", "aba", False), ("a*a", "a", False), ("CH*", "chap", True),
])
def test_wildcards_are_linear_and_exact(pattern, value, expected):
    kind = "enum" if pattern == "CH*" else "str"
    assert new_matches([value], pattern, kind, False) is expected


def test_a_filter_past_the_work_budget_is_refused_not_computed():
    values = [f"10.0.{i // 250}.{i % 250}" for i in range(2000)]
    terms = "|".join(f">10.9.{i}.1" for i in range(200))  # no hit: 2000 x 200 = 400k compares
    with pytest.raises(query.OntapError) as caught:
        query.Filter("initiator_address.ranges.start", terms, "ip", False).matches(
            {"initiator_address": {"ranges": [{"start": v} for v in values]}}, query.Budget())
    assert caught.value.http_status == 400 and caught.value.error_code == "2"
    assert "initiator_address.ranges.start" in caught.value.message


def test_address_lists_are_deduplicated_in_order_and_capped():
    ranges = [{"start": f"10.0.0.{i % 7}", "end": f"10.0.0.{i % 7}"} for i in range(MAX_ADDRESS_ITEMS)]
    parsed, _ = parse_addresses({"ranges": ranges}, Defects())
    assert [str(r.start) for r in parsed] == [f"10.0.0.{i}" for i in range(7)]
    too_many = [{"start": "10.0.0.1", "end": "10.0.0.1"}] * (MAX_ADDRESS_ITEMS + 1)
    with pytest.raises(query.OntapError) as caught:
        parse_addresses({"ranges": too_many}, Defects())
    assert (caught.value.http_status, caught.value.error_code, caught.value.target) == \
        (400, "2", "initiator_address.ranges")


# --- over HTTP: the limits answer in the envelope, ordinary requests are untouched ------------
def error_of(resp: requests.Response) -> dict[str, Any]:
    assert 400 <= resp.status_code < 500, resp.text[:300]
    error = resp.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


def ranges(count: int, third: int = 0) -> list[dict[str, str]]:
    return [{"start": f"10.{third}.{i // 250}.{i % 250}", "end": f"10.{third}.{i // 250}.{i % 250}"}
            for i in range(count)]


def create(api, initiator: str, **extra: Any) -> requests.Response:
    return api.post(CREDS, json={"svm": {"name": "svm1"}, "initiator": initiator,
                                 "authentication_type": "none", **extra})


def test_a_full_list_is_taken_and_one_more_is_refused(api, svm1):
    assert create(api, "iqn.2000-01.org.x:full",
                  initiator_address={"ranges": ranges(MAX_ADDRESS_ITEMS)}).status_code == 201
    error = error_of(create(api, "iqn.2000-01.org.x:over",
                            initiator_address={"ranges": ranges(MAX_ADDRESS_ITEMS + 1)}))
    assert (error["code"], error["target"]) == ("2", "initiator_address.ranges")
    # a merge may not grow the list past the cap either; replacing it is fine
    path = f"{CREDS}/{svm1}/iqn.2000-01.org.x:full"
    more = {"initiator_address": {"ranges": ranges(1, third=9)}}
    error = error_of(api.patch(path, params={"add_initiator_addresses": "true"}, json=more))
    assert error["target"] == "initiator_address.ranges"
    assert api.patch(path, json=more).status_code == 200


def test_huge_leading_zeros_in_paging_are_a_400_not_a_500(api):
    assert api.get(CREDS, params={"offset": "0" * 6000 + "1"}).status_code == 200
    assert error_of(api.get(CREDS, params={"max_records": "0" * 6000}))["target"] == "max_records"
    assert error_of(api.get(CREDS, params={"max_records": "0" * 6000 + "9" * 13}))["code"] == "2"


def test_repeated_order_by_and_fields_mean_what_one_of_each_means(api):
    for i in range(4):
        assert create(api, f"iqn.2000-01.org.x:o{i}").status_code == 201
    once = api.get(CREDS, params={"order_by": "initiator desc", "fields": "initiator"}).json()
    many = api.get(CREDS, params={"order_by": ",".join(["initiator desc", "initiator"] * 400),
                                  "fields": ",".join(["initiator"] * 1500)}).json()
    assert many["records"] == once["records"]


def test_the_work_budget_answers_400_over_http(api):
    assert create(api, "iqn.2000-01.org.x:many",
                  initiator_address={"ranges": ranges(MAX_ADDRESS_ITEMS)}).status_code == 201
    terms = "|".join(f"<9.0.0.{i % 250}" for i in range(300))  # 1024+ values x 300 terms
    error = error_of(api.get(CREDS, params={"initiator_address.ranges.start": terms}))
    assert (error["code"], error["target"]) == ("2", "initiator_address.ranges.start")


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(app, "MAX_CREDENTIALS", 6)  # the seed holds 2 defaults
    monkeypatch.setattr(app, "MAX_ADDRESS_ENTRIES", 10)
    monkeypatch.setattr(app, "OFFLOAD_WEIGHT", 3)  # every collection GET goes to a thread
    with EmulatorServer() as server:
        session = requests.Session()
        session.auth = AUTH
        session.trust_env = False
        yield server.base_url, session


def test_credential_and_address_totals_are_capped(small_limits):
    base, s = small_limits

    def post(initiator: str, **extra: Any) -> requests.Response:
        return s.post(base + CREDS, json={"svm": {"name": "svm2"}, "initiator": initiator,
                                          "authentication_type": "none", **extra}, timeout=10)

    assert post("iqn.2000-01.org.x:a", initiator_address={"ranges": ranges(6)}).status_code == 201
    error = error_of(post("iqn.2000-01.org.x:b", initiator_address={"ranges": ranges(5, 1)}))
    assert error["target"] == "initiator_address"
    assert post("iqn.2000-01.org.x:b", initiator_address={"ranges": ranges(4, 1)}).status_code == 201
    assert post("iqn.2000-01.org.x:c").status_code == 201
    assert post("iqn.2000-01.org.x:d").status_code == 201
    error = error_of(post("iqn.2000-01.org.x:e"))
    assert (error["code"], error["target"]) == ("2", "initiator")
    # the collection, now built in a worker thread, is unchanged in meaning
    body = s.get(base + CREDS, params={"fields": "initiator", "initiator": "*:?"}, timeout=10)
    assert body.status_code == 200 and body.json()["num_records"] == 0
    body = s.get(base + CREDS, params={"initiator": "iqn.2000-01.org.x:*"}, timeout=10).json()
    assert [r["initiator"] for r in body["records"]] == [f"iqn.2000-01.org.x:{c}" for c in "abcd"]
    error = error_of(s.get(base + CREDS, params={"max_records": "x"}, timeout=10))
    assert error["target"] == "max_records"
    svm2 = s.get(base + "/api/svm/svms", params={"name": "svm2"}, timeout=10).json()
    path = f"{CREDS}/{svm2['records'][0]['uuid']}/iqn.2000-01.org.x:a"
    # replacing a list frees what it held: 6 -> 6 entries is within the total of 10
    assert s.patch(base + path, json={"initiator_address": {"ranges": ranges(6, 2)}},
                   timeout=10).status_code == 200


def test_the_readme_states_each_limit():
    with open(app.__file__.rsplit("/", 1)[0] + "/README.md", encoding="utf-8") as handle:
        text = handle.read()
    for value in (app.MAX_CREDENTIALS, app.MAX_ADDRESS_ENTRIES, MAX_ADDRESS_ITEMS,
                  query.MAX_FILTER_WORK):
        assert f"{value:,}" in text, value
    assert app.MAX_BODY == 1024 * 1024 and "1 MiB" in text
