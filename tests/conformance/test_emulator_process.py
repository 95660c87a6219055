import os
from pathlib import Path

import pytest
import requests

from conformance.emulator_process import EmulatorFailed, EmulatorProcess
from conformance.redaction import REDACTOR

FAKE = "tests.conformance.fake_ontap"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def importable_fake(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO),
                                                                   os.environ.get("PYTHONPATH")])))


def test_starts_serves_and_stops():
    with EmulatorProcess(module=FAKE) as emulator:
        assert emulator.url.startswith("http://127.0.0.1:")
        assert emulator.username == "admin"
        assert len(emulator.password) >= 16
        assert REDACTOR.redact_text(emulator.password) == "<redacted>"
        answer = requests.get(emulator.url + "/api/cluster",
                              auth=(emulator.username, emulator.password), timeout=5)
        assert answer.status_code == 200
        pid = emulator.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_each_run_gets_its_own_password():
    assert EmulatorProcess(module=FAKE).password != EmulatorProcess(module=FAKE).password


def test_a_crashing_emulator_reports_its_stderr():
    with pytest.raises(EmulatorFailed, match=r"(?s)exited with status 1.*crashing on purpose"):
        EmulatorProcess(defects=("crash",), module=FAKE).start()


def test_a_dead_emulator_is_noticed():
    emulator = EmulatorProcess(module=FAKE)
    emulator.start()
    try:
        emulator._proc.kill()
        emulator._proc.wait()
        with pytest.raises(EmulatorFailed, match="died"):
            emulator.check_alive()
    finally:
        emulator.stop()


def test_a_missing_module_fails_clearly():
    with pytest.raises(EmulatorFailed, match="No module named"):
        EmulatorProcess(module="tests.conformance.no_such_emulator").start()


@pytest.mark.slow
def test_the_real_emulator_serves_tls_with_its_ca():
    pytest.importorskip("emulator.__main__")
    with EmulatorProcess(tls=True) as emulator:
        assert emulator.url.startswith("https://")
        answer = requests.get(emulator.url + "/api/cluster", verify=emulator.ca_file,
                              auth=(emulator.username, emulator.password), timeout=10)
        assert answer.status_code == 200
