import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conformance.conftest import PASSWORD, USERNAME

REPO = Path(__file__).resolve().parents[2]
CHAP_SECRET = "chap-Secret-in-the-suite-77"
TOKEN = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

SUITE = f'''
import pytest

from conformance.wire.client import CREDENTIALS_PATH
from conformance.judging.judge import Judge
from conformance.judging.ledger import current
from conformance.face.run_state import active_target
from conformance.judging.verdicts import broken, passed

SECRET = {CHAP_SECRET!r}


@pytest.mark.rule("CRED-POST-001")
def test_create(target, client, ledger):
    assert active_target() is target
    assert current() is ledger
    exchange = client.request("POST", CREDENTIALS_PATH, json={{
        "svm": {{"name": "vs1"}}, "initiator": target.namespace + ":h1",
        "authentication_type": "chap",
        "chap": {{"inbound": {{"user": "u", "password": SECRET}}}}}})
    print("sent", SECRET)
    Judge(ledger).apply(passed(exchange, "CRED-POST-001") if exchange.status == 201 else
                        [broken(exchange, ["CRED-POST-001"], "not created")])


@pytest.mark.rule("CRED-POST-003")
def test_marked_but_never_judged(target, client):
    client.request("GET", CREDENTIALS_PATH)


def test_leak(target, client, ledger):
    exchange = client.request("GET", "/api/cluster")
    print("leaked", SECRET, "Authorization: Basic {TOKEN}")
    Judge(ledger).apply([broken(exchange, ["CRED-CHAP-008"], "password " + SECRET + " came back",
                                "Authorization: Basic {TOKEN}")])
'''


def run_pytest(cwd, *args, env=None):
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("ONTAP_", "PYTEST_", "HYPOTHESIS_"))}
    environ["PYTHONPATH"] = str(REPO)
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conformance.plugin",
                           "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=environ, capture_output=True, text=True, timeout=120)


def make_suite(tmp_path, source=SUITE):
    suite = tmp_path / "conformance"
    suite.mkdir()
    (suite / "test_fake.py").write_text(textwrap.dedent(source))
    return suite


def test_a_run_writes_four_redacted_reports_and_fails_on_a_documented_rule(fake_ontap, tmp_path):
    make_suite(tmp_path)
    out = tmp_path / "out"
    result = run_pytest(tmp_path, "conformance", "--target", fake_ontap.url, "--svm", "vs1",
                        "--report-dir", str(out),
                        env={"ONTAP_USERNAME": USERNAME, "ONTAP_PASSWORD": PASSWORD})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ONTAP conformance: NONCONFORMANT" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["certificate.json", "conformance.html",
                                                     "conformance.json", "junit.xml"]  # journal removed: clean
    data = json.loads((out / "conformance.json").read_text())
    assert data["verdict"] == "nonconformant"
    assert data["target"] == {"url": fake_ontap.url, "kind": "live",
                              "ontap_version": "NetApp Release 9.10.1 (fake)"}
    assert data["run"]["requests"] >= 2
    status = {r["id"]: r["status"] for r in data["rules"]}
    assert status["CRED-POST-001"] == "passed"
    assert status["CRED-CHAP-008"] == "failed"
    # A rule named only in a marker of a passing test stays not exercised.
    assert status["CRED-POST-003"] == "not_exercised"
    assert status["CRED-SVM-005"] == "not_applicable"  # one SVM named; live safety is reported apart
    assert data["safety"] == []
    [failure] = data["failures"]
    assert failure["rule"] == "CRED-CHAP-008"
    assert failure["test"] == "conformance/test_fake.py::test_leak"
    assert failure["curl"].startswith("curl ")
    html = (out / "conformance.html").read_text()
    assert "Verdict: NONCONFORMANT" in html
    assert ">NONCONFORMANT: ONTAP iSCSI credentials conformance of http" in html
    assert "CRED-CHAP-008" in html
    assert "reproduce (curl)" in html
    for path in out.iterdir():
        text = path.read_text()
        for secret in (CHAP_SECRET, PASSWORD, TOKEN):
            assert secret not in text, f"{secret} leaked into {path.name}"
    for secret in (CHAP_SECRET, PASSWORD, TOKEN):
        assert secret not in result.stdout + result.stderr


def test_self_tests_write_no_reports(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_plain.py").write_text("def test_ok():\n    pass\n")
    result = run_pytest(tmp_path, "tests", "--report-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


def test_an_empty_suite_runs_cleanly(tmp_path):
    (tmp_path / "conformance").mkdir()
    result = run_pytest(tmp_path, "conformance", "--report-dir", str(tmp_path / "out"))
    assert result.returncode == 5, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unreachable_target_stops_the_run_with_one_line(tmp_path):
    make_suite(tmp_path)
    result = run_pytest(tmp_path, "conformance", "--target", "http://127.0.0.1:9", "--svm", "vs1",
                        "--report-dir", str(tmp_path / "out"),
                        env={"ONTAP_USERNAME": "u", "ONTAP_PASSWORD": "p-secret-value"})
    assert result.returncode == 4, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert output.count("cannot reach http://127.0.0.1:9") == 1
    assert "Traceback" not in output
    assert "p-secret-value" not in output


def test_bad_config_is_a_usage_error(tmp_path):
    (tmp_path / "conformance").mkdir()
    config = tmp_path / "c.toml"
    config.write_text('[target]\npassword = "x"\n')
    result = run_pytest(tmp_path, "conformance", "--conformance-config", str(config))
    assert result.returncode == 4
    assert "refusing key 'target.password'" in result.stderr


@pytest.mark.slow
def test_the_embedded_emulator_is_the_default_target(tmp_path):
    pytest.importorskip("emulator.__main__")
    make_suite(tmp_path, """
        from conformance.wire.client import CREDENTIALS_PATH

        def test_emulator(target, client, ledger):
            assert target.kind == "emulator"
            assert any(s.iscsi for s in target.svms) and not all(s.iscsi for s in target.svms)
            assert client.request("GET", CREDENTIALS_PATH).status == 200
            target.reset()
    """)
    out = tmp_path / "out"
    result = run_pytest(tmp_path, "conformance", "--report-dir", str(out))
    assert result.returncode == 6, result.stdout + result.stderr  # inconclusive: nothing judged
    data = json.loads((out / "conformance.json").read_text())
    assert data["verdict"] == "inconclusive"
    assert "not exercised" in data["verdict_reason"]
    assert data["target"]["kind"] == "emulator"
    assert data["target"]["url"].startswith("http")


def test_an_unknown_rule_marker_is_refused_at_collection(tmp_path):
    make_suite(tmp_path, """
        import pytest

        @pytest.mark.rule("CRED-NOPE-999")
        def test_x():
            pass
    """)
    result = run_pytest(tmp_path, "conformance", "--report-dir", str(tmp_path / "out"),
                        "-o", "markers=rule")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "unknown rule ID(s) CRED-NOPE-999" in result.stderr


def test_a_lost_target_stops_the_run(tmp_path):
    make_suite(tmp_path, """
        from conformance.wire.client import TargetUnreachable

        def test_a():
            raise TargetUnreachable("GET http://127.0.0.1:9/api/cluster: ConnectionError")

        def test_b():
            pass
    """)
    result = run_pytest(tmp_path, "conformance", "--report-dir", str(tmp_path / "out"))
    assert result.returncode == 6, result.stdout  # inconclusive, not "interrupted"
    assert "target lost: GET http://127.0.0.1:9/api/cluster" in result.stdout
    assert "1 failed in" in result.stdout
    data = json.loads((tmp_path / "out" / "conformance.json").read_text())
    assert data["verdict"] == "inconclusive"
    assert data["stopped"].startswith("target lost")
    assert "Ctrl-C" not in json.dumps(data)
