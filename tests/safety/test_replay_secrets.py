"""Recording and replaying never write a password to disk.

Two emulators we start ourselves play a cluster before and after an upgrade (9.10.1, then
9.16.1), each with ``--record-secrets`` (it appends every CHAP password it receives). The
suite records its programs against the first (``--record``), then replays them against the
second (``--replay``), which also leaks passwords in its answers (``leak-password-in-get``,
``echo-password-in-error``), and records that run too. Every file either run wrote (reports,
both recordings, replay.json, upgrade.html/json, anything in the working directory) and the
terminal output are scanned for every password either emulator received, and for the
basic-auth password and its token, with the artefact scanner of ``test_secrets.py`` (all but
Hypothesis's cache of the code's own string constants).

A password that cannot be told apart from ordinary text (shorter than 4 characters, numeric,
or part of the API's own text: ``recording._free_text``) is looked for only where it stands
as a password value, as in every other report (docs/verdicts.md, "Reports").
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from conformance.upgrade.password_shapes import _free_text
from tests.safety.helpers import (
    PASSWORD,
    REPO,
    USERNAME,
    collect_artefacts,
    emulator,
    leaks,
    live_args,
    run_suite,
)
from tests.safety.test_secrets import own_fixed_text

pytestmark = pytest.mark.slow


def test_no_password_in_a_recording_a_replay_or_their_reports(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    before, after = cwd / "before", cwd / "after"
    sent_before, sent_after = tmp_path / "secrets-before.jsonl", tmp_path / "secrets-after.jsonl"
    with emulator(tmp_path / "a", "--record-secrets", str(sent_before)) as target:
        first = run_suite(cwd, *live_args(target, before), "--record", str(before / "recording.json"))
    assert first.returncode == 0, first.stdout[-3000:]
    with emulator(tmp_path / "b", "--record-secrets", str(sent_after), "--ontap-version", "9.16.1",
                  "--defect", "leak-password-in-get", "--defect", "echo-password-in-error") as target:
        second = run_suite(cwd, *live_args(target, after), "--hypothesis-profile", "quick",
                           "--replay", str(before / "recording.json"), "--record", str(after / "recording.json"),
                           "--baseline", str(before / "conformance.json"))
    output = second.stdout + second.stderr
    assert second.returncode == 1, output[-3000:]  # the leaks are caught ...
    replay = json.loads((after / "replay.json").read_text())
    assert replay["programs_replayed"] == replay["programs"] > 50  # ... and the replay ran
    for name in ("recording.json", "replay.json", "upgrade.html", "upgrade.json", "conformance.json"):
        assert (after / name).exists() or name == "recording.json", name
    assert (before / "recording.json").exists() and (after / "recording.json").exists()

    passwords = {json.loads(line)["password"] for path in (sent_before, sent_after)
                 for line in path.read_text().splitlines()}
    assert len(passwords) >= 20, "the runs sent too few CHAP passwords to prove anything"
    # Hypothesis draws passwords from the string constants of the suite's own code ("secret",
    # "observed_deviations"): as text the suite itself writes, such a word is no evidence of a leak.
    # The example tests' own passwords stay in the scan.
    fixed = own_fixed_text() + "\n".join(p.read_text().lower() for folder in ("conformance", "models")
                                         for p in sorted((REPO / folder).rglob("*.py"))
                                         if not p.name.startswith("test_"))
    free_text = sorted(p for p in passwords if _free_text(p) and p.lower() not in fixed)
    keyed_only = sorted(passwords - set(free_text) - {""})
    assert len(free_text) > len(keyed_only)  # most passwords are looked for everywhere
    examples = {m for p in (REPO / "conformance").glob("test_*.py")
                for m in re.findall(r'"password": "([^"]{6,})"', p.read_text())}
    assert len(examples & set(free_text)) >= 5, "the example tests' passwords must be looked for"
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    artefacts = collect_artefacts(cwd, extra={"stdout 1": first.stdout, "stderr 1": first.stderr,
                                              "stdout 2": second.stdout, "stderr 2": second.stderr})
    assert any(name.endswith("recording.json") for name in artefacts)
    # Hypothesis caches the string constants of the suite's own code there (it draws passwords
    # from them): the code's text, not something a run wrote.
    artefacts = {name: texts for name, texts in artefacts.items() if "/.hypothesis/constants/" not in name}
    found = leaks(artefacts, [*free_text, PASSWORD, token], keyed_only)
    assert not found, "\n".join(found[:20])
    # A recording keeps the shape of each password instead.
    assert "<secret-" in (before / "recording.json").read_text()
