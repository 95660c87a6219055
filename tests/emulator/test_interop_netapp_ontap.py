"""NetApp's own Python client drives the emulator unchanged (OB-9)."""

from __future__ import annotations

import pytest

pytest.importorskip("netapp_ontap")

from netapp_ontap import HostConnection, NetAppRestError, config
from netapp_ontap.resources import IscsiCredentials

from tests.emulator.conftest import AUTH, Api


@pytest.fixture
def conn(api: Api):
    host, port = api.base.split("//")[1].split(":")
    connection = HostConnection(host, port=int(port), scheme="http", username=AUTH[0],
                                password=AUTH[1], verify=False)
    previous = config.CONNECTION
    config.CONNECTION = connection
    yield connection
    config.CONNECTION = previous


def test_collection_paging_and_find(conn, api):
    for i in range(5):
        IscsiCredentials(initiator=f"iqn.1992-08.com.netapp:pcl{i}", authentication_type="none",
                         svm={"name": "svm1"}).post()
    records = list(IscsiCredentials.get_collection(fields="*", max_records=2))
    assert len(records) == 7
    assert all(r.authentication_type for r in records)
    names = list(IscsiCredentials.get_collection(fields="svm.name,chap.inbound.user",
                                                 order_by="initiator desc",
                                                 authentication_type="none|deny",
                                                 initiator="iqn*"))
    assert [r.initiator for r in names] == [f"iqn.1992-08.com.netapp:pcl{i}"
                                            for i in range(4, -1, -1)]
    assert IscsiCredentials.count_collection() == 7
    found = IscsiCredentials.find(initiator="iqn.1992-08.com.netapp:pcl3")
    assert found is not None and found.authentication_type == "none"
    assert IscsiCredentials.find(initiator="iqn.1992-08.com.netapp:nobody") is None


def test_post_hydrate_get_patch_delete(conn, api):
    cred = IscsiCredentials(initiator="iqn.1992-08.com.netapp:pcl", authentication_type="CHAP",
                            chap={"inbound": {"user": "u1", "password": "p1secret"}},
                            svm={"name": "svm1"})
    cred.post(hydrate=True)
    assert cred.svm.uuid == api.svm_uuid("svm1")
    assert cred.authentication_type == "chap" and cred.chap.inbound.user == "u1"
    got = IscsiCredentials(initiator="iqn.1992-08.com.netapp:pcl", svm={"uuid": cred.svm.uuid})
    got.get()
    assert got.chap.inbound.user == "u1"
    assert not hasattr(got.chap.inbound, "password") or got.chap.inbound.password is None
    got.initiator_address = {"masks": [{"address": "10.1.0.0", "netmask": "16"}]}
    got.patch()
    got.initiator_address = {"ranges": [{"start": "10.2.0.1", "end": "10.2.0.9"}]}
    got.patch(add_initiator_addresses=True)
    got.get()
    assert len(got.initiator_address.masks) == 1 and len(got.initiator_address.ranges) == 1
    got.authentication_type = "deny"
    got.chap = None
    got.patch()
    got.get()
    assert got.authentication_type == "deny"
    got.delete()
    with pytest.raises(NetAppRestError) as err:
        got.get()
    assert err.value.http_err_response.http_response.status_code == 404
    assert err.value.response_body["error"]["code"] == "4"


def test_documented_error_code_through_netapp_rest_error(conn):
    default = IscsiCredentials.find(initiator="default", **{"svm.name": "svm1"})
    with pytest.raises(NetAppRestError) as err:
        default.delete()
    assert err.value.status_code == 400
    assert err.value.response_body["error"]["code"] == "5374148"
    dup = IscsiCredentials(initiator="default", authentication_type="none",
                           svm={"name": "svm1"})
    with pytest.raises(NetAppRestError) as err:
        dup.post()
    assert err.value.response_body["error"]["code"] == "5374142"


def test_query_based_patch_and_delete_collection(conn, api):
    for i in range(3):
        IscsiCredentials(initiator=f"iqn.1992-08.com.netapp:bulk{i}", authentication_type="none",
                         svm={"name": "svm1"}).post()
    IscsiCredentials.patch_collection({"authentication_type": "deny"},
                                      initiator="iqn.1992-08.com.netapp:bulk*")
    types = sorted((r.initiator, r.authentication_type)
                   for r in IscsiCredentials.get_collection(fields="authentication_type"))
    assert types == [("default", "none")] * 2 + [(f"iqn.1992-08.com.netapp:bulk{i}", "deny")
                                                  for i in range(3)]
    IscsiCredentials.delete_collection(initiator="iqn.1992-08.com.netapp:bulk1|"
                                                 "iqn.1992-08.com.netapp:bulk2")
    left = sorted(r.initiator for r in IscsiCredentials.get_collection())
    assert left == ["default", "default", "iqn.1992-08.com.netapp:bulk0"]
    with pytest.raises(NetAppRestError) as err:
        IscsiCredentials.delete_collection(initiator="default")
    assert err.value.response_body["error"]["code"] == "5374148"
