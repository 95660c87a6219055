"""The suite's Hypothesis profiles, registered by the package (the plugin imports this).

``dev`` is the default; ``ci`` is derandomised; ``nightly`` runs many more and longer
programs; ``quick`` (derandomised, no shrinking) serves self-tests that only need to know
*that* a run fails. Network latency makes deadlines meaningless, so none is set.
Registering is idempotent: the installed plugin and the repository's root conftest both
end up here, and the profiles are registered once per process.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import InvalidArgument

from conformance.face.shrinking import SHRINK_SECONDS, cap_shrinking

DEFAULT = "dev"
PROFILE_ENV = "HYPOTHESIS_PROFILE"
SHRINK_ENV = "ONTAP_CONFORMANCE_SHRINK_SECONDS"
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
# Two phases of Hypothesis are left out of every profile: ``target`` (hill climbing toward
# ``hypothesis.target`` scores) and ``explain``. Neither is bounded by ``max_examples`` or by
# the shrinking budget: against a live target the hill climbing of the ci profile (30
# programs) ran over 500 more programs in ten minutes after a failure, and explain replays a
# shrunk failure many more times. The machine's ``target()`` scores still show in
# ``--hypothesis-show-statistics``; the batch rule reaches many records without them.
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)
PROFILES = {
    # dev: 30 programs of 40 steps, long enough to reach deep state (many records on one SVM,
    # keys deleted and created again, long histories of one record); one bug is shrunk and
    # reported, not every variant of it (the ledger still counts every rule seen broken).
    # Without Phase.target it also explores more: with 30 programs, the hill-climbing pass
    # re-ran variants of one program and lowered every other exploration figure
    # (bench/README.md, bench/results/exploration-with-target-phase.json).
    "dev": {"max_examples": 30, "stateful_step_count": 40, "report_multiple_bugs": False,
            "phases": _PHASES},
    "ci": {"max_examples": 30, "stateful_step_count": 25, "derandomize": True, "print_blob": True,
           "phases": _PHASES},
    "nightly": {"max_examples": 500, "stateful_step_count": 60, "phases": _PHASES},
    "quick": {"max_examples": 20, "stateful_step_count": 25, "derandomize": True,
              "phases": (Phase.explicit, Phase.reuse, Phase.generate)},
}
_registered = False


def register() -> None:
    """Register the suite's profiles with Hypothesis (once per process)."""
    global _registered
    if _registered:
        return
    for name, values in PROFILES.items():
        settings.register_profile(name, **values, **_COMMON)
    _registered = True


def load_default() -> str | None:
    """Load ``HYPOTHESIS_PROFILE`` or ``dev`` (an explicit ``--hypothesis-profile`` still wins).

    Returns the profile loaded, or None for an unknown name (the plugin then stops the run
    with a usage error that names it).
    """
    register()
    name = os.environ.get(PROFILE_ENV) or DEFAULT
    try:
        settings.load_profile(name)
    except InvalidArgument:
        return None
    return name


def shrink_seconds(profile: str) -> float:
    """The shrinking budget of ``profile`` (env ``ONTAP_CONFORMANCE_SHRINK_SECONDS`` wins).

    Raises:
        ValueError: the environment variable is not a number.
    """
    override = os.environ.get(SHRINK_ENV)
    if override:
        try:
            return float(override)
        except ValueError:
            raise ValueError(f"{SHRINK_ENV} must be a number of seconds, not {override!r}") from None
    return SHRINK_SECONDS.get(profile, SHRINK_SECONDS["dev"])


def cap_shrinking_for(profile: str) -> None:
    """Give the chosen profile its shrinking budget."""
    cap_shrinking(shrink_seconds(profile))


__all__ = ["DEFAULT", "PROFILES", "cap_shrinking_for", "load_default", "register", "shrink_seconds"]
