"""What a run does when its tests are done: its reports, its exit status, its last lines.

The target is closed first (a live run's cleanup is judged like any other step), after
``--record`` has calibrated and written its recording. A worker of pytest-xdist writes no
report: it hands what it judged to the controller (:mod:`conformance.face.workers`). The
exit status is the verdict's (0 conformant, 1 nonconformant, 6 inconclusive), as
``--fail-on`` and ``--baseline`` adjust it; a live run that may have left records names the
journal and the exact sweep command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.face import run_state, workers
from conformance.face.hypothesis_setup import current_profile
from conformance.face.sweeping import sweep_command
from conformance.judging.ledger import CONFORMANT, INCONCLUSIVE, NONCONFORMANT
from conformance.reports.postrun import PostRun
from conformance.reports.run_report import JSON_NAME, RunInfo, write_json
from conformance.reports.verdict_text import summary_line, verdict_label
from conformance.upgrade import validation as upgrade
from conformance.wire.redaction import REDACTOR

#: The run's exit status by verdict (pytest's own: 2 interrupted, 4 usage error, 5 no tests).
EXIT_STATUS = {CONFORMANT: 0, NONCONFORMANT: 1, INCONCLUSIVE: 6}
#: Why a run may stop early for the target's sake (not Ctrl-C): its exit status stays the verdict's.
STOPPED_BY_TARGET = ("target lost", "stopped at the first housekeeping finding")


def finish(session: pytest.Session, exitstatus: int) -> None:
    """Close the target, then write the reports and set the exit status (or, on a worker,
    hand what it judged to the controller)."""
    state = run_state.state()
    state.target_snapshot = state.target
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    upgrade.before_close(state.target, state.ledger, interrupted)  # --record: calibrate, write
    try:
        run_state.close_target()
    except KeyboardInterrupt:
        # A second Ctrl-C stops the live cleanup; the journal stays, the reports are still written.
        interrupted = True
        state.ledger.error("session teardown", "interrupted (Ctrl-C) during the live cleanup")
    state.leftover_journal = run_state.leftover_journal(state.target_snapshot)
    if interrupted and not state.ledger.stopped:
        state.ledger.stopped = ("interrupted (Ctrl-C): the tests not yet run were not judged; "
                                "their rules are reported as not exercised")
    if hasattr(session.config, "workerinput"):
        # A worker writes no report: it hands its ledger to the controller, which merges
        # every worker's into one report and one verdict.
        session.config.workeroutput["ontap_conformance"] = workers.worker_output()
        state.document = None
        return
    if not (state.wants_reports and state.collected_suite) or state.config is None:
        state.document = None
        return
    postrun = state.postrun or PostRun(state.config)
    snapshot = state.target_snapshot
    document = postrun.build_report(state.ledger, _run_info(session.config),
                                    getattr(snapshot, "run_id", None))
    upgrade.finish_report(document, state.config.report_dir)  # --replay, --baseline
    postrun.finish(document, state.config.report_dir, session.config)  # certificate, history
    write_json(document, state.config.report_dir)
    state.document = document
    key = _xml_key()
    xml = session.config.stash.get(key, None) if key is not None else None
    if xml is not None:
        xml.add_global_property("verdict", document["verdict"])
        for key, value in document["target"].items():
            xml.add_global_property(f"target_{key}", REDACTOR.redact_text(value))
    if state.target_error is None and (not interrupted or state.ledger.stopped.startswith(STOPPED_BY_TARGET)):
        session.exitstatus = postrun.exit_status(document, EXIT_STATUS[document["verdict"]])


def _run_info(config: pytest.Config) -> RunInfo:
    state = run_state.state()
    target, tc = state.target_snapshot, state.config
    probed = state.worker_target or (None if target is None else {
        "url": target.base_url, "kind": target.kind, "ontap_version": target.ontap_version})
    profile = current_profile()
    seed = config.getoption("hypothesis_seed", None)
    return RunInfo(
        url=probed["url"] if probed else (tc.url if tc else None),
        kind=probed["kind"] if probed else (tc.kind if tc else "emulator"),
        ontap_version=probed["ontap_version"] if probed else None,
        started=state.started, finished=run_state.now(), profile=str(profile),
        seed=None if seed is None else str(seed),
        strict_observed=bool(tc and tc.strict_observed),
    )


def _xml_key() -> Any:
    try:
        from _pytest.junitxml import xml_key
    except ImportError:
        return None
    return xml_key


def terminal_summary(terminalreporter: Any) -> None:
    """The run's last lines: the verdict, the reports, and what a live run may have left."""
    state = run_state.state()
    document = state.document
    if document:
        terminalreporter.write_sep("=", summary_line(document),
                                   red=document["verdict"] == NONCONFORMANT,
                                   yellow=document["verdict"] == INCONCLUSIVE,
                                   green=document["verdict"] == CONFORMANT)
        terminalreporter.write_line(f"verdict: {verdict_label(document)}: {document['verdict_reason']}")
        report_dir = state.config.report_dir if state.config else Path("reports")
        terminalreporter.write_line(f"reports: {report_dir / JSON_NAME}")
        for line in state.postrun.terminal_lines() if state.postrun else ():
            terminalreporter.write_line(line)
    for line in upgrade.summary_lines():
        terminalreporter.write_line(line)
    journals = [j for j in [state.leftover_journal, *state.leftover_journals] if j is not None]
    config = state.config
    if state.worker_died and config is not None and config.kind == "live":
        # A worker that died could not say what it left: every journal it wrote stays.
        journals = sorted(config.report_dir.glob("journal-*.jsonl")) or journals
    if journals and state.config is not None:
        terminalreporter.write_sep("!", "records of this run may remain on the target", red=True)
        for journal in journals:
            terminalreporter.write_line(f"journal: {journal}")
        terminalreporter.write_line("delete them (ONTAP_USERNAME and ONTAP_PASSWORD set) with:")
        for journal in journals:
            terminalreporter.write_line(REDACTOR.redact_text(sweep_command(state.config, journal)))
