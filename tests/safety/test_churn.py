"""The churner itself (tests/safety/churn.py), against an emulator we start.

It must create, patch and delete its own foreign initiators, stay within its bounds
(records alive, request pacing, its namespace, the SVMs it was given), never touch a
record it did not create, change and delete held records mid-run, and leave nothing behind
when asked to clean up. Waits are bounded by iteration counts; nothing asserts on time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.safety.churn import NAMESPACE, Churn, ChurnError
from tests.safety.helpers import PASSWORD, USERNAME, Emulator, emulator

SEED_FILE = Path(__file__).with_name("seed-three-iscsi.json")
OTHERS = [  # another client's records, the churner's namespace-mate among them
    {"svm": {"name": "svm1"}, "initiator": "iqn.1998-01.com.vmware:esx-prod-1",
     "authentication_type": "chap",
     "chap": {"inbound": {"user": "esx", "password": "foreign-chap-secret"}}},
    {"svm": {"name": "svm4"}, "initiator": "eui.0123456789ABCDEF", "authentication_type": "deny",
     "initiator_address": {"ranges": [{"start": "192.0.2.10", "end": "192.0.2.20"}]}},
    {"svm": {"name": "svm1"}, "initiator": f"{NAMESPACE}:someone-else-1",
     "authentication_type": "none"},
]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with emulator(tmp_path_factory.mktemp("churn"), "--seed", str(SEED_FILE)) as running:
        for body in OTHERS:
            running.create(body)
        yield running


def ours(churn: Churn, records: dict) -> dict:
    return {key: record for key, record in records.items() if churn.owns(key[1])}


def test_the_seed_file_has_three_iscsi_svms_and_one_without(target: Emulator) -> None:
    assert json.loads(SEED_FILE.read_text())  # the file the emulator was started with
    svms = target.session.get(target.url + "/api/svm/svms", timeout=30).json()["records"]
    services = target.session.get(target.url + "/api/protocols/san/iscsi/services",
                                  params={"fields": "svm.name"}, timeout=30).json()["records"]
    assert sorted(s["name"] for s in svms) == ["svm1", "svm2", "svm3", "svm4"]
    assert sorted(s["svm"]["name"] for s in services) == ["svm1", "svm2", "svm4"]


def test_churn_creates_patches_and_deletes_in_bounds_and_cleans_up(target: Emulator) -> None:
    before = target.records()
    rate, cap = 40.0, 5
    with Churn(target.url, ["svm1", "svm4"], USERNAME, PASSWORD, seed=11, rate=rate,
               max_alive=cap, hold=3, autostart=False) as churn:
        held = ours(churn, target.records())
        assert len(held) == 3 and churn.counts()["created"] == 3  # created at enter
        churn.start()
        seen_alive: list[int] = []
        for _ in range(1200):  # bounded sampling while it runs
            now = target.records()
            mine = ours(churn, now)
            seen_alive.append(len(mine))
            assert len(mine) <= cap
            assert {svm for svm, _ in mine} <= {"svm1", "svm4"}
            others = {k: v for k, v in now.items() if not churn.owns(k[1])}
            assert others == before, "the churner touched a record it did not create"
            counts = churn.counts()
            if (counts["created"] >= 10 and counts["patched"] >= 6 and counts["deleted"] >= 4
                    and counts["held_patched"] == 1 and counts["held_deleted"] == 1
                    and counts["at_cap"] >= 5):  # it was held at its cap several times
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the churner did too little: {churn.counts()}")
        after_run = ours(churn, target.records())
    counts = churn.counts()
    assert counts["errors"] == 0, list(churn.error_log)
    assert counts["created"] == counts["deleted"] + counts["cleaned"]
    assert target.records() == before, "something was left behind or changed"
    assert churn.max_alive_seen <= cap and max(seen_alive) <= cap
    # held records: one patched (its type changed), one deleted, the third untouched
    (patched,) = churn.patched_keys() & {_uuid_key(target, k) for k in held}
    (deleted,) = churn.deleted_keys() & {_uuid_key(target, k) for k in held}
    assert patched != deleted
    by_uuid = {_uuid_key(target, k): (k, v) for k, v in held.items()}
    name_key, initial = by_uuid[patched]  # only its planned patch touched it: type changed
    assert after_run[name_key]["authentication_type"] != initial["authentication_type"]
    assert by_uuid[deleted][0] not in after_run
    untouched = set(by_uuid) - {patched, deleted}
    assert len(untouched) == 1
    (still,) = untouched
    assert after_run[by_uuid[still][0]] == by_uuid[still][1]
    # every write went to its own namespace; pacing held between every two request starts
    assert all(churn.owns(initiator) and initiator.startswith(NAMESPACE + ":")
               for _, initiator in churn.created_keys())
    starts = list(churn.request_starts)
    assert len(starts) == counts["requests"]
    assert all(b - a >= 1 / rate - 1e-6 for a, b in pairwise(starts))


def test_a_patch_changes_the_authentication_type(target: Emulator) -> None:
    """A patched record is visibly different (the type always changes), so a suite that
    watches foreign records sees the change."""
    with Churn(target.url, ["svm2"], USERNAME, PASSWORD, seed=3, rate=50, max_alive=2,
               hold=2, hold_patch=2, hold_delete=0, hold_within=2, autostart=False) as churn:
        initial = ours(churn, target.records())
        churn.start()
        # both records held and max_alive reached: the planned patches are all it can do
        assert churn.wait_until(lambda c: c["held_patched"] == 2, attempts=1200)
        changed = ours(churn, target.records())
    assert churn.counts()["patched"] == 2 and churn.counts()["created"] == 2
    assert set(changed) == set(initial) and len(initial) == 2
    assert all(changed[k]["authentication_type"] != initial[k]["authentication_type"]
               for k in initial)
    assert not ours(churn, target.records())


def test_without_cleanup_exactly_its_alive_records_remain(target: Emulator) -> None:
    before = target.records()
    with Churn(target.url, ["svm1", "svm2", "svm4"], USERNAME, PASSWORD, seed=5, rate=50,
               max_alive=4, cleanup=False) as churn:
        assert churn.wait_until(lambda c: c["created"] >= 6 and c["deleted"] >= 2)
    left = ours(churn, target.records())
    assert {(_uuid_key(target, k)) for k in left} == churn.alive()
    assert churn.counts()["cleaned"] == 0 and churn.counts()["errors"] == 0
    for svm_uuid, initiator in churn.alive():  # tidy up by hand
        answer = target.session.delete(f"{target.url}/api/protocols/san/iscsi/credentials/"
                                       f"{svm_uuid}/{initiator}", timeout=30)
        assert answer.status_code == 200
    assert target.records() == before


def test_an_svm_without_the_iscsi_service_only_counts_errors(target: Emulator) -> None:
    before = target.records()
    with Churn(target.url, ["svm3"], USERNAME, PASSWORD, seed=1, rate=50) as churn:
        assert churn.wait_until(lambda c: c["errors"] >= 3)
    counts = churn.counts()
    assert counts["created"] == counts["patched"] == counts["deleted"] == 0
    assert all("POST" in line and "400" in line for line in churn.error_log)
    assert target.records() == before


def test_an_unknown_svm_is_refused_at_enter(target: Emulator) -> None:
    with pytest.raises(ChurnError, match="nosuchsvm"), \
            Churn(target.url, ["nosuchsvm"], USERNAME, PASSWORD):
        pass


@pytest.mark.parametrize(("url", "kwargs", "message"), [
    ("http://192.0.2.1:8080", {}, "loopback"),
    ("https://cluster.example.com", {}, "loopback"),
    ("http://127.0.0.1:1", {"namespace": "iqn.2000-01.org.conformance.r123"}, "suite"),
    ("http://127.0.0.1:1", {"namespace": "iqn.2000-01.org.example.conformance"}, "suite"),
    ("http://127.0.0.1:1", {"hold": 4, "max_alive": 3}, "max_alive"),
    ("http://127.0.0.1:1", {"rate": 0}, "rate"),
    ("http://127.0.0.1:1", {"hold": 1, "hold_patch": 1, "hold_delete": 1}, "hold"),
])
def test_bad_settings_are_refused_before_any_request(url, kwargs, message) -> None:
    with pytest.raises(ChurnError, match=message):
        Churn(url, ["svm1"], USERNAME, PASSWORD, **kwargs)


def _uuid_key(target: Emulator, key: tuple[str, str]) -> tuple[str, str]:
    """(svm name, initiator) -> (svm uuid, initiator), as the churner keys its records."""
    svm_name, initiator = key
    records = target.session.get(target.url + "/api/svm/svms", params={"name": svm_name},
                                 timeout=30).json()["records"]
    return (records[0]["uuid"], initiator)
