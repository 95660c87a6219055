"""Query-based PATCH and DELETE on the credentials collection (OB-41, OB-70; emulator/bulk.py)."""

from __future__ import annotations

import pytest

from emulator import EmulatorServer
from emulator.defects import Defects
from tests.emulator.conftest import CREDS, Api

BASE = "iqn.1992-08.com.netapp:bulk"


def post(api: Api, name: str, svm: str = "svm1", **body):
    payload = {"svm": {"name": svm}, "initiator": f"{BASE}-{name}", "authentication_type": "none",
               **body}
    resp = api.post(CREDS, json=payload)
    assert resp.status_code == 201, resp.text
    return resp


def state(api: Api) -> dict[tuple[str, str], dict]:
    """Every record by (SVM name, initiator), as fields=* shows it."""
    records = api.get(CREDS, params={"fields": "*"}).json()["records"]
    return {(r["svm"]["name"], r["initiator"]): r for r in records}


def error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    return resp.json()["error"]


@pytest.fixture
def four(api: Api) -> Api:
    """svm1: bulk-a1, bulk-a2, bulk-b1; svm2: bulk-a1 (plus the two defaults)."""
    for name in ("a1", "a2", "b1"):
        post(api, name)
    post(api, "a1", svm="svm2")
    return api


def test_patch_changes_exactly_the_matching_records(four):
    before = state(four)
    resp = four.patch(CREDS, params={"svm.name": "svm1", "initiator": f"{BASE}-a*"},
                      json={"authentication_type": "deny"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["num_records"] == 2 and "records" not in resp.json()
    after = state(four)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {("svm1", f"{BASE}-a1"), ("svm1", f"{BASE}-a2")}
    assert all(after[k]["authentication_type"] == "deny" for k in changed)


def test_delete_removes_exactly_the_matching_records(four):
    before = state(four)
    resp = four.delete(CREDS, params={"initiator": f"{BASE}-a1"}, json={})  # PCL sends {}
    assert resp.status_code == 200, resp.text
    assert resp.json()["num_records"] == 2
    assert set(before) - set(state(four)) == {("svm1", f"{BASE}-a1"), ("svm2", f"{BASE}-a1")}


def test_no_match_is_200_with_nothing_done(four):
    before = state(four)
    for method in ("patch", "delete"):
        resp = getattr(four, method)(CREDS, params={"initiator": "iqn.2000-01.com.none:*"},
                                     **({"json": {"authentication_type": "deny"}}
                                        if method == "patch" else {}))
        assert resp.status_code == 200 and resp.json()["num_records"] == 0
    assert state(four) == before


@pytest.mark.parametrize("params", [{}, {"return_records": "true"},
                                    {"continue_on_failure": "true", "serial_records": "true"}])
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_filter_is_required(four, method, params):
    before = state(four)
    kwargs = {"json": {"authentication_type": "deny"}} if method == "patch" else {}
    err = error(getattr(four, method)(CREDS, params=params, **kwargs), 400, "262212")
    assert "filter" in err["message"]
    assert state(four) == before


@pytest.mark.parametrize("name", ["fields", "max_records", "order_by", "offset",
                                  "start.initiator", "bogus", "chap.inbound.secret"])
def test_get_only_and_unknown_parameters_refused(four, name):
    before = state(four)
    resp = four.delete(CREDS, params={"initiator": f"{BASE}-a1", name: "1"})
    error(resp, 400, "262179")
    assert state(four) == before


def test_password_filter_refused_without_echo(four):
    resp = four.delete(CREDS, params={"chap.inbound.password": "guess-me"})
    err = error(resp, 400, "262202")  # as the collection GET answers on 9.10.1
    assert "guess-me" not in resp.text and err["target"] == "chap.inbound.password"


@pytest.mark.parametrize("params", [{"return_timeout": "121"}, {"return_records": "maybe"},
                                    {"continue_on_failure": "2"}, {"serial_records": "x"},
                                    {"add_initiator_addresses": "yes"}])
def test_bad_control_values(four, params):
    resp = four.patch(CREDS, params={"initiator": f"{BASE}-a1", **params},
                      json={"authentication_type": "deny"})
    error(resp, 400, "2")


def test_add_initiator_addresses_is_read_by_collection_patch(four):
    target = {"svm.name": "svm1", "initiator": f"{BASE}-a*"}
    first = {"masks": [{"address": "10.1.0.0", "netmask": "16"}]}
    second = {"ranges": [{"start": "10.2.0.1", "end": "10.2.0.9"}]}
    assert four.patch(CREDS, params=target, json={"initiator_address": first}).status_code == 200
    resp = four.patch(CREDS, params={**target, "add_initiator_addresses": "True"},
                      json={"initiator_address": second})
    assert resp.status_code == 200, resp.text
    for name in ("a1", "a2"):
        got = state(four)[("svm1", f"{BASE}-{name}")]["initiator_address"]
        assert got == {"masks": [{"address": "10.1.0.0", "netmask": "16", "family": "ipv4"}],
                       "ranges": [{"start": "10.2.0.1", "end": "10.2.0.9", "family": "ipv4"}]}
    resp = four.patch(CREDS, params={**target, "remove_initiator_addresses": "true"},
                      json={"initiator_address": first})
    assert resp.status_code == 200
    assert "masks" not in state(four)[("svm1", f"{BASE}-a1")]["initiator_address"]
    assert "initiator_address" not in state(four)[("svm1", f"{BASE}-b1")]
    both = four.patch(CREDS, params={**target, "add_initiator_addresses": "true",
                                     "remove_initiator_addresses": "true"},
                      json={"initiator_address": first})
    error(both, 400, "2")


def test_default_records_are_never_deleted(four):
    before = state(four)
    resp = four.delete(CREDS, params={"initiator": "default"})
    error(resp, 400, "5374148")
    assert state(four) == before
    resp = four.delete(CREDS, params={"initiator": "default", "continue_on_failure": "true"})
    error(resp, 400, "5374148")  # every record failed: the first failure is the answer
    assert state(four) == before


def test_first_failure_stops_the_run_and_is_the_answer(four):
    # svm1 in the collection's order: default, bulk-a1, bulk-a2, bulk-b1; default comes first
    before = state(four)
    resp = four.delete(CREDS, params={"svm.name": "svm1"})
    error(resp, 400, "5374148")
    assert state(four) == before  # nothing after the failure was touched


def test_failure_midway_keeps_earlier_changes(api):
    post(api, "m1", authentication_type="chap",
         chap={"inbound": {"user": "u1", "password": "secret-m1"}})
    post(api, "m2")  # none: CHAP properties are refused on it (5374900)
    post(api, "m3", authentication_type="chap",
         chap={"inbound": {"user": "u3", "password": "secret-m3"}})
    body = {"chap": {"inbound": {"user": "renamed", "password": "secret-new"}}}
    resp = api.patch(CREDS, params={"initiator": f"{BASE}-m*"}, json=body)
    error(resp, 400, "5374900")
    users = {k[1]: (r.get("chap") or {}).get("inbound", {}).get("user")
             for k, r in state(api).items()}
    assert users[f"{BASE}-m1"] == "renamed"  # done before the failure: kept, no rollback
    assert users[f"{BASE}-m2"] is None and users[f"{BASE}-m3"] == "u3"  # not reached


def test_continue_on_failure_tries_every_record(api):
    post(api, "m1", authentication_type="chap",
         chap={"inbound": {"user": "u1", "password": "secret-m1"}})
    post(api, "m2")
    post(api, "m3", authentication_type="chap",
         chap={"inbound": {"user": "u3", "password": "secret-m3"}})
    body = {"chap": {"inbound": {"user": "renamed", "password": "secret-new"}}}
    resp = api.patch(CREDS, params={"initiator": f"{BASE}-m*", "continue_on_failure": "true"},
                     json=body)
    err = error(resp, 400, "262292")
    assert [a["code"] for a in err["arguments"]] == ["5374900"]
    assert f"{BASE}-m2" in err["arguments"][0]["message"]
    assert "secret" not in resp.text
    users = {k[1]: (r.get("chap") or {}).get("inbound", {}).get("user")
             for k, r in state(api).items()}
    assert users[f"{BASE}-m1"] == users[f"{BASE}-m3"] == "renamed"


def test_return_records_gives_the_affected_records(four):
    resp = four.patch(CREDS, params={"initiator": f"{BASE}-a1", "return_records": "true"},
                      json={"authentication_type": "chap",
                            "chap": {"inbound": {"user": "bulk-user", "password": "bulk-pw-1"}}})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["num_records"] == 2 == len(body["records"])
    assert {(r["svm"]["name"], r["authentication_type"], r["chap"]["inbound"]["user"])
            for r in body["records"]} == {("svm1", "chap", "bulk-user"),
                                          ("svm2", "chap", "bulk-user")}
    assert "bulk-pw-1" not in resp.text
    assert body["_links"]["self"]["href"].startswith(CREDS + "?")
    gone = four.delete(CREDS, params={"initiator": f"{BASE}-a1", "return_records": "true"})
    assert gone.status_code == 200
    assert [r["chap"]["inbound"]["user"] for r in gone.json()["records"]] == ["bulk-user"] * 2
    assert "bulk-pw-1" not in gone.text
    assert not any(k[1] == f"{BASE}-a1" for k in state(four))


def test_delete_with_a_body_refused(four):
    resp = four.delete(CREDS, params={"initiator": f"{BASE}-a1"},
                       json={"authentication_type": "deny"})
    error(resp, 400, "262198")
    assert ("svm1", f"{BASE}-a1") in state(four)


@pytest.mark.parametrize("body, code", [({"records": []}, "262179"), ({"bogus": 1}, "262179"),
                                        ({"initiator": f"{BASE}-zz"}, "262196")])
def test_patch_body_checked(four, body, code):
    before = state(four)
    error(four.patch(CREDS, params={"initiator": f"{BASE}-a1"}, json=body), 400, code)
    assert state(four) == before


def test_patch_default_records_by_query(api):
    resp = api.patch(CREDS, params={"initiator": "default"},
                     json={"authentication_type": "chap",
                           "chap": {"inbound": {"user": "d-user", "password": "d-secret"},
                                    "outbound": {}}})
    assert resp.status_code == 200 and resp.json()["num_records"] == 2
    defaults = [r for k, r in state(api).items() if k[1] == "default"]
    assert [r["chap"] for r in defaults] == [{"inbound": {"user": "d-user"}}] * 2


def test_readonly_user_cannot(api, emulator):
    readonly = Api(str(emulator["url"]), auth=("readonly", "readonly1!"))
    resp = readonly.delete(CREDS, params={"initiator": "*"})
    error(resp, 403, "6")


def test_defects_apply_per_record():
    with EmulatorServer(defects=Defects(["delete-default"])) as server:
        api = Api(server.base_url)
        resp = api.delete(CREDS, params={"initiator": "default", "svm.name": "svm1"})
        assert resp.status_code == 200 and resp.json()["num_records"] == 1
        names = [(r["svm"]["name"], r["initiator"]) for r in api.get(CREDS).json()["records"]]
        assert names == [("svm2", "default")]
