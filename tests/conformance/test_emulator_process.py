import os
from pathlib import Path

import pytest
import requests

from conformance.targets.emulator_process import EmulatorFailed, EmulatorProcess
from conformance.wire.redaction import REDACTOR

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


def test_the_real_emulator_starts_with_variants_and_refuses_an_unknown_one():
    pytest.importorskip("emulator.__main__")
    with EmulatorProcess(variants=("short-pages", "pretty-json")) as emulator:
        health = requests.get(emulator.url + "/_emulator/health", timeout=10,
                              auth=(emulator.username, emulator.password)).json()
        assert health["variants"] == ["short-pages", "pretty-json"]
    with pytest.raises(EmulatorFailed, match=r"(?s)with variants no-such-variant\) exited with "
                                             r"status 2.*error: unknown variant"):
        EmulatorProcess(variants=("no-such-variant",)).start()


def test_the_emulator_dies_with_a_killed_suite(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from conformance.targets.emulator_process import EmulatorProcess\n"
        f"emulator = EmulatorProcess(module={FAKE!r})\n"
        "emulator.start()\n"
        "print(emulator._proc.pid, flush=True)\n"
        "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=REPO)
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the emulator outlived its killed parent")


@pytest.mark.parametrize("late", [False, True])
def test_fault_late_apply_reaches_the_real_emulator(late):
    with EmulatorProcess(faults=0.05, fault_late_apply=late) as emulator:
        report = requests.get(emulator.url + "/_emulator/health", timeout=10,
                              auth=(emulator.username, emulator.password)).json()["faults"]
    assert report["late_apply"] is late and report["rate"] == 0.05
