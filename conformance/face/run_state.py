"""The run's state in this process: its settings, its target (opened on first use), its ledger.

One pytest session holds one :class:`RunState`; the plugin makes a new one at every
configure (pytester runs many sessions in one process). Code that cannot take fixtures (a
Hypothesis state machine built by a factory, a replayed program that cannot start) reaches
the session's target and settings through :func:`active_target` and :func:`active_config`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conformance.judging import ledger as ledger_module
from conformance.judging.applicability import not_applicable
from conformance.judging.ledger import Ledger
from conformance.reports.postrun import PostRun
from conformance.targets.settings import TargetConfig
from conformance.targets.target import Target, TargetError, open_target
from conformance.wire.client import TargetUnreachable
from conformance.wire.redaction import REDACTOR

SUITE_DIR = Path(__file__).resolve().parents[1]  # conformance/ (this file: conformance/face/)
EXIT_USAGE = 4


def now() -> str:
    """The time now, as the reports write it (UTC, to the second)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class RunState:
    """What one pytest session holds; reset at every configure (pytester runs many)."""

    def __init__(self) -> None:
        self.config: TargetConfig | None = None
        self.target: Target | None = None
        self.target_error: str | None = None
        self.ledger = Ledger()
        self.started = now()
        self.wants_reports = False
        self.collected_suite = False
        self.suite_dirs: tuple[Path, ...] = (SUITE_DIR,)
        self.target_snapshot: Target | None = None
        self.document: dict[str, Any] | None = None
        self.html_report: Any = None
        self.leftover_journal: Path | None = None
        self.leftover_journals: list[Path] = []  # under xdist: every worker's that remained
        self.worker_target: dict[str, Any] | None = None  # under xdist: what a worker probed
        self.worker_died = False
        self.postrun: PostRun | None = None  # known deviations, certificate, history, budget


_STATE = RunState()


def state() -> RunState:
    """The state of this process's current session."""
    return _STATE


def reset() -> RunState:
    """A fresh state for a session that is being configured."""
    global _STATE
    _STATE = RunState()
    return _STATE


def active_config() -> TargetConfig:
    """Return the run's configuration (raises when the plugin is not configured)."""
    if _STATE.config is None:
        raise RuntimeError("the conformance plugin is not configured in this process")
    return _STATE.config


def active_target() -> Target:
    """Return the session's target, opening it on first use.

    A target that cannot be opened stops the whole run with one line.
    """
    if _STATE.target is None:
        if _STATE.target_error:
            pytest.exit(_STATE.target_error, returncode=EXIT_USAGE)
        try:
            _STATE.target = open_target(active_config(), _STATE.ledger)
        except (TargetError, TargetUnreachable) as exc:
            _STATE.target_error = REDACTOR.redact_text(f"ontap conformance: {exc}")
            pytest.exit(_STATE.target_error, returncode=EXIT_USAGE)
        _STATE.ledger.mark_not_applicable(not_applicable(_STATE.target))
    return _STATE.target


def stop_run(message: str) -> None:
    """Stop the whole run with one line and the usage exit status (a replay that cannot start)."""
    _STATE.target_error = REDACTOR.redact_text(message)
    pytest.exit(_STATE.target_error, returncode=EXIT_USAGE)


def active_ledger() -> Ledger:
    """Return the session's ledger (same as :func:`conformance.judging.ledger.current`)."""
    return ledger_module.current()


def close_target() -> None:
    """Close the session's target (a target opened lazily must not outlive the session)."""
    target, _STATE.target = _STATE.target, None
    if target is not None:
        target.close()


def aims_at_suite(config: pytest.Config) -> bool:
    """Whether the run names the suite (its folder, or ``--pyargs conformance``): only such a
    run configures the suite's profile and writes reports."""
    base = config.invocation_params.dir
    for arg in config.args:
        if config.getoption("pyargs", False) and arg.split("::")[0].split(".")[0] == "conformance":
            return True  # the installed suite: ontap-conformance runs pytest --pyargs conformance
        path = (base / arg.split("::")[0]).resolve()
        for suite in _STATE.suite_dirs:
            if path == suite or suite in path.parents or path in suite.parents:
                return True
    return False


def in_suite(item: pytest.Item) -> bool:
    """Whether a collected test is one of the suite's own (not a self-test of ``tests/``)."""
    path = Path(str(item.path)).resolve()
    return any(suite in path.parents for suite in _STATE.suite_dirs)


def leftover_journal(target: Target | None) -> Path | None:
    """The journal of a live run when the run's cleanup did not empty it (else None)."""
    journal = target.journal if target is not None else None
    return journal.path if journal is not None and journal.path.exists() else None
