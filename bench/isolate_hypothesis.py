"""pytest plugin (``-p bench.isolate_hypothesis``): a fresh Hypothesis directory per run.

Benchmark runs must not replay examples that an earlier run saved into ``.hypothesis/``
(that would make a seed find its failure instantly the second time). The directory is
taken from ``BENCH_HYPOTHESIS_HOME``; without it the plugin does nothing.
"""

from __future__ import annotations

import os

from hypothesis.configuration import set_hypothesis_home_dir

if os.environ.get("BENCH_HYPOTHESIS_HOME"):
    set_hypothesis_home_dir(os.environ["BENCH_HYPOTHESIS_HOME"])
