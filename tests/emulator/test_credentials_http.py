from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.emulator.conftest import CREDS, READONLY, Api

IQN = "iqn.1992-08.com.netapp:host1"


def create(api: Api, svm: str = "svm1", initiator: str = IQN, **body):
    payload = {"svm": {"name": svm}, "initiator": initiator, "authentication_type": "none",
               **body}
    return api.post(CREDS, json=payload)


def chap(user="user1", password="password1"):
    return {"inbound": {"user": user, "password": password}}


def error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/hal+json")
    err = resp.json()["error"]
    assert err["code"] == code, err
    assert isinstance(err["message"], str)
    return err


def test_post_answers_201_with_encoded_location(api, svm1):
    resp = create(api)
    assert resp.status_code == 201
    assert resp.headers["location"] == f"{CREDS}/{svm1}/{quote(IQN, safe='')}"


def test_post_return_records_gives_the_record(api):
    resp = api.post(CREDS + "?return_records=true",
                    json={"svm": {"name": "svm1"}, "initiator": IQN,
                          "authentication_type": "CHAP", "chap": chap()})
    body = resp.json()
    assert resp.status_code == 201 and body["num_records"] == 1
    record = body["records"][0]
    assert record["authentication_type"] == "chap"
    assert record["chap"] == {"inbound": {"user": "user1"}}
    assert "password1" not in resp.text


@pytest.mark.parametrize("path_initiator", [IQN, quote(IQN, safe="")])
def test_get_instance_raw_or_encoded_key(api, svm1, path_initiator):
    create(api, authentication_type="deny")
    resp = api.get(f"{CREDS}/{svm1}/{path_initiator}")
    assert resp.status_code == 200
    body = resp.json()
    assert body["initiator"] == IQN and body["authentication_type"] == "deny"
    assert body["svm"]["name"] == "svm1" and body["svm"]["uuid"] == svm1
    # the key percent-encoded in the href, as ONTAP writes it (OB-78)
    assert body["_links"]["self"]["href"] == f"{CREDS}/{svm1}/{quote(IQN, safe='')}"


def test_get_missing_is_404_code_4(api, svm1):
    err = error(api.get(f"{CREDS}/{svm1}/iqn.1992-08.com.netapp:nope"), 404, "4")
    assert err == {"message": "entry doesn't exist", "code": "4", "target": "initiator"}


def test_record_not_reachable_through_other_svm(api, svm2):
    create(api)
    error(api.get(f"{CREDS}/{svm2}/{IQN}"), 404, "4")
    error(api.delete(f"{CREDS}/{svm2}/{IQN}"), 404, "5374895")


def test_passwords_never_returned(api, svm1):
    create(api, authentication_type="chap",
           chap=chap(password="secretin1", user="u2") | {
               "outbound": {"user": "o1", "password": "secretout1"}})
    for resp in (api.get(f"{CREDS}/{svm1}/{IQN}"), api.get(CREDS, params={"fields": "*"}),
                 api.get(CREDS, params={"fields": "chap"})):
        assert resp.status_code == 200
        assert "secretin1" not in resp.text and "secretout1" not in resp.text
    assert api.get(f"{CREDS}/{svm1}/{IQN}").json()["chap"] == {
        "inbound": {"user": "u2"}, "outbound": {"user": "o1"}}


@pytest.mark.parametrize("auth", ["CHAP", "Chap", "chap"])
def test_authentication_type_any_case_returned_lowercase(api, svm1, auth):
    assert create(api, authentication_type=auth, chap=chap()).status_code == 201
    assert api.get(f"{CREDS}/{svm1}/{IQN}").json()["authentication_type"] == "chap"


@pytest.mark.parametrize(("initiator", "code"), [
    ("iqn.", "5373969"),
    ("iqn.1992-08", "5373969"),
    ("iqm.1992-08.com.netapp:x", "5373970"),
    ("IQN.1992-08.com.netapp:x", "5373970"),
    ("iqn.1992-13.com.netapp:x", "5373971"),
    ("iqn.92-08.com.netapp:x", "5373971"),
    ("iqn.1992-08.com.net_app:x", "5373972"),
    ("iqn.1992-08.com.netapp:X", "5373972"),
    ("eui.0123456789abcde", "5373977"),
    ("eui.0123456789abcdef0", "5373977"),
    ("eui.0123456789abcdeg", "5373978"),
    ("eui.", "5373978"),
    ("naa.0123456789abcdef", "5373997"),
    ("hello", "5373997"),
    ("", "5373997"),
    ("iqn.1992-08.com.netapp:" + "a" * 210, "5373997"),
])
def test_invalid_initiators(api, initiator, code):
    error(create(api, initiator=initiator), 400, code)


@pytest.mark.parametrize("initiator", ["iqn.1992-08.com.netapp:initiator1",
                                       "iqn.1995-08.com.example", "eui.0123456789abcdef",
                                       "eui.02004567A425678D", "iqn.2020-04.a-b.c:d:e.f-1"])
def test_valid_initiators(api, svm1, initiator):
    assert create(api, initiator=initiator).status_code == 201
    assert api.get(f"{CREDS}/{svm1}/{quote(initiator, safe='')}").status_code == 200


def test_duplicate_is_409_5374142(api):
    create(api)
    error(create(api), 409, "5374142")
    error(create(api, initiator="default"), 409, "5374142")


def test_same_initiator_on_two_svms(api):
    assert create(api, "svm1").status_code == 201
    assert create(api, "svm2").status_code == 201


def test_svm_errors(api, svm1):
    error(api.post(CREDS, json={"initiator": IQN, "authentication_type": "none"}), 400,
          "2621707")
    error(api.post(CREDS, json={"svm": {}, "initiator": IQN, "authentication_type": "none"}),
          400, "2621707")
    error(api.post(CREDS, json={"svm": {"uuid": "00000000-0000-0000-0000-000000000000"},
                                "initiator": IQN, "authentication_type": "none"}),
          404, "2621462")
    error(api.post(CREDS, json={"svm": {"uuid": svm1, "name": "svm2"},
                                "initiator": IQN, "authentication_type": "none"}),
          400, "2621706")
    error(create(api, svm="svm3"), 400, "5374078")
    error(api.patch(f"{CREDS}/00000000-0000-0000-0000-000000000000/default", json={}), 404,
          "2621462")
    error(api.delete(f"{CREDS}/00000000-0000-0000-0000-000000000000/default"), 404,
          "2621462")


def test_post_by_svm_uuid(api, svm2):
    resp = api.post(CREDS, json={"svm": {"uuid": svm2, "name": "svm2"}, "initiator": IQN,
                                 "authentication_type": "deny"})
    assert resp.status_code == 201 and svm2 in resp.headers["location"]


@pytest.mark.parametrize(("body", "code"), [
    ({"authentication_type": "chap"}, "5374149"),
    ({"authentication_type": "chap", "chap": {"inbound": {"user": "u"}}}, "5374149"),
    ({"authentication_type": "chap", "chap": {"outbound": {"user": "o", "password": "p2"}}},
     "5374149"),
    ({"authentication_type": "chap", "chap": chap(user="u", password="p") | {
        "outbound": {"user": "o"}}}, "5374150"),
    ({"authentication_type": "chap", "chap": chap() | {
        "outbound": {"user": "o", "password": "password1"}}}, "5374147"),
    ({"authentication_type": "chap", "chap": chap(password="0xabc")}, "5374145"),
    ({"authentication_type": "chap", "chap": chap(password="0xzz")}, "5374145"),
    ({"authentication_type": "chap", "chap": chap(password="0x")}, "5374145"),
    ({"authentication_type": "none", "chap": chap()}, "5374900"),
    ({"authentication_type": "deny", "chap": {"inbound": {"user": "u"}}}, "5374900"),
])
def test_chap_rules_on_post(api, body, code):
    error(create(api, **body), 400, code)


def test_chap_accepts_even_hex_and_different_hex(api):
    resp = create(api, authentication_type="chap", chap=chap(password="0xABcd") | {
        "outbound": {"user": "o", "password": "0xabce"}})
    assert resp.status_code == 201, resp.text


def test_chap_hex_passwords_equal_by_value(api):
    resp = create(api, authentication_type="chap", chap=chap(password="0xABCD") | {
        "outbound": {"user": "o", "password": "0xabcd"}})
    error(resp, 400, "5374147")


def test_chap_error_messages_do_not_echo_passwords(api):
    resp = create(api, authentication_type="chap", chap=chap(password="0xSECRETX"))
    assert "SECRETX" not in resp.text
    resp = create(api, authentication_type="chap", chap=chap(password="samesame") | {
        "outbound": {"user": "o", "password": "samesame"}})
    assert resp.status_code == 400 and "samesame" not in resp.text


@pytest.mark.parametrize(("field", "value"), [("user", ""), ("user", "u" * 129),
                                              ("password", ""), ("password", "p" * 513)])
def test_chap_lengths(api, field, value):
    inbound = {"user": "u", "password": "p"} | {field: value}
    error(create(api, authentication_type="chap", chap={"inbound": inbound}), 400, "2")


def test_addresses_normalised_with_family(api, svm1):
    body = {"ranges": [{"start": "192.168.0.0", "end": "192.168.0.255"},
                       {"start": "2001:db8::1", "end": "2001:0db8::00ff"}],
            "masks": [{"address": "10.0.0.0", "netmask": "255.255.0.0"},
                      {"address": "10.1.0.0", "netmask": "24"},
                      {"address": "10.2.0.0", "netmask": 8},
                      {"address": "fd00::", "family": "ipv6"},
                      {"address": "fd01::", "netmask": "127"}]}
    assert create(api, initiator_address=body).status_code == 201
    got = api.get(f"{CREDS}/{svm1}/{IQN}").json()["initiator_address"]
    assert got["ranges"] == [
        {"start": "192.168.0.0", "end": "192.168.0.255", "family": "ipv4"},
        {"start": "2001:db8::1", "end": "2001:db8::ff", "family": "ipv6"}]
    assert got["masks"] == [
        {"address": "10.0.0.0", "netmask": "16", "family": "ipv4"},
        {"address": "10.1.0.0", "netmask": "24", "family": "ipv4"},
        {"address": "10.2.0.0", "netmask": "8", "family": "ipv4"},
        {"address": "fd00::", "netmask": "64", "family": "ipv6"},
        {"address": "fd01::", "netmask": "127", "family": "ipv6"}]


@pytest.mark.parametrize(("addresses", "code"), [
    ({"ranges": [{"start": "10.0.0.9", "end": "10.0.0.1"}]}, "5374855"),
    ({"ranges": [{"start": "10.0.0.1", "end": "::1"}]}, "5374856"),
    ({"ranges": [{"start": "10.0.0.300", "end": "10.0.0.1"}]}, "2"),
    ({"masks": [{"address": "fd00::", "netmask": "128"}]}, "2"),
    ({"masks": [{"address": "fd00::", "netmask": "0"}]}, "2"),
    ({"masks": [{"address": "fd00::", "netmask": "ffff::"}]}, "2"),
    ({"masks": [{"address": "10.0.0.0", "netmask": "255.0.255.0"}]}, "2"),
    ({"masks": [{"address": "10.0.0.0", "netmask": "33"}]}, "2"),
    ({"masks": [{"address": "10.0.0.0", "netmask": "24", "family": "ipv6"}]}, "2"),
])
def test_address_errors(api, addresses, code):
    error(create(api, initiator_address=addresses), 400, code)


def test_patch_applies_and_answers_200(api, svm1):
    create(api)
    resp = api.patch(f"{CREDS}/{svm1}/{IQN}",
                     json={"authentication_type": "chap", "chap": chap()})
    assert resp.status_code == 200
    got = api.get(f"{CREDS}/{svm1}/{IQN}").json()
    assert got["authentication_type"] == "chap" and got["chap"]["inbound"]["user"] == "user1"
    assert api.patch(f"{CREDS}/{svm1}/{IQN}", json={"authentication_type": "deny"}
                     ).status_code == 200
    got = api.get(f"{CREDS}/{svm1}/{IQN}").json()
    assert got["authentication_type"] == "deny" and "chap" not in got


def test_patch_keeps_stored_password_and_clears_outbound(api, svm1):
    create(api, authentication_type="chap", chap=chap() | {
        "outbound": {"user": "o", "password": "outpass1"}})
    url = f"{CREDS}/{svm1}/{IQN}"
    assert api.patch(url, json={"chap": {"inbound": {"user": "renamed"}}}).status_code == 200
    error(api.patch(url, json={"chap": {"outbound": {"password": "password1"}}}), 400,
          "5374147")
    assert api.patch(url, json={"chap": {"outbound": {"user": ""}}}).status_code == 200
    assert api.get(url).json()["chap"] == {"inbound": {"user": "renamed"}}


@pytest.mark.parametrize(("body", "code"), [
    ({"authentication_type": "chap"}, "5374149"),
    ({"chap": chap()}, "5374900"),
    ({"authentication_type": "chap", "chap": chap(password="0x1")}, "5374145"),
    ({"authentication_type": "chap", "chap": chap() | {"outbound": {"user": "o"}}}, "5374150"),
    ({"authentication_type": "chap", "chap": chap(password="x1") | {
        "outbound": {"user": "o", "password": "x1"}}}, "5374147"),
    ({"initiator_address": {"ranges": [{"start": "10.0.0.2", "end": "10.0.0.1"}]}}, "5374855"),
    ({"initiator_address": {"ranges": [{"start": "::2", "end": "10.0.0.1"}]}}, "5374856"),
    ({"initiator": "iqn.1992-08.com.netapp:other"}, "262196"),
    ({"svm": {"name": "svm2"}}, "2621706"),
    ({"bogus": 1}, "262179"),
])
def test_patch_errors(api, svm1, body, code):
    create(api)
    error(api.patch(f"{CREDS}/{svm1}/{IQN}", json=body), 400, code)


def test_patch_and_delete_missing_5374895(api, svm1):
    error(api.patch(f"{CREDS}/{svm1}/iqn.1992-08.com.netapp:none", json={}), 404, "5374895")
    error(api.delete(f"{CREDS}/{svm1}/iqn.1992-08.com.netapp:none"), 404, "5374895")


@pytest.mark.parametrize("flag", ["true", "True", "TRUE", "1"])
def test_patch_add_and_remove_addresses(api, svm1, flag):
    create(api, initiator_address={"ranges": [{"start": "10.0.0.1", "end": "10.0.0.1"}]})
    url = f"{CREDS}/{svm1}/{IQN}"
    mask = {"masks": [{"address": "10.9.0.0", "netmask": "16"}]}
    assert api.patch(url, params={"add_initiator_addresses": flag},
                     json={"initiator_address": mask}).status_code == 200
    got = api.get(url).json()["initiator_address"]
    assert len(got["ranges"]) == 1 and got["masks"][0]["address"] == "10.9.0.0"
    assert api.patch(url, params={"remove_initiator_addresses": flag},
                     json={"initiator_address": {"ranges": [
                         {"start": "10.0.0.1", "end": "10.0.0.1"}]}}).status_code == 200
    got = api.get(url).json()["initiator_address"]
    assert "ranges" not in got and len(got["masks"]) == 1
    assert api.patch(url, params={"add_initiator_addresses": "False"},
                     json={"initiator_address": {"ranges": [
                         {"start": "10.0.0.5", "end": "10.0.0.6"}]}}).status_code == 200
    got = api.get(url).json()["initiator_address"]
    assert got == {"ranges": [{"start": "10.0.0.5", "end": "10.0.0.6", "family": "ipv4"}]}


def test_default_credential_rules(api, svm1):
    url = f"{CREDS}/{svm1}/default"
    assert api.get(url).json()["authentication_type"] == "none"
    error(api.delete(url), 400, "5374148")
    error(api.patch(url, json={"initiator_address": {"ranges": [
        {"start": "10.0.0.1", "end": "10.0.0.2"}]}}), 400, "5374155")
    assert api.patch(url, json={"authentication_type": "deny"}).status_code == 200
    assert api.patch(url, json={"authentication_type": "CHAP", "chap": chap()}
                     ).status_code == 200
    assert api.get(url).json()["authentication_type"] == "chap"


def test_delete_removes_and_accepts_empty_object(api, svm1):
    create(api)
    resp = api.delete(f"{CREDS}/{svm1}/{quote(IQN, safe='')}", json={})
    assert resp.status_code == 200
    error(api.get(f"{CREDS}/{svm1}/{IQN}"), 404, "4")
    create(api)
    error(api.delete(f"{CREDS}/{svm1}/{IQN}", json={"x": 1}), 400, "262198")


def test_unknown_body_field_262179(api):
    err = error(create(api, bogus=True), 400, "262179")
    assert err["target"] == "bogus"
    error(create(api, chap={"inbound": {"user": "u", "password": "p", "x": 1}},
                 authentication_type="chap"), 400, "262179")


def test_auth_required_everywhere(api, emulator):
    import requests
    for path in (CREDS, "/_emulator/health", "/api/nothing", "/"):
        resp = requests.get(str(emulator["url"]) + path, timeout=5)
        assert resp.status_code == 401
        assert resp.headers["www-authenticate"].startswith("Basic")
        assert resp.json()["error"]["code"]
    bad = requests.get(str(emulator["url"]) + CREDS, auth=("admin", "wrong"), timeout=5)
    assert bad.status_code == 401


def test_readonly_user_reads_but_cannot_write(api, svm1, emulator):
    ro = Api(str(emulator["url"]), READONLY)
    assert ro.get(CREDS).status_code == 200
    for resp in (create(ro), ro.patch(f"{CREDS}/{svm1}/default", json={}),
                 ro.delete(f"{CREDS}/{svm1}/default"), ro.post("/_emulator/reset")):
        assert resp.status_code == 403
        assert resp.json() == {"error": {"code": "6",
                                         "message": "not authorized for that command"}}


def test_unknown_path_and_method(api):
    error(api.get("/api/nothing/here"), 404, "3")
    error(api.put(CREDS, json={}), 405, "3")
    error(api.post("/api/cluster", json={}), 405, "3")


def test_body_too_large_413(api):
    error(api.post(CREDS, data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                   headers={"content-type": "application/json"}), 413, "2")


def test_concurrent_clients_never_see_half_applied_changes(api, svm1, emulator):
    from concurrent.futures import ThreadPoolExecutor
    create(api, authentication_type="chap", chap=chap())
    url = f"{CREDS}/{svm1}/{IQN}"
    states = [{"authentication_type": "chap", "chap": chap(user="a"),
               "initiator_address": {"ranges": [{"start": "10.0.0.1", "end": "10.0.0.1"}]}},
              {"authentication_type": "deny", "initiator_address": {"ranges": []}}]

    def writer(i: int) -> int:
        return Api(api.base).patch(url, json=states[i % 2]).status_code

    def reader(_: int) -> tuple:
        got = Api(api.base).get(url).json()
        return (got["authentication_type"], "chap" in got, "initiator_address" in got)

    with ThreadPoolExecutor(8) as pool:
        writes = pool.map(writer, range(40))
        reads = list(pool.map(reader, range(80)))
    assert set(writes) == {200}
    assert set(reads) <= {("chap", True, True), ("deny", False, False)}


@pytest.mark.parametrize("value, ok", [("0", True), ("120", True), ("121", False),
                                       ("-1", False), ("15s", False)])
def test_return_timeout_checked_on_every_get(api, svm1, value, ok):
    """0..120 on every GET (OB-72), the instances and /api/cluster included."""
    paths = ["/api/cluster", "/api/svm/svms", f"/api/svm/svms/{svm1}",
             "/api/protocols/san/iscsi/services", f"/api/protocols/san/iscsi/services/{svm1}",
             CREDS, f"{CREDS}/{svm1}/default"]
    for path in paths:
        resp = api.get(path, params={"return_timeout": value})
        if ok:
            assert resp.status_code == 200, (path, resp.text)
        else:
            assert error(resp, 400, "2")["target"] == "return_timeout", path
