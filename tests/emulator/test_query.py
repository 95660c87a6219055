from __future__ import annotations

import pytest

from tests.emulator.conftest import CREDS, Api


@pytest.fixture
def populated(api: Api) -> Api:
    rows = [
        ("svm1", "iqn.1992-08.com.netapp:a1", "none", None, None),
        ("svm1", "iqn.1992-08.com.netapp:b2", "chap", "alice", None),
        ("svm1", "eui.0123456789abcdef", "deny", None,
         {"masks": [{"address": "10.0.0.0", "netmask": "8"}]}),
        ("svm2", "iqn.1992-08.com.netapp:c3", "chap", "bob",
         {"ranges": [{"start": "192.168.1.1", "end": "192.168.1.9"}]}),
        ("svm2", "iqn.1992-08.com.netapp:d4", "none", None,
         {"masks": [{"address": "fd00::", "netmask": "48"}]}),
    ]
    for svm, initiator, auth, user, addresses in rows:
        body = {"svm": {"name": svm}, "initiator": initiator, "authentication_type": auth}
        if user:
            body["chap"] = {"inbound": {"user": user, "password": f"pw-{user}"}}
        if addresses:
            body["initiator_address"] = addresses
        assert api.post(CREDS, json=body).status_code == 201
    return api


def initiators(resp) -> list[str]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["num_records"] == len(body["records"])
    return [r["initiator"] for r in body["records"]]


def test_default_shape_is_keys_and_links(populated):
    body = populated.get(CREDS).json()
    assert body["num_records"] == 7
    assert body["_links"]["self"]["href"] == CREDS
    for record in body["records"]:
        assert set(record) == {"svm", "initiator", "_links"}
        assert set(record["svm"]) == {"uuid", "name", "_links"}


@pytest.mark.parametrize(("fields", "expected"), [
    ("*", {"svm", "initiator", "authentication_type", "_links", "chap", "initiator_address"}),
    ("%2A", {"svm", "initiator", "authentication_type", "_links", "chap",
             "initiator_address"}),
    ("authentication_type", {"svm", "initiator", "authentication_type", "_links"}),
    ("chap.inbound.user", {"svm", "initiator", "_links", "chap"}),
    ("chap", {"svm", "initiator", "_links", "chap"}),
    ("svm.name,initiator_address", {"svm", "initiator", "_links", "initiator_address"}),
    ("svm.{name,uuid},authentication_type",
     {"svm", "initiator", "authentication_type", "_links"}),
])
def test_fields(populated, fields, expected):
    resp = populated.get(f"{CREDS}?fields={fields}&initiator=iqn.1992-08.com.netapp:c3")
    (record,) = resp.json()["records"]
    assert set(record) == expected


def test_fields_star_returns_everything_but_passwords(populated):
    resp = populated.get(CREDS, params={"fields": "*", "initiator": "*c3"})
    (record,) = resp.json()["records"]
    assert record["chap"] == {"inbound": {"user": "bob"}}
    assert record["initiator_address"]["ranges"][0]["family"] == "ipv4"
    assert "pw-bob" not in resp.text


def test_fields_on_instance_and_bad_fields(populated):
    svm2 = populated.svm_uuid("svm2")
    rec = populated.get(f"{CREDS}/{svm2}/iqn.1992-08.com.netapp:c3",
                        params={"fields": "authentication_type"}).json()
    assert set(rec) == {"svm", "initiator", "authentication_type", "_links"}
    for bad in ("size", "chap.inbound.password", "svm.nope"):
        resp = populated.get(CREDS, params={"fields": bad})
        assert resp.status_code == 400
        assert resp.json()["error"]["code"] == "262197"


@pytest.mark.parametrize(("query", "expected"), [
    ("authentication_type=chap", ["iqn.1992-08.com.netapp:b2", "iqn.1992-08.com.netapp:c3"]),
    ("authentication_type=CHAP", ["iqn.1992-08.com.netapp:b2", "iqn.1992-08.com.netapp:c3"]),
    ("authentication_type=none%7Cdeny&svm.name=svm1",
     ["default", "eui.0123456789abcdef", "iqn.1992-08.com.netapp:a1"]),
    ("authentication_type=!none", ["eui.0123456789abcdef", "iqn.1992-08.com.netapp:b2",
                                   "iqn.1992-08.com.netapp:c3"]),
    ("initiator=iqn%2A", ["iqn.1992-08.com.netapp:a1", "iqn.1992-08.com.netapp:b2",
                          "iqn.1992-08.com.netapp:c3", "iqn.1992-08.com.netapp:d4"]),
    ("initiator=*:c*", ["iqn.1992-08.com.netapp:c3"]),
    ("chap.inbound.user=bob", ["iqn.1992-08.com.netapp:c3"]),
    ("chap.inbound.user=null&svm.name=svm2", ["default", "iqn.1992-08.com.netapp:d4"]),
    ("chap.inbound.user=!null", ["iqn.1992-08.com.netapp:b2", "iqn.1992-08.com.netapp:c3"]),
    ("initiator_address.masks.netmask=>20", ["iqn.1992-08.com.netapp:d4"]),
    ("initiator_address.masks.netmask=<=8", ["eui.0123456789abcdef"]),
    ("initiator_address.masks.netmask=5..10", ["eui.0123456789abcdef"]),
    ("initiator_address.ranges.start=192.168.1.0..192.168.1.5",
     ["iqn.1992-08.com.netapp:c3"]),
    ("initiator_address.masks.family=ipv6", ["iqn.1992-08.com.netapp:d4"]),
    ("initiator_address_ranges.end=192.168.1.9", ["iqn.1992-08.com.netapp:c3"]),
    ("initiator=nothing", []),
])
def test_filters(populated, query, expected):
    assert initiators(populated.get(f"{CREDS}?{query}")) == expected


def test_order_by(populated):
    asc = initiators(populated.get(CREDS, params={"order_by": "initiator"}))
    assert asc == sorted(asc)
    desc = initiators(populated.get(f"{CREDS}?order_by=initiator%20desc"))
    assert desc == sorted(asc, reverse=True)
    both = initiators(populated.get(CREDS, params={"order_by": "svm.name desc,initiator asc"}))
    assert both[0] == "default" and both[-1] == "iqn.1992-08.com.netapp:b2"
    resp = populated.get(CREDS, params={"order_by": "chap"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "262268"


def test_paging_follows_next_verbatim(populated):
    url = f"{CREDS}?fields=%2A&max_records=3&order_by=initiator"
    seen, pages = [], 0
    while url:
        body = populated.get(url).json()
        assert body["num_records"] == len(body["records"]) <= 3
        seen += [r["initiator"] for r in body["records"]]
        assert all("authentication_type" in r for r in body["records"])
        url = body["_links"].get("next", {}).get("href")
        pages += 1
    assert pages == 3 and len(seen) == 7 and seen == sorted(seen)


def test_return_records_false_and_timeout(populated):
    body = populated.get(CREDS, params={"return_records": "false"}).json()
    assert body == {"num_records": 7, "_links": {"self": {"href": body["_links"]["self"][
        "href"]}}}
    body = populated.get(CREDS, params={"return_records": "False",
                                        "authentication_type": "chap"}).json()
    assert body["num_records"] == 2 and "records" not in body
    assert populated.get(CREDS, params={"return_timeout": "15"}).status_code == 200


@pytest.mark.parametrize(("query", "code"), [
    ("bogus=1", "262179"),
    ("chap=x", "262179"),
    ("chap.inbound.password=x", "262202"),
    ("max_records=abc", "2"),
    ("max_records=0", "2"),
    ("return_records=maybe", "2"),
    ("return_timeout=121", "2"),
    ("fields=svm.{name", "262286"),
    ("order_by=initiator%20sideways", "262268"),
])
def test_query_errors(populated, query, code):
    resp = populated.get(f"{CREDS}?{query}")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == code


def test_svms_and_services_and_cluster(api):
    svms = api.get("/api/svm/svms").json()
    assert [r["name"] for r in svms["records"]] == ["svm1", "svm2", "svm3"]
    uuid3 = svms["records"][2]["uuid"]
    assert api.get(f"/api/svm/svms/{uuid3}").json()["name"] == "svm3"
    assert api.get("/api/svm/svms/nope").status_code == 404
    services = api.get("/api/protocols/san/iscsi/services", params={"fields": "*"}).json()
    assert [r["svm"]["name"] for r in services["records"]] == ["svm1", "svm2"]
    cluster = api.get("/api/cluster").json()
    assert cluster["version"] == {"full": cluster["version"]["full"], "generation": 9,
                                  "major": 10, "minor": 1}
    assert cluster["name"] and cluster["uuid"]


def test_service_lifecycle_creates_and_removes_default(api, svm3):
    svc = "/api/protocols/san/iscsi/services"
    body = {"svm": {"initiator": "x"}, "authentication_type": "none", "initiator": "x"}
    assert api.post(CREDS, json=body | {"svm": {"name": "svm3"}}).json()["error"]["code"] \
        == "5374078"
    resp = api.post(svc, json={"svm": {"name": "svm3"}})
    assert resp.status_code == 201 and resp.headers["location"] == f"{svc}/{svm3}"
    assert api.post(svc, json={"svm": {"name": "svm3"}}).status_code == 409
    assert api.get(f"{svc}/{svm3}").status_code == 200
    default = api.get(f"{CREDS}/{svm3}/default").json()
    assert default["authentication_type"] == "none"
    assert api.post(CREDS, json={"svm": {"name": "svm3"}, "initiator": "eui.0123456789abcdef",
                                 "authentication_type": "deny"}).status_code == 201
    assert api.delete(f"{svc}/{svm3}").status_code == 200
    assert api.get(CREDS, params={"svm.name": "svm3"}).json()["num_records"] == 0
    assert api.get(f"{svc}/{svm3}").status_code == 404
    assert api.post("/_emulator/reset").status_code == 200
    assert api.get(f"{svc}/{svm3}").status_code == 404


def test_reset_and_health(api):
    api.post(CREDS, json={"svm": {"name": "svm1"}, "initiator": "eui.0123456789abcdef",
                          "authentication_type": "none"})
    assert api.get(CREDS).json()["num_records"] == 3
    assert api.post("/_emulator/reset").json() == {"status": "reset"}
    assert api.get(CREDS).json()["num_records"] == 2
    assert api.get("/_emulator/health").json()["status"] == "ok"
    assert api.get("/_emulator/health").json()["defects"] == []
