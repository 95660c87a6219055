"""pytest plugin (``-p bench.isolate_hypothesis``): a fresh Hypothesis example database per run.

Benchmark runs must not replay examples that an earlier run saved into ``.hypothesis/``
(that would make a seed find its failure instantly the second time). The directory is
taken from ``BENCH_HYPOTHESIS_HOME``; without it the plugin does nothing.

Hypothesis's caches that hold no examples (``unicode_data``: its Unicode tables;
``constants``: the constants it collected from each source file, keyed by the file's hash)
are copied into the fresh directory from the usual one when they exist, as any run but the
first on a machine finds them: rebuilding them cost each benchmark run about a second
that no real run pays twice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

CACHES = ("unicode_data", "constants")  # never "examples": that is the database


def _where(name: str) -> Path:
    found = storage_directory(name, intent_to_write=False)
    return Path(getattr(found, "path", found))  # a path, or (Hypothesis 6.1xx) a StorageDirectory


def isolate(home: str) -> None:
    """Point Hypothesis at ``home``, with the usual directory's caches but not its examples."""
    usual = [(name, _where(name)) for name in CACHES]
    set_hypothesis_home_dir(home)
    for name, source in usual:
        if source.is_dir():
            shutil.copytree(source, _where(name), dirs_exist_ok=True)


if os.environ.get("BENCH_HYPOTHESIS_HOME"):
    isolate(os.environ["BENCH_HYPOTHESIS_HOME"])
