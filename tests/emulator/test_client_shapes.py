"""Request and response shapes NetApp's own clients use (OB-12: 74-78, and 3)."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

import pytest

from tests.emulator.conftest import CREDS, Api

IQN = "iqn.1992-08.com.netapp:shape"
EUI = "eui.0123456789abcdef"


def post(api: Api, initiator: str = IQN, **body):
    payload = {"svm": {"name": "svm1"}, "initiator": initiator, "authentication_type": "none",
               **body}
    resp = api.post(CREDS, json=payload)
    assert resp.status_code == 201, resp.text
    return resp


# --- OB-74: Trident's empty outbound object ----------------------------------------------
def test_trident_sets_default_chap_with_an_empty_outbound_object(api, svm1):
    body = {"authentication_type": "CHAP", "initiator": "default",
            "chap": {"inbound": {"user": "trident-user", "password": "trident-pass"},
                     "outbound": {}}}
    resp = api.patch(f"{CREDS}/{svm1}/default", json=body)
    assert resp.status_code == 200, resp.text
    got = api.get(f"{CREDS}/{svm1}/default").json()
    assert got["authentication_type"] == "chap"
    assert got["chap"] == {"inbound": {"user": "trident-user"}}
    # and back to none the way Trident sends it: empty inbound and outbound objects
    resp = api.patch(f"{CREDS}/{svm1}/default",
                     json={"authentication_type": "none", "initiator": "default",
                           "chap": {"inbound": {}, "outbound": {}}})
    assert resp.status_code == 200, resp.text
    assert "chap" not in api.get(f"{CREDS}/{svm1}/default").json()


def test_empty_outbound_object_on_post_means_no_outbound(api, svm1):
    post(api, authentication_type="chap",
         chap={"inbound": {"user": "u", "password": "in-secret"}, "outbound": {}})
    assert api.get(f"{CREDS}/{svm1}/{IQN}").json()["chap"] == {"inbound": {"user": "u"}}


def test_empty_outbound_object_leaves_stored_outbound_alone(api, svm1):
    """An empty object carries no property, so nothing about outbound changes (README)."""
    post(api, authentication_type="chap",
         chap={"inbound": {"user": "u", "password": "in-secret"},
               "outbound": {"user": "o", "password": "out-secret"}})
    resp = api.patch(f"{CREDS}/{svm1}/{IQN}",
                     json={"authentication_type": "chap",
                           "chap": {"inbound": {"user": "u2", "password": "in-secret-2"},
                                    "outbound": {}}})
    assert resp.status_code == 200, resp.text
    assert api.get(f"{CREDS}/{svm1}/{IQN}").json()["chap"] == {
        "inbound": {"user": "u2"}, "outbound": {"user": "o"}}


# --- OB-76: absent sub-objects are omitted -----------------------------------------------
@pytest.mark.parametrize("auth", ["none", "deny"])
def test_record_without_chap_or_addresses_has_no_such_keys(api, svm1, auth):
    post(api, authentication_type=auth)
    instance = api.get(f"{CREDS}/{svm1}/{IQN}").json()
    listed = api.get(CREDS, params={"fields": "*", "initiator": IQN}).json()["records"][0]
    asked = api.get(CREDS, params={"fields": "chap,initiator_address",
                                   "initiator": IQN}).json()["records"][0]
    for record in (instance, listed, asked):
        assert "chap" not in record and "initiator_address" not in record
        assert None not in record.values()
    assert set(instance) == {"svm", "initiator", "authentication_type", "_links"}


def test_cleared_outbound_and_emptied_addresses_disappear(api, svm1):
    post(api, authentication_type="chap",
         chap={"inbound": {"user": "u", "password": "in-secret"},
               "outbound": {"user": "o", "password": "out-secret"}},
         initiator_address={"masks": [{"address": "10.0.0.0", "netmask": "8"}]})
    path = f"{CREDS}/{svm1}/{IQN}"
    assert api.patch(path, json={"chap": {"outbound": {"user": ""}}}).status_code == 200
    assert api.patch(path, params={"remove_initiator_addresses": "true"}, json={
        "initiator_address": {"masks": [{"address": "10.0.0.0", "netmask": "8"}]}}
        ).status_code == 200
    got = api.get(path).json()
    assert got["chap"] == {"inbound": {"user": "u"}} and "initiator_address" not in got


# --- OB-78 (and 2, 3, 54): percent-encoded keys --------------------------------------------
@pytest.mark.parametrize("initiator", [IQN, EUI, "iqn.1992-08.com.netapp:a:b.c-d"])
def test_hrefs_and_location_percent_encode_the_key(api, svm1, initiator):
    resp = post(api, initiator)
    location = resp.headers["location"]
    want = f"{CREDS}/{svm1}/{quote(initiator, safe='')}"
    assert location == want
    if ":" in initiator:
        assert ":" not in location.rsplit("/", 1)[1] and "%3A" in location
    instance = api.get(location).json()
    assert instance["_links"]["self"]["href"] == want
    for params in ({}, {"fields": "*"}, {"fields": "initiator"}):
        records = api.get(CREDS, params={**params, "initiator": initiator}).json()["records"]
        assert [r["_links"]["self"]["href"] for r in records] == [want]
    # what PCL does with Location: unquote the last two segments (OB-54)
    svm_part, init_part = urlsplit(location).path.rsplit("/", 2)[1:]
    assert (unquote(svm_part), unquote(init_part)) == (svm1, initiator)


def test_location_with_return_records_matches_the_record_href(api, svm1):
    resp = api.post(CREDS, params={"return_records": "true"},
                    json={"svm": {"name": "svm1"}, "initiator": IQN,
                          "authentication_type": "none"})
    assert resp.status_code == 201
    assert resp.json()["records"][0]["_links"]["self"]["href"] == resp.headers["location"]


@pytest.mark.parametrize("key", [IQN, quote(IQN, safe=""), quote(IQN, safe="").lower()])
def test_raw_and_encoded_colon_accepted_by_every_instance_method(api, svm1, key):
    post(api)
    path = f"{CREDS}/{svm1}/{key}"
    assert api.get(path).json()["initiator"] == IQN
    assert api.patch(path, json={"authentication_type": "deny"}).status_code == 200
    assert api.get(path).json()["authentication_type"] == "deny"
    assert api.delete(path).status_code == 200
    assert api.get(path).status_code == 404
