"""The suite has teeth: it passes the conforming emulator and fails every named defect.

Each case runs ``pytest conformance`` in a subprocess, exactly as a user would, and reads
the JSON report. Defects of observed rules need ``--strict-observed`` to fail the run.
Every artefact of every run is also scanned for the CHAP passwords the suite's
deterministic cases send, and for any password value: the leaking defects echo them.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.rules import BY_ID, ENDPOINT_ERROR_CODES, OBSERVED

ROOT = Path(__file__).resolve().parents[2]
DEFECTS: list[dict[str, Any]] = json.loads(subprocess.run(
    [sys.executable, "-m", "emulator", "--list-defects", "--json"], cwd=ROOT, check=True,
    capture_output=True, text=True).stdout)


# The passwords the suite's deterministic cases send ("password": "...") in its own source.
KNOWN_SECRETS = sorted({m for path in (ROOT / "conformance").glob("test_*.py")
                        for m in re.findall(r'"password": "([^"]{6,})"', path.read_text())})
PASSWORD_VALUE = re.compile(r"""password\w*["']?\s*[:=]\s*["'](?!<)[^"']""", re.IGNORECASE)


def run_suite(report_dir: Path, *options: str) -> tuple[int, dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_"))}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
         "--hypothesis-profile", "quick", "--report-dir", str(report_dir), *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((report_dir / "conformance.json").read_text())
    output = completed.stdout[-3000:] + completed.stderr[-2000:]
    assert_no_secret_in(report_dir, output)
    return completed.returncode, report, output


def assert_no_secret_in(report_dir: Path, output: str) -> None:
    texts = {path.name: html.unescape(path.read_text(encoding="utf-8"))
             for path in report_dir.iterdir() if path.is_file()}
    texts["terminal output"] = output
    assert KNOWN_SECRETS, "the deterministic cases send no recognisable password any more"
    for name, text in texts.items():
        match = PASSWORD_VALUE.search(text)
        assert match is None, f"{name}: {text[max(0, match.start() - 80):match.end() + 40]}"
        leaked = [s for s in KNOWN_SECRETS if s.lower() in text.lower()]
        assert not leaked, f"{name} holds {len(leaked)} CHAP password(s)"


def test_known_secrets_are_found_in_the_suite() -> None:
    assert len(KNOWN_SECRETS) >= 5


@pytest.mark.slow
def test_suite_passes_the_conforming_emulator(tmp_path: Path) -> None:
    status, report, output = run_suite(tmp_path)
    assert status == 0, output
    assert report["verdict"] == "conformant"
    assert {r["status"] for r in report["rules"]} == {"passed"}, [
        (r["id"], r["status"]) for r in report["rules"] if r["status"] != "passed"]
    produced = {c["code"] for c in report["error_codes"] if c["produced"]}
    assert set(ENDPOINT_ERROR_CODES) | {"4"} <= produced
    assert report["observed_deviations"] == []
    for name in ("conformance.html", "junit.xml"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d["name"])
def test_suite_fails_on_the_rule_each_defect_breaks(defect: dict[str, Any], tmp_path: Path) -> None:
    strict = ("--strict-observed",) if BY_ID[defect["rule"]].basis == OBSERVED else ()
    # A sequence-only defect needs the default run's programs (and its shrinking, which may
    # move the blame to the rule the defect breaks); seed 1 keeps the run reproducible.
    default_run = ("--hypothesis-profile", "dev", "--hypothesis-seed", "1") if defect.get("sequence") else ()
    status, report, output = run_suite(tmp_path, "--emulator-defect", defect["name"], *strict, *default_run)
    broken = {r["id"] for r in report["rules"] if r["status"] == "failed"}
    broken |= {d["rule"] for d in report["observed_deviations"]}
    assert status != 0, output
    assert report["verdict"] == "nonconformant"
    assert defect["rule"] in broken, f"{defect['name']}: reported {sorted(broken)}\n{output}"
