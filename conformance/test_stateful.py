"""The state machine as a pytest test: random programs, shrunk on failure.

Under pytest-xdist the test is one item per worker, each a stream with its own seed
(:mod:`conformance.face.streams`); without xdist it is one item.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import seed, settings
from hypothesis.stateful import get_state_machine_test, run_state_machine_as_test

from conformance.face import streams
from conformance.face.progress import Progress
from conformance.judging.ledger import Ledger
from conformance.programs import exploration
from conformance.programs.machine import CredentialsMachine, MachineRun


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    count = streams.count(metafunc.config)
    if "stream" in metafunc.fixturenames and count > 1:
        metafunc.parametrize("stream", range(count), ids=[f"stream{k}" for k in range(count)])


@pytest.fixture
def stream() -> int:
    """The stream's index: 0 when the test is not parametrized (one process, or one worker)."""
    return 0


@pytest.mark.stateful
def test_credentials_state_machine(target: Any, ledger: Ledger, pytestconfig: pytest.Config,
                                   stream: int) -> None:
    current = settings()
    count = streams.count(pytestconfig)
    base = pytestconfig.getoption("hypothesis_seed", None)
    own_seed = streams.seed_of(stream, base, derandomize=current.derandomize, run_id=streams.run_id(pytestconfig))
    if count > 1:
        print(streams.describe(stream, count, own_seed, base))  # shown with a failure
    progress = Progress(pytestconfig.pluginmanager.get_plugin("terminalreporter"), ledger,
                        current.max_examples, label=f"stream {stream}" if count > 1 else "")
    run = MachineRun(target, ledger, exploration.current(), on_program=progress.program_started, stream=stream)
    if own_seed is None:  # stream 0: exactly what one process runs
        run_state_machine_as_test(lambda: CredentialsMachine(run), settings=current)
        return
    seed(own_seed)(get_state_machine_test(lambda: CredentialsMachine(run), settings=current))()
