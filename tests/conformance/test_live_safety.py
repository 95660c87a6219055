import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from conformance.targets.emulator_process import EmulatorProcess

pytest.importorskip("emulator.__main__")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CRED = "/api/protocols/san/iscsi/credentials"
FOREIGN = "iqn.1998-01.com.vmware:esx-prod-1"


@pytest.fixture
def emulator():
    with EmulatorProcess() as running:
        session = requests.Session()
        session.auth = (running.username, running.password)
        answer = session.post(running.url + CRED, json={
            "svm": {"name": "svm1"}, "initiator": FOREIGN, "authentication_type": "chap",
            "chap": {"inbound": {"user": "esx", "password": "foreign-chap-secret"}}})
        assert answer.status_code == 201, answer.text
        running.session = session
        yield running


def records(emulator):
    body = emulator.session.get(emulator.url + CRED, params={"fields": "*"}).json()
    return {(r["svm"]["name"], r["initiator"]): r for r in body["records"]}


def run(cwd, emulator, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "PYTEST_"))}
    env.update(PYTHONPATH=str(REPO), ONTAP_USERNAME=emulator.username,
               ONTAP_PASSWORD=emulator.password)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conformance.plugin",
                           "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_a_killed_run_is_swept_and_foreign_records_survive(emulator, tmp_path):
    before = records(emulator)
    suite = tmp_path / "conformance"
    suite.mkdir()
    (suite / "test_killed.py").write_text(textwrap.dedent('''
        import os, signal
        from conformance.wire.client import CREDENTIALS_PATH

        def test_dies_midway(target, client):
            for index in range(3):
                answer = client.request("POST", CREDENTIALS_PATH, json={
                    "svm": {"name": "svm1"}, "initiator": f"{target.namespace}:h{index}",
                    "authentication_type": "none"})
                assert answer.status == 201
            os.kill(os.getpid(), signal.SIGKILL)
    '''))
    out = tmp_path / "out"
    killed = run(tmp_path, emulator, "conformance", "--target", emulator.url, "--svm", "svm1",
                 "--report-dir", str(out))
    assert killed.returncode == -9, killed.stdout + killed.stderr
    [journal] = out.glob("journal-*.jsonl")
    assert len(records(emulator)) == len(before) + 3
    swept = run(tmp_path, emulator, f"--sweep={journal}")
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert swept.stdout.count("sweep: deleted") == 3
    assert records(emulator) == before
    assert emulator.password not in swept.stdout + swept.stderr


def test_the_suite_on_a_live_target_leaves_foreign_records_alone(emulator, tmp_path):
    before = records(emulator)
    out = tmp_path / "out"
    result = run(tmp_path, emulator, str(REPO / "conformance"), "--target", emulator.url, "--svm", "svm1",
                 "--svm", "svm2", "--svm", "svm3", "--report-dir", str(out),
                 "--hypothesis-profile", "ci", "-q")
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "UnsafeOperation" not in result.stdout
    assert records(emulator) == before
    assert not list(out.glob("journal-*.jsonl"))
    for path in out.iterdir():
        text = path.read_text()
        assert emulator.password not in text
        assert "foreign-chap-secret" not in text


def test_query_based_collection_writes_need_opt_in_and_the_runs_namespace():
    from conformance.targets.safety import LiveGuard, UnsafeOperation

    def guard(allow: bool) -> LiveGuard:
        return LiveGuard({}, svm_uuids={}, namespace="iqn.2000-01.org.conformance.r1", eui_prefix="AB",
                         allow_default_changes=False, max_objects=5, allow_collection_writes=allow)

    collection = "/api/protocols/san/iscsi/credentials"
    with pytest.raises(UnsafeOperation, match="--allow-collection-writes"):
        guard(False)(collection, {"initiator": "iqn.2000-01.org.conformance.r1:bulk-*"})
    guard(True)(collection, {"initiator": "iqn.2000-01.org.conformance.r1:bulk-*"})
    for query in ("iqn.2000-01.org.conformance.r1*", "*", "iqn.2000-01.org.conformance.r1:a|iqn.other:b",
                  "iqn.other:*", "!iqn.2000-01.org.conformance.r1:x", ""):
        with pytest.raises(UnsafeOperation):
            guard(True)(collection, {"initiator": query})
    with pytest.raises(UnsafeOperation):
        guard(True)(collection, {"authentication_type": "none"})


def test_room_for_a_create_follows_the_guards_own_count_of_records_alive():
    from conformance.targets.safety import LiveGuard, UnsafeOperation
    from conformance.wire.client import CREDENTIALS_PATH, Exchange, record_path

    guard = LiveGuard({}, svm_uuids={"svm1": "u1"}, namespace="iqn.2000-01.org.conformance.r1", eui_prefix="AB",
                      allow_default_changes=False, max_objects=2, allow_collection_writes=False)

    def answered(method: str, path: str, status: int, body: object = None) -> Exchange:
        return Exchange(method, "http://127.0.0.1" + path, path, None, body, status, {}, "", None, 0.0)

    names = [f"iqn.2000-01.org.conformance.r1:n{i}" for i in range(2)]
    for name in names:
        assert guard.room_for_create()
        guard.before_create({"uuid": "u1"}, name)
        guard.observe(answered("POST", CREDENTIALS_PATH, 201, {"svm": {"uuid": "u1"}, "initiator": name}))
    assert not guard.room_for_create()
    with pytest.raises(UnsafeOperation, match="--max-objects 2"):
        guard.before_create({"uuid": "u1"}, "iqn.2000-01.org.conformance.r1:n2")
    guard.observe(answered("DELETE", record_path("u1", names[0]), 200))
    assert guard.room_for_create()


def test_at_the_cap_on_records_alive_the_machine_sends_no_create(emulator, tmp_path):
    """With ``--max-objects 3`` the machine is at the cap most of the time: no create (an
    invalid one included) may reach the guard's refusal, which would stop the run."""
    before = records(emulator)
    out = tmp_path / "out"
    result = run(tmp_path, emulator, str(REPO / "conformance" / "test_stateful.py"), "--target", emulator.url, "--svm", "svm1",
                 "--svm", "svm2", "--max-objects", "3", "--report-dir", str(out),
                 "--hypothesis-profile", "dev", "--hypothesis-seed", "1", "-q")
    report = json.loads((out / "conformance.json").read_text())
    # Only the machine ran, so some rules stay unexercised (inconclusive, exit 6): no failure,
    # no error of the suite's own.
    assert (result.returncode, report["failures"], report["errors"]) == (6, [], []), result.stdout[-3000:]
    assert "UnsafeOperation" not in result.stdout
    assert records(emulator) == before
