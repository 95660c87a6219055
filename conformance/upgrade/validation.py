"""Upgrade validation in a run: ``--record FILE``, ``--replay FILE`` and ``--baseline FILE``.

The plugin calls these few functions; the work is done by :mod:`conformance.upgrade.recording`,
:mod:`conformance.upgrade.calibration`, :mod:`conformance.upgrade.replay` and
:mod:`conformance.upgrade.compare`.

- ``--record FILE``: every program of the run is kept (normalised, no password); when the
  tests are done and the target is still there, every program is replayed once more on the
  same target, and the fields that differ between the two passes are noted in the recording
  as noise (the calibration of a later replay's diff).
- ``--replay FILE``: the recording's programs run as tests of their own
  (``conformance/test_replay.py``), each step judged as usual and classified against the
  recording; ``replay.json`` and a ``replay`` section of ``conformance.json`` say what changed.
- ``--baseline FILE``: the run's ``conformance.json`` is compared with an earlier one
  (:mod:`conformance.upgrade.compare`): ``upgrade.html`` and ``upgrade.json`` in the report
  directory, and a ``baseline`` section that :meth:`conformance.reports.postrun.PostRun.exit_status` reads (a
  regression exits 1; a run that would exit 0 exits 6 when the comparison cannot validate).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.judging import step_hook
from conformance.judging.ledger import Ledger
from conformance.upgrade import recording_format
from conformance.upgrade.calibration import calibrate
from conformance.upgrade.compare import CompareError, compare, load_report, write_outputs
from conformance.upgrade.recording import Recording
from conformance.upgrade.recording_format import RecordingError
from conformance.upgrade.replay import ReplayError, ReplaySession
from conformance.wire.redaction import REDACTOR
from models.releases import release_text

REPLAY_TESTS = "test_replay.py"


class _State:
    def __init__(self) -> None:
        self.record_path: Path | None = None
        self.recording: Recording | None = None  # --record: the drivers' steps go here
        self.replay: ReplaySession | None = None
        self.baseline: dict[str, Any] | None = None
        self.baseline_path: Path | None = None
        self.lines: list[str] = []


_STATE = _State()


def addoptions(group: Any) -> None:
    """The command-line options (docs/upgrade-validation.md)."""
    group.addoption("--record", dest="record", metavar="FILE",
                    help="write the run's programs and what each step observed (normalised, no "
                         "password) to FILE, calibrated for noise by a second pass on the same target")
    group.addoption("--replay", dest="replay", metavar="FILE",
                    help="also run exactly the programs of a recording and classify every step: same, "
                         "documented change, behaviour change or noise (replay.json)")
    group.addoption("--baseline", dest="baseline", metavar="FILE",
                    help="compare this run's conformance.json with an earlier one: upgrade.html and "
                         "upgrade.json in the report directory")


def configure(config: pytest.Config, open_target: Callable[[], Any]) -> None:
    """Check the options up front (one line each) and arm what they ask for.

    ``open_target``: the session's target (opened on first use); ``--record`` binds its
    recording to it when the first driver starts, and installs the recorder as the
    watcher of every driver's steps (:func:`conformance.judging.step_hook.install`).
    """
    global _STATE
    _STATE = _State()
    step_hook.install(None)
    record, replay, baseline = (config.getoption(name, None) for name in ("record", "replay", "baseline"))
    if (record or replay) and (config.getoption("numprocesses", None) or hasattr(config, "workerinput")):
        raise pytest.UsageError("--record and --replay run in one process; drop -n")
    base = Path(config.invocation_params.dir)
    if record:
        path = (base / record).resolve()
        if path.is_dir():
            raise pytest.UsageError(f"--record {record}: is a directory; name a file")
        if replay and (base / replay).resolve() == path:
            raise pytest.UsageError("--record and --replay name the same file")
        _STATE.record_path = path
        _STATE.recording = Recording(open_target)
        step_hook.install(_STATE.recording.program)
    if replay:
        path = (base / replay).resolve()
        try:
            _STATE.replay = ReplaySession(path, recording_format.read(path))
        except (RecordingError, ReplayError) as exc:
            raise pytest.UsageError(f"--replay {exc}") from None
    if baseline:
        _STATE.baseline_path = (base / baseline).resolve()
        try:
            _STATE.baseline = load_report(_STATE.baseline_path)
        except CompareError as exc:
            raise pytest.UsageError(f"--baseline {exc}") from None


def replay_session() -> ReplaySession | None:
    """The recording being replayed (None without ``--replay``)."""
    return _STATE.replay


def ignore_collect(path: Path, suite_dir: Path) -> bool | None:
    """The replay tests are collected only with ``--replay``."""
    if path.name == REPLAY_TESTS and path.parent == suite_dir and _STATE.replay is None:
        return True
    return None


def set_test(nodeid: str) -> None:
    """The test whose drivers are being recorded."""
    if _STATE.recording is not None:
        _STATE.recording.test = nodeid


def before_close(target: Any, ledger: Ledger, interrupted: bool) -> None:
    """Calibrate and write the recording while the target is still there."""
    active, path = _STATE.recording, _STATE.record_path
    _STATE.recording = None
    step_hook.install(None)
    if active is None or path is None:
        return
    # Every password the run sent is known now: scrub the programs once, then calibrate the
    # noise on exactly what a later replay will read.
    programs = [p.as_json(active.secrets) for p in active.programs]
    noise: dict[str, Any] = {"calibrated": False, "why": "", "fields": []}
    if target is None:
        noise["why"] = "the target never opened"
    elif interrupted or ledger.stopped:
        noise["why"] = f"the run stopped early ({ledger.stopped or 'interrupted'})"
    elif programs:
        noise = calibrate(programs, target, ledger)
    document = {
        "format": recording_format.FORMAT, "version": recording_format.VERSION,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "release": release_text(target.release) if target is not None else None,
        "target": None if target is None else REDACTOR.redact_json(
            {"url": target.base_url, "kind": target.kind, "ontap_version": target.ontap_version}),
        "svms": [] if target is None else [{"name": s.name, "iscsi": s.iscsi} for s in target.svms],
        "complete": not (interrupted or ledger.stopped), "truncated": active.truncated,
        "noise": noise,
        "programs": programs,
    }
    recording_format.write(path, document)
    steps = sum(len(p["steps"]) for p in programs)
    calibrated = (f"noise calibrated by a second pass: {len(noise['fields'])} noisy fields"
                  if noise["calibrated"] else f"noise not calibrated: {noise['why']}")
    _STATE.lines.append(f"recording: {len(active.programs)} programs, {steps} steps; {calibrated}: {path}")


def finish_report(document: dict[str, Any], report_dir: Path) -> None:
    """Add the replay's summary to ``conformance.json`` and compare with the baseline."""
    if _STATE.replay is not None and _STATE.replay.results:
        path = _STATE.replay.write(report_dir)
        document["replay"] = REDACTOR.redact_json(_STATE.replay.summary())
        counts = document["replay"]["counts"]
        _STATE.lines.append("replay: " + ", ".join(f"{n} {c}" for c, n in counts.items() if n)
                            + f" ({document['replay']['changes_total']} changes at their origin): {path}")
    if _STATE.baseline is not None and _STATE.baseline_path is not None:
        document["baseline"], line = baseline_section(document, _STATE.baseline, _STATE.baseline_path, report_dir)
        _STATE.lines.append(line)


def baseline_section(document: dict[str, Any], baseline: dict[str, Any], baseline_path: Path,
                     report_dir: Path) -> tuple[dict[str, Any], str]:
    """Compare the run with its baseline: the report's ``baseline`` section and the terminal line.

    The section holds the comparison's summary, its regressions and why it cannot validate
    (:meth:`conformance.reports.postrun.PostRun.exit_status` reads the last two). A comparison that
    fails cannot validate either: the gate fails closed.
    """
    try:
        diff = compare(baseline, json.loads(json.dumps(document)), before_name=str(baseline_path),
                       after_name=str(report_dir / "conformance.json"))
        html_path, _ = write_outputs(diff, report_dir)
    except (CompareError, OSError) as exc:
        why = REDACTOR.redact_text(f"the comparison with the baseline failed: {exc}")
        return ({"file": str(baseline_path), "summary": f"CANNOT VALIDATE: {why}", "undocumented_regressions": [],
                 "cannot_validate": {"reasons": [why], "rules": []}}, f"baseline: CANNOT VALIDATE: {why}")
    return ({"file": str(baseline_path), "summary": diff["summary"],
             "undocumented_regressions": [r["rule"] for r in diff["regressions"]],
             "cannot_validate": {"reasons": diff["cannot_validate"]["reasons"],
                                 "rules": [r["rule"] for r in diff["cannot_validate"]["rules"]]}},
            f"baseline: {diff['summary']}: {html_path}")


def summary_lines() -> list[str]:
    """Lines for the end of the terminal output."""
    return list(_STATE.lines)
