"""A time budget for Hypothesis's shrinking phase.

Hypothesis shrinks a failing program for up to five minutes, replaying it against the
target each time. Against a network target that is most of a failing run, so each profile
sets its own budget. Hypothesis has no public setting for it; this sets the engine's
module constant when it exists and otherwise leaves Hypothesis's default alone.
"""

from __future__ import annotations

import warnings

SHRINK_SECONDS = {"dev": 10, "ci": 60, "nightly": 300}


def cap_shrinking(seconds: float) -> bool:
    """Limit shrinking to ``seconds``; returns False when this Hypothesis has no such knob."""
    try:
        from hypothesis.internal.conjecture import engine
    except ImportError:  # pragma: no cover - layout of a future Hypothesis
        return False
    if not hasattr(engine, "MAX_SHRINKING_SECONDS"):
        warnings.warn("this Hypothesis version has no shrinking time limit; shrinking may take "
                      "up to its own default", stacklevel=2)
        return False
    engine.MAX_SHRINKING_SECONDS = seconds
    return True
