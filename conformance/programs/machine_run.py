"""What one run gives its state machines, and what every step of a program goes through.

:class:`MachineRun` holds the target, the ledger and the exploration collector, and builds
once per run the strategies that depend on the target (its namespace, its SVMs); a machine
draws them through ``st.runner()`` (:data:`NAMES`, :data:`ISCSI_SVMS` ...). :func:`step`
wraps every rule: the exploration report sees each step, and a request that never got a
usable answer makes the rest of the program unjudged instead of failing it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import multiple

from conformance.judging.ledger import Ledger
from conformance.programs import strategies as gen
from conformance.programs.exploration import Exploration
from conformance.wire.client import NoAnswer


class MachineRun:
    """What one run gives its machines: the target, the ledger, the exploration collector.

    It also holds the strategies that depend on the target, built once per run.
    """

    def __init__(self, target: Any, ledger: Ledger, exploration: Exploration,
                 on_program: Callable[[], None] | None = None, stream: int = 0) -> None:
        self.target = target
        self.stream = stream  # which of the run's state-machine streams (one per xdist worker)
        self.ledger = ledger
        self.exploration = exploration
        self.on_program = on_program
        self.svms = tuple(target.svms)
        self.iscsi_svms = tuple(s for s in self.svms if s.iscsi)
        if not self.iscsi_svms:
            raise ValueError("the target has no SVM with the iSCSI service; nothing can be tested")
        self.names = gen.initiator_names(target.namespace, target.eui_prefix.lower())
        self.invalid_names = gen.invalid_initiator_names(target.namespace)
        self.any_svm = st.sampled_from(self.svms)
        self.iscsi_svm = st.sampled_from(self.iscsi_svms)
        # Where batches of new records go: the program's "home" SVM, so that one SVM fills
        # up (limits that bite at the n-th record of an SVM).
        self.home_svm = st.shared(self.iscsi_svm, key="home svm")

    def program_started(self) -> None:
        self.exploration.program_started(self.stream)
        if self.on_program is not None:
            self.on_program()

    def other_iscsi_svm(self, svm_uuid: str, shift: int, taken: set[str] | frozenset[str] = frozenset()
                        ) -> Any:
        """An iSCSI SVM other than ``svm_uuid``, preferably not in ``taken`` (the ``shift``-th
        such after it, cyclically)."""
        uuids = [s.uuid for s in self.iscsi_svms]
        here = uuids.index(svm_uuid) if svm_uuid in uuids else 0
        others = [self.iscsi_svms[(here + i) % len(uuids)] for i in range(1, len(uuids))]
        others = [s for s in others if s.uuid not in taken] or others
        return others[(shift - 1) % len(others)]


def _of_run(attribute: str) -> st.SearchStrategy[Any]:
    """A strategy of the run the machine was built for (its namespace, its SVMs)."""
    return st.runner().flatmap(lambda machine: getattr(machine.run, attribute))


NAMES = _of_run("names")
# A new name or the name of a record the run holds (on another SVM that makes a twin).
NEW_OR_HELD_NAMES = st.one_of(NAMES, st.runner().flatmap(lambda machine: machine.held_names()))
INVALID_NAMES = _of_run("invalid_names")
ISCSI_SVMS = _of_run("iscsi_svm")
ANY_SVMS = _of_run("any_svm")
HOME_SVM = _of_run("home_svm")
REFS = st.sampled_from(["name", "uuid", "both"])
SHIFTS = st.integers(1, 3)


def step(function: Callable[..., Any] | None = None, *, keys: bool = False) -> Any:
    """Mark a rule as a step of the program (apply it under ``@rule``).

    After the step, the exploration report sees the run's records then alive (an
    ``@invariant`` would do the same but prints itself into every shrunk program). A request
    that never got a usable answer makes the step unjudged and the program's further steps
    no-ops, instead of failing the program (issue: transient faults are not verdicts); a rule
    with a target bundle (``keys=True``) then adds no key to it.
    """
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def counted(machine: Any, *args: Any, **kwargs: Any) -> Any:
            nothing = multiple() if keys else None
            if machine.driver.lost:
                return nothing
            try:
                result = function(machine, *args, **kwargs)
            except NoAnswer as exc:
                machine.driver.lose_track(exc, f"state machine step {function.__name__}")
                return nothing
            machine.steps += 1
            machine.run.exploration.step(machine.own_keys())
            return result
        return counted
    return decorate(function) if function is not None else decorate
