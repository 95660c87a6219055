"""Concurrency: threads hammer one SVM and three initiators; the history must be linearizable.

Each operation's invocation and response times are recorded; a Wing & Gong search then looks
for a sequential order, consistent with real time (an operation that returned before another
was invoked comes first), in which every answer is what the sequential spec below gives.
Credentials of different initiators are independent objects, so by locality each initiator's
sub-history is checked on its own (P-compositionality), which keeps the search tiny.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.emulator.conftest import AUTH, CREDS, Api, start_emulator, stop

THREADS, OPS = 4, 25
INITIATORS = [f"iqn.1992-08.com.netapp:lin{i}" for i in range(3)]
ADDRESSES = [f"10.0.0.{i}" for i in range(1, 6)]
SEARCH_LIMIT = 200_000

State = tuple[str, frozenset[str]] | None  # (authentication_type, addresses) or absent


@dataclass
class Op:
    thread: int
    kind: str  # create, delete, patch_type, patch_add, get
    initiator: str
    arg: str | None
    call: int = 0
    ret: int = 0
    status: int = 0
    code: str | None = None
    seen: State = None
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"t{self.thread} {self.kind}({self.initiator[-4:]}, {self.arg}) -> "
                f"{self.status} {self.code or ''} {self.seen or ''} "
                f"[{self.call}, {self.ret}]")


def step(state: State, op: Op) -> State | str:
    """The sequential spec: the next state, or why the answer is impossible from ``state``."""
    if op.kind == "create":
        if state is None:
            return (op.arg or "", frozenset()) if op.status == 201 else "create should be 201"
        ok = op.status == 409 and op.code == "5374142"
        return state if ok else "create of an existing record should be 409/5374142"
    if state is None:
        if op.kind == "get":
            return None if op.status == 404 else "get of a missing record should be 404"
        ok = op.status == 404 and op.code == "5374895"
        return None if ok else f"{op.kind} of a missing record should be 404/5374895"
    if op.kind == "get":
        return state if op.status == 200 and op.seen == state else f"get should see {state}"
    if op.status != 200:
        return f"{op.kind} of an existing record should be 200"
    if op.kind == "delete":
        return None
    if op.kind == "patch_type":
        return (op.arg or "", state[1])
    return (state[0], state[1] | {op.arg or ""})


def linearizable(ops: list[Op]) -> tuple[bool, int]:
    """Wing & Gong search with memoisation on (linearized set, state); bounded."""
    n = len(ops)
    full = (1 << n) - 1
    seen: set[tuple[int, State]] = set()
    steps = 0

    def search(done: int, state: State) -> bool:
        nonlocal steps
        if done == full:
            return True
        if (done, state) in seen:
            return False
        seen.add((done, state))
        steps += 1
        if steps > SEARCH_LIMIT:
            raise AssertionError("linearizability search exceeded its bound")
        pending = [i for i in range(n) if not done >> i & 1]
        horizon = min(ops[i].ret for i in pending)
        for i in pending:
            if ops[i].call > horizon:  # some pending op returned before this one began
                continue
            nxt = step(state, ops[i])
            if isinstance(nxt, str):
                continue
            if search(done | 1 << i, nxt):
                return True
        return False

    return search(0, None), steps


def observed(body: dict[str, Any]) -> State:
    addresses = body.get("initiator_address", {})
    assert set(addresses) <= {"ranges", "masks"}, body
    assert not addresses.get("ranges"), body  # only masks are ever added
    found = set()
    for mask in addresses.get("masks", []):
        assert set(mask) == {"address", "netmask", "family"}, body
        assert mask["netmask"] == "32" and mask["family"] == "ipv4", body
        found.add(mask["address"])
    return body["authentication_type"], frozenset(found)


def worker(base: str, svm: str, index: int, seed: int, barrier: threading.Barrier,
           out: list[Op]) -> None:
    rng = random.Random(seed * 100 + index)
    s = requests.Session()
    s.auth = AUTH
    s.trust_env = False
    barrier.wait(30)
    for _ in range(OPS):
        kind = rng.choice(["create", "create", "delete", "patch_type", "patch_add", "get",
                           "get"])
        initiator = rng.choice(INITIATORS)
        arg = {"create": rng.choice(["none", "deny"]), "patch_type": rng.choice(["none", "deny"]),
               "patch_add": rng.choice(ADDRESSES)}.get(kind)
        op = Op(index, kind, initiator, arg)
        url = f"{base}{CREDS}/{svm}/{initiator}"
        op.call = time.monotonic_ns()
        if kind == "create":
            resp = s.post(base + CREDS, timeout=30, json={
                "svm": {"uuid": svm}, "initiator": initiator, "authentication_type": arg})
        elif kind == "delete":
            resp = s.delete(url, timeout=30)
        elif kind == "patch_type":
            resp = s.patch(url, json={"authentication_type": arg}, timeout=30)
        elif kind == "patch_add":
            resp = s.patch(url, params={"add_initiator_addresses": "true"}, timeout=30,
                           json={"initiator_address": {"masks": [
                               {"address": arg, "netmask": "32"}]}})
        else:
            resp = s.get(url, timeout=30)
        op.ret = time.monotonic_ns()
        op.status = resp.status_code
        op.body = resp.json()
        if resp.status_code >= 400:
            op.code = op.body["error"]["code"]
        elif kind == "get":
            op.seen = observed(op.body)
        out.append(op)


def run_round(api: Api, svm: str, seed: int) -> list[Op]:
    assert api.post("/_emulator/reset").status_code == 200
    barrier = threading.Barrier(THREADS)
    results: list[list[Op]] = [[] for _ in range(THREADS)]
    threads = [threading.Thread(target=worker, args=(api.base, svm, i, seed, barrier,
                                                     results[i]), daemon=True)
               for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    history = [op for ops in results for op in ops]
    assert len(history) == THREADS * OPS, "a worker failed; see its exception above"
    return history


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_history_is_linearizable(api, svm1, seed):
    history = run_round(api, svm1, seed)
    assert all(op.status in (200, 201, 404, 409) for op in history), [
        str(op) for op in history if op.status not in (200, 201, 404, 409)]
    for initiator in INITIATORS:
        ops = sorted((op for op in history if op.initiator == initiator), key=lambda o: o.call)
        ok, _ = linearizable(ops)
        assert ok, "not linearizable:\n" + "\n".join(map(str, ops))
        # no torn record: every state a GET saw is one that some sequence of writes makes
        types = {op.arg for op in ops if op.kind in ("create", "patch_type")}
        added = {op.arg for op in ops if op.kind == "patch_add"}
        for op in ops:
            if op.seen is not None:
                assert op.seen[0] in types and op.seen[1] <= added, str(op)
    # and the final state agrees with the checker's: a last GET after all threads stopped
    final = {i: api.get(f"{CREDS}/{svm1}/{i}") for i in INITIATORS}
    for initiator, resp in final.items():
        assert resp.status_code in (200, 404)
        ops = sorted((op for op in history if op.initiator == initiator), key=lambda o: o.call)
        last = Op(-1, "get", initiator, None, call=max(o.ret for o in ops) + 1,
                  ret=max(o.ret for o in ops) + 2, status=resp.status_code,
                  seen=observed(resp.json()) if resp.status_code == 200 else None)
        assert linearizable([*ops, last])[0], f"final state of {initiator} unexplained"


def test_checker_rejects_a_lost_update():
    """The checker itself: a GET that misses an acknowledged, completed PATCH is caught."""
    ini = INITIATORS[0]
    ops = [Op(0, "create", ini, "none", call=0, ret=1, status=201),
           Op(0, "patch_type", ini, "deny", call=2, ret=3, status=200),
           Op(1, "get", ini, None, call=4, ret=5, status=200, seen=("none", frozenset()))]
    assert not linearizable(ops)[0]
    ops[2].call = 1  # overlapping the PATCH: the old state is a legal answer
    ops[1].call, ops[2].ret = 1, 6
    assert linearizable(ops)[0]


def test_checker_rejects_a_double_create():
    ini = INITIATORS[0]
    ops = [Op(0, "create", ini, "none", call=0, ret=10, status=201),
           Op(1, "create", ini, "deny", call=1, ret=9, status=201)]
    assert not linearizable(ops)[0]
    ops[1].status, ops[1].code = 409, "5374142"
    assert linearizable(ops)[0]


def test_checker_catches_the_delete_not_applied_defect(tmp_path):
    """End to end: an emulator whose DELETE answers 200 but keeps the record is caught."""
    proc, info = start_emulator(tmp_path, "--defect", "delete-not-applied")
    try:
        api = Api(str(info["url"]))
        svm = api.svm_uuid("svm1")
        caught = False
        for seed in (1, 2, 3):
            history = run_round(api, svm, seed)
            for initiator in INITIATORS:
                ops = sorted((o for o in history if o.initiator == initiator),
                             key=lambda o: o.call)
                caught = caught or not linearizable(ops)[0]
            if caught:
                break
    finally:
        stop(proc)
    assert caught
