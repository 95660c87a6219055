"""Records rendered once and shared between reads (emulator/render.py RenderCache) never show
a stale or damaged record: a write shows in the next whole read, and a ``fields=!...``
projection of one read leaves the record whole for the next."""

from __future__ import annotations

from emulator import query, render
from emulator.defects import Defects
from emulator.state import Chap, Credential, Svm
from emulator.variants import Variants

CREDS = "/api/protocols/san/iscsi/credentials"


def _whole(api, **params):
    answer = api.get(CREDS, params={"fields": "*", **params})
    assert answer.status_code == 200, answer.text
    return {r["initiator"]: r for r in answer.json()["records"]}


def test_a_patch_shows_in_the_next_whole_read(api, svm1):
    name = "iqn.2000-01.org.example:cache"
    assert api.post(CREDS, json={"svm": {"uuid": svm1}, "initiator": name,
                                 "authentication_type": "none"}).status_code == 201
    assert _whole(api)[name]["authentication_type"] == "none"
    assert api.patch(f"{CREDS}/{svm1}/{name}", json={"authentication_type": "deny"}).status_code == 200
    assert _whole(api)[name]["authentication_type"] == "deny"
    assert api.delete(f"{CREDS}/{svm1}/{name}").status_code == 200
    assert name not in _whole(api)


def test_an_excluding_projection_leaves_the_shared_record_whole(api, svm1):
    name = "iqn.2000-01.org.example:cache2"
    assert api.post(CREDS, json={"svm": {"uuid": svm1}, "initiator": name, "authentication_type": "chap",
                                 "chap": {"inbound": {"user": "u1", "password": "secret-pw-1"}}}
                    ).status_code == 201
    before = _whole(api)[name]
    cut = _whole(api, fields="*,!chap.inbound.user")[name]
    assert "user" not in cut.get("chap", {}).get("inbound", {})
    assert _whole(api)[name] == before


def test_the_cache_renders_a_new_credential_and_a_renamed_svm_anew():
    cache = render.RenderCache(limit=2)
    svm = Svm(name="svm1", uuid="u-1", iscsi=True)
    first = Credential("u-1", "iqn.2000-01.a:x", "chap", inbound=Chap("u1", "pw-000001"))
    shown = cache.get(first, svm, Defects(), Variants())
    assert cache.get(first, svm, Defects(), Variants()) is shown
    second = Credential("u-1", "iqn.2000-01.a:x", "none")
    assert cache.get(second, svm, Defects(), Variants())["authentication_type"] == "none"
    renamed = Svm(name="svm1-new", uuid="u-1", iscsi=True)
    assert cache.get(second, renamed, Defects(), Variants())["svm"]["name"] == "svm1-new"
    for i in range(3):  # past the limit it starts again, and still answers right
        cache.get(Credential("u-1", f"iqn.2000-01.a:{i}", "deny"), svm, Defects(), Variants())
    assert cache.get(second, svm, Defects(), Variants())["svm"]["name"] == "svm1"


def test_project_never_changes_the_record_it_reads():
    record = {"svm": {"uuid": "u", "name": "n"}, "initiator": "i",
              "chap": {"inbound": {"user": "u1"}}, "authentication_type": "chap"}
    selection = query.parse_fields("*,!chap.inbound.user", query.CREDENTIALS_SCHEMA, "credentials")
    assert "user" not in query.project(record, selection)["chap"]["inbound"]
    assert record["chap"]["inbound"] == {"user": "u1"}
