"""Progress lines for long state-machine runs (the nightly profile runs for many minutes).

Lines go through pytest's terminal reporter with output capture suspended, so they show
without ``-s``. An xdist worker's terminal reporter shows nothing, so a worker writes its lines
(each naming its stream) to its standard error, which xdist passes through to the terminal. Once a program has failed, Hypothesis replays programs to shrink the
failure: those replays are counted apart, not as programs.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from conformance.programs import budget

#: Seconds between two progress lines (env ONTAP_CONFORMANCE_PROGRESS_SECONDS).
INTERVAL = float(os.environ.get("ONTAP_CONFORMANCE_PROGRESS_SECONDS", "15") or 15)


class Progress:
    """Writes one line to the terminal at most every ``interval`` seconds.

    Args:
        reporter: pytest's terminal reporter (None: stay silent).
        ledger: where the request count and the failures are read from.
        total: the number of programs the profile asks for.
        interval: seconds between two lines.
        label: which stream the lines are about (under xdist: ``stream K``).
    """

    def __init__(self, reporter: Any, ledger: Any, total: int, interval: float = INTERVAL,
                 label: str = "") -> None:
        self.reporter = reporter
        self.label = label
        self.ledger = ledger
        self.total = total
        self.interval = interval
        self.programs = 0
        self.replays = 0
        self._failures_before = sum(ledger.fails.values())
        self.started = self.last = time.monotonic()

    def program_started(self) -> None:
        """Count one program (or shrinking replay); print a line when the interval has passed."""
        if sum(self.ledger.fails.values()) > self._failures_before:
            self.replays += 1  # a program failed: from now on Hypothesis is shrinking
        else:
            self.programs += 1
        now = time.monotonic()
        if self.reporter is None or now - self.last < self.interval:
            return
        self.last = now
        self._write(self.line(now))

    def line(self, now: float) -> str:
        """One progress line: programs done, elapsed time and an estimate of the rest."""
        elapsed = now - self.started
        who = f"stateful ({self.label})" if self.label else "stateful"
        done = f"  {who}: {self.programs}/{self.total} programs, {self.ledger.request_count} requests, "
        if self.replays:
            return done + f"{elapsed:.0f} s elapsed; shrinking a failure ({self.replays} replays)"
        left = elapsed / self.programs * max(self.total - self.programs, 0) if self.programs else 0.0
        budget_left = budget.current().remaining()  # --time-budget
        if budget_left is not None and budget_left < left:
            return done + f"{elapsed:.0f} s elapsed, about {budget_left:.0f} s to go (time budget)"
        return done + f"{elapsed:.0f} s elapsed, about {left:.0f} s to go"

    def _write(self, text: str) -> None:
        config = getattr(self.reporter, "config", None)
        capture = config.pluginmanager.get_plugin("capturemanager") if config is not None else None
        worker = hasattr(config, "workerinput")
        if capture is None:
            self._emit(text, worker)
            return
        with capture.global_and_fixture_disabled():
            self._emit(text, worker)

    def _emit(self, text: str, worker: bool) -> None:
        if not worker:
            self.reporter.write_line(text)
            return
        sys.stderr.write(text.strip() + "\n")
        sys.stderr.flush()
