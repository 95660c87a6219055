"""Each named variant shows its real-cluster behaviour, the clean emulator does not, and the
variants combine with each other, with defects and with releases.

``SHOWS[name](api)`` asserts the variant's behaviour. It must pass against an emulator with
that variant on (and with every variant on), and fail against the clean emulator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
import requests

from emulator import EmulatorServer
from emulator.app import Settings
from emulator.defects import Defects
from emulator.variants import VARIANTS, Variants
from tests.emulator import test_defects
from tests.emulator.conftest import CREDS, ROOT, Api, clean_env
from tests.emulator.test_defects import IQN, created, many, post, url

GONE = "iqn.1992-08.com.netapp:gone"
NO_SVM = "00000000-0000-0000-0000-000000000000"
JSON_ONLY = {"Accept": "application/json"}
R1 = {"start": "10.0.0.1", "end": "10.0.0.1"}


def error(resp: requests.Response) -> dict:
    return resp.json()["error"]


def show_later_property(api):
    created(post(api))
    assert api.get(url(api)).json().get("comment")  # an instance GET shows every property
    for fields in ("*", "**", "comment", "initiator,comment"):
        records = api.get(CREDS, params={"fields": fields}).json()["records"]
        assert records and all(r.get("comment") for r in records), fields
    narrowed = api.get(CREDS, params={"fields": "initiator,authentication_type"}).json()
    assert all("comment" not in r for r in narrowed["records"])
    assert all("comment" not in r for r in api.get(CREDS).json()["records"])
    assert "comment" not in api.get(url(api), params={"fields": "initiator"}).json()


def show_missing_get_5374895(api):
    resp = api.get(url(api, GONE))
    assert resp.status_code == 404 and error(resp)["code"] == "5374895"
    assert error(api.get(f"{CREDS}/{NO_SVM}/default"))["code"] == "4"  # no such SVM


def show_missing_write_code_4(api):
    for resp in (api.patch(url(api, GONE), json={"authentication_type": "deny"}),
                 api.delete(url(api, GONE))):
        got = error(resp)
        assert resp.status_code == 404
        assert (got["code"], got["message"], got["target"]) == ("4", "entry doesn't exist", "uuid")


ALTERNATE_CODES = {
    "iqm.1992-08.com.netapp:host": "5373997",   # default 5373970
    "naa.600a098038303053": "5373970",          # default 5373997
    "host1": "5373970",                         # default 5373997
    "iqn.": "5373971",                          # default 5373969
    "iqn.1992-08": "5373971",                   # default 5373969
    "eui.0123456789abcdeg": "5373977",          # default 5373978
    "eui.0123456789abcde": "5373978",           # default 5373977
    "iqn.92-08.com.netapp:x": "5373971",        # unchanged: no other code fits
    "iqn.1992-08.com.net_app:x": "5373972",     # unchanged
}


def show_alternate_name_codes(api):
    for name, code in ALTERNATE_CODES.items():
        resp = post(api, initiator=name)
        assert resp.status_code == 400 and error(resp)["code"] == code, (name, resp.text)
        assert error(resp)["target"] == "initiator"
    assert error(post(api, initiator="iqn." + "a" * 230))["code"] == "5373997"  # too long
    created(post(api))


def show_json_without_links(api):
    created(post(api))
    record = api.get(url(api), headers=JSON_ONLY)
    assert record.headers["content-type"].startswith("application/json")
    assert "_links" not in record.json() and "_links" not in record.json()["svm"]
    page = api.get(CREDS, params={"max_records": "1", "fields": "*"}, headers=JSON_ONLY).json()
    assert set(page["_links"]) == {"next"}
    assert all("_links" not in r and "_links" not in r["svm"] for r in page["records"])
    whole = api.get(CREDS, headers=JSON_ONLY).json()
    assert "self" not in whole.get("_links", {}) and whole["num_records"] == 3
    assert "_links" not in api.get("/api/svm/svms", headers=JSON_ONLY).json()["records"][0]
    for accept in ("application/hal+json", "*/*", "application/hal+json, application/json"):
        hal = api.get(url(api), headers={"Accept": accept})
        assert hal.headers["content-type"].startswith("application/hal+json")
        assert hal.json()["_links"]["self"]["href"] and hal.json()["svm"]["_links"]


def show_fold_initiator_case(api):
    created(post(api, initiator="IQN.1992-08.com.NetApp:Host1"))
    folded = "iqn.1992-08.com.netapp:host1"
    assert api.get(url(api, folded)).json()["initiator"] == folded
    assert api.get(url(api, "iqn.1992-08.COM.netapp:HOST1")).status_code == 200
    dup = post(api, initiator="iqn.1992-08.com.netapp:HOST1")
    assert error(dup)["code"] == "5374142"  # 409, or 400 under other-statuses
    created(post(api, initiator="eui.0123456789ABCDEF"))
    names = [r["initiator"] for r in api.get(CREDS).json()["records"]]
    assert "eui.0123456789abcdef" in names and folded in names
    assert api.patch(url(api, folded.upper()), json={"authentication_type": "deny",
                                                     "initiator": "IQN.1992-08.COM.NETAPP:HOST1"}).ok
    assert api.get(url(api, folded)).json()["authentication_type"] == "deny"
    assert api.delete(url(api, "EUI.0123456789ABCDEF")).ok
    assert api.get(url(api, "eui.0123456789abcdef")).status_code == 404


def show_next_link_on_last_page(api):
    first = api.get(CREDS, params={"max_records": "2"}).json()  # the two default records
    assert len(first["records"]) == 2 and "next" in first["_links"]
    after = api.get(first["_links"]["next"]["href"]).json()
    assert after["records"] == [] and after["num_records"] == 0
    assert "next" not in after["_links"]


def _pages(api: Api, params: dict) -> list[list[str]]:
    """Every page of a paged read, following _links.next until a page comes back empty."""
    pages, body = [], api.get(CREDS, params=params).json()
    while True:
        pages.append([r["initiator"] for r in body["records"]])
        assert body["num_records"] == len(body["records"])
        nxt = body["_links"].get("next")
        if nxt is None or not body["records"]:
            return pages
        body = api.get(nxt["href"]).json()


def show_short_pages(api):
    many(api, 10)  # 12 records with the two defaults
    for params in ({"max_records": "20"}, {}):
        pages = _pages(api, params)
        assert len(pages[0]) == 7 and all(len(p) <= 7 for p in pages)
        assert sum(len(p) for p in pages) == 12
    assert len(_pages(api, {"max_records": "3"})[0]) == 3


def show_pretty_json(api):
    for resp in (api.get(CREDS), api.get(url(api, "default")), api.delete(url(api, "default"))):
        assert resp.text.startswith("{\n  \""), resp.text
        json.loads(resp.text)
        assert int(resp.headers["content-length"]) == len(resp.content)


def show_encoded_links(api):
    resp = post(api)
    assert resp.headers["location"].endswith("/" + IQN)  # the ':' raw
    href = api.get(url(api)).json()["_links"]["self"]["href"]
    assert href.endswith("/" + IQN) and "%3A" not in href


def show_other_statuses(api):
    created(post(api))
    assert (post(api).status_code, error(post(api))["code"]) == (400, "5374142")
    unknown = api.post(CREDS, json={"svm": {"uuid": NO_SVM}, "initiator": IQN + "2",
                                    "authentication_type": "none"})
    assert (unknown.status_code, error(unknown)["code"]) == (400, "2621462")
    assert api.delete(f"{CREDS}/{NO_SVM}/{IQN}").status_code == 400
    no_service = post(api, svm="svm3", initiator=IQN + "3")
    assert (no_service.status_code, error(no_service)["code"]) == (404, "5374078")
    default = api.delete(url(api, "default"))
    assert (default.status_code, error(default)["code"]) == (409, "5374148")
    assert post(api, initiator="iqn.92-08.x:y").status_code == 400  # validation stays 400
    assert api.get(url(api, GONE)).status_code == 404


def show_error_arguments(api):
    default = error(api.delete(url(api, "default")))
    assert default["target"] == "initiator"
    assert default.get("arguments") == [{"code": "5374148", "message": default["message"]}]
    unauthenticated = requests.get(api.base + CREDS, timeout=10).json()["error"]
    assert unauthenticated.get("target") == ""
    assert unauthenticated.get("arguments") == [{"code": "6",
                                                 "message": unauthenticated["message"]}]
    assert [a["code"] for a in error(api.put(CREDS, json={})).get("arguments", [])] == ["3"]
    assert "arguments" not in api.get(CREDS).json()  # only error envelopes change


def show_empty_containers(api):
    created(post(api))
    created(post(api, initiator=IQN + "2", initiator_address={"ranges": [R1]}))
    empty = {"ranges": [], "masks": []}
    assert api.get(url(api)).json().get("initiator_address") == empty
    assert api.get(url(api, IQN + "2")).json()["initiator_address"].get("masks") == []
    listed = api.get(CREDS, params={"fields": "*"}).json()["records"]
    assert all("initiator_address" in r for r in listed)
    assert all("initiator_address" not in r for r in api.get(CREDS).json()["records"])
    unset = api.get(CREDS, params={"initiator_address.ranges.start": "null"}).json()
    assert unset["num_records"] == 3  # empty lists are still unset for a filter


def show_doc_filter_typo_ignored(api):
    created(post(api, initiator_address={"ranges": [R1]}))
    resp = api.get(CREDS, params={"initiator_address_ranges.end": "192.0.2.99"})
    assert resp.status_code == 200 and resp.json()["num_records"] == 3


SHOWS: dict[str, Callable[[Api], None]] = {
    "later-release-property": show_later_property,
    "missing-get-5374895": show_missing_get_5374895,
    "missing-write-code-4": show_missing_write_code_4,
    "alternate-name-codes": show_alternate_name_codes,
    "json-without-links": show_json_without_links,
    "fold-initiator-case": show_fold_initiator_case,
    "next-link-on-last-page": show_next_link_on_last_page,
    "short-pages": show_short_pages,
    "pretty-json": show_pretty_json,
    "encoded-links": show_encoded_links,
    "other-statuses": show_other_statuses,
    "error-arguments": show_error_arguments,
    "empty-containers": show_empty_containers,
    "doc-filter-typo-ignored": show_doc_filter_typo_ignored,
}
ALL = [v.name for v in VARIANTS]


def serve(variants=(), defects=(), version: str = "9.10.1") -> Iterator[Api]:
    settings = Settings(ontap_version=version, defects=Defects(defects),
                        variants=Variants(variants))
    with EmulatorServer(settings=settings) as server:
        api = Api(server.base_url)
        yield api
        api.session.close()


@pytest.fixture(scope="module")
def clean() -> Iterator[Api]:
    yield from serve()


@pytest.fixture(scope="module")
def everything() -> Iterator[Api]:
    yield from serve(ALL)


def test_every_variant_has_a_demonstration():
    assert set(SHOWS) == set(ALL)
    assert all(v.description and v.source for v in VARIANTS)


@pytest.mark.parametrize("name", ALL)
def test_variant_shows_and_clean_emulator_does_not(name, clean):
    for api in serve([name]):
        SHOWS[name](api)
        assert api.get("/_emulator/health").json()["variants"] == [name]
    assert clean.post("/_emulator/reset").ok
    with pytest.raises(AssertionError):
        SHOWS[name](clean)


@pytest.mark.parametrize("name", ALL)
def test_variant_shows_with_every_other_variant_on(name, everything):
    assert everything.post("/_emulator/reset").ok
    SHOWS[name](everything)


@pytest.mark.parametrize("version", ["9.10.1", "9.16.1"])
def test_variants_combine_with_defects_and_releases(version):
    defects = ["odd-hex-password", "next-link-drops-query", "count-ignores-filter",
               "leak-password-in-get", "post-200"]
    for api in serve(ALL, defects, version):
        for name in defects:
            assert api.post("/_emulator/reset").ok
            test_defects.SHOWS[name](api)
        for name in ALL:
            assert api.post("/_emulator/reset").ok
            SHOWS[name](api)
        health = api.get("/_emulator/health").json()
        assert health["variants"] == ALL and health["defects"] == defects


def test_alternate_codes_leave_uppercase_prefixes_iqn_or_eui_shaped():
    """Without fold-initiator-case, IQN. is a wrong prefix of an IQN-shaped name (5373997,
    default 5373970) and EUI. keeps 5373997 (it is EUI-shaped, not "neither")."""
    for api in serve(["alternate-name-codes"]):
        assert error(post(api, initiator="IQN.1992-08.com.netapp:x"))["code"] == "5373997"
        assert error(post(api, initiator="EUI.0123456789abcdef"))["code"] == "5373997"


def test_doc_filter_typo_is_read_as_its_field_by_default(clean):
    """The page's parameter table prints initiator_address_ranges.end: by default the
    emulator reads it as initiator_address.ranges.end (so no variant is needed for that)."""
    assert clean.post("/_emulator/reset").ok
    created(post(clean, initiator_address={"ranges": [R1]}))
    assert clean.get(CREDS, params={"initiator_address_ranges.end": "10.0.0.1"}).json()[
        "num_records"] == 1
    assert clean.get(CREDS, params={"initiator_address_ranges.end": "192.0.2.99"}).json()[
        "num_records"] == 0


def test_unknown_variant_refused():
    with pytest.raises(ValueError, match="unknown variant"):
        Variants(["nope"])
    with pytest.raises(KeyError):
        assert "nope" in Variants()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator", *args], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=30)


def test_list_variants_table_and_json():
    table = run_cli("--list-variants")
    assert table.returncode == 0 and "short-pages" in table.stdout
    listed = json.loads(run_cli("--list-variants", "--json").stdout)
    assert [v["name"] for v in listed] == ALL
    assert all(set(v) == {"name", "description", "source"} for v in listed)


def test_unknown_variant_on_the_command_line_is_one_line():
    result = run_cli("--port", "0", "--variant", "no-such-variant")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: unknown variant 'no-such-variant'; see python -m "
                                     "emulator --list-variants")
