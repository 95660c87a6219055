"""--emulator-faults keeps its own clock (issue 15): a short request timeout unless one is
given, late answers just past it, Retry-After 0, and faulted reads tried again at once."""

from __future__ import annotations

import requests

from conformance.face.config import DEFAULT_TIMEOUT, FAULT_MODE_TIMEOUT, build_config
from conformance.judging.ledger import Ledger
from conformance.targets.emulator_process import EmulatorProcess
from conformance.targets.target import FAULT_MODE_PAUSES, FAULT_STREAK, Target
from conformance.wire import client as client_module
from conformance.wire.client import Client


def test_the_fault_mode_picks_a_short_timeout_unless_one_is_given():
    assert build_config({}).timeout == DEFAULT_TIMEOUT == 30.0
    assert build_config({"emulator_faults": 0.2}).timeout == FAULT_MODE_TIMEOUT < 1.0
    assert build_config({"emulator_faults": 0.2, "timeout": 2.0}).timeout == 2.0
    assert build_config({"timeout": 5.0}).timeout == 5.0


def target(**values) -> Target:
    return Target(build_config(values), Ledger(), base_url="http://127.0.0.1:9",
                  kind="emulator", username="admin", password="fault-mode-pw", verify=True)


def test_only_the_faulted_embedded_emulator_gets_the_fault_mode_pauses():
    assert target(emulator_faults=0.2).client().pauses == FAULT_MODE_PAUSES
    assert target().client().pauses == client_module.RETRY_PAUSES


def test_a_faulted_read_is_tried_again_at_once_then_with_growing_pauses(monkeypatch):
    # Dropped connections and 503s with Retry-After: 0, as the fault mode's emulator sends.
    tries = iter([(None, 0.0), (None, 0.0), (None, 0.0), ("answer", None),
                  (None, 0.0), ("again", None)])
    monkeypatch.setattr(Client, "_attempt", lambda self, *args, **kwargs: next(tries))
    pauses: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", pauses.append)
    faulty = target(emulator_faults=0.2).client()
    assert faulty.request("GET", "/api/cluster") == "answer"
    assert pauses == list(FAULT_MODE_PAUSES[:3]) and pauses[0] == 0.0
    assert faulty.request("GET", "/api/cluster") == "again"  # a new request starts over
    assert pauses[3:] == [0.0] and faulty.retries == 4


def test_a_busy_live_cluster_is_given_time(monkeypatch):
    tries = iter([(None, 3.0), (None, 0.0), ("answer", None)])
    monkeypatch.setattr(Client, "_attempt", lambda self, *args, **kwargs: next(tries))
    pauses: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", pauses.append)
    live = Client("http://127.0.0.1:9", username="admin", password="fault-mode-pw")
    assert live.request("GET", "/api/cluster") == "answer"
    assert pauses == [3.0, client_module.RETRY_PAUSES[1]]  # Retry-After honoured, then backoff


def test_the_emulator_is_started_with_the_fault_clock():
    with EmulatorProcess(faults=0.1, fault_delay=FAULT_MODE_TIMEOUT + 1, fault_retry_after=0,
                         fault_streak=FAULT_STREAK) as emulator:
        health = requests.get(emulator.url + "/_emulator/health", timeout=10,
                              auth=(emulator.username, emulator.password)).json()
    assert health["faults"]["rate"] == 0.1
    assert health["faults"]["delay"] == FAULT_MODE_TIMEOUT + 1
    assert health["faults"]["retry_after"] == 0
    assert health["faults"]["streak"] == FAULT_STREAK == 2
