"""Progress lines for long state-machine runs (the nightly profile runs for many minutes)."""

from __future__ import annotations

import time
from typing import Any


class Progress:
    """Writes one line to the terminal at most every ``interval`` seconds.

    Args:
        reporter: pytest's terminal reporter (None: stay silent, e.g. under xdist).
        ledger: where the request count is read from.
        total: the number of programs the profile asks for.
        interval: seconds between two lines.
    """

    def __init__(self, reporter: Any, ledger: Any, total: int, interval: float = 15.0) -> None:
        self.reporter = reporter
        self.ledger = ledger
        self.total = total
        self.interval = interval
        self.programs = 0
        self.started = self.last = time.monotonic()

    def program_started(self) -> None:
        """Count one program; print a line when the interval has passed."""
        self.programs += 1
        now = time.monotonic()
        if self.reporter is None or now - self.last < self.interval:
            return
        self.last = now
        self.reporter.write_line(
            f"  stateful: {self.programs}/{self.total} programs, {self.ledger.request_count} requests, "
            f"{now - self.started:.0f} s")
