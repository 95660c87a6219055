"""The pytest plugin: the suite's hooks, each handing its work to the pytest face.

It is registered by the root ``conftest.py`` (and, for the installed suite, by the pytest11
entry point of the same name). What each hook does lives in :mod:`conformance.face`: the
options, the run's state and its target, the workers of pytest-xdist, what a failed test
means for the ledger, secrets out of every report, and the run's end. Reports are written
only when the run collected tests of the suite itself, so ``pytest tests`` leaves
``reports/`` alone.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

from conformance.face import (
    hypothesis_setup,
    options,
    outcomes,
    profiles,
    redacting,
    run_state,
    session_end,
    sweeping,
    workers,
)
from conformance.face.config import load_config
from conformance.judging import ledger as ledger_module
from conformance.programs import exploration
from conformance.reports.html_summary import html_summary, html_title
from conformance.reports.postrun import PostRun
from conformance.reports.run_report import HTML_NAME, JUNIT_NAME
from conformance.upgrade import validation as upgrade
from conformance.wire.redaction import REDACTOR, install_log_redaction

pytest_plugins = ["conformance.fixtures"]
profiles.register()  # the suite's Hypothesis profiles, wherever the plugin is loaded from


# -- options and configuration ---------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Run ``--sweep JOURNAL`` (or ``--sweep DIR``: every journal in it) instead of the tests."""
    return sweeping.run_sweep(config)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    state = run_state.reset()
    ledger_module.install(state.ledger)
    exploration.install(exploration.Exploration())
    install_log_redaction()
    state.config = workers.for_worker(load_config(config), config)
    state.postrun = PostRun(state.config)
    upgrade.configure(config, run_state.active_target)  # --record installs its recorder here
    state.suite_dirs = (run_state.SUITE_DIR, Path(config.rootpath, "conformance").resolve())
    state.wants_reports = run_state.aims_at_suite(config) and not config.option.collectonly
    hypothesis_setup.configure(config, run_state.aims_at_suite(config))
    if state.wants_reports and not hasattr(config, "workerinput"):
        report_dir = state.config.report_dir
        if config.pluginmanager.hasplugin("html") and not config.getoption("htmlpath", None):
            config.option.htmlpath = str(report_dir / HTML_NAME)
            config.option.self_contained_html = True
        if not config.getoption("xmlpath", None):
            config.option.xmlpath = str(report_dir / JUNIT_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    # A target opened lazily outside fixtures must not outlive the session.
    run_state.close_target()


# -- collection and scheduling ---------------------------------------------------------------
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_state.state().collected_suite = any(run_state.in_suite(item) for item in items)
    if hasattr(config, "workerinput"):
        workers.streams_first(items)
    outcomes.check_rule_marks(items)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """On the xdist controller: give each worker one state-machine stream
    (:func:`conformance.face.workers.make_scheduler`)."""
    return workers.make_scheduler(config, log)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return upgrade.ignore_collect(collection_path, run_state.SUITE_DIR)


# -- each test -------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    upgrade.set_test(item.nodeid)  # which test the drivers of --record belong to
    item._ontap_checkpoint = run_state.state().ledger.checkpoint()  # a Flaky takes its failures back


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Failures into the ledger: a broken rule is a verdict, anything else a suite error
    (:mod:`conformance.face.outcomes`)."""
    outcome = yield
    outcomes.judge_failure(item, call, outcome.get_result())


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    redacting.redact_report(report)


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report: pytest.CollectReport) -> None:
    redacting.redact_report(report)


# -- the session -----------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    redacting.redact_metadata(session)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session_end.finish(session, exitstatus)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: merge what a worker judged (or note that it died)."""
    workers.absorb(node, error)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    session_end.terminal_summary(terminalreporter)


# -- pytest-html ----------------------------------------------------------------------------
@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    state = run_state.state()
    where = state.config.url if state.config and state.config.url else "embedded emulator"
    report.title = REDACTOR.redact_text(f"ONTAP iSCSI credentials conformance: {where}")
    state.html_report = report


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    state = run_state.state()
    document = state.document
    if document:
        prefix.extend(html_summary(document))
        prefix.extend(state.postrun.html_blocks() if state.postrun else ())
        if state.html_report is not None:
            # The title is rendered last, so the verdict can lead the page.
            state.html_report.title = html_title(document)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, "<th>Rules</th>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: Any, cells: list[str]) -> None:
    rules = getattr(report, "conformance_rules", "")  # catalog IDs: nothing to redact
    cells.insert(2, f'<td class="col-rules">{html.escape(rules)}</td>')
