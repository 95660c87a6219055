"""--faults: every kind occurs, writes are faulted before and after the change, the control
endpoints and unauthenticated requests never are; --record-secrets writes what it receives."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections import Counter

import pytest
import requests

from tests.emulator.conftest import AUTH, CREDS, ROOT, clean_env, start_emulator, stop

SEED = "11"
CLIENT_TIMEOUT = 1.0  # the delay fault is 2.5 s; a slow normal answer only adds a retry


def session() -> requests.Session:
    s = requests.Session()
    s.auth = AUTH
    s.trust_env = False
    return s


def call(s: requests.Session, method: str, url: str, **kwargs) -> int | str:
    """The status, or the name of the failure for a dropped or timed-out request."""
    try:
        return s.request(method, url, timeout=CLIENT_TIMEOUT, **kwargs).status_code
    except requests.Timeout:
        return "timeout"
    except requests.ConnectionError:
        return "connection"


def exists(s: requests.Session, url: str) -> bool:
    """Decide through the faults: retry the GET until it answers 200 or 404 (bounded)."""
    for _ in range(40):
        outcome = call(s, "GET", url)
        if outcome in (200, 404):
            return outcome == 200
        assert outcome in (429, 503, "timeout", "connection"), outcome
    raise AssertionError(f"no fault-free GET of {url} in 40 tries")


def test_faults_kinds_phases_and_untouched_paths(tmp_path):
    proc, info = start_emulator(tmp_path, "--faults", "0.3", "--faults-seed", SEED,
                                "--fault-delay", "2.5")
    base = str(info["url"])
    s = session()
    try:
        seen: Counter[int | str] = Counter()
        lost_writes = kept_writes = 0
        for i in range(45):
            initiator = f"iqn.1992-08.com.netapp:fault{i}"
            outcome = call(s, "POST", base + CREDS,
                           json={"svm": {"name": "svm1"}, "initiator": initiator,
                                 "authentication_type": "none"})
            seen[outcome] += 1
            assert outcome in (201, 429, 503, "timeout", "connection"), outcome
            records = s.get(base + "/_emulator/health", timeout=10)
            assert records.status_code == 200  # control endpoint: never faulted
            applied = exists(s, f"{base}{CREDS}/{uuid_of(s, base)}/{initiator}")
            if outcome == 201:
                assert applied
            elif applied:
                kept_writes += 1
            else:
                lost_writes += 1
        for _ in range(10):
            unauth = requests.get(base + CREDS, timeout=10)
            assert unauth.status_code == 401
            wrong = requests.post(base + CREDS, auth=("admin", "nope"), json={}, timeout=10)
            assert wrong.status_code == 401
        report = s.get(base + "/_emulator/health", timeout=10).json()["faults"]
    finally:
        code, _, err = stop(proc)
    assert report["rate"] == 0.3 and report["seed"] == int(SEED)
    assert all(report["by_kind"][k] > 0 for k in ("503", "429", "drop", "delay")), report
    writes = report["writes_by_phase"]
    assert writes["before"] > 0 and writes["after"] > 0, report
    # a write faulted before the change is never applied; one faulted after always is (a
    # slow answer that timed out without a fault can only add to the applied side)
    assert lost_writes == writes["before"], (seen, report)
    assert kept_writes >= writes["after"], (seen, report)
    assert {"timeout", "connection", 429, 503} <= set(seen), seen
    assert report["eligible_requests"] > 45  # POSTs + GETs, never health or 401s
    assert code == 0 and "Traceback" not in err and "ASGI" not in err, err


_UUIDS: dict[str, str] = {}


def uuid_of(s: requests.Session, base: str) -> str:
    """svm1's UUID through the faults (retried)."""
    if base not in _UUIDS:
        for _ in range(40):
            try:
                resp = s.get(base + "/api/svm/svms", params={"name": "svm1"},
                             timeout=CLIENT_TIMEOUT)
            except requests.RequestException:
                continue
            if resp.status_code == 200:
                _UUIDS[base] = resp.json()["records"][0]["uuid"]
                break
    return _UUIDS[base]


def test_faults_off_by_default_and_reported(tmp_path):
    proc, info = start_emulator(tmp_path)
    try:
        s = session()
        for _ in range(30):
            assert s.get(str(info["url"]) + CREDS, timeout=10).status_code == 200
        report = s.get(str(info["url"]) + "/_emulator/health", timeout=10).json()["faults"]
    finally:
        stop(proc)
    assert report["rate"] == 0 and report["injected"] == 0


def test_a_fault_streak_lets_the_next_try_through_and_retry_after_is_set(tmp_path):
    proc, info = start_emulator(tmp_path, "--faults", "0.95", "--faults-seed", SEED,
                                "--fault-streak", "2", "--fault-retry-after", "0",
                                "--fault-delay", "2.5")
    base = str(info["url"])
    s = session()
    try:
        outcomes = [call(s, "GET", base + CREDS, params={"fields": "initiator"})
                    for _ in range(30)]
        other = call(s, "GET", base + CREDS, params={"fields": "svm"})
        retry_after = None
        for _ in range(20):
            try:
                resp = s.get(base + "/api/cluster", timeout=CLIENT_TIMEOUT)
            except (requests.Timeout, requests.ConnectionError):
                continue
            if resp.status_code in (429, 503):
                retry_after = resp.headers["retry-after"]
                break
        report = s.get(base + "/_emulator/health", timeout=10).json()["faults"]
    finally:
        stop(proc)
    # at 0.95 nearly every request is faulted, but never three of the same in a row
    runs = "".join("x" if o != 200 else "." for o in outcomes).split(".")
    assert max(len(r) for r in runs) == 2, outcomes
    assert sum(o != 200 for o in outcomes) >= 15, outcomes
    assert other != 200  # another query is another request: its own streak
    assert retry_after == "0"
    assert report["streak"] == 2 and report["spared_by_streak"] >= 5
    assert report["retry_after"] == 0


@pytest.mark.parametrize("args", [["--faults", "1.5"], ["--faults", "-0.1"],
                                  ["--faults", "nan"], ["--fault-delay", "-1"],
                                  ["--fault-retry-after", "-1"], ["--fault-streak", "-1"],
                                  ["--faults", "x"], ["--faults-seed", "x"],
                                  ["--fault-late-seconds", "-1"], ["--fault-late-seconds", "x"]])
def test_bad_fault_arguments_exit_2(args):
    result = subprocess.run([sys.executable, "-m", "emulator", "--port", "0", *args], cwd=ROOT,
                            env=clean_env(), capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "error:" in result.stderr


def test_record_secrets_appends_every_password(tmp_path):
    target = tmp_path / "secrets.jsonl"
    proc, info = start_emulator(tmp_path, "--record-secrets", str(target))
    base = str(info["url"])
    s = session()
    try:
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        iqn = "iqn.1992-08.com.netapp:rec"
        body = {"svm": {"name": "svm1"}, "initiator": iqn, "authentication_type": "chap",
                "chap": {"inbound": {"user": "u", "password": "in-secret-1"},
                         "outbound": {"user": "o", "password": "out-secret-1"}}}
        assert s.post(base + CREDS, json=body, timeout=10).status_code == 201
        uuid = s.get(base + "/api/svm/svms", params={"name": "svm1"},
                     timeout=10).json()["records"][0]["uuid"]
        patch = {"chap": {"inbound": {"password": "in-secret-2"}}}
        assert s.patch(f"{base}{CREDS}/{uuid}/{iqn}", json=patch, timeout=10).status_code == 200
        same = {**body, "initiator": iqn + "2",
                "chap": {"inbound": {"user": "u", "password": "same-secret-3"},
                         "outbound": {"user": "o", "password": "same-secret-3"}}}
        assert s.post(base + CREDS, json=same, timeout=10).status_code == 400  # still recorded
        assert s.post(base + CREDS, data=b"{not json", timeout=10).status_code == 400
    finally:
        stop(proc)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [(x["method"], x["side"], x["password"]) for x in lines] == [
        ("POST", "inbound", "in-secret-1"), ("POST", "outbound", "out-secret-1"),
        ("PATCH", "inbound", "in-secret-2"), ("POST", "inbound", "same-secret-3"),
        ("POST", "outbound", "same-secret-3")]


def test_no_secrets_file_without_the_option(tmp_path):
    proc, info = start_emulator(tmp_path)
    try:
        body = {"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.com.netapp:x",
                "authentication_type": "chap",
                "chap": {"inbound": {"user": "u", "password": "in-secret-9"}}}
        assert session().post(str(info["url"]) + CREDS, json=body, timeout=10).ok
    finally:
        _, out, err = stop(proc)
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("ready-")]
    assert "in-secret-9" not in out + err


# --- --fault-late-apply --------------------------------------------------------------------------
LATE_ARGS = ("--faults", "1", "--faults-seed", SEED, "--fault-streak", "1",
             "--fault-retry-after", "0", "--fault-delay", "0.1", "--fault-late-apply")


def health(s: requests.Session, base: str) -> dict:
    return s.get(base + "/_emulator/health", timeout=10).json()["faults"]


def phase_of(before: dict, after: dict) -> str | None:
    """The phase of the one write between two health reads (None: it was not faulted)."""
    grown = [p for p in ("before", "after", "late")
             if after["writes_by_phase"][p] > before["writes_by_phase"][p]]
    assert len(grown) <= 1, (before, after)
    return grown[0] if grown else None


def late_write(s: requests.Session, base: str, method: str, path: str,
               **kwargs) -> tuple[int | str, str | None]:
    """One write (not retried): its outcome and the phase it was faulted in."""
    start = health(s, base)
    outcome = call(s, method, base + path, **kwargs)
    return outcome, phase_of(start, health(s, base))


def post_body(initiator: str) -> dict:
    return {"svm": {"name": "svm1"}, "initiator": initiator, "authentication_type": "none"}


def test_a_late_write_is_invisible_until_the_next_write_and_writes_keep_their_order(tmp_path):
    proc, info = start_emulator(tmp_path, *LATE_ARGS, "--fault-late-seconds", "60")
    base = str(info["url"])
    s = session()
    late = []
    try:
        svm1 = uuid_of(s, base)
        for i in range(24):
            initiator = f"iqn.1992-08.com.netapp:late{i}"
            path = f"{CREDS}/{svm1}/{initiator}"
            outcome, phase = late_write(s, base, "POST", CREDS, json=post_body(initiator))
            if phase != "late":
                assert exists(s, base + path) == (phase != "before"), (i, outcome, phase)
                continue
            late.append(outcome)
            assert outcome in (429, 503, "connection"), outcome  # the fault, at once
            assert not exists(s, base + path)  # reads see the old state
            assert not exists(s, base + path)
            report = health(s, base)
            assert report["late"]["pending"] == 1 and report["late"]["applied_before_write"] \
                == len(late) - 1
            # the next write of any kind (here a DELETE of a key that does not exist) applies
            # it first; a DELETE of the record itself then finds it, whatever its own fate
            late_write(s, base, "DELETE", f"{CREDS}/{svm1}/iqn.1992-08.com.netapp:none{i}")
            assert exists(s, base + path)
            assert health(s, base)["late"]["applied_before_write"] >= len(late)
        report = health(s, base)
    finally:
        code, _, err = stop(proc)
    assert len(late) >= 2, late
    assert report["late_apply"] is True
    assert sum(report["late"]["by_kind"].values()) == report["writes_by_phase"]["late"]
    assert report["late"]["by_kind"] == {k: report["by_kind_and_phase"][f"{k}/late"]
                                         for k in ("503", "429", "drop", "delay")}
    assert report["late"]["applied_by_timer"] == 0
    assert code == 0 and "Traceback" not in err, err


def test_a_late_write_is_applied_by_its_timer_and_a_reset_drops_the_held_ones(tmp_path):
    proc, info = start_emulator(tmp_path, *LATE_ARGS, "--fault-late-seconds", "0.3")
    base = str(info["url"])
    s = session()
    try:
        svm1 = uuid_of(s, base)
        timed = None
        for i in range(24):  # a late POST, then no write at all: the timer applies it
            initiator = f"iqn.1992-08.com.netapp:timer{i}"
            _, phase = late_write(s, base, "POST", CREDS, json=post_body(initiator))
            if phase == "late":
                timed = f"{CREDS}/{svm1}/{initiator}"
                break
        assert timed is not None
        for _ in range(100):
            if health(s, base)["late"]["pending"] == 0:
                break
            time.sleep(0.05)
        assert exists(s, base + timed)
        assert health(s, base)["late"]["applied_by_timer"] == 1
    finally:
        stop(proc)
    proc, info = start_emulator(tmp_path, *LATE_ARGS, "--fault-late-seconds", "60")
    base = str(info["url"])
    try:
        svm1 = uuid_of(s, base)
        dropped = None
        for i in range(24):
            initiator = f"iqn.1992-08.com.netapp:reset{i}"
            _, phase = late_write(s, base, "POST", CREDS, json=post_body(initiator))
            if phase == "late":
                dropped = f"{CREDS}/{svm1}/{initiator}"
                break
            assert s.post(base + "/_emulator/reset", timeout=10).status_code == 200
        assert dropped is not None
        assert s.post(base + "/_emulator/reset", timeout=10).status_code == 200
        late_write(s, base, "DELETE", f"{CREDS}/{svm1}/iqn.1992-08.com.netapp:none")
        assert not exists(s, base + dropped)  # never applied
        report = health(s, base)["late"]
        assert report["dropped_by_reset"] == 1 and report["pending"] in (0, 1)
    finally:
        code, _, err = stop(proc)
    assert code == 0 and "Traceback" not in err, err


def test_without_the_flag_no_write_is_late(tmp_path):
    proc, info = start_emulator(tmp_path, *LATE_ARGS[:-1])
    base = str(info["url"])
    s = session()
    try:
        for i in range(12):
            late_write(s, base, "POST", CREDS,
                       json=post_body(f"iqn.1992-08.com.netapp:never{i}"))
        report = health(s, base)
    finally:
        stop(proc)
    assert report["writes_by_phase"]["late"] == 0 and report["late_apply"] is False
    assert report["writes_by_phase"]["before"] + report["writes_by_phase"]["after"] >= 6
