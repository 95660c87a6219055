"""``--time-budget``: stop generating new state-machine programs once the run's time is spent.

The budget counts from the start of the session. The state machine calls
:func:`before_program` as each program starts; once the budget is spent, and while no
program of this test has failed, it ends Hypothesis's generation phase cleanly: the test
passes with the programs already run, and the reports are complete.

How the stop works: Hypothesis has no public "stop now". Rejecting the program
(``assume(False)``) or raising would record a different outcome for a choice sequence it
has seen before and Hypothesis would report the test as flaky. Instead the current test
case is concluded as an *overrun* (which Hypothesis never records in its tree of choices)
after marking that tree as exhausted, which ends generation as if every program had been
tried. Both are engine internals: where this Hypothesis lacks them, the overrun alone still
stops generation, after at most a few thousand instant overruns; without even that, the
budget is ignored with a warning.

Never stopped: the first program of each stateful test, the final replay Hypothesis makes
to report a failure, and every program after one has failed (the run then goes on to
shrink it, within its shrinking budget).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Budget:
    """The run's time budget and what it did."""

    seconds: float | None
    started: float = field(default_factory=time.monotonic)
    programs: int = 0  # programs started (every stateful test; shrinking replays apart)
    replays: int = 0  # programs replayed to shrink a failure
    reached: bool = False  # generation was stopped at the budget
    _failures_at_start: dict[tuple[int, int], int] = field(default_factory=dict)
    _programs_of: dict[tuple[int, int], int] = field(default_factory=dict)  # per stateful test

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float | None:
        """Seconds left, or None without a budget."""
        return None if self.seconds is None else max(self.seconds - self.elapsed(), 0.0)

    def spent(self) -> bool:
        return self.seconds is not None and self.elapsed() >= self.seconds

    def to_wire(self) -> dict[str, Any]:
        """What an xdist worker hands the controller (see :meth:`absorb`)."""
        return {"programs": self.programs, "replays": self.replays, "reached": self.reached}

    def absorb(self, other: dict[str, Any]) -> None:
        """Add a worker's figures (its :meth:`to_wire`) on the xdist controller: the programs of
        every stream count, and the budget was reached if it stopped any stream."""
        self.programs += int(other.get("programs", 0))
        self.replays += int(other.get("replays", 0))
        self.reached = self.reached or bool(other.get("reached"))

    def as_dict(self) -> dict[str, Any]:
        """What the reports say about the budget."""
        return {"seconds": self.seconds, "reached": self.reached, "programs": self.programs,
                "elapsed_at_end": round(self.elapsed(), 1)}


_CURRENT = Budget(None)
_WARNED = False


def start(seconds: float | None) -> Budget:
    """Start the session's budget (the plugin calls this at configure time)."""
    global _CURRENT
    _CURRENT = Budget(seconds)
    return _CURRENT


def current() -> Budget:
    return _CURRENT


def before_program(machine: Any, ledger: Any) -> None:
    """Called by the state machine as a program starts: stop generating once the budget is spent.

    Args:
        machine: the program's state machine (its class, and the stream of its run, tell one
            stateful test from another: a worker may run several streams one after another).
        ledger: the run's ledger: a failure recorded since the test's first program means
            Hypothesis is about to shrink it, which the budget never cuts short.
    """
    budget = _CURRENT
    key = (id(type(machine)), getattr(getattr(machine, "run", None), "stream", 0))
    failures = sum(ledger.fails.values())
    budget._failures_at_start.setdefault(key, failures)
    shrinking = failures > budget._failures_at_start[key]
    if shrinking or _final_replay():
        budget.replays += 1
        return
    if not budget.spent() or not budget._programs_of.get(key):
        # Every stateful test runs at least one program: Hypothesis calls a test that ran
        # none unsatisfiable.
        budget.programs += 1
        budget._programs_of[key] = budget._programs_of.get(key, 0) + 1
        return
    budget.reached = True
    _end_generation()


def _final_replay() -> bool:
    try:
        from hypothesis.control import current_build_context
        return bool(current_build_context().is_final)
    except Exception:  # not inside a Hypothesis test: nothing to stop
        return True


def _end_generation() -> None:
    from hypothesis.control import current_build_context

    data = getattr(current_build_context(), "data", None)
    root = getattr(getattr(data, "observer", None), "_root", None)
    if root is not None and hasattr(root, "is_exhausted"):
        root.is_exhausted = True  # generation ends at this test case
    mark_overrun = getattr(data, "mark_overrun", None)
    if mark_overrun is None:
        global _WARNED
        if not _WARNED:
            _WARNED = True
            warnings.warn("this Hypothesis version cannot be stopped early; --time-budget is ignored",
                          stacklevel=2)
        return
    mark_overrun()


__all__ = ["Budget", "before_program", "current", "start"]
