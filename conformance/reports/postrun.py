"""What a run does after its tests: known deviations, the certificate, history, trend, exit status.

The plugin makes one :class:`PostRun` per session and calls it at four points:

1. :meth:`PostRun.build_report` instead of ``run_report.build_report``: judges the
   known-deviations entries against the ledger, builds ``conformance.json`` with the
   excused rules as ``known``, and adds the run's id, duration and time budget;
2. :meth:`PostRun.finish` just before ``conformance.json`` is written: writes
   ``certificate.json``, appends the run to the history and computes the trend;
3. :meth:`PostRun.exit_status`: the exit status, with ``--fail-on new`` and ``--baseline``;
4. :meth:`PostRun.html_blocks` and :meth:`PostRun.terminal_lines` for the reports.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.judging.ledger import NONCONFORMANT, Ledger
from conformance.programs import budget as budget_module
from conformance.programs import exploration
from conformance.reports import certificate, deviations, history
from conformance.reports.run_report import RunInfo, build_report
from conformance.reports.verdict_text import judgement_lines, verdict_label
from conformance.targets.settings import TargetConfig

#: The exit statuses this module sets (the plugin's EXIT_STATUS: nonconformant 1, inconclusive 6).
EXIT_NONCONFORMANT, EXIT_INCONCLUSIVE = 1, 6


class PostRun:
    """One session's known deviations, budget, certificate and history.

    Raises:
        pytest.UsageError: the known-deviations file cannot be used (at configure time, so a
            bad file stops the run before any test).
    """

    def __init__(self, config: TargetConfig) -> None:
        self.config = config
        self.entries: list[deviations.Entry] | None = None
        if config.known_deviations is not None:
            try:
                self.entries = deviations.load(config.known_deviations)
            except deviations.DeviationFileError as exc:
                raise pytest.UsageError(f"--known-deviations: {exc}") from None
        self.budget = budget_module.start(config.time_budget)
        self.started = time.monotonic()
        self.outcome: deviations.Outcome | None = None
        self.run_id = ""
        self.certificate: dict[str, Any] | None = None
        self.certificate_path: Path | None = None
        self.trend: dict[str, Any] | None = None
        self.history_path: Path | None = None
        self.history_warnings: list[str] = []
        self.exit_note = ""
        self.judgement_lines: list[str] = []  # what the verdict did not judge (verdict_text.judgement_lines)

    # -- 1. the report ------------------------------------------------------------------------
    def build_report(self, ledger: Ledger, run: RunInfo, run_id: str | None = None) -> dict[str, Any]:
        """``conformance.json`` with known deviations applied, and the run's id and duration."""
        if self.entries is not None:
            self.outcome = deviations.judge(self.entries, ledger, run.kind, run.url)
        known = self.outcome.known_rules if self.outcome is not None else frozenset()
        document = build_report(ledger, run, known=known)
        if self.outcome is not None:
            deviations.apply(document, self.outcome, self.config.known_deviations)
        self.run_id = run_id or secrets.token_hex(4)
        document["run"]["id"] = self.run_id
        document["run"]["duration_seconds"] = round(time.monotonic() - self.started, 1)
        document["run"]["programs"] = self.budget.programs  # state-machine programs run
        if self.config.time_budget is not None:
            document["run"]["time_budget"] = self.budget.as_dict()
        if self.config.history is not None:
            document["run"]["fail_on"] = self.config.fail_on
        return document

    # -- 2. certificate, history, trend ----------------------------------------------------------
    def finish(self, document: dict[str, Any], report_dir: Path, pytest_config: pytest.Config | None) -> None:
        """Write the certificate and append to the history (call before writing the JSON)."""
        self.judgement_lines = judgement_lines(document)
        self.certificate = certificate.build(document, {
            "id": self.run_id, "seeds": _seeds(pytest_config), "examples": self._examples()})
        self.certificate_path = certificate.write(self.certificate, report_dir)
        document["certificate"] = {"file": certificate.NAME, "statement": self.certificate["statement"],
                                   certificate.HASH_KEY: self.certificate[certificate.HASH_KEY]}
        if self.config.history is None:
            return
        past = history.read(self.config.history)
        self.history_path = past.path
        self.history_warnings = list(past.warnings)
        line = history.entry(document, self.run_id, document["run"]["duration_seconds"],
                             self.config.emulator_defects, verdict_label(document))
        self.trend = history.trend(past.runs, line)
        document["trend"] = {k: self.trend[k] for k in ("previous_run", "new_failures", "fixed", "flaky")}
        try:
            history.append(self.config.history, line)
        except OSError as exc:
            self.history_warnings.append(f"{self.history_path}: this run could not be appended ({exc})")

    def _examples(self) -> dict[str, Any]:
        try:
            from hypothesis import settings
            current = settings()
            figures: dict[str, Any] = {"max_examples": current.max_examples,
                                       "stateful_step_count": current.stateful_step_count}
        except ImportError:  # pragma: no cover - hypothesis is a dependency
            figures = {}
        figures["programs"] = self.budget.programs
        figures["shrink_replays"] = self.budget.replays
        return figures

    # -- 3. exit status -------------------------------------------------------------------------
    def exit_status(self, document: dict[str, Any], by_verdict: int) -> int:
        """The run's exit status: the verdict's, except that ``--fail-on new`` lets a
        nonconformant run pass when none of its failures is new since the history's last run
        of this target (a known-deviations file that needs review always fails), and that
        with ``--baseline`` an undocumented regression exits 1 and a run that would exit 0
        exits 6 (inconclusive) when the comparison cannot validate the upgrade."""
        return self._by_baseline(document, self._by_history(document, by_verdict))

    def _by_baseline(self, document: dict[str, Any], status: int) -> int:
        baseline = document.get("baseline") or {}
        regressions = baseline.get("undocumented_regressions") or []
        reasons = (baseline.get("cannot_validate") or {}).get("reasons") or []
        if regressions and status != EXIT_NONCONFORMANT:
            self._note(f"--baseline: undocumented regression since the baseline ({', '.join(regressions)}): "
                       f"exit status {EXIT_NONCONFORMANT}")
            return EXIT_NONCONFORMANT
        if reasons and status == 0:
            self._note(f"--baseline: the comparison cannot validate the upgrade ({'; '.join(reasons)}): "
                       f"exit status {EXIT_INCONCLUSIVE} (inconclusive)")
            return EXIT_INCONCLUSIVE
        return status

    def _note(self, text: str) -> None:
        self.exit_note = f"{self.exit_note}; {text}" if self.exit_note else text

    def _by_history(self, document: dict[str, Any], by_verdict: int) -> int:
        if self.config.fail_on != "new" or document["verdict"] != NONCONFORMANT or self.trend is None:
            return by_verdict
        if self.outcome is not None and self.outcome.problems:
            self.exit_note = "--fail-on new: the known-deviations file needs review, so the run fails"
            return by_verdict
        if self.trend["new_failures"]:
            self.exit_note = (f"--fail-on new: new failures since the last run: "
                              f"{', '.join(self.trend['new_failures'])}")
            return by_verdict
        self.exit_note = ("--fail-on new: nonconformant, but no failure is new since the last run of "
                          "this target: exit status 0")
        return 0

    # -- 4. what the reports show -------------------------------------------------------------
    def html_blocks(self) -> list[str]:
        """Certificate and Trend sections for the HTML report."""
        blocks = []
        if self.certificate is not None:
            blocks.append(certificate.html_section(self.certificate, self.certificate_path))
        if self.trend is not None:
            blocks.append(history.html_section(self.trend, self.history_warnings))
        return blocks

    def terminal_lines(self) -> list[str]:
        """Lines for the terminal summary: first what goes with the verdict line (observed
        deviations, documented rules not applicable, documentation findings observed)."""
        lines = list(self.judgement_lines)
        if self.outcome is not None:
            counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in self.outcome.counts().items())
            lines.append(f"known deviations: {counts or 'no entries'} ({self.config.known_deviations})")
            for j in self.outcome.judgements:
                if j.state in deviations.FAILING or j.state == deviations.STALE:
                    lines.append(f"  {j.state.upper()}: {j.entry.rule} (entry {j.entry.index}): {j.detail}")
        if self.budget.seconds is not None:
            if self.budget.reached:
                lines.append(f"time budget: {self.budget.seconds:g} s spent; the state machine stopped "
                             f"generating after {self.budget.programs} programs")
            else:
                lines.append(f"time budget: {self.budget.seconds:g} s, not reached")
        if self.certificate is not None:
            lines.append(f"certificate: {self.certificate_path}: {self.certificate['statement']}")
        if self.history_path is not None:
            lines.append(f"history: {self.history_path}")
        lines += [f"history: {w}" for w in self.history_warnings]
        if self.trend is not None:
            runs = len(self.trend["runs"])
            lines.append(f"trend over {runs} run{'s' if runs != 1 else ''} of this target: new failures: "
                         f"{', '.join(self.trend['new_failures']) or 'none'}; fixed: "
                         f"{', '.join(self.trend['fixed']) or 'none'}; flaky: "
                         f"{', '.join(f['rule'] for f in self.trend['flaky']) or 'none'}")
        if self.exit_note:
            lines.append(self.exit_note)
        # Our own words, rule IDs, paths and the file's entries: nothing a target supplied
        # (a password that happens to equal "conformant" must not blank out the verdict).
        return lines


def _seeds(pytest_config: pytest.Config | None) -> dict[str, Any]:
    """The run's Hypothesis seed, and whether the run can be replayed exactly."""
    seed = pytest_config.getoption("hypothesis_seed", None) if pytest_config is not None else None
    try:
        from hypothesis import settings
        derandomize = bool(settings().derandomize)
    except ImportError:  # pragma: no cover
        derandomize = False
    seeds: dict[str, Any] = {"hypothesis_seed": None if seed is None else str(seed), "derandomize": derandomize,
                             "reproducible": seed is not None or derandomize}
    streams = len(exploration.current().programs_per_stream)
    if streams > 1:  # under xdist: stream k's seed derives from this one and k (conformance.face.streams)
        seeds["state_machine_streams"] = streams
    return seeds


__all__ = ["PostRun"]
