"""--record, --replay and --baseline: bad values stop the run with one line; without them the
suite collects and writes exactly what it did before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.upgrade.recording_format import FORMAT, VERSION

REPO = Path(__file__).resolve().parents[2]


def pytest_run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_", "PYTEST_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def recording_file(path: Path, programs: int = 2) -> Path:
    steps = [{"op": "get", "args": {"key": ["<svm:svm1>", "<ns>:a"], "fields": "*"}, "state": "", "exchanges": []}]
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION, "release": "9.10.1",
                                "svms": [{"name": "svm1", "iscsi": True}],
                                "programs": [{"test": f"t{i}", "steps": steps} for i in range(programs)]}))
    return path


@pytest.mark.parametrize(("option", "content", "message"), [
    ("--replay", None, "no such file"),
    ("--replay", "{", "not JSON"),
    ("--replay", json.dumps({"format": "other"}), "not a recording of this suite"),
    ("--baseline", None, "no such file"),
    ("--baseline", json.dumps({"verdict": "x", "rules": []}), "names no ONTAP release"),
])
def test_an_unusable_file_is_one_line(tmp_path: Path, option: str, content: str | None, message: str) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    result = pytest_run("conformance", "--collect-only", "-q", option, str(path))
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert result.returncode == 4, result.stdout + result.stderr
    assert len(errors) == 1 and option in errors[0] and message in errors[0], result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_record_and_replay_refuse_workers_and_a_directory(tmp_path: Path) -> None:
    for args, message in ((("--record", str(tmp_path)), "is a directory"),
                          (("--record", str(tmp_path / "r.json"), "-n", "2"), "drop -n"),
                          (("--replay", str(recording_file(tmp_path / "r.json")), "-n", "2"), "drop -n")):
        result = pytest_run("conformance", "--collect-only", "-q", *args)
        assert result.returncode == 4 and message in result.stderr, result.stdout + result.stderr


def test_without_replay_no_replayed_program_is_collected(tmp_path: Path) -> None:
    plain = pytest_run("conformance", "--collect-only", "-q")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "test_replay" not in plain.stdout
    replaying = pytest_run("conformance", "--collect-only", "-q", "--replay", str(recording_file(tmp_path / "r.json")))
    replayed = [line for line in replaying.stdout.splitlines() if "test_replay.py::" in line]
    assert replayed == ["conformance/test_replay.py::test_replayed_program[0000-t0]",
                        "conformance/test_replay.py::test_replayed_program[0001-t1]"]
    others = {line for line in replaying.stdout.splitlines() if "::" in line} - set(replayed)
    assert others == {line for line in plain.stdout.splitlines() if "::" in line}


def test_a_recording_naming_an_svm_the_target_lacks_stops_with_one_line(tmp_path: Path) -> None:
    path = recording_file(tmp_path / "r.json")
    path.write_text(path.read_text().replace("svm1", "nosuch"))
    result = pytest_run("conformance/test_replay.py", "--replay", str(path), "--report-dir", str(tmp_path / "out"))
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    lines = [line for line in output.splitlines() if "names SVM(s) nosuch" in line]
    assert len(lines) == 1 and "SVMs are matched by name" in lines[0], output
