"""The run's Hypothesis settings: the suite's markers, its profile and that profile's
shrinking budget.

An explicit ``--hypothesis-profile`` wins (an unknown name stops the run with one line, not
Hypothesis's traceback later), then ``HYPOTHESIS_PROFILE``, then ``dev`` for a run of the
suite; a run of the self-tests keeps Hypothesis's own default.
"""

from __future__ import annotations

import os

import pytest

from conformance.face import profiles


def configure(config: pytest.Config, suite: bool) -> None:
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


def current_profile() -> str:
    """The name of the Hypothesis profile the run uses (``default`` without Hypothesis)."""
    try:
        from hypothesis import settings
    except ImportError:
        return "default"
    return settings.get_current_profile_name()
