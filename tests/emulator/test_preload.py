"""--preload N: other hosts' credentials, deterministic, valid, outside the suite's namespace,
part of the starting state (reset restores them), their passwords never shown."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from emulator.defects import Defects
from emulator.preload import (
    MAX_PRELOAD,
    RESERVED,
    PreloadError,
    generate,
    parse_count,
    shares,
)
from emulator.state import SvmSeed, default_seed, seed_uuid
from emulator.validation import check_initiator, check_password, check_user, same_secret
from tests.emulator.conftest import CREDS, ROOT, Api, clean_env, start_emulator, stop

THREE = [SvmSeed(n, seed_uuid(n), n != "svm3") for n in ("svm1", "svm2", "svm3", "svm4")]


def test_the_same_seed_gives_the_same_records_and_another_seed_others():
    first, again = generate(THREE, 500, seed=7), generate(THREE, 500, seed=7)
    assert first == again
    assert [c.inbound for c in first] == [c.inbound for c in again]  # passwords included
    other = generate(THREE, 500, seed=8)
    assert {c.initiator for c in other} != {c.initiator for c in first}


def test_about_half_on_the_first_iscsi_svm_the_rest_spread_none_without_iscsi():
    records = generate(THREE, 2001)
    per_svm = Counter(c.svm_uuid for c in records)
    assert sum(per_svm.values()) == 2001
    assert per_svm[seed_uuid("svm1")] == 1001
    assert per_svm[seed_uuid("svm2")] == per_svm[seed_uuid("svm4")] == 500
    assert seed_uuid("svm3") not in per_svm
    assert shares(7, 1) == [7] and shares(0, 3) == [0, 0, 0] and shares(5, 3) == [3, 1, 1]


def test_names_are_valid_unique_per_svm_and_outside_the_suites_namespaces():
    records = generate(THREE, 5000, seed=3)
    keys = [(c.svm_uuid, c.initiator) for c in records]
    assert len(set(keys)) == len(keys)
    shapes = Counter()
    for cred in records:
        check_initiator(cred.initiator, Defects())  # raises on an invalid name
        assert not cred.initiator.lower().startswith(RESERVED)
        assert not cred.initiator.startswith(("iqn.2000-01.org.conformance",
                                              "iqn.2000-01.org.example.conformance"))
        assert not cred.initiator.lower().startswith("eui.2000c0de")
        shapes[cred.initiator.split(":")[0] if ":" in cred.initiator else "eui"] += 1
    assert set(shapes) == {"iqn.1998-01.com.vmware", "iqn.1994-05.com.redhat",
                           "iqn.1993-08.org.debian", "iqn.1991-05.com.microsoft", "eui"}
    euis = [c.initiator[4:] for c in records if c.initiator.startswith("eui.")]
    assert any(e.isupper() for e in euis) and any(e.islower() for e in euis)
    assert all(len(e) == 16 for e in euis)


def test_the_mix_of_types_chap_and_addresses():
    records = generate(default_seed(), 5000, seed=11)
    kinds = Counter(c.auth_type for c in records)
    assert 0.55 < kinds["chap"] / 5000 < 0.65
    assert 0.25 < kinds["none"] / 5000 < 0.35
    assert 0.07 < kinds["deny"] / 5000 < 0.13
    chap = [c for c in records if c.auth_type == "chap"]
    with_outbound = [c for c in chap if c.outbound is not None]
    assert 0.28 < len(with_outbound) / len(chap) < 0.39
    for cred in chap:
        assert cred.inbound and cred.inbound.user and cred.inbound.password
        check_user(cred.inbound.user, "chap.inbound.user", Defects())
        check_password(cred.inbound.password, "chap.inbound.password", Defects())
    assert any(c.inbound and c.inbound.user.startswith("esx-host-") for c in chap)
    for cred in with_outbound:
        assert cred.outbound and cred.outbound.user and cred.outbound.password
        assert cred.inbound and not same_secret(cred.inbound.password, cred.outbound.password)
    assert all(c.inbound is None and c.outbound is None for c in records
               if c.auth_type != "chap")
    listed = [c for c in records if c.ranges or c.masks]
    assert 0.12 < len(listed) / 5000 < 0.18
    assert any(m.address.version == 6 for c in listed for m in c.masks)
    assert all(r.start <= r.end for c in listed for r in c.ranges)


@pytest.mark.parametrize("text", ["-1", "x", "1.5", "", str(MAX_PRELOAD + 1), "1e3"])
def test_a_bad_count_is_refused(text):
    with pytest.raises(PreloadError):
        parse_count(text)
    assert parse_count(" 20000 ") == 20000 and parse_count("0") == 0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator", "--port", "0", *args], cwd=ROOT,
                          env=clean_env(), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["--preload", "-5"], ["--preload", "many"],
                                  ["--preload", "3", "--preload-seed", "x"]])
def test_bad_preload_arguments_exit_2_with_one_line(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: --preload")
    assert len(result.stderr.strip().splitlines()) == 1


def test_preload_needs_an_iscsi_svm(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text('[{"name": "only", "iscsi": false}]')
    result = run_cli("--seed", str(seed), "--preload", "3")
    assert result.returncode == 2 and "iSCSI" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def listing(api: Api) -> list[dict]:
    body = api.get(CREDS, params={"fields": "*", "max_records": "10000"}).json()
    assert "next" not in body["_links"]
    return body["records"]


def test_preloaded_records_are_served_reset_restores_them_and_no_password_shows(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"name": n, "iscsi": n != "svm3"} for n in
                                ("svm1", "svm2", "svm3", "svm4")]))
    proc, info = start_emulator(tmp_path, "--seed", str(seed), "--preload", "300",
                                "--preload-seed", "5")
    expected = generate(THREE, 300, seed=5)
    passwords = {p.password for c in expected for p in (c.inbound, c.outbound) if p}
    seen_text = []
    try:
        api = Api(str(info["url"]))
        start = listing(api)
        seen_text.append(json.dumps(start))
        assert len(start) == 303  # three defaults
        assert {(r["svm"]["uuid"], r["initiator"]) for r in start if r["initiator"] != "default"} \
            == {(c.svm_uuid, c.initiator) for c in expected}
        one = next(c for c in expected if c.auth_type == "chap" and c.ranges)
        path = f"{CREDS}/{one.svm_uuid}/{one.initiator}"
        shown = api.get(path).json()
        seen_text.append(json.dumps(shown))
        assert shown["chap"]["inbound"] == {"user": one.inbound.user}
        # writes on preloaded and on new records, then reset: exactly the starting state
        assert api.patch(path, json={"authentication_type": "none"}).status_code == 200
        other = next(c for c in expected if c.auth_type == "deny")
        assert api.delete(f"{CREDS}/{other.svm_uuid}/{other.initiator}").status_code == 200
        assert api.post(CREDS, json={"svm": {"name": "svm4"}, "initiator": "iqn.1992-08.com.x:n",
                                     "authentication_type": "none"}).status_code == 201
        changed = listing(api)
        assert changed != start and len(changed) == 303
        assert api.post("/_emulator/reset").status_code == 200
        assert listing(api) == start
        health = api.get("/_emulator/health")
        seen_text.append(health.text)
    finally:
        code, out, err = stop(proc)
    assert code == 0
    assert "preloaded:      300" in out
    for text in [*seen_text, out, err]:
        assert not any(p in text for p in passwords)
