"""Root conftest: registers the conformance plugin and the Hypothesis profiles.

Choose a profile with ``--hypothesis-profile NAME`` or ``HYPOTHESIS_PROFILE``;
``dev`` is the default; ``quick`` (no shrinking) serves the defect-matrix self-test. Network latency makes deadlines meaningless, so none is set.
"""

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from conformance.shrinking import SHRINK_SECONDS, cap_shrinking

pytest_plugins = ["conformance.plugin"]

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
# dev: 30 programs of 40 steps, long enough to reach deep state (many records on one SVM,
# keys deleted and created again, long histories of one record); one bug is shrunk and
# reported, not every variant of it (the ledger still counts every rule seen broken).
# Without Phase.target: with 30 programs, Hypothesis's single hill-climbing pass (from the
# 15th program on) re-ran variants of one program and lowered every other exploration
# figure (bench/README.md); the larger profiles keep it.
settings.register_profile("dev", max_examples=30, stateful_step_count=40, report_multiple_bugs=False,
                          phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink, Phase.explain),
                          **_COMMON)
settings.register_profile("ci", max_examples=30, stateful_step_count=25, derandomize=True,
                          print_blob=True, **_COMMON)
settings.register_profile("nightly", max_examples=500, stateful_step_count=60, **_COMMON)
# For self-tests that only need to know *that* a run fails (the defect matrix): no shrinking.
settings.register_profile("quick", max_examples=20, stateful_step_count=25, derandomize=True,
                          phases=(Phase.explicit, Phase.reuse, Phase.generate), **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config):
    """Give the chosen profile its shrinking budget (env ONTAP_CONFORMANCE_SHRINK_SECONDS wins)."""
    profile = config.getoption("hypothesis_profile", None) or os.environ.get("HYPOTHESIS_PROFILE", "dev")
    override = os.environ.get("ONTAP_CONFORMANCE_SHRINK_SECONDS")
    try:
        seconds = float(override) if override else SHRINK_SECONDS.get(profile, SHRINK_SECONDS["dev"])
    except ValueError:
        raise pytest.UsageError(
            f"ONTAP_CONFORMANCE_SHRINK_SECONDS must be a number of seconds, not {override!r}") from None
    cap_shrinking(seconds)
