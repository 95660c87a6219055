"""Certification and nightly options end to end: known deviations, --history, --fail-on, the
installed console script, and the three-run trend of docs/nightly-runs.md."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.reports import certificate, history
from tests.conformance.conftest import PASSWORD, USERNAME
from tests.conformance.test_history import parse
from tests.conformance.test_plugin_reports import make_suite, run_pytest

REPO = Path(__file__).resolve().parents[2]
LIVE = {"ONTAP_USERNAME": USERNAME, "ONTAP_PASSWORD": PASSWORD}
LEAK_RULE = "CRED-CHAP-008"  # the fake suite's test_leak breaks it with a 200 answer


def known_file(tmp_path: Path, status: str = "200", expires: str = "2099-12-31", rule: str = LEAK_RULE) -> Path:
    path = tmp_path / "known.toml"
    path.write_text(f'[[deviation]]\nrule = "{rule}"\ntargets = ["live"]\nreleases = ["*"]\n'
                    f'status = {status}\ncode = "none"\nreason = "the fake target leaks on purpose"\n'
                    f'owner = "suite team"\nexpires = {expires}\n')
    return path


def live_run(tmp_path: Path, fake_ontap, out: str, *options: str):
    return run_pytest(tmp_path, "conformance", "--target", fake_ontap.url, "--svm", "vs1",
                      "--report-dir", str(tmp_path / out), *options, env=LIVE)


def report(tmp_path: Path, out: str) -> dict:
    return json.loads((tmp_path / out / "conformance.json").read_text())


def test_a_known_deviation_is_reported_as_known_and_does_not_make_the_run_nonconformant(fake_ontap, tmp_path):
    make_suite(tmp_path)
    result = live_run(tmp_path, fake_ontap, "out", "--known-deviations", str(known_file(tmp_path)))
    # Inconclusive (the fake suite judges few rules), no longer nonconformant.
    assert result.returncode == 6, result.stdout + result.stderr
    data = report(tmp_path, "out")
    assert data["verdict"] == "inconclusive"
    rule = next(r for r in data["rules"] if r["id"] == LEAK_RULE)
    assert rule["status"] == "known"
    [entry] = data["known_deviations"]["entries"]
    assert entry["state"] == "known"
    assert "known deviations: 1 known" in result.stdout
    html = (tmp_path / "out" / "conformance.html").read_text()
    assert 'id="known-deviations"' in html and "the fake target leaks on purpose" in html
    assert 'id="certificate"' in html
    cert = json.loads((tmp_path / "out" / certificate.NAME).read_text())
    # The verdict, then the documented rules this live target could not judge (a known
    # deviation is no observed deviation: it is listed as known).
    assert cert["statement"].startswith("inconclusive; 8 documented rules not applicable here: CRED-SVM-002, ")
    assert "observed deviation" not in cert["statement"] and LEAK_RULE not in cert["statement"]
    assert cert["known_deviations"][0]["state"] == "known"
    assert certificate.verify(tmp_path / "out" / certificate.NAME)[0] == 0


def test_drift_and_expiry_fail_the_run_with_the_entry_named(fake_ontap, tmp_path):
    make_suite(tmp_path)
    drift = live_run(tmp_path, fake_ontap, "drift", "--known-deviations", str(known_file(tmp_path, "500")))
    assert drift.returncode == 1, drift.stdout + drift.stderr
    assert f"DRIFT: {LEAK_RULE} (entry 1)" in drift.stdout
    assert report(tmp_path, "drift")["verdict_reason"].startswith("known-deviations file needs review: 1 drift")
    expired = live_run(tmp_path, fake_ontap, "expired", "--known-deviations",
                       str(known_file(tmp_path, expires="2020-01-01")))
    assert expired.returncode == 1
    assert f"EXPIRED: {LEAK_RULE} (entry 1): expired on 2020-01-01" in expired.stdout


def test_an_unmatched_entry_fails_a_run_whose_target_is_fine(fake_ontap, tmp_path):
    make_suite(tmp_path, """
        def test_nothing_broken(target):
            pass
    """)
    result = live_run(tmp_path, fake_ontap, "out", "--known-deviations",
                      str(known_file(tmp_path, rule="CRED-NOPE-999")))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "UNMATCHED: CRED-NOPE-999" in result.stdout
    assert report(tmp_path, "out")["verdict"] == "nonconformant"


@pytest.mark.parametrize(("options", "message"), [
    (("--known-deviations", "{bad}"), "--known-deviations: {bad}: entry 1 (CRED-CHAP-008): missing key(s) owner"),
    (("--known-deviations", "{missing}"), "--known-deviations {missing}: no such file"),
    (("--fail-on", "new"), "--fail-on new needs --history DIR"),
    (("--fail-on", "sometimes"), "--fail-on must be 'new' or 'any'"),
    (("--time-budget", "0"), "--time-budget must be a positive number of seconds"),
    (("--time-budget", "soon"), "--time-budget: expected float"),
    (("--history", "{file}"), "not a directory"),
])
def test_bad_options_and_files_are_usage_errors(tmp_path, options, message):
    (tmp_path / "conformance").mkdir()
    bad = tmp_path / "bad.toml"
    bad.write_text(known_file(tmp_path).read_text().replace('owner = "suite team"\n', ""))
    places = {"bad": str(bad), "missing": str(tmp_path / "none.toml"), "file": str(bad)}
    options = tuple(o.format(**places) for o in options)
    result = run_pytest(tmp_path, "conformance", "--report-dir", str(tmp_path / "out"), *options)
    assert result.returncode == 4, result.stdout + result.stderr
    assert message.format(**places) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_fail_on_new_fails_only_on_failures_new_since_the_last_run(fake_ontap, tmp_path):
    make_suite(tmp_path)
    hist = tmp_path / "hist"
    first = live_run(tmp_path, fake_ontap, "r1", "--history", str(hist), "--fail-on", "new")
    assert first.returncode == 1, first.stdout + first.stderr  # no earlier run: the failure is new
    assert f"--fail-on new: new failures since the last run: {LEAK_RULE}" in first.stdout
    second = live_run(tmp_path, fake_ontap, "r2", "--history", str(hist), "--fail-on", "new")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "no failure is new since the last run" in second.stdout
    assert report(tmp_path, "r2")["verdict"] == "nonconformant"  # the report still says so
    assert report(tmp_path, "r2")["trend"]["new_failures"] == []
    third = live_run(tmp_path, fake_ontap, "r3", "--history", str(hist))  # --fail-on any (default)
    assert third.returncode == 1
    runs = history.read(hist).runs
    assert [r["verdict"] for r in runs] == ["nonconformant"] * 3
    assert len({r["run_id"] for r in runs}) == 3
    page = parse((tmp_path / "r2" / "conformance.html").read_text())
    assert page.by_id["cf-new-failures"].startswith("None")
    assert LEAK_RULE in page.by_id["cf-rule-strip"]


def test_a_corrupt_history_line_is_skipped_with_a_warning(fake_ontap, tmp_path):
    make_suite(tmp_path)
    hist = tmp_path / "hist"
    hist.mkdir()
    (hist / history.FILE_NAME).write_text("garbage\n")
    result = live_run(tmp_path, fake_ontap, "out", "--history", str(hist))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "line 1 skipped: not JSON" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert len(history.read(hist).runs) == 1


def suite_run(cwd: Path, report_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_"))}
    return subprocess.run([sys.executable, "-m", "pytest", str(REPO / "conformance"), "-q", "-p", "no:cacheprovider",
                           "--hypothesis-profile", "quick", "--report-dir", str(report_dir), *options],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_three_nightly_runs_show_a_trend_and_the_new_failure_of_a_defect(tmp_path):
    """The commands of docs/nightly-runs.md: two clean runs, then a defect switched on."""
    hist = tmp_path / "history"
    common = ("--history", str(hist), "--fail-on", "new")
    for night in ("1", "2"):
        clean = suite_run(tmp_path, tmp_path / night, *common)
        assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-2000:]
    broken = suite_run(tmp_path, tmp_path / "3", *common, "--emulator-defect", "odd-hex-password")
    assert broken.returncode == 1, broken.stdout[-3000:]
    assert "new failures: CRED-CHAP-004" in broken.stdout
    page = parse((tmp_path / "3" / "conformance.html").read_text())
    assert "CRED-CHAP-004" in page.by_id["cf-new-failures"]
    assert "None" in page.by_id["cf-fixed"]
    circles = [attrs["fill"] for tag, attrs in page.tags if tag == "circle"]
    assert circles == ["#28a745", "#28a745", "#dc3545"]  # conformant, conformant, nonconformant
    assert [r["verdict"] for r in history.read(hist).runs] == ["conformant", "conformant", "nonconformant"]


@pytest.mark.slow
def test_the_installed_console_script_runs_the_suite_from_any_directory(tmp_path):
    """pip install (not editable) of the checkout, then ontap-conformance from an empty directory."""
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ behind
    for name in ("pyproject.toml", "README.md"):
        source.mkdir(exist_ok=True)
        shutil.copy(REPO / name, source / name)
    for package in ("models", "emulator", "conformance"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                              str(site), str(source)], capture_output=True, text=True, timeout=600)
    if install.returncode != 0:
        pytest.skip(f"pip cannot build the package here: {install.stderr.strip()[-300:]}")
    work = tmp_path / "anywhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONTAP_", "HYPOTHESIS_", "PYTHON"))}
    env["PYTHONPATH"] = str(site)  # the installed copy, ahead of any checkout
    result = subprocess.run([str(site / "bin" / "ontap-conformance"), "-p", "no:cacheprovider"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    reports = work / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["certificate.json", "conformance.html",
                                                        "conformance.json", "junit.xml"]
    cert = json.loads((reports / "certificate.json").read_text())
    assert cert["statement"].startswith("conformant to the documented behaviour of ONTAP 9.10.1")
    assert cert["suite"]["commit"] == "unknown"  # the installed copy, not the checkout
    assert cert["run"]["profile"] == "dev"  # the package's own profile
    verify = subprocess.run([str(site / "bin" / "ontap-conformance"), "verify", str(reports / "certificate.json")],
                            cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and re.search(r": valid: conformant to the documented", verify.stdout)
    assert "PytestAssertRewriteWarning" not in result.stdout + result.stderr


def test_the_package_registers_its_profiles_without_the_root_conftest(tmp_path):
    code = ("import conformance.plugin\nfrom hypothesis import settings\n"
            "print(*(settings.get_profile(n).max_examples for n in ('dev', 'ci', 'nightly', 'quick')))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.split() == ["30", "30", "500", "20"], result.stderr


@pytest.mark.parametrize("how", ["option", "environment"])
def test_an_unknown_profile_is_a_usage_error(tmp_path, how):
    (tmp_path / "conformance").mkdir()
    if how == "option":
        result = run_pytest(tmp_path, "conformance", "--hypothesis-profile", "weekly")
    else:
        result = run_pytest(tmp_path, "conformance", env={"HYPOTHESIS_PROFILE": "weekly"})
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Profile 'weekly' is not registered" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
