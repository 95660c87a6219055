"""The state machine as a pytest test: random programs, shrunk on failure."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance import exploration
from conformance.ledger import Ledger
from conformance.machine import CredentialsMachine, MachineRun
from conformance.progress import Progress


@pytest.mark.stateful
def test_credentials_state_machine(target: Any, ledger: Ledger, pytestconfig: pytest.Config) -> None:
    current = settings()
    progress = Progress(pytestconfig.pluginmanager.get_plugin("terminalreporter"), ledger,
                        current.max_examples)
    run = MachineRun(target, ledger, exploration.current(), on_program=progress.program_started)
    run_state_machine_as_test(lambda: CredentialsMachine(run), settings=current)
