"""Fixtures of the example-based tests: a driver over a freshly reset target."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.judging.driver import Driver, model_for
from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger


@pytest.fixture
def driver(target: Any, ledger: Ledger) -> Iterator[Driver]:
    """A driver whose model starts from the target's state after a reset."""
    target.reset()
    client = target.client()
    yield Driver(client, model_for(target, client), Judge(ledger, strict_observed=target.strict_observed),
                 fresh_defaults=target.kind == "emulator", scope=target.scope())
    client.close()
