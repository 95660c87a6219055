"""The suite's pytest fixtures: configuration, target, client and ledger.

The session target is shared with code that cannot take fixtures (a Hypothesis state
machine built by a factory) through :func:`conformance.face.run_state.active_target`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.face import run_state
from conformance.judging import ledger as ledger_module
from conformance.judging.ledger import Ledger
from conformance.targets.settings import TargetConfig
from conformance.targets.target import Target
from conformance.wire.client import Client


@pytest.fixture(scope="session")
def target_config() -> TargetConfig:
    """The run's frozen configuration."""
    return run_state.active_config()


@pytest.fixture(scope="session")
def target() -> Target:
    """The probed target (the emulator is started on first use, stopped at session end)."""
    return run_state.active_target()


@pytest.fixture
def client(target: Target) -> Iterator[Client]:
    """A fresh client for one test."""
    client = target.client()
    yield client
    client.close()


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    """The session's ledger of checks, deviations, error codes and failures."""
    return ledger_module.current()
