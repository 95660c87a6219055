"""Each named defect changes one behaviour observably, and the clean emulator does not show it.

``SHOWS[name](api)`` asserts the deviation. It must pass against an emulator with that one
defect on, and fail against the clean emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from emulator import EmulatorServer
from emulator.app import Settings
from emulator.defects import DEFECTS, Defects
from tests.emulator.conftest import CREDS, Api

IQN = "iqn.1992-08.com.netapp:d"
SVC = "/api/protocols/san/iscsi/services"


def post(api: Api, svm: str = "svm1", initiator: str = IQN, auth: str = "none", **extra):
    body = {"svm": {"name": svm}, "initiator": initiator, "authentication_type": auth, **extra}
    return api.post(CREDS, json=body)


def inbound(user: str = "u1", password: str = "inpass1", **outbound: str) -> dict:
    """CHAP with inbound credentials, and outbound ones when keyword arguments are given."""
    chap: dict = {"inbound": {"user": user, "password": password}}
    if outbound:
        chap["outbound"] = outbound
    return chap


def url(api: Api, initiator: str = IQN, svm: str = "svm1") -> str:
    return f"{CREDS}/{api.svm_uuid(svm)}/{initiator}"


def created(resp) -> None:
    assert resp.status_code in (200, 201), resp.text


def show_leak(api):
    created(post(api, auth="chap", chap=inbound()))
    assert "inpass1" in api.get(url(api)).text


def show_echo(api):
    resp = post(api, auth="chap", chap=inbound(password="0xabc"))
    assert resp.status_code == 400 and "0xabc" in resp.text


def show_chap_without_inbound(api):
    created(post(api, auth="chap"))


def show_outbound_no_password(api):
    created(post(api, auth="chap", chap={"inbound": {"user": "u1", "password": "inpass1"},
                                          "outbound": {"user": "o"}}))


def show_equal_passwords(api):
    created(post(api, auth="chap", chap={"inbound": {"user": "u1", "password": "inpass1"},
                                          "outbound": {"user": "o", "password": "inpass1"}}))


def show_odd_hex(api):
    created(post(api, auth="chap", chap=inbound(password="0xabc")))


def show_chap_with_none(api):
    created(post(api, auth="none", chap=inbound()))


def show_long_user(api):
    created(post(api, auth="chap", chap=inbound(user="u" * 129)))


def show_hidden_users(api):
    created(post(api, auth="chap", chap=inbound()))
    assert "chap" not in api.get(url(api)).json()


def show_uppercase(api):
    assert api.get(url(api, "default")).json()["authentication_type"] == "NONE"


def show_any_auth(api):
    created(post(api, auth="kerberos"))


def show_bad_date(api):
    created(post(api, initiator="iqn.92-8.com.netapp:x"))


def show_underscore(api):
    created(post(api, initiator="iqn.1992-08.com.net_app:x"))


def show_eui_length(api):
    created(post(api, initiator="eui.0123456789abcde"))


def show_reversed(api):
    created(post(api, initiator_address={"ranges": [{"start": "10.0.0.9", "end": "10.0.0.1"}]}))


def show_mixed(api):
    created(post(api, initiator_address={"ranges": [{"start": "10.0.0.1", "end": "::1"}]}))


def show_dotted_out(api):
    created(post(api, initiator_address={"masks": [{"address": "10.0.0.0", "netmask": "8"}]}))
    assert api.get(url(api)).json()["initiator_address"]["masks"][0]["netmask"] == "255.0.0.0"


def show_ipv6_128(api):
    created(post(api, initiator_address={"masks": [{"address": "fd00::1", "netmask": "128"}]}))


def show_no_family(api):
    created(post(api, initiator_address={"ranges": [{"start": "10.0.0.1", "end": "10.0.0.2"}]}))
    assert "family" not in api.get(url(api)).json()["initiator_address"]["ranges"][0]


def _two_ranges_after(api, params: dict, first: dict, second: dict) -> dict:
    created(post(api, initiator_address={"ranges": [first]}))
    resp = api.patch(url(api), params=params, json={"initiator_address": {"ranges": [second]}})
    assert resp.status_code == 200
    return api.get(url(api)).json().get("initiator_address", {})


R1 = {"start": "10.0.0.1", "end": "10.0.0.1"}
R2 = {"start": "10.0.0.2", "end": "10.0.0.2"}


def show_merge(api):
    assert len(_two_ranges_after(api, {}, R1, R2)["ranges"]) == 2


def show_ignore_add(api):
    assert len(_two_ranges_after(api, {"add_initiator_addresses": "true"}, R1, R2)["ranges"]) == 1


def show_ignore_remove(api):
    got = _two_ranges_after(api, {"remove_initiator_addresses": "true"}, R1, R2)
    assert got.get("ranges") == [R2 | {"family": "ipv4"}]


def show_default_deny(api):
    assert api.get(url(api, "default")).json()["authentication_type"] == "deny"


def show_delete_default(api):
    assert api.delete(url(api, "default")).status_code == 200


def show_default_addresses(api):
    resp = api.patch(url(api, "default"), json={"initiator_address": {"ranges": [R1]}})
    assert resp.status_code == 200


def show_unknown_svm_code(api):
    resp = api.delete(f"{CREDS}/00000000-0000-0000-0000-000000000000/default")
    assert resp.json()["error"]["code"] == "4"


def show_svm_mismatch(api):
    created(api.post(CREDS, json={"svm": {"uuid": api.svm_uuid("svm1"), "name": "svm2"},
                                  "initiator": IQN, "authentication_type": "none"}))


def show_no_service(api):
    created(post(api, svm="svm3"))


def show_cross_svm(api):
    created(post(api, svm="svm1"))
    assert api.get(url(api, svm="svm2")).status_code == 200


def show_post_200(api):
    assert post(api).status_code == 200


def show_no_location(api):
    resp = post(api)
    assert resp.status_code == 201 and "location" not in resp.headers


def show_dup_code(api):
    created(post(api))
    assert post(api).json()["error"]["code"] == "1"


def show_post_return_records(api):
    resp = api.post(CREDS + "?return_records=true", json={
        "svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "none"})
    assert resp.status_code == 201 and "records" not in resp.json()


def show_patch_not_applied(api):
    assert api.patch(url(api, "default"), json={"authentication_type": "deny"}).ok
    assert api.get(url(api, "default")).json()["authentication_type"] == "none"


def show_delete_across_svms(api):
    created(post(api, svm="svm1"))
    created(post(api, svm="svm2"))
    assert api.delete(url(api, svm="svm1")).status_code == 200
    assert api.get(url(api, svm="svm2")).status_code == 404


def show_delete_not_applied(api):
    created(post(api))
    assert api.delete(url(api)).status_code == 200
    assert api.get(url(api)).status_code == 200


def show_missing_code(api):
    assert api.delete(url(api, "iqn.1992-08.com.netapp:gone")).json()["error"]["code"] == "5374148"


def show_missing_get_200(api):
    assert api.get(url(api, "iqn.1992-08.com.netapp:gone")).status_code == 200


def show_fields_ignored(api):
    record = api.get(CREDS, params={"fields": "authentication_type"}).json()["records"][0]
    assert "authentication_type" not in record


def show_num_records(api):
    body = api.get(CREDS).json()
    assert body["num_records"] != len(body["records"])


def show_filter_ignored(api):
    assert api.get(CREDS, params={"svm.name": "svm1"}).json()["num_records"] == 2


def show_wildcard_literal(api):
    assert api.get(CREDS, params={"initiator": "def*"}).json()["records"] == []


def show_max_records(api):
    body = api.get(CREDS, params={"max_records": "1"}).json()
    assert len(body["records"]) == 2 and "next" not in body["_links"]


def show_return_records(api):
    assert "records" in api.get(CREDS, params={"return_records": "false"}).json()


def show_order_by(api):
    records = api.get(CREDS, params={"order_by": "svm.name desc"}).json()["records"]
    assert records[0]["svm"]["name"] == "svm1"


def show_integer_code(api):
    assert api.delete(url(api, "default")).json()["error"]["code"] == 5374148


def show_no_svm_first_svm(api):
    created(api.post(CREDS, json={"initiator": IQN, "authentication_type": "none"}))
    assert api.get(url(api, svm="svm1")).status_code == 200


def show_iqn_empty_qualifier(api):
    created(post(api, initiator="iqn."))
    assert api.get(url(api, "iqn.")).json()["initiator"] == "iqn."


def show_iqn_any_prefix(api):
    created(post(api, initiator="iqm.1992-08.com.netapp:host"))
    for name in ("naa.600a098038303053", "host1"):  # those are CRED-INIT-007's
        assert post(api, initiator=name).json()["error"]["code"] == "5373997"


def show_eui_non_hex(api):
    created(post(api, initiator="eui.0123456789abcdeg"))
    assert post(api, initiator="eui.0123456789abcdeg0").json()["error"]["code"] == "5373978"


def show_any_initiator_name(api):
    created(post(api, initiator="naa.600a098038303053"))
    created(post(api, initiator="host1"))
    assert post(api, initiator="iqm.1992-08.com.netapp:host").json()["error"]["code"] == "5373970"


def show_refuse_eui(api):
    resp = post(api, initiator="eui.0123456789abcdef")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "5373997"
    created(post(api))  # IQNs are still accepted


def show_auth_type_optional(api):
    created(api.post(CREDS, json={"svm": {"name": "svm1"}, "initiator": IQN}))
    assert api.get(url(api)).json()["authentication_type"] == "none"


def show_ignore_unknown_fields(api):
    created(post(api, comment="hello"))
    assert post(api, initiator=IQN + "2", authentication_type_x=1).status_code in (200, 201)
    assert post(api, initiator=IQN + "3", chap="x").status_code == 400  # wrong types still refused


def show_lowercase_auth_only(api):
    for value in ("CHAP", "None", "Deny"):
        resp = post(api, auth=value, chap=inbound() if value == "CHAP" else None)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "2", resp.text
    created(post(api, auth="deny"))


def show_non_ip_address(api):
    created(post(api, initiator_address={
        "ranges": [{"start": "host-a", "end": "host-b"}],
        "masks": [{"address": "not.an.ip", "netmask": "24"}]}))
    got = api.get(url(api)).json()["initiator_address"]
    assert got == {"ranges": [{"start": "host-a", "end": "host-b"}],
                   "masks": [{"address": "not.an.ip", "netmask": "24"}]}


def show_default_only_first_svm(api):
    assert api.get(url(api, "default", svm="svm1")).status_code == 200
    assert api.get(url(api, "default", svm="svm2")).status_code == 404


def show_default_type_frozen(api):
    for kind in ("deny", "chap"):
        body = {"authentication_type": kind, **({"chap": inbound()} if kind == "chap" else {})}
        assert api.patch(url(api, "default"), json=body).status_code == 200
        assert api.get(url(api, "default")).json()["authentication_type"] == "none"
    created(post(api))
    assert api.patch(url(api), json={"authentication_type": "deny"}).status_code == 200
    assert api.get(url(api)).json()["authentication_type"] == "deny"


def show_stale_instance_get(api):
    created(post(api))
    assert api.patch(url(api), json={"authentication_type": "deny"}).status_code == 200
    assert api.get(url(api)).json()["authentication_type"] == "none"
    listed = api.get(CREDS, params={"initiator": IQN, "fields": "authentication_type"})
    assert listed.json()["records"][0]["authentication_type"] == "deny"


def show_list_hides_deny(api):
    created(post(api, auth="deny"))
    names = [r["initiator"] for r in api.get(CREDS).json()["records"]]
    assert IQN not in names and "default" in names
    filtered = api.get(CREDS, params={"authentication_type": "deny"}).json()
    assert [r["initiator"] for r in filtered["records"]] == [IQN]


def show_self_link_string(api):
    record = api.get(url(api, "default")).json()
    assert isinstance(record["_links"]["self"], str)
    assert isinstance(record["svm"]["_links"]["self"], dict)
    listed = api.get(CREDS).json()
    assert isinstance(listed["_links"]["self"], dict)
    assert all(isinstance(r["_links"]["self"], str) for r in listed["records"])


SHOWS: dict[str, Callable[[Api], None]] = {
    "leak-password-in-get": show_leak, "echo-password-in-error": show_echo,
    "chap-without-inbound": show_chap_without_inbound,
    "outbound-user-without-password": show_outbound_no_password,
    "equal-chap-passwords": show_equal_passwords, "odd-hex-password": show_odd_hex,
    "chap-with-none-or-deny": show_chap_with_none, "long-chap-user": show_long_user,
    "hide-chap-users": show_hidden_users, "uppercase-auth-type": show_uppercase,
    "any-auth-type": show_any_auth, "bad-iqn-date": show_bad_date,
    "iqn-underscore": show_underscore, "eui-any-length": show_eui_length,
    "reversed-range": show_reversed, "mixed-family-range": show_mixed,
    "dotted-netmask-out": show_dotted_out, "ipv6-netmask-128": show_ipv6_128,
    "no-family-out": show_no_family, "patch-addresses-merge": show_merge,
    "ignore-add-flag": show_ignore_add, "ignore-remove-flag": show_ignore_remove,
    "default-starts-deny": show_default_deny, "delete-default": show_delete_default,
    "default-takes-addresses": show_default_addresses,
    "unknown-svm-wrong-code": show_unknown_svm_code, "svm-name-uuid-mismatch": show_svm_mismatch,
    "no-service-check": show_no_service, "cross-svm-lookup": show_cross_svm,
    "post-200": show_post_200, "no-location": show_no_location,
    "duplicate-wrong-code": show_dup_code, "post-ignores-return-records": show_post_return_records,
    "patch-not-applied": show_patch_not_applied, "delete-not-applied": show_delete_not_applied,
    "delete-across-svms": show_delete_across_svms,
    "missing-wrong-code": show_missing_code, "missing-get-200": show_missing_get_200,
    "fields-ignored": show_fields_ignored, "num-records-off-by-one": show_num_records,
    "filter-ignored": show_filter_ignored, "wildcard-literal": show_wildcard_literal,
    "max-records-ignored": show_max_records, "return-records-ignored": show_return_records,
    "order-by-ignored": show_order_by, "error-code-integer": show_integer_code,
    "no-svm-first-svm": show_no_svm_first_svm, "iqn-empty-qualifier": show_iqn_empty_qualifier,
    "iqn-any-prefix": show_iqn_any_prefix, "eui-non-hex": show_eui_non_hex,
    "any-initiator-name": show_any_initiator_name, "refuse-eui-names": show_refuse_eui,
    "auth-type-optional": show_auth_type_optional,
    "ignore-unknown-fields": show_ignore_unknown_fields,
    "lowercase-auth-type-only": show_lowercase_auth_only, "non-ip-address": show_non_ip_address,
    "default-only-first-svm": show_default_only_first_svm,
    "default-type-frozen": show_default_type_frozen,
    "stale-instance-get": show_stale_instance_get, "list-hides-deny": show_list_hides_deny,
    "self-link-string": show_self_link_string,
}


def show_outbound_not_cleared(api):
    created(post(api, auth="chap", chap={"inbound": {"user": "u1", "password": "inpass1"},
                                          "outbound": {"user": "o", "password": "outpass1"}}))
    assert api.patch(url(api), json={"authentication_type": "chap", "chap": {"outbound": {"user": ""}}}).ok
    assert (api.get(url(api)).json()["chap"].get("outbound") or {}).get("user") == "o"


def show_svm_in_patch_ignored(api):
    created(post(api))
    assert api.patch(url(api), json={"svm": {"name": "svm1"}, "authentication_type": "deny"}).ok


def show_secret_in_url_accepted(api):
    assert api.get(CREDS, params={"fields": "chap.inbound.password"}).status_code == 200


def show_bulk_patch_first_only(api):
    created(post(api, initiator=IQN + "-1"))
    created(post(api, initiator=IQN + "-2"))
    assert api.patch(CREDS, params={"initiator": IQN + "-*"}, json={"authentication_type": "deny"}).ok
    kinds = [api.get(url(api, IQN + f"-{n}")).json()["authentication_type"] for n in (1, 2)]
    assert kinds.count("none") == 1


def show_bulk_delete_first_only(api):
    created(post(api, initiator=IQN + "-1"))
    created(post(api, initiator=IQN + "-2"))
    assert api.delete(CREDS, params={"initiator": IQN + "-*"}).ok
    assert sorted(api.get(url(api, IQN + f"-{n}")).status_code for n in (1, 2)) == [200, 404]


def show_long_chap_password(api):
    created(post(api, auth="chap", chap=inbound(password="p" * 513)))


def show_return_timeout_unchecked(api):
    assert api.get(CREDS, params={"return_timeout": "121"}).status_code == 200


SHOWS.update({
    "outbound-not-cleared": show_outbound_not_cleared, "svm-in-patch-ignored": show_svm_in_patch_ignored,
    "secret-in-url-accepted": show_secret_in_url_accepted, "bulk-patch-first-only": show_bulk_patch_first_only,
    "bulk-delete-first-only": show_bulk_delete_first_only, "long-chap-password": show_long_chap_password,
    "return-timeout-unchecked": show_return_timeout_unchecked,
})
#: Defects of rules that later releases documented show on the newest release.
NEWEST = "9.16.1"


# ---- sequence-only defects: each proof needs several requests -----------------------------------
def many(api: Api, count: int, svm: str = "svm1") -> None:
    """``count`` credentials besides the default on one SVM."""
    for i in range(count):
        created(post(api, svm=svm, initiator=f"{IQN}{i:02d}"))


def single_range(address: str) -> dict:
    return {"start": address, "end": address}


def show_recreate_restores(api):
    created(post(api, initiator_address={"ranges": [single_range("10.0.0.1")]}))
    assert api.delete(url(api)).status_code == 200
    created(post(api))
    assert "initiator_address" in api.get(url(api)).json()


def show_deleted_listed(api):
    created(post(api))
    assert api.delete(url(api)).status_code == 200
    assert IQN in [r["initiator"] for r in api.get(CREDS).json()["records"]]


def show_credential_limit(api):
    many(api, 10)
    assert post(api, initiator=f"{IQN}x").status_code == 400


def show_filter_late(api):
    many(api, 10)  # svm2's default is the 12th record of the collection
    assert api.get(CREDS, params={"svm.name": "svm2"}).json()["num_records"] == 0


def show_order_past_ten(api):
    many(api, 9)  # 11 records with the two defaults
    names = [r["initiator"] for r in api.get(CREDS, params={"order_by": "initiator desc"}).json()["records"]]
    assert names != sorted(names, reverse=True)


def show_default_denied(api):
    many(api, 8)
    assert api.get(url(api, "default")).json()["authentication_type"] == "deny"


def show_list_cache(api):
    created(post(api))
    assert api.patch(url(api), json={"authentication_type": "deny"}).status_code == 200
    assert api.get(url(api)).json()["authentication_type"] == "deny"
    listed = api.get(CREDS, params={"initiator": IQN, "fields": "authentication_type"}).json()
    assert listed["records"][0]["authentication_type"] == "none"


def show_pages_overfull(api):
    many(api, 6)  # 8 records: the third page of two starts at offset 4
    first = api.get(CREDS, params={"max_records": "2"}).json()
    assert len(first["records"]) == 2
    assert len(api.get(CREDS, params={"max_records": "2", "offset": "4"}).json()["records"]) == 3


def show_num_records_remaining(api):
    many(api, 6)
    body = api.get(CREDS, params={"max_records": "2", "offset": "4"}).json()
    assert len(body["records"]) == 2 and body["num_records"] == 4


def show_third_patch(api):
    created(post(api))
    for auth in ("deny", "none", "deny"):
        assert api.patch(url(api), json={"authentication_type": auth}).status_code == 200
    assert api.get(url(api)).json()["authentication_type"] == "none"


def show_remove_then_add(api):
    created(post(api, initiator_address={"ranges": [single_range("10.0.0.1"), single_range("10.0.0.2")]}))
    assert api.patch(url(api) + "?remove_initiator_addresses=true",
                     json={"initiator_address": {"ranges": [single_range("10.0.0.1")]}}).status_code == 200
    assert api.patch(url(api) + "?add_initiator_addresses=true",
                     json={"initiator_address": {"ranges": [single_range("10.0.0.3")]}}).status_code == 200
    starts = {r["start"] for r in api.get(url(api)).json()["initiator_address"]["ranges"]}
    assert starts == {"10.0.0.1", "10.0.0.2", "10.0.0.3"}


def show_patch_reaches_twin(api):
    created(post(api))
    created(post(api, svm="svm2", auth="chap", chap=inbound()))
    assert api.patch(url(api), json={"authentication_type": "deny"}).status_code == 200
    assert api.get(url(api, svm="svm2")).json()["authentication_type"] == "deny"


SHOWS.update({
    "recreate-restores-addresses": show_recreate_restores, "deleted-still-listed": show_deleted_listed,
    "svm-credential-limit": show_credential_limit, "filter-misses-late-records": show_filter_late,
    "order-by-ignored-past-ten": show_order_past_ten, "default-denied-when-busy": show_default_denied,
    "list-cache-ignores-patch": show_list_cache, "later-pages-overfull": show_pages_overfull,
    "num-records-remaining-on-later-pages": show_num_records_remaining,
    "third-patch-not-applied": show_third_patch, "remove-then-add-restores": show_remove_then_add,
    "patch-reaches-twin": show_patch_reaches_twin,
})

# ---- wire details, authentication and methods (observed rules) ------------------------------
def show_raw_colon_not_found(api):
    created(post(api))
    assert api.get(url(api, IQN.replace(":", "%3A"))).status_code == 200
    assert api.get(url(api)).status_code == 404  # the ':' sent raw, as NetApp's Ansible module does


def show_plain_text_content_type(api):
    assert api.get(CREDS).headers["content-type"].startswith("text/plain")


def show_self_link_without_svm(api):
    created(post(api))
    href = api.get(url(api), params={"fields": "*"}).json()["_links"]["self"]["href"]
    assert api.svm_uuid("svm1") not in href


def show_auth_not_required(api):
    assert requests.get(api.base + CREDS, timeout=10).status_code == 200
    assert requests.get(api.base + CREDS, auth=("admin", "wrong"), timeout=10).status_code == 200


def show_readonly_may_write(api):
    readonly = Api(api.base, auth=("readonly", "readonly1!"))
    created(post(readonly))
    readonly.session.close()


def show_unsupported_method_404(api):
    assert api.put(CREDS, json={}).status_code == 404


SHOWS.update({
    "raw-colon-not-found": show_raw_colon_not_found, "plain-text-content-type": show_plain_text_content_type,
    "self-link-without-svm": show_self_link_without_svm, "auth-not-required": show_auth_not_required,
    "readonly-may-write": show_readonly_may_write, "unsupported-method-404": show_unsupported_method_404,
})


def serve(*names: str) -> Iterator[Api]:
    with EmulatorServer(defects=Defects(names), settings=Settings(ontap_version=NEWEST)) as server:
        api = Api(server.base_url)
        yield api
        api.session.close()


@pytest.fixture(scope="module")
def clean() -> Iterator[Api]:
    yield from serve()


def test_every_defect_has_a_demonstration():
    assert set(SHOWS) == {d.name for d in DEFECTS}
    assert len(DEFECTS) >= 20
    assert len([d for d in DEFECTS if d.sequence]) >= 10


@pytest.mark.parametrize("name", [d.name for d in DEFECTS])
def test_defect_deviates_and_clean_emulator_does_not(name, clean):
    for api in serve(name):
        SHOWS[name](api)
        health = api.get("/_emulator/health").json()
        assert health["defects"] == [name]
    assert clean.post("/_emulator/reset").ok
    with pytest.raises(AssertionError):
        SHOWS[name](clean)


def test_unknown_defect_refused():
    with pytest.raises(ValueError, match="unknown defect"):
        Defects(["nope"])
