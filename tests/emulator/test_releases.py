"""``--ontap-version``: each release answers as documented, and only there do they differ.

The probes below are small request programs; each returns what it observed (status, ONTAP
code, the parts of the body that matter). ``DOCUMENTED`` lists, per probe that a release
changes, what each release answers (OB-65 to OB-73). The table-driven test runs every probe
against 9.10.1 and 9.16.1 and requires them to differ on exactly the documented probes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from emulator import EmulatorServer
from emulator.app import Settings
from emulator.defects import DEFECTS, Defects
from emulator.releases import DIFFERENCES, SUPPORTED, UnsupportedRelease, parse
from tests.emulator.conftest import CREDS, Api
from tests.emulator.test_cli import run_cli as run_cli_module
from tests.emulator.test_defects import SHOWS

IQN = "iqn.1992-08.com.netapp:rel"
NOBODY = "00000000-0000-0000-0000-000000000000"
SVMS = "/api/svm/svms"
SERVICES = "/api/protocols/san/iscsi/services"


def serve(version: str, *defects: str) -> Iterator[Api]:
    with EmulatorServer(settings=Settings(ontap_version=version,
                                          defects=Defects(defects))) as server:
        api = Api(server.base_url)
        yield api
        api.session.close()


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Api]]:
    running = [serve(v) for v in SUPPORTED]
    apis = {v: next(gen) for v, gen in zip(SUPPORTED, running, strict=True)}
    yield apis
    for gen in running:
        next(gen, None)


@pytest.fixture(params=SUPPORTED)
def release(request, servers) -> tuple[str, Api]:
    api = servers[request.param]
    assert api.post("/_emulator/reset").status_code == 200
    return request.param, api


# --- observations ---------------------------------------------------------------------------
def seen(resp) -> tuple[Any, ...]:
    """What a response shows: status, ONTAP code, and the body with nothing volatile."""
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    if isinstance(body, dict) and "error" in body:
        body = {"error": {k: v for k, v in body["error"].items() if k != "message"}}
    return (resp.status_code, code, json.dumps(body, sort_keys=True),
            resp.headers.get("location"))


def post(api: Api, initiator: str = IQN, svm: Any = None, **body: Any):
    payload = {"svm": svm or {"name": "svm1"}, "initiator": initiator,
               "authentication_type": "none", **body}
    return api.post(CREDS, json=payload)


def url(api: Api, initiator: str = IQN, svm: str = "svm1") -> str:
    return f"{CREDS}/{api.svm_uuid(svm)}/{quote(initiator, safe='')}"


def chap(user: str = "in-user", password: str = "in-secret",
         outbound: dict | None = None) -> dict:
    out: dict = {"inbound": {"user": user, "password": password}}
    if outbound is not None:
        out["outbound"] = outbound
    return out


def with_outbound(api: Api) -> None:
    resp = post(api, authentication_type="chap",
                chap=chap(outbound={"user": "out-user", "password": "out-secret"}))
    assert resp.status_code == 201, resp.text


Probe = Callable[[Api], list[tuple[Any, ...]]]


def p_cluster(api):
    return [seen(api.get("/api/cluster"))]


def p_fields_password_collection(api):
    with_outbound(api)
    return [seen(api.get(CREDS, params={"fields": "chap.inbound.password"})),
            seen(api.get(CREDS, params={"fields": "chap.outbound.password,initiator"}))]


def p_fields_password_instance(api):
    with_outbound(api)
    return [seen(api.get(url(api), params={"fields": "chap.{inbound.password,outbound}"}))]


def p_query_password_collection(api):
    with_outbound(api)
    return [seen(api.get(CREDS, params={"chap.inbound.password": "in-secret"}))]


def p_query_password_instance(api):
    with_outbound(api)
    return [seen(api.get(url(api), params={"chap.outbound.password": "x"}))]


def p_svm_in_patch_same(api):
    post(api)
    return [seen(api.patch(url(api), json={"svm": {"name": "svm1"},
                                           "authentication_type": "deny"})),
            seen(api.get(url(api)))]


def p_svm_in_patch_other(api):
    post(api)
    return [seen(api.patch(url(api), json={"svm": {"uuid": api.svm_uuid("svm2")}}))]


def p_svm_in_collection_patch(api):
    post(api)
    return [seen(api.patch(CREDS, params={"initiator": IQN},
                           json={"svm": {"name": "svm1"}, "authentication_type": "deny"}))]


def p_unknown_svm_post_uuid(api):
    return [seen(post(api, svm={"uuid": NOBODY}))]


def p_unknown_svm_post_name(api):
    return [seen(post(api, svm={"name": "no-such-svm"}))]


def p_unknown_svm_patch_path(api):
    return [seen(api.patch(f"{CREDS}/{NOBODY}/default", json={"authentication_type": "deny"}))]


def p_unknown_svm_delete_path(api):
    return [seen(api.delete(f"{CREDS}/{NOBODY}/{quote(IQN, safe='')}"))]


#: probe -> {first release of a behaviour: (status, code)}; a release answers as the latest
#: entry at or before it. Facts in the comments.
DOCUMENTED: dict[str, tuple[Probe, dict[str, list[tuple[int, str | None]]]]] = {
    "cluster-version": (p_cluster, {"9.10.1": [(200, None)]}),  # OB-73, checked apart
    # OB-18, OB-68: passwords named in fields= / in a query
    "fields-password-collection": (p_fields_password_collection, {
        "9.10.1": [(400, "262197"), (400, "262197")], "9.11.1": [(400, "262202"), (400, "262202")],
        "9.15.1": [(400, "262249"), (400, "262249")]}),
    "fields-password-instance": (p_fields_password_instance, {
        "9.10.1": [(400, "262197")], "9.11.1": [(400, "262202")], "9.15.1": [(400, "262249")]}),
    "query-password-collection": (p_query_password_collection, {
        "9.10.1": [(400, "262202")], "9.15.1": [(400, "262250")]}),
    "query-password-instance": (p_query_password_instance, {
        "9.10.1": [(400, "262179")], "9.11.1": [(400, "262202")], "9.15.1": [(400, "262250")]}),
    # OB-67: svm no longer patchable
    "svm-in-patch-same-svm": (p_svm_in_patch_same, {
        "9.10.1": [(200, None), (200, None)], "9.15.1": [(400, "262203"), (200, None)]}),
    "svm-in-patch-other-svm": (p_svm_in_patch_other, {
        "9.10.1": [(400, "2621706")], "9.15.1": [(400, "262203")]}),
    "svm-in-collection-patch": (p_svm_in_collection_patch, {
        "9.10.1": [(200, None)], "9.15.1": [(400, "262203")]}),
    # OB-68: 2621462 is 400 from 9.15.1
    "unknown-svm-post-uuid": (p_unknown_svm_post_uuid, {
        "9.10.1": [(404, "2621462")], "9.15.1": [(400, "2621462")]}),
    "unknown-svm-post-name": (p_unknown_svm_post_name, {
        "9.10.1": [(404, "2621462")], "9.15.1": [(400, "2621462")]}),
    "unknown-svm-patch-path": (p_unknown_svm_patch_path, {
        "9.10.1": [(404, "2621462")], "9.15.1": [(400, "2621462")]}),
    "unknown-svm-delete-path": (p_unknown_svm_delete_path, {
        "9.10.1": [(404, "2621462")], "9.15.1": [(400, "2621462")]}),
}


def expected(table: dict[str, list[tuple[int, str | None]]], version: str):
    applicable = [v for v in table if parse(version).at_least(v)]
    return table[max(applicable, key=lambda v: parse(v).numbers)]


@pytest.mark.parametrize("probe", sorted(DOCUMENTED))
def test_each_release_answers_as_documented(release, probe):
    version, api = release
    program, table = DOCUMENTED[probe]
    got = [(status, code) for status, code, _, _ in program(api)]
    assert got == expected(table, version), (version, probe)


def test_cluster_reports_the_release(release):
    version, api = release
    body = api.get("/api/cluster").json()
    generation, major, minor = (int(p) for p in version.split("."))
    assert body["version"]["full"].startswith(f"NetApp Release {version}")
    assert (body["version"]["generation"], body["version"]["major"],
            body["version"]["minor"]) == (generation, major, minor)
    assert api.get("/_emulator/health").json()["ontap_version"] == version


# --- the same elsewhere ---------------------------------------------------------------------
def p_lifecycle(api):
    out = [seen(post(api, authentication_type="chap", chap=chap())), seen(api.get(url(api)))]
    out.append(seen(api.patch(url(api), json={"authentication_type": "deny"})))
    out += [seen(api.get(CREDS, params={"fields": "*"})), seen(api.delete(url(api))),
            seen(api.get(url(api)))]
    return out


def p_post_errors(api):
    bodies = [
        {"initiator": "iqn.1992-08.com.netapp:x", "authentication_type": "none"},
        {"svm": {"name": "svm3"}, "initiator": IQN, "authentication_type": "none"},
        {"svm": {"name": "svm1"}, "initiator": "iqx.1992-08.com.netapp:x",
         "authentication_type": "none"},
        {"svm": {"name": "svm1"}, "initiator": "iqn.92-08.com.netapp:x",
         "authentication_type": "none"},
        {"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.com_netapp:x",
         "authentication_type": "none"},
        {"svm": {"name": "svm1"}, "initiator": "eui.0123", "authentication_type": "none"},
        {"svm": {"name": "svm1"}, "initiator": "naa.600a0980", "authentication_type": "none"},
        {"svm": {"uuid": "66c6e9c5-9a46-519b-b96c-d3e6e9473fbb", "name": "svm2"},
         "initiator": IQN, "authentication_type": "none"},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "chap"},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "chap",
         "chap": chap(outbound={"user": "o"})},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "chap",
         "chap": chap(outbound={"user": "o", "password": "in-secret"})},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "chap",
         "chap": chap(password="0xabc")},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "none",
         "chap": chap()},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "none",
         "initiator_address": {"ranges": [{"start": "10.0.0.9", "end": "10.0.0.1"}]}},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "none",
         "initiator_address": {"ranges": [{"start": "10.0.0.1", "end": "fd00::1"}]}},
        {"svm": {"name": "svm1"}, "initiator": IQN, "authentication_type": "none", "x": 1},
    ]
    return [seen(api.post(CREDS, json=b)) for b in bodies]


def p_passwords_512(api):
    ok = post(api, authentication_type="chap", chap=chap(password="p" * 512))
    long = post(api, "iqn.1992-08.com.netapp:long", authentication_type="chap",
                chap=chap(password="p" * 513))
    wide = post(api, "iqn.1992-08.com.netapp:wide", authentication_type="chap",
                chap=chap(password="é" * 257))  # 514 bytes
    return [seen(ok), seen(long), seen(wide)]


def p_defaults(api):
    default = url(api, "default")
    return [seen(api.delete(default)),
            seen(api.patch(default, json={"initiator_address": {
                "masks": [{"address": "10.0.0.0", "netmask": "8"}]}})),
            seen(post(api, "default"))]


def p_missing(api):
    return [seen(api.patch(url(api), json={"authentication_type": "deny"})),
            seen(api.delete(url(api))), seen(api.get(url(api)))]


def p_clear_outbound(api):
    with_outbound(api)
    return [seen(api.patch(url(api), json={"chap": {"outbound": {"user": ""}}})),
            seen(api.get(url(api)))]


def p_empty_outbound_on_default(api):
    body = {"authentication_type": "CHAP", "initiator": "default",
            "chap": {"inbound": {"user": "trident", "password": "trident-secret"},
                     "outbound": {}}}
    return [seen(api.patch(url(api, "default"), json=body)),
            seen(api.get(url(api, "default")))]


def p_query_and_paging(api):
    for i in range(4):
        post(api, f"{IQN}{i}", authentication_type="deny" if i % 2 else "none")
    return [seen(api.get(CREDS, params={"fields": "*", "authentication_type": "deny",
                                        "order_by": "initiator desc"})),
            seen(api.get(CREDS, params={"max_records": "2", "fields": "initiator"})),
            seen(api.get(CREDS, params={"return_records": "false"})),
            seen(api.get(CREDS, params={"fields": "nope"})),
            seen(api.get(CREDS, params={"bogus": "1"}))]


def p_return_timeout(api):
    paths = ["/api/cluster", SVMS, f"{SVMS}/{api.svm_uuid('svm1')}", SERVICES,
             f"{SERVICES}/{api.svm_uuid('svm1')}", CREDS, url(api, "default")]
    return [seen(api.get(p, params={"return_timeout": t})) for p in paths
            for t in ("121", "-1", "x", "0", "120")
            if p != "/api/cluster" or t in ("121", "-1", "x")]


def p_collection_patch_delete(api):
    for i in range(3):
        post(api, f"{IQN}-b{i}")
    return [seen(api.patch(CREDS, params={"initiator": f"{IQN}-b*", "return_records": "true"},
                           json={"authentication_type": "deny"})),
            seen(api.delete(CREDS, params={"initiator": f"{IQN}-b1|{IQN}-b2"})),
            seen(api.patch(CREDS, json={"authentication_type": "deny"})),
            seen(api.delete(CREDS, params={"svm.name": "svm2", "initiator": "default"})),
            seen(api.get(CREDS, params={"fields": "authentication_type"}))]


def p_locations(api):
    created = post(api)
    return [seen(created), seen(api.get(created.headers["location"])),
            seen(api.get(f"{CREDS}/{api.svm_uuid('svm1')}/{IQN}"))]


SAME: dict[str, Probe] = {
    "lifecycle": p_lifecycle, "post-errors": p_post_errors, "passwords-512": p_passwords_512,
    "default-record": p_defaults, "missing-record": p_missing,
    "clear-outbound": p_clear_outbound, "empty-outbound-on-default": p_empty_outbound_on_default,
    "query-and-paging": p_query_and_paging, "return-timeout": p_return_timeout,
    "collection-patch-delete": p_collection_patch_delete, "locations": p_locations,
}


def test_9101_and_9161_differ_exactly_in_the_documented_ways(servers):
    def observe(version: str) -> dict[str, list[tuple[Any, ...]]]:
        api = servers[version]
        out = {}
        for name, program in {**SAME, **{k: v[0] for k, v in DOCUMENTED.items()}}.items():
            assert api.post("/_emulator/reset").status_code == 200
            out[name] = program(api)
        return out

    before, after = observe("9.10.1"), observe("9.16.1")
    differing = {name for name in before if before[name] != after[name]}
    assert differing == set(DOCUMENTED)
    assert all(len(before[name]) == len(after[name]) for name in before)
    # the probes that agree do real work: success and refusal both occur among them
    statuses = {obs[0] for name in SAME for obs in before[name]}
    assert {200, 201, 400, 404, 409} <= statuses


# --- one release at a time ------------------------------------------------------------------
@pytest.mark.parametrize("body", [{"user": ""}, {"user": "", "password": ""},
                                  {"user": "", "password": None}])
def test_empty_outbound_user_clears_outbound_in_every_release(release, body):
    _, api = release
    with_outbound(api)
    resp = api.patch(url(api), json={"authentication_type": "chap", "chap": {"outbound": body}})
    assert resp.status_code == 200, resp.text
    got = api.get(url(api)).json()
    assert got["chap"] == {"inbound": {"user": "in-user"}}
    # outbound can be set again afterwards, and the inbound password was kept
    again = api.patch(url(api), json={"chap": {"outbound": {"user": "o2", "password": "o2-pw"}}})
    assert again.status_code == 200, again.text
    assert api.get(url(api)).json()["chap"]["outbound"] == {"user": "o2"}


def test_passwords_over_512_bytes_refused_in_every_release(release):
    version, api = release
    assert post(api, authentication_type="chap", chap=chap(password="p" * 512)).status_code == 201
    resp = api.patch(url(api), json={"chap": {"outbound": {"user": "o", "password": "q" * 513}}})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "2", (version, resp.text)
    assert "q" * 20 not in resp.text


def test_no_release_returns_a_password_in_any_answer(release):
    _, api = release
    with_outbound(api)
    answers = [api.get(CREDS, params={"fields": f}) for f in
               ("*", "**", "chap", "chap.inbound.password", "chap.outbound.password")]
    answers += [api.get(url(api), params={"fields": f}) for f in ("*", "chap.inbound.password")]
    answers += [api.get(CREDS, params={"chap.inbound.password": "in-secret"}),
                api.patch(CREDS, params={"initiator": IQN, "return_records": "true"},
                          json={"authentication_type": "chap"}),
                api.delete(CREDS, params={"initiator": IQN, "return_records": "true"})]
    for resp in answers:
        assert "in-secret" not in resp.text and "out-secret" not in resp.text


def test_svm_in_patch_before_9151_still_checked(servers):
    api = servers["9.12.1"]
    api.post("/_emulator/reset")
    post(api)
    resp = api.patch(url(api), json={"svm": {"name": "no-such-svm"}})
    assert (resp.status_code, resp.json()["error"]["code"]) == (404, "2621462")


@pytest.mark.parametrize("name", [d.name for d in DEFECTS])
def test_every_defect_still_shows_on_9161(name):
    for api in serve("9.16.1", name):
        SHOWS[name](api)


# --- command line ---------------------------------------------------------------------------
def test_unsupported_release_is_refused():
    with pytest.raises(UnsupportedRelease, match=re.escape(", ".join(SUPPORTED))):
        parse("9.13.1")


@pytest.mark.parametrize("version", ["9.13.1", "9.10", "10.0.0", ""])
def test_cli_refuses_other_releases_in_one_line(version):
    result = run_cli_module("--port", "0", "--ontap-version", version)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --ontap-version must be one of")
    assert all(v in lines[0] for v in SUPPORTED)


def test_cli_lists_the_differences():
    text = run_cli_module("--list-releases")
    assert text.returncode == 0 and all(d.topic in text.stdout for d in DIFFERENCES)
    data = json.loads(run_cli_module("--list-releases", "--json").stdout)
    assert data["supported"] == list(SUPPORTED) and data["default"] == "9.10.1"
    assert {d["since"] for d in data["differences"]} <= set(SUPPORTED)
    assert all(d["facts"] for d in data["differences"])
