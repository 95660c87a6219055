"""The pytest plugin: options, the session target, the ledger, redaction and reports.

It is registered by the root ``conftest.py``. Reports are written only when the run
collected tests of the suite itself, so ``pytest tests`` leaves ``reports/`` alone.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance import profiles
from conformance.config import load_config
from conformance.judging import ledger as ledger_module
from conformance.judging.applicability import not_applicable
from conformance.judging.failures import ConformanceFailure
from conformance.judging.ledger import CONFORMANT, INCONCLUSIVE, NONCONFORMANT, Ledger
from conformance.programs import budget, exploration
from conformance.reports.html_summary import html_summary, html_title
from conformance.reports.postrun import PostRun
from conformance.reports.run_report import HTML_NAME, JSON_NAME, JUNIT_NAME, RunInfo, write_json
from conformance.reports.step_program import step_program
from conformance.reports.verdict_text import summary_line, verdict_label
from conformance.target.emulator_process import EmulatorFailed
from conformance.target.housekeeping import RunStopped
from conformance.target.journal import read_journal, sweep
from conformance.target.settings import TargetConfig
from conformance.target.target import Target, TargetError, open_target
from conformance.upgrade import validation as upgrade
from conformance.wire.client import Client, TargetUnreachable
from conformance.wire.redaction import REDACTOR, install_log_redaction
from models.rules import BY_ID

pytest_plugins = ["conformance.fixtures"]
profiles.register()  # the suite's Hypothesis profiles, wherever the plugin is loaded from

SUITE_DIR = Path(__file__).resolve().parent
EXIT_USAGE = 4
#: The run's exit status by verdict (pytest's own: 2 interrupted, 4 usage error, 5 no tests).
EXIT_STATUS = {CONFORMANT: 0, NONCONFORMANT: 1, INCONCLUSIVE: 6}
#: Why a run may stop early for the target's sake (not Ctrl-C): its exit status stays the verdict's.
STOPPED_BY_TARGET = ("target lost", "stopped at the first housekeeping finding")


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
        self.leftover_journals: list[Path] = []  # under xdist: every worker's that remained
        self.worker_target: dict[str, Any] | None = None  # under xdist: what a worker probed
        self.worker_died = False
        self.postrun: PostRun | None = None  # known deviations, certificate, history, budget


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
        _STATE.ledger.mark_not_applicable(not_applicable(_STATE.target))
    return _STATE.target


def stop_run(message: str) -> None:
    """Stop the whole run with one line and the usage exit status (a replay that cannot start)."""
    _STATE.target_error = REDACTOR.redact_text(message)
    pytest.exit(_STATE.target_error, returncode=EXIT_USAGE)


def active_ledger() -> Ledger:
    """Return the session's ledger (same as :func:`conformance.judging.ledger.current`)."""
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
    group.addoption("--emulator-variant", dest="emulator_variants", action="append",
                    metavar="NAME", help="start the embedded emulator with this real-cluster "
                                         "variant (repeatable)")
    group.addoption("--report-dir", dest="report_dir", metavar="DIR",
                    help="where reports and journals go (default: reports)")
    group.addoption("--allow-default-changes", dest="allow_default_changes",
                    action="store_const", const=True,
                    help="let the run change (and restore) each SVM's default credential")
    group.addoption("--allow-collection-writes", dest="allow_collection_writes",
                    action="store_const", const=True,
                    help="on a live target, let the run send query-based PATCH/DELETE of the "
                         "collection (always scoped to its own namespace)")
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
    group.addoption("--ontap-version", dest="ontap_version", metavar="X.Y.Z",
                    help="judge against this ONTAP release instead of the one /api/cluster reports")
    group.addoption("--emulator-latency", dest="emulator_latency", metavar="MS",
                    help="every answer of the embedded emulator waits this many milliseconds "
                         "(plus or minus a quarter): a real cluster's cost on one machine")
    group.addoption("--emulator-ontap-version", dest="emulator_ontap_version", metavar="X.Y.Z",
                    help="the release the embedded emulator plays (default: 9.10.1)")
    group.addoption("--strict-observed", dest="strict_observed", action="store_const",
                    const=True, help="deviations from observed rules make the run nonconformant")
    group.addoption("--sweep", dest="sweep", metavar="JOURNAL",
                    help="delete what a killed run journaled, then exit without running tests")
    group.addoption("--full-tracebacks", dest="conformance_full_tracebacks", action="store_true",
                    help="show the suite's stack frames under each failure, not only the verdict "
                         "(for debugging the suite itself)")
    group.addoption("--known-deviations", dest="known_deviations", metavar="FILE",
                    help="TOML file of reviewed known deviations (rule, targets, releases, status, "
                         "code, reason, owner, expires); listed breaks do not fail the verdict")
    group.addoption("--history", dest="history", metavar="DIR",
                    help="append this run to DIR/history.jsonl and add a Trend section to the report")
    group.addoption("--time-budget", dest="time_budget", metavar="SECONDS",
                    help="start no new state-machine program after this many seconds of the run")
    group.addoption("--fail-on", dest="fail_on", metavar="new|any",
                    help="any (default): the exit status is the verdict's; new: a nonconformant "
                         "run fails only on failures new since the last run in --history")
    group.addoption("--conformance-config", dest="conformance_config", metavar="PATH",
                    help="TOML file with [target] and [run] settings "
                         "(env ONTAP_CONFORMANCE_CONFIG)")
    upgrade.addoptions(group)  # --record, --replay, --baseline


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Run ``--sweep JOURNAL`` (or ``--sweep DIR``: every journal in it) instead of the tests."""
    if not config.getoption("sweep", None):
        return None
    target_config = load_config(config)
    where = target_config.sweep
    assert where is not None
    journals = sorted(where.glob("journal-*.jsonl")) if where.is_dir() else [where]
    if not where.exists() or (where.is_dir() and not journals):
        raise pytest.UsageError(f"--sweep {where}: no such journal" + (" in that directory" if where.is_dir() else ""))
    if not (target_config.username and target_config.password):
        raise pytest.UsageError("--sweep needs ONTAP_USERNAME and ONTAP_PASSWORD")
    return max(_sweep_one(journal, target_config) for journal in journals)


def _sweep_one(journal_path: Path, target_config: TargetConfig) -> int:
    header, _ = read_journal(journal_path)
    url = target_config.url or header.get("target")
    if not url:
        raise pytest.UsageError(f"--sweep {journal_path}: the journal names no target; give --target URL")
    if target_config.url and header.get("target") and header["target"] != target_config.url:
        raise pytest.UsageError(f"--sweep: the journal {journal_path.name} belongs to {header['target']}, "
                                f"not {target_config.url}")
    client = Client(url, username=target_config.username or "", password=target_config.password or "",
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
    _STATE.config = for_worker(load_config(config), config)
    _STATE.postrun = PostRun(_STATE.config)
    upgrade.configure(config, active_target)  # --record installs its recorder here
    _STATE.suite_dirs = (SUITE_DIR, Path(config.rootpath, "conformance").resolve())
    _STATE.wants_reports = _aims_at_suite(config) and not config.option.collectonly
    _configure_hypothesis(config, _aims_at_suite(config))
    if _STATE.wants_reports and not hasattr(config, "workerinput"):
        report_dir = _STATE.config.report_dir
        if config.pluginmanager.hasplugin("html") and not config.getoption("htmlpath", None):
            config.option.htmlpath = str(report_dir / HTML_NAME)
            config.option.self_contained_html = True
        if not config.getoption("xmlpath", None):
            config.option.xmlpath = str(report_dir / JUNIT_NAME)


def worker_id(config: pytest.Config) -> tuple[int, int] | None:
    """Under pytest-xdist, this worker's index and the number of workers (None elsewhere)."""
    info = getattr(config, "workerinput", None)
    if not info:
        return None
    return int(str(info.get("workerid", "gw0")).removeprefix("gw") or 0), int(info.get("workercount", 1))


def for_worker(target_config: TargetConfig, config: pytest.Config) -> TargetConfig:
    """A worker's share of the run's settings.

    ``--rate-limit`` bounds the whole run, so each of N workers gets a rate of RPS / N; on a
    live target only the first worker may change the defaults (two workers changing one
    SVM's default at once would each see the other's change as a failure).
    """
    worker = worker_id(config)
    if worker is None:
        return target_config
    index, count = worker
    rate = target_config.rate_limit / count if target_config.rate_limit else None
    defaults = target_config.allow_default_changes and (index == 0 or target_config.kind == "emulator")
    group = "".join(c for c in str(config.workerinput.get("testrunuid", "")) if c.isalnum())[:6].lower()
    return replace(target_config, rate_limit=rate, allow_default_changes=defaults,
                   run_group=group or None, worker=index)


def _configure_hypothesis(config: pytest.Config, suite: bool) -> None:
    """The suite's markers, default profile (dev) and the profile's shrinking budget."""
    config.addinivalue_line("markers", "rule(*ids): rule-catalog IDs this test verifies (models/rules.py)")
    config.addinivalue_line("markers", "stateful: Hypothesis state-machine test")
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    chosen = config.getoption("hypothesis_profile", None)  # Hypothesis's own plugin loads it
    from_env = os.environ.get(profiles.PROFILE_ENV)
    name = chosen or from_env or (profiles.DEFAULT if suite else None)
    try:
        if chosen:
            settings.get_profile(chosen)  # unknown: one line now, not Hypothesis's traceback later
        elif name and (suite or from_env):
            settings.load_profile(name)
        if name in profiles.PROFILES:
            profiles.cap_shrinking_for(name)
    except (InvalidArgument, ValueError) as exc:  # an unknown profile, a bad number of seconds
        raise pytest.UsageError(f"Hypothesis profile: {exc}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    # A target opened lazily outside fixtures must not outlive the session.
    _close_target()


def _aims_at_suite(config: pytest.Config) -> bool:
    base = config.invocation_params.dir
    for arg in config.args:
        if config.getoption("pyargs", False) and arg.split("::")[0].split(".")[0] == "conformance":
            return True  # the installed suite: ontap-conformance runs pytest --pyargs conformance
        path = (base / arg.split("::")[0]).resolve()
        for suite in _STATE.suite_dirs:
            if path == suite or suite in path.parents or path in suite.parents:
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _STATE.collected_suite = any(_in_suite(item) for item in items)
    if hasattr(config, "workerinput"):
        # The state machine's streams first: the controller's scheduler hands out the first
        # work units one per worker, so each worker starts its own stream at once (and the
        # longest tests run first). Every worker sorts alike: the collections stay equal.
        items.sort(key=lambda item: not (_in_suite(item) and item.get_closest_marker("stateful")))
    for item in items:
        unknown = [rid for rid in _marked_rules(item) if rid not in BY_ID]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown rule ID(s) {', '.join(unknown)} "
                                    "in @pytest.mark.rule; see python -m models")


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """On the xdist controller: give each worker one state-machine stream.

    xdist's default ``load`` scheduling sends each worker a chunk of consecutive tests first,
    so two streams could queue on one worker (and under ``--time-budget`` the second would get
    a single program). For a run of the suite, ``load`` is replaced by xdist's ``loadgroup``
    scheduler: every test is its own unit (the suite marks no ``xdist_group``), the first units
    go one per worker in collection order, and the workers sort the streams first. Other
    ``--dist`` modes are left as chosen.
    """
    if config.getvalue("dist") != "load" or not _aims_at_suite(config):
        return None
    from xdist.scheduler import LoadGroupScheduling

    return LoadGroupScheduling(config, log)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return upgrade.ignore_collect(collection_path, SUITE_DIR)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    upgrade.set_test(item.nodeid)  # which test the drivers of --record belong to
    item._ontap_checkpoint = _STATE.ledger.checkpoint()  # a Flaky takes its failures back


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


def _found(error: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether ``error`` is, or (in an exception group) holds, an exception of ``kind``."""
    if isinstance(error, kind):
        return True
    return isinstance(error, BaseExceptionGroup) and any(_found(e, kind) for e in error.exceptions)


def _is_flaky(error: BaseException | None) -> bool:
    """Whether Hypothesis saw a program end differently when it replayed it."""
    try:
        from hypothesis.errors import Flaky
    except ImportError:
        return False
    return isinstance(error, Flaky)


def _outcomes(error: BaseException | None) -> list[str]:
    """The outcomes Hypothesis saw for one program (first run, replay)."""
    inner = list(error.exceptions) if isinstance(error, BaseExceptionGroup) else []
    seen = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}" for e in inner]
    return seen or [f"{type(error).__name__}: {str(error).splitlines()[0] if error and str(error) else ''}"]


def _marked_rules(item: pytest.Item) -> tuple[str, ...]:
    return tuple(rid for mark in item.iter_markers("rule") for rid in mark.args)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Failures into the ledger: a broken rule is a verdict, anything else a suite error.

    Markers only label tests: a passing test credits nothing (its checks already credited
    the rules their responses judged), and a test that failed without a ConformanceFailure
    (its own assertion, ``NotJudged``, a lost target) is an error, never a rule failure.
    """
    outcome = yield
    report = outcome.get_result()
    if not _in_suite(item) or not report.failed:
        return
    ledger = _STATE.ledger
    error = call.excinfo.value if call.excinfo is not None else None
    failures = _conformance_failures(error)
    if _is_flaky(error):
        # The failure did not come back when replayed: its rules are reported with the flaky
        # replay, never as failures (the ledger forgets what this test recorded as failed).
        mark = getattr(item, "_ontap_checkpoint", None)
        rules = ledger.unfail_since(mark) if mark is not None else []
        ledger.flaky_replay(item.nodeid, str(error).split("\n\n")[0], _outcomes(error), rules)
        report.conformance_rules = "(flaky replay" + (f": {', '.join(rules)})" if rules else ")")
        return
    if not failures:
        if _found(error, RunStopped):
            # A housekeeping finding is already a verdict of its own; every later test would
            # meet the same state, so the run ends here (the reports name the sweep command).
            item.session.shouldstop = ledger.stopped or "stopped at a housekeeping finding"
            report.conformance_rules = "(run stopped)"
            return
        if isinstance(error, TargetUnreachable | EmulatorFailed):
            # The target is gone: every further test would fail the same way.
            ledger.stopped = REDACTOR.redact_text(f"target lost: {error}")
            item.session.shouldstop = ledger.stopped
        text = f"{type(error).__name__}: {error}" if error is not None else report.longreprtext[-500:]
        ledger.error(item.nodeid, f"{report.when}: {text}")
        report.conformance_rules = "(not judged)"
        return
    for failure in failures:
        ledger.failure(failure.rule_ids, item.nodeid, failure.message, failure.curl)
    report.conformance_rules = ", ".join(sorted({rid for f in failures for rid in f.rule_ids}))
    text = report.longreprtext
    program = step_program(text)
    if not item.config.getoption("conformance_full_tracebacks", False):
        # A verdict, not a crash: lead with the rule, what came back, what the doc allows,
        # the curl line and the shrunk program, instead of the suite's own stack frames.
        verdicts = "\n\n".join(str(f) for f in failures)
        report.longrepr = REDACTOR.redact_text(verdicts + (f"\n\n{program}" if program else ""))
    html_extras = _html_extras()
    if html_extras is not None:
        extras: list[Any] = []
        if program:
            extras.append(html_extras.text(program, name="step program"))
        for curl in (f.curl for f in failures if f.curl):
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


def _run_info(config: pytest.Config) -> RunInfo:
    target, tc = _STATE.target_snapshot, _STATE.config
    probed = _STATE.worker_target or (None if target is None else {
        "url": target.base_url, "kind": target.kind, "ontap_version": target.ontap_version})
    profile = _hypothesis_profile()
    seed = config.getoption("hypothesis_seed", None)
    return RunInfo(
        url=probed["url"] if probed else (tc.url if tc else None),
        kind=probed["kind"] if probed else (tc.kind if tc else "emulator"),
        ontap_version=probed["ontap_version"] if probed else None,
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
    upgrade.before_close(_STATE.target, _STATE.ledger, interrupted)  # --record: calibrate, write
    try:
        _close_target()
    except KeyboardInterrupt:
        # A second Ctrl-C stops the live cleanup; the journal stays, the reports are still written.
        interrupted = True
        _STATE.ledger.error("session teardown", "interrupted (Ctrl-C) during the live cleanup")
    _STATE.leftover_journal = _leftover_journal(_STATE.target_snapshot)
    if interrupted and not _STATE.ledger.stopped:
        _STATE.ledger.stopped = ("interrupted (Ctrl-C): the tests not yet run were not judged; "
                                 "their rules are reported as not exercised")
    if hasattr(session.config, "workerinput"):
        # A worker writes no report: it hands its ledger to the controller, which merges
        # every worker's into one report and one verdict.
        session.config.workeroutput["ontap_conformance"] = _worker_output()
        _STATE.document = None
        return
    if not (_STATE.wants_reports and _STATE.collected_suite) or _STATE.config is None:
        _STATE.document = None
        return
    postrun = _STATE.postrun or PostRun(_STATE.config)
    snapshot = _STATE.target_snapshot
    document = postrun.build_report(_STATE.ledger, _run_info(session.config),
                                    getattr(snapshot, "run_id", None))
    upgrade.finish_report(document, _STATE.config.report_dir)  # --replay, --baseline
    postrun.finish(document, _STATE.config.report_dir, session.config)  # certificate, history
    write_json(document, _STATE.config.report_dir)
    _STATE.document = document
    key = _xml_key()
    xml = session.config.stash.get(key, None) if key is not None else None
    if xml is not None:
        xml.add_global_property("verdict", document["verdict"])
        for key, value in document["target"].items():
            xml.add_global_property(f"target_{key}", REDACTOR.redact_text(value))
    if _STATE.target_error is None and (not interrupted or _STATE.ledger.stopped.startswith(STOPPED_BY_TARGET)):
        session.exitstatus = postrun.exit_status(document, EXIT_STATUS[document["verdict"]])


def _worker_output() -> dict[str, Any]:
    target = _STATE.target_snapshot
    return {
        "ledger": _STATE.ledger.to_wire(),
        "exploration": exploration.current().to_dict(),
        "budget": budget.current().to_wire(),
        "collected_suite": _STATE.collected_suite,
        "target": None if target is None else {
            "url": target.base_url, "kind": target.kind, "ontap_version": target.ontap_version},
        "leftover_journal": str(_STATE.leftover_journal) if _STATE.leftover_journal else None,
    }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: merge what a worker judged (or note that it died)."""
    output = (getattr(node, "workeroutput", None) or {}).get("ontap_conformance")
    name = getattr(node, "gateway", None) and node.gateway.id
    if error or output is None:
        _STATE.ledger.error(f"worker {name or '?'}", f"the worker ended without its results: {error}")
        _STATE.collected_suite = _STATE.collected_suite or _STATE.wants_reports
        _STATE.worker_died = True
        return
    _STATE.ledger.merge(output["ledger"])
    exploration.current().absorb(output.get("exploration") or {})
    budget.current().absorb(output.get("budget") or {})
    _STATE.collected_suite = _STATE.collected_suite or output["collected_suite"]
    if output["target"] and _STATE.worker_target is None:
        _STATE.worker_target = output["target"]
    if output["leftover_journal"]:
        _STATE.leftover_journals.append(Path(output["leftover_journal"]))


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
        terminalreporter.write_sep("=", summary_line(document),
                                   red=document["verdict"] == NONCONFORMANT,
                                   yellow=document["verdict"] == INCONCLUSIVE,
                                   green=document["verdict"] == CONFORMANT)
        terminalreporter.write_line(f"verdict: {verdict_label(document)}: {document['verdict_reason']}")
        report_dir = _STATE.config.report_dir if _STATE.config else Path("reports")
        terminalreporter.write_line(f"reports: {report_dir / JSON_NAME}")
        for line in _STATE.postrun.terminal_lines() if _STATE.postrun else ():
            terminalreporter.write_line(line)
    for line in upgrade.summary_lines():
        terminalreporter.write_line(line)
    journals = [j for j in [_STATE.leftover_journal, *_STATE.leftover_journals] if j is not None]
    config = _STATE.config
    if _STATE.worker_died and config is not None and config.kind == "live":
        # A worker that died could not say what it left: every journal it wrote stays.
        journals = sorted(config.report_dir.glob("journal-*.jsonl")) or journals
    if journals and _STATE.config is not None:
        terminalreporter.write_sep("!", "records of this run may remain on the target", red=True)
        for journal in journals:
            terminalreporter.write_line(f"journal: {journal}")
        terminalreporter.write_line("delete them (ONTAP_USERNAME and ONTAP_PASSWORD set) with:")
        for journal in journals:
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
        prefix.extend(html_summary(document))
        prefix.extend(_STATE.postrun.html_blocks() if _STATE.postrun else ())
        if _STATE.html_report is not None:
            # The title is rendered last, so the verdict can lead the page.
            _STATE.html_report.title = html_title(document)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, "<th>Rules</th>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: Any, cells: list[str]) -> None:
    rules = getattr(report, "conformance_rules", "")  # catalog IDs: nothing to redact
    cells.insert(2, f'<td class="col-rules">{html.escape(rules)}</td>')
