"""Which records a run judges exactly, and which are other clients' (foreign)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Key = tuple[str, str]


def _nothing_foreign(_key: Key) -> bool:
    return False


@dataclass(frozen=True)
class Scope:
    """Which records the run judges exactly.

    On a shared cluster other clients create, change and delete their own credentials while
    the run goes, and SVMs the run was not told about hold records too. Those records are
    *foreign*: present or absent at any moment, their content unknown. Collection checks
    judge the run's own records (and each named SVM's ``default``) exactly, and judge
    foreign records only where a rule needs no knowledge of their content (they must match
    a filter, keep the order, never repeat). ``own_filter`` selects the run's own records in
    a query where a count must be exact.
    """

    foreign: Callable[[Key], bool] = _nothing_foreign
    own_filter: Mapping[str, str] = field(default_factory=dict)


#: The embedded emulator is reset before each test and program: nothing there is foreign.
EVERYTHING = Scope()
