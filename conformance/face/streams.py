"""State-machine streams: under pytest-xdist every worker runs the state machine with its own seed.

With ``-n N`` the stateful test is collected as N items, ``[stream0]`` .. ``[stream{N-1}]``;
without xdist (or with ``-n 1``) it stays one item with its usual test id. The controller
schedules the items one per worker (see :func:`conformance.face.workers.make_scheduler`),
so N workers run N independent random streams at once, and their exploration figures, ledgers
and failures merge into one report.

Seeds: stream 0 is left to Hypothesis exactly as in a single process (``--hypothesis-seed``,
a derandomised profile, or a random seed). Stream k > 0 gets an explicit seed derived from
the run's seed and k: from ``--hypothesis-seed`` when given, from a constant under a
derandomised profile (so ``ci`` stays reproducible), else from the xdist run's id (random per
run, shared by its workers). Each stream prints its seed; a failure found by stream k is
replayed in one process with ``--hypothesis-seed <that seed>`` (an explicit seed, like
Hypothesis's ``@seed``, keeps the example database out of that stream).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

STREAM_WIDTH = 8  # bytes of the digest that make a stream's seed (a 64-bit integer)


def count(config: Any) -> int:
    """How many streams this run has: the number of xdist workers, 1 without xdist."""
    info = getattr(config, "workerinput", None)
    if info:
        return max(int(info.get("workercount", 1) or 1), 1)
    return 1


def seed_of(stream: int, base: Any = None, *, derandomize: bool = False, run_id: str = "") -> int | None:
    """The Hypothesis seed of ``stream`` (None for stream 0: Hypothesis's own choice).

    Args:
        stream: the stream's index.
        base: the run's ``--hypothesis-seed`` (None when not given).
        derandomize: the profile is derandomised (then a missing base is a constant).
        run_id: the xdist run's id, shared by its workers (the origin when nothing else is).
    """
    if stream < 0:
        raise ValueError(f"a stream index is 0 or more, not {stream}")
    if stream == 0:
        return None
    origin = f"seed {base}" if base is not None else "derandomized" if derandomize else f"run {run_id}"
    digest = hashlib.sha256(f"{origin} / stream {stream}".encode()).digest()
    return int.from_bytes(digest[:STREAM_WIDTH], "big")


def run_id(config: Any) -> str:
    """The xdist run's id (the same on every worker of one run), or the process id without xdist."""
    info = getattr(config, "workerinput", None) or {}
    return str(info.get("testrunuid") or os.getpid())


def describe(stream: int, streams: int, seed: int | None, base: Any) -> str:
    """One line that says which stream ran and how to replay it alone."""
    if seed is None:
        how = f"--hypothesis-seed {base}" if base is not None else "Hypothesis's own seed (printed on failure)"
        return f"state machine stream {stream} of {streams}: {how}"
    return (f"state machine stream {stream} of {streams}: Hypothesis seed {seed}; "
            f"replay it in one process with --hypothesis-seed {seed}")


__all__ = ["count", "describe", "run_id", "seed_of"]
