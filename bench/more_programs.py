"""pytest plugin (``-p bench.more_programs``): a profile with N times the programs of another.

``bench.cluster_size`` asks whether the suite's memory grows with the number of programs it
runs. The suite offers no knob for "the ci profile, three times the examples" (its profiles
are fixed in conformance/face/profiles.py, and the nightly one also changes the program length),
so this plugin registers one, from the environment, before the run loads its profile:
``BENCH_PROGRAMS_PROFILE=ci BENCH_PROGRAMS_FACTOR=3`` registers ``ci-x3``: ci's settings
with ``max_examples`` 3 times ci's. Run the suite with ``--hypothesis-profile ci-x3``.
Without both variables the plugin does nothing.
"""

from __future__ import annotations

import os

from hypothesis import settings

from conformance.face import profiles


def profile_name(base: str, factor: int) -> str:
    return f"{base}-x{factor}"


def register(base: str, factor: int) -> str:
    """Register ``<base>-x<factor>`` (every setting of ``base``, ``max_examples`` times
    ``factor``) and return its name."""
    profiles.register()
    parent = settings.get_profile(base)
    name = profile_name(base, factor)
    settings.register_profile(name, parent=parent, max_examples=parent.max_examples * factor)
    return name


if os.environ.get("BENCH_PROGRAMS_PROFILE") and os.environ.get("BENCH_PROGRAMS_FACTOR"):
    register(os.environ["BENCH_PROGRAMS_PROFILE"], int(os.environ["BENCH_PROGRAMS_FACTOR"]))
