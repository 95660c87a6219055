from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
import requests

from tests.emulator.conftest import AUTH, CREDS, ROOT, clean_env, start_emulator, stop


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator", *args], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=30)


def test_list_defects_table_and_json():
    table = run_cli("--list-defects")
    assert table.returncode == 0 and "CRED-CHAP-008" in table.stdout
    listed = json.loads(run_cli("--list-defects", "--json").stdout)
    assert len(listed) >= 20
    assert all(set(d) == {"name", "rule", "description", "sequence"} for d in listed)
    assert any(d["sequence"] for d in listed) and not all(d["sequence"] for d in listed)
    assert len({d["name"] for d in listed}) == len(listed)
    assert len({d["rule"] for d in listed}) >= 20


def test_help_documents_default_users():
    out = run_cli("--help").stdout
    assert "admin / netapp1!" in out and "readonly / readonly1!" in out


@pytest.mark.parametrize("args", [["--defect", "no-such-defect"], ["--ontap-version", "x"],
                                  ["--seed", "/nonexistent/seed.json"]])
def test_bad_arguments_exit_2_with_one_line(args):
    result = run_cli("--port", "0", *args)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", ['{"name": "x"}', "[]", '[{"name": "a"}]',
                                     '[{"name": "a", "iscsi": true, "uuid": "bad"}]',
                                     '[{"name": "a", "iscsi": true}, {"name": "a", "iscsi": 1}]',
                                     "not json"])
def test_bad_seed_file(tmp_path, content):
    seed = tmp_path / "seed.json"
    seed.write_text(content)
    result = run_cli("--port", "0", "--seed", str(seed))
    assert result.returncode == 2 and result.stderr.startswith("error: ")


def test_custom_seed_version_and_sigterm(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([
        {"name": "alpha", "uuid": "11111111-2222-3333-4444-555555555555", "iscsi": True},
        {"name": "beta", "iscsi": False}]))
    proc, info = start_emulator(tmp_path, "--seed", str(seed), "--ontap-version", "9.12.1")
    base = str(info["url"])
    assert info["pid"] == proc.pid and info["ca_file"] is None
    svms = requests.get(base + "/api/svm/svms", auth=AUTH, timeout=5).json()
    assert [r["name"] for r in svms["records"]] == ["alpha", "beta"]
    creds = requests.get(base + CREDS, auth=AUTH, timeout=5).json()
    assert [r["svm"]["uuid"] for r in creds["records"]] == [
        "11111111-2222-3333-4444-555555555555"]
    version = requests.get(base + "/api/cluster", auth=AUTH, timeout=5).json()["version"]
    assert (version["generation"], version["major"], version["minor"]) == (9, 12, 1)
    code, out, err = stop(proc)
    assert code == 0, err
    assert base in out and "Traceback" not in err


def test_sigint_exits_0_and_env_password_never_printed(tmp_path):
    env = clean_env() | {"ONTAP_USERNAME": "boss", "ONTAP_PASSWORD": "s3cr3t-from-env"}
    proc, info = start_emulator(tmp_path, "--defect", "post-200", env=env)
    base = str(info["url"])
    assert requests.get(base + CREDS, auth=("boss", "s3cr3t-from-env"), timeout=5).ok
    assert requests.get(base + CREDS, auth=AUTH, timeout=5).status_code == 401
    health = requests.get(base + "/_emulator/health", auth=("boss", "s3cr3t-from-env"),
                          timeout=5).json()
    assert health["defects"] == ["post-200"]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "s3cr3t-from-env" not in out + err
    assert "(from ONTAP_PASSWORD)" in out and "boss" in out


def test_tls_with_generated_ca(tmp_path):
    proc, info = start_emulator(tmp_path, "--tls", "--ca-file-dir", str(tmp_path / "ca"))
    try:
        base = str(info["url"])
        assert base.startswith("https://") and info["ca_file"] == str(tmp_path / "ca/ca.pem")
        resp = requests.get(base + CREDS, auth=AUTH, verify=str(info["ca_file"]), timeout=5)
        assert resp.status_code == 200 and resp.json()["num_records"] == 2
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(base + CREDS, auth=AUTH, timeout=5)
    finally:
        code, out, _ = stop(proc)
    assert code == 0 and str(info["ca_file"]) in out


def test_latency_delays_every_api_answer(tmp_path):
    import time as clock

    proc, info = start_emulator(tmp_path, "--latency", "300", "--latency-jitter", "50")
    try:
        session = requests.Session()
        session.auth = AUTH
        started = clock.monotonic()
        assert session.get(f"{info['url']}/api/cluster", timeout=10).status_code == 200
        api = clock.monotonic() - started
        health = session.get(f"{info['url']}/_emulator/health", timeout=10)
    finally:
        stop(proc)
    # A lower bound only (a busy machine can only add to it): the answer cannot come before
    # the latency, less the jitter, has passed.
    assert api >= 0.25
    assert health.status_code == 200


def test_bad_latency_is_one_clear_line():
    done = subprocess.run([sys.executable, "-m", "emulator", "--latency", "10", "--latency-jitter", "20"],
                          cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--latency" in done.stderr and "Traceback" not in done.stderr
