"""The pytest plugin: options, the session target, the ledger, redaction and reports.

It is registered by the root ``conftest.py``. Reports are written only when the run
collected tests of the suite itself, so ``pytest tests`` leaves ``reports/`` alone.
"""

from __future__ import annotations

import datetime as dt
import html
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import exploration, reports
from conformance import ledger as ledger_module
from conformance.client import Client, TargetUnreachable
from conformance.config import TargetConfig, load_config
from conformance.emulator_process import EmulatorFailed
from conformance.failures import ConformanceFailure
from conformance.journal import read_journal, sweep
from conformance.ledger import NONCONFORMANT, Ledger
from conformance.redaction import REDACTOR, install_log_redaction
from conformance.target import Target, TargetError, open_target

pytest_plugins = ["conformance.fixtures"]

SUITE_DIR = Path(__file__).resolve().parent
EXIT_USAGE = 4


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _Session:
    """What one pytest session holds; reset at every configure (pytester runs many)."""

    def __init__(self) -> None:
        self.config: TargetConfig | None = None
        self.target: Target | None = None
        self.target_error: str | None = None
        self.ledger = Ledger()
        self.started = _now()
        self.wants_reports = False
        self.collected_suite = False
        self.suite_dirs: tuple[Path, ...] = (SUITE_DIR,)
        self.target_snapshot: Target | None = None
        self.document: dict[str, Any] | None = None
        self.html_report: Any = None
        self.leftover_journal: Path | None = None


_STATE = _Session()


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
    return _STATE.target


def active_ledger() -> Ledger:
    """Return the session's ledger (same as :func:`conformance.ledger.current`)."""
    return ledger_module.current()


# -- options -------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ontap", "ONTAP iSCSI credentials conformance")
    group.addoption("--target", dest="target", metavar="URL",
                    help="base URL of a live target (default: start the embedded emulator)")
    group.addoption("--svm", dest="svms", action="append", metavar="NAME",
                    help="SVM with the iSCSI service on the live target (repeatable)")
    group.addoption("--ca-bundle", dest="ca_bundle", metavar="PATH",
                    help="CA bundle to verify the target's TLS certificate")
    group.addoption("--insecure", dest="insecure", action="store_const", const=True,
                    help="do not verify the target's TLS certificate")
    group.addoption("--emulator-defect", dest="emulator_defects", action="append",
                    metavar="NAME", help="start the embedded emulator with this defect (repeatable)")
    group.addoption("--report-dir", dest="report_dir", metavar="DIR",
                    help="where reports and journals go (default: reports)")
    group.addoption("--allow-default-changes", dest="allow_default_changes",
                    action="store_const", const=True,
                    help="let the run change (and restore) each SVM's default credential")
    group.addoption("--rate-limit", dest="rate_limit", metavar="RPS",
                    help="at most this many requests per second")
    group.addoption("--request-timeout", dest="timeout", metavar="SECONDS",
                    help="seconds to wait for each answer (default: 30); a write that times "
                         "out is decided by a follow-up read")
    group.addoption("--emulator-faults", dest="emulator_faults", metavar="RATE",
                    help="let the embedded emulator answer this share of requests with 503, "
                         "429, a dropped connection or a delay (tests the suite's retries)")
    group.addoption("--max-objects", dest="max_objects", metavar="N",
                    help="most records the run may have alive at once (default: 50)")
    group.addoption("--strict-observed", dest="strict_observed", action="store_const",
                    const=True, help="deviations from observed rules make the run nonconformant")
    group.addoption("--sweep", dest="sweep", metavar="JOURNAL",
                    help="delete what a killed run journaled, then exit without running tests")
    group.addoption("--full-tracebacks", dest="conformance_full_tracebacks", action="store_true",
                    help="show the suite's stack frames under each failure, not only the verdict "
                         "(for debugging the suite itself)")
    group.addoption("--conformance-config", dest="conformance_config", metavar="PATH",
                    help="TOML file with [target] and [run] settings "
                         "(env ONTAP_CONFORMANCE_CONFIG)")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Run ``--sweep JOURNAL`` instead of the tests."""
    if not config.getoption("sweep", None):
        return None
    target_config = load_config(config)
    journal_path = target_config.sweep
    assert journal_path is not None
    if not journal_path.is_file():
        raise pytest.UsageError(f"--sweep {journal_path}: no such journal")
    header, _ = read_journal(journal_path)
    url = target_config.url or header.get("target")
    if not url:
        raise pytest.UsageError(f"--sweep {journal_path}: the journal names no target; "
                                "give --target URL")
    if target_config.url and header.get("target") and header["target"] != target_config.url:
        raise pytest.UsageError(f"--sweep: the journal belongs to {header['target']}, "
                                f"not {target_config.url}")
    if not (target_config.username and target_config.password):
        raise pytest.UsageError("--sweep needs ONTAP_USERNAME and ONTAP_PASSWORD")
    client = Client(url, username=target_config.username, password=target_config.password,
                    verify=target_config.verify, rate_limit=target_config.rate_limit)
    try:
        actions = sweep(journal_path, client)
    except TargetUnreachable as exc:
        print(REDACTOR.redact_text(f"sweep: cannot reach {url}: {exc}"), file=sys.stderr)
        return 1
    for line in actions:
        print(REDACTOR.redact_text(f"sweep: {line}"))
    failed = [line for line in actions if line.startswith(("FAILED", "skipped"))]
    print(f"sweep: {len(actions)} journaled keys handled, {len(failed)} problems ({journal_path})")
    if not failed:
        journal_path.rename(journal_path.with_suffix(".swept"))
    return 1 if failed else 0


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    global _STATE
    _STATE = _Session()
    ledger_module.install(_STATE.ledger)
    exploration.install(exploration.Exploration())
    install_log_redaction()
    _STATE.config = load_config(config)
    _STATE.suite_dirs = (SUITE_DIR, Path(config.rootpath, "conformance").resolve())
    _STATE.wants_reports = _aims_at_suite(config) and not config.option.collectonly
    if _STATE.wants_reports and not hasattr(config, "workerinput"):
        report_dir = _STATE.config.report_dir
        if config.pluginmanager.hasplugin("html") and not config.getoption("htmlpath", None):
            config.option.htmlpath = str(report_dir / reports.HTML_NAME)
            config.option.self_contained_html = True
        if not config.getoption("xmlpath", None):
            config.option.xmlpath = str(report_dir / reports.JUNIT_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    # A target opened lazily outside fixtures must not outlive the session.
    _close_target()


def _aims_at_suite(config: pytest.Config) -> bool:
    base = config.invocation_params.dir
    for arg in config.args:
        path = (base / arg.split("::")[0]).resolve()
        for suite in _STATE.suite_dirs:
            if path == suite or suite in path.parents or path in suite.parents:
                return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _STATE.collected_suite = any(_in_suite(item) for item in items)
    for item in items:
        unknown = [rid for rid in _marked_rules(item) if rid not in ledger_module.BY_ID]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown rule ID(s) {', '.join(unknown)} "
                                    "in @pytest.mark.rule; see python -m models")


def _in_suite(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    return any(suite in path.parents for suite in _STATE.suite_dirs)


# -- failures into the ledger, secrets out of every report ---------------------------------
def _conformance_failures(exc: BaseException | None) -> list[ConformanceFailure]:
    if isinstance(exc, ConformanceFailure):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        found: list[ConformanceFailure] = []
        for inner in exc.exceptions:
            found += _conformance_failures(inner)
        return found
    return []


def _marked_rules(item: pytest.Item) -> tuple[str, ...]:
    return tuple(rid for mark in item.iter_markers("rule") for rid in mark.args)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if not _in_suite(item):
        return
    ledger = _STATE.ledger
    error = call.excinfo.value if call.excinfo is not None else None
    if report.failed and error is not None and not isinstance(error, AssertionError | BaseExceptionGroup):
        # Not a verdict on the target: the suite itself broke (or the target vanished).
        if isinstance(error, TargetUnreachable | EmulatorFailed):
            # The target is gone: every further test would fail the same way.
            item.session.shouldstop = REDACTOR.redact_text(f"target lost: {error}")
        ledger.error(item.nodeid, f"{report.when}: {type(error).__name__}: {error}")
        report.conformance_rules = "(suite error)"
        return
    failures = _conformance_failures(error) if report.failed else []
    if report.when != "call" and not failures:
        return  # a check that failed while a fixture prepared the test still counts
    marked = _marked_rules(item)
    if report.passed:
        for rule_id in marked:
            if rule_id in ledger_module.BY_ID:
                ledger.check(rule_id, True, detail=item.nodeid)
        return
    if not report.failed:
        return
    text = report.longreprtext
    extras: list[Any] = []
    if failures:
        for failure in failures:
            ledger.failure(failure.rule_ids, item.nodeid, failure.message, failure.curl)
        rule_ids = sorted({rid for f in failures for rid in f.rule_ids})
        curls = [f.curl for f in failures if f.curl]
    else:
        rule_ids = list(marked)
        curls = []
        message = str(call.excinfo.value) if call.excinfo else "failed"
        ledger.failure(tuple(marked), item.nodeid, message.splitlines()[0][:500] if message else "")
    report.conformance_rules = ", ".join(rule_ids)
    program = reports.step_program(text)
    if failures and not item.config.getoption("conformance_full_tracebacks", False):
        # A verdict, not a crash: lead with the rule, what came back, what the doc allows,
        # the curl line and the shrunk program, instead of the suite's own stack frames.
        verdicts = "\n\n".join(str(f) for f in failures)
        report.longrepr = REDACTOR.redact_text(verdicts + (f"\n\n{program}" if program else ""))
    html_extras = _html_extras()
    if html_extras is not None:
        if program:
            extras.append(html_extras.text(program, name="step program"))
        for curl in curls:
            extras.append(html_extras.text(REDACTOR.redact_text(curl), name="reproduce (curl)"))
        report.extras = [*getattr(report, "extras", []), *extras]


def _html_extras() -> Any:
    try:
        from pytest_html import extras
    except ImportError:
        return None
    return extras


def _redact_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
            path, lineno, reason = report.longrepr
            report.longrepr = (path, lineno, REDACTOR.redact_text(reason))
        else:
            report.longrepr = REDACTOR.redact_text(report.longreprtext)
    report.sections = [(header, REDACTOR.redact_text(content))
                       for header, content in report.sections]
    for extra in getattr(report, "extras", []) or []:
        if isinstance(extra, dict) and isinstance(extra.get("content"), str):
            extra["content"] = REDACTOR.redact_text(extra["content"])
    if getattr(report, "user_properties", None):
        report.user_properties = [(k, REDACTOR.redact_text(v)) for k, v in report.user_properties]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _redact_report(report)


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report: pytest.CollectReport) -> None:
    _redact_report(report)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = session.config.stash.get(metadata_key, None)
    if not metadata:
        return
    for key in list(metadata):
        if any(word in key.lower() for word in ("password", "secret", "token", "auth")):
            del metadata[key]
        elif isinstance(metadata[key], str):
            metadata[key] = REDACTOR.redact_text(metadata[key])


# -- session end ---------------------------------------------------------------------------
def _close_target() -> None:
    target, _STATE.target = _STATE.target, None
    if target is not None:
        target.close()


def _run_info(config: pytest.Config) -> reports.RunInfo:
    target, tc = _STATE.target_snapshot, _STATE.config
    profile = _hypothesis_profile()
    seed = config.getoption("hypothesis_seed", None)
    return reports.RunInfo(
        url=target.base_url if target else (tc.url if tc else None),
        kind=target.kind if target else (tc.kind if tc else "emulator"),
        ontap_version=target.ontap_version if target else None,
        started=_STATE.started, finished=_now(), profile=str(profile),
        seed=None if seed is None else str(seed),
        strict_observed=bool(tc and tc.strict_observed),
    )


def _hypothesis_profile() -> str:
    try:
        from hypothesis import settings
    except ImportError:
        return "default"
    return settings.get_current_profile_name()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _STATE.target_snapshot = _STATE.target
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    try:
        _close_target()
    except KeyboardInterrupt:
        # A second Ctrl-C stops the live cleanup; the journal stays, the reports are still written.
        interrupted = True
        _STATE.ledger.error("session teardown", "interrupted (Ctrl-C) during the live cleanup")
    _STATE.leftover_journal = _leftover_journal(_STATE.target_snapshot)
    if interrupted:
        _STATE.ledger.error("session", "interrupted (Ctrl-C): the tests not yet run were not "
                                       "judged; their rules are reported as not exercised")
    if not (_STATE.wants_reports and _STATE.collected_suite) or _STATE.config is None:
        _STATE.document = None
        return
    document = reports.build_report(_STATE.ledger, _run_info(session.config))
    reports.write_json(document, _STATE.config.report_dir)
    _STATE.document = document
    key = _xml_key()
    xml = session.config.stash.get(key, None) if key is not None else None
    if xml is not None:
        xml.add_global_property("verdict", document["verdict"])
        for key, value in document["target"].items():
            xml.add_global_property(f"target_{key}", REDACTOR.redact_text(value))
    teardown_broke = any(f.test.startswith("session teardown") for f in _STATE.ledger.failures)
    if (document["verdict"] == NONCONFORMANT or teardown_broke) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _leftover_journal(target: Target | None) -> Path | None:
    """The journal of a live run when the run's cleanup did not empty it (else None)."""
    journal = target.journal if target is not None else None
    return journal.path if journal is not None and journal.path.exists() else None


def sweep_command(config: TargetConfig, journal: Path) -> str:
    """The exact command that deletes what a live run left behind."""
    svms = "".join(f" --svm {name}" for name in config.svms)
    return f"pytest conformance --target {config.url}{svms} --sweep={journal.resolve()}"


def _xml_key() -> Any:
    try:
        from _pytest.junitxml import xml_key
    except ImportError:
        return None
    return xml_key


def pytest_terminal_summary(terminalreporter: Any) -> None:
    document = _STATE.document
    if document:
        terminalreporter.write_sep("=", reports.summary_line(document),
                                   red=document["verdict"] == NONCONFORMANT,
                                   green=document["verdict"] != NONCONFORMANT)
        report_dir = _STATE.config.report_dir if _STATE.config else Path("reports")
        terminalreporter.write_line(f"reports: {report_dir / reports.JSON_NAME}")
    journal = _STATE.leftover_journal
    if journal is not None and _STATE.config is not None:
        terminalreporter.write_sep("!", "records of this run may remain on the target", red=True)
        terminalreporter.write_line(f"journal: {journal}")
        terminalreporter.write_line("delete them (ONTAP_USERNAME and ONTAP_PASSWORD set) with:")
        terminalreporter.write_line(REDACTOR.redact_text(sweep_command(_STATE.config, journal)))


# -- pytest-html ----------------------------------------------------------------------------
@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    where = _STATE.config.url if _STATE.config and _STATE.config.url else "embedded emulator"
    report.title = REDACTOR.redact_text(f"ONTAP iSCSI credentials conformance: {where}")
    _STATE.html_report = report


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    document = _STATE.document
    if document:
        prefix.extend(reports.html_summary(document))
        if _STATE.html_report is not None:
            # The title is rendered last, so the verdict can lead the page.
            _STATE.html_report.title = reports.html_title(document)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, "<th>Rules</th>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: Any, cells: list[str]) -> None:
    rules = getattr(report, "conformance_rules", "")  # catalog IDs: nothing to redact
    cells.insert(2, f'<td class="col-rules">{html.escape(rules)}</td>')
