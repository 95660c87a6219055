"""The fast collection path (sorted store, narrowing by SVM and initiator, lazy rendering,
bisection of start.*) answers exactly as the generic path did: render every record, sort,
filter, page. Hypothesis draws the records, the defects and the queries."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import narrow, query, render
from emulator.defects import Defects
from emulator.errors import OntapError
from emulator.state import Backend, Chap, Credential, SvmSeed, seed_uuid
from emulator.store import CredentialStore
from emulator.validation import Mask, Range

SVM_NAMES = ("svm1", "svm2", "vs a", "zeta", "Alpha")
PIECES = ("iqn.2000-01.a:", "iqn.2000-01.a:b", "iqn.1998-01.com.vmware:", "eui.", "x", "b",
          ":", "-", "0", "A")
#: Defects that change what the collection answers (the narrowed path must show them too).
COLLECTION_DEFECTS = ("order-by-ignored", "order-by-ignored-past-ten", "later-pages-overfull",
                      "num-records-remaining-on-later-pages", "list-hides-deny",
                      "max-records-ignored", "filter-misses-late-records", "wildcard-literal",
                      "filter-ignored", "return-records-ignored", "num-records-off-by-one",
                      "fields-ignored", "self-link-without-svm", "hide-chap-users")

names = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)


@st.composite
def clusters(draw: st.DrawFn) -> tuple[list[SvmSeed], list[Credential]]:
    chosen = draw(st.lists(st.sampled_from(SVM_NAMES), min_size=1, max_size=4, unique=True))
    seeds = [SvmSeed(n, seed_uuid(n), draw(st.booleans())) for n in chosen]
    creds = []
    for svm_seed in seeds:
        for initiator in draw(st.lists(names, max_size=10, unique=True)):
            auth = draw(st.sampled_from(("chap", "none", "deny")))
            cred = Credential(svm_seed.uuid, initiator, auth)
            if auth == "chap":
                cred.inbound = Chap(draw(st.sampled_from(("u1", "u2", "esx"))), "secret-pw-1")
            if draw(st.booleans()):
                cred.masks = [Mask(ipaddress.ip_address(f"10.0.{draw(st.integers(0, 3))}.0"), 24)]
                cred.ranges = [Range(ipaddress.ip_address("10.1.0.1"),
                                     ipaddress.ip_address("10.1.0.9"))]
            creds.append(cred)
    return seeds, creds


def terms(draw: st.DrawFn, values: list[str]) -> str:
    """An OR of literals, prefixes, other wildcards, negations, operators and null."""
    def one(value: str) -> st.SearchStrategy[str]:
        cut = draw(st.integers(0, len(value)))
        return st.sampled_from([value, value[:cut] + "*", "*" + value[cut:], f"!{value}",
                                f'"{value}"', f"<{value}", f"{value[:cut]}*{value[cut:]}",
                                "null", "!null", value[:cut]])
    picked = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
    return "|".join(draw(one(v)) for v in picked)


@st.composite
def queries(draw: st.DrawFn, seeds: list[SvmSeed], creds: list[Credential]) -> dict[str, str]:
    params: dict[str, str] = {}
    initiators = [c.initiator for c in creds] + ["default", "iqn.2000-01.a:", "nothing"]
    if draw(st.booleans()):
        params["svm.uuid"] = terms(draw, [s.uuid for s in seeds] + ["0000"])
    if draw(st.booleans()):
        params["svm.name"] = terms(draw, [s.name for s in seeds])
    if draw(st.booleans()):
        params["initiator"] = terms(draw, initiators)
    if draw(st.booleans()):
        params["authentication_type"] = draw(st.sampled_from(("chap", "none|deny", "!deny")))
    if draw(st.booleans()):
        params["fields"] = draw(st.sampled_from(("*", "initiator", "chap,initiator_address",
                                                 "*,!chap.inbound.user")))
    if draw(st.booleans()):
        params["order_by"] = draw(st.sampled_from(("initiator", "initiator desc", "svm.name",
                                                   "svm.name,initiator", "chap.inbound.user")))
    if draw(st.booleans()):
        params["max_records"] = str(draw(st.integers(1, 6)))
    if draw(st.integers(0, 4)) == 0:
        params["offset"] = str(draw(st.integers(0, 5)))
    if draw(st.integers(0, 4)) == 0:
        params["return_records"] = "false"
    return params


def generic(backend: Backend, params: dict[str, str], defects: Defects) -> dict[str, Any]:
    """The collection as the emulator built it before the fast path: every record copied,
    sorted by SVM name and initiator, rendered, then the whole query."""
    svms, creds = backend.snapshot()
    by_uuid = {s.uuid: s for s in svms}
    creds = sorted(creds, key=lambda c: (by_uuid[c.svm_uuid].name, c.initiator))
    records = [render.credential(c, by_uuid[c.svm_uuid], defects) for c in creds]
    return query.collection(records, params, query.CREDENTIALS_SCHEMA, "credentials",
                            render.CREDENTIALS, "", defects)


def fast(backend: Backend, params: dict[str, str], defects: Defects) -> dict[str, Any]:
    """What app.py serves now."""
    svms, creds = backend.listing(narrowing=narrow.plan(params, defects))
    by_uuid = {s.uuid: s for s in svms}
    records = query.Lazy(creds, lambda c: render.credential(c, by_uuid[c.svm_uuid], defects))
    return query.collection(records, params, query.CREDENTIALS_SCHEMA, "credentials",
                            render.CREDENTIALS, "", defects, presorted=True)


def outcome(answer: Any, backend: Backend, params: dict[str, str], defects: Defects) -> Any:
    try:
        return answer(backend, params, defects)
    except OntapError as exc:
        return ("error", exc.http_status, exc.error_code, exc.target)


def pages(answer: Any, backend: Backend, params: dict[str, str], defects: Defects) -> list:
    """The first answer and every page its next links lead to (at most 30)."""
    out = [outcome(answer, backend, params, defects)]
    for _ in range(30):
        last = out[-1]
        if isinstance(last, tuple) or "next" not in last["_links"]:
            break
        href = last["_links"]["next"]["href"]
        out.append(outcome(answer, backend, dict(parse_qsl(urlsplit(href).query,
                                                           keep_blank_values=True)), defects))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_path_answers_as_the_generic_path(data: st.DataObject) -> None:
    seeds, creds = data.draw(clusters())
    defect = data.draw(st.none() | st.sampled_from(COLLECTION_DEFECTS))
    defects = Defects([defect] if defect else [])
    backend = Backend(seeds, defects, preload=creds)
    params = data.draw(queries(seeds, creds))
    assert pages(fast, backend, params, defects) == pages(generic, backend, params, defects)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_start_position_anywhere_resumes_as_the_generic_path(data: st.DataObject) -> None:
    seeds, creds = data.draw(clusters())
    backend = Backend(seeds, Defects(), preload=creds)
    svm = data.draw(st.sampled_from(seeds))
    params = {"max_records": str(data.draw(st.integers(1, 4))),
              "start.svm.name": data.draw(st.sampled_from([svm.name, "", "m", "zz"])),
              "start.initiator": data.draw(names | st.sampled_from(["default", ""])),
              "start.svm.uuid": data.draw(st.sampled_from([svm.uuid, "0", "f"]))}
    if data.draw(st.booleans()):
        params["initiator"] = data.draw(names) + "*"
    assert pages(fast, backend, params, Defects()) == pages(generic, backend, params, Defects())


@settings(max_examples=100, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(("a", "b")), names, st.integers(0, 3),
                              st.booleans()), max_size=60))
def test_the_store_keeps_sorted_names_and_address_totals(ops) -> None:
    store, model = CredentialStore(), {}
    for svm, initiator, entries, delete in ops:
        key = (svm, initiator)
        if delete:
            if key in model:
                del store[key], model[key]
            continue
        cred = Credential(svm, initiator, "none")
        cred.masks = [Mask(ipaddress.ip_address(f"10.0.0.{i}"), 32) for i in range(entries)]
        store[key] = model[key] = cred
    for svm in ("a", "b"):
        assert store.initiators(svm) == sorted(k[1] for k in model if k[0] == svm)
        assert store.count(svm) == len(store.initiators(svm))
    assert store.address_entries == sum(len(c.masks) for c in model.values())
    assert dict(store.items()) == model and len(store) == len(model)
    twin = store.copy()
    for key in list(model)[:3]:
        del twin[key]
    assert dict(store.items()) == model  # a copy is independent
    assert CredentialStore.of(model.values()).initiators("a") == store.initiators("a")


def test_a_page_renders_its_own_records_not_the_collection() -> None:
    seeds = [SvmSeed("svm1", seed_uuid("svm1"), True)]
    creds = [Credential(seeds[0].uuid, f"iqn.2000-01.a:{i:05d}", "none") for i in range(2000)]
    backend = Backend(seeds, Defects(), preload=creds)
    rendered = []

    def counting(cred: Credential) -> dict[str, Any]:
        rendered.append(cred.initiator)
        return render.credential(cred, backend.svms[cred.svm_uuid], Defects())

    _, listed = backend.listing()
    assert listed[1] is backend.creds[(seeds[0].uuid, "iqn.2000-01.a:00000")]  # not copied
    answer = query.collection(query.Lazy(listed, counting),
                              {"max_records": "5", "start.svm.name": "svm1",
                               "start.svm.uuid": seeds[0].uuid,
                               "start.initiator": "iqn.2000-01.a:01000"},
                              query.CREDENTIALS_SCHEMA, "credentials", render.CREDENTIALS, "",
                              Defects(), presorted=True)
    assert [r["initiator"] for r in answer["records"]] == \
        [f"iqn.2000-01.a:{i:05d}" for i in range(1001, 1006)]
    assert len(rendered) <= 5 + 2 * 12  # the page, and the bisection's probes
    count = query.collection(query.Lazy(listed, counting), {"return_records": "false"},
                             query.CREDENTIALS_SCHEMA, "credentials", render.CREDENTIALS, "",
                             Defects(), presorted=True)
    assert count["num_records"] == 2001 and len(rendered) <= 5 + 2 * 12


def test_a_scoped_query_picks_its_names_by_bisection() -> None:
    seeds = [SvmSeed(n, seed_uuid(n), True) for n in ("svm1", "svm2")]
    creds = [Credential(s.uuid, f"iqn.1998-01.com.vmware:h{i:05d}", "none")
             for s in seeds for i in range(500)]
    creds.append(Credential(seeds[1].uuid, "iqn.2000-01.org.conformance.r1:x", "none"))
    backend = Backend(seeds, Defects(), preload=creds)
    plan = narrow.plan({"svm.uuid": seeds[1].uuid,
                        "initiator": "iqn.2000-01.org.conformance.r1*|eui.AB*|default"},
                       Defects())
    assert plan is not None
    _, listed = backend.listing(narrowing=plan)
    assert [c.initiator for c in listed] == ["default", "iqn.2000-01.org.conformance.r1:x"]
    assert narrow.plan({"initiator": "!x"}, Defects()) is None
    assert narrow.plan({"initiator": "*x"}, Defects()) is None
    assert narrow.plan({"initiator": "a*"}, Defects(["filter-ignored"])) is None
