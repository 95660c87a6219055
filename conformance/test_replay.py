"""The programs of a recording, replayed one per test (collected only with ``--replay FILE``).

Each program runs on the freshly reset target through the driver, so every step is judged
as in any run; each step is then classified against the recording (conformance/upgrade/replay.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.face import run_state
from conformance.judging.ledger import Ledger
from conformance.upgrade import validation as upgrade
from conformance.upgrade.replay import ReplayError


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    session = upgrade.replay_session()
    if "program" in metafunc.fixturenames and session is not None:
        metafunc.parametrize("program", range(len(session.programs)), ids=session.program_ids())


def test_replayed_program(program: int, target: Any, ledger: Ledger) -> None:
    session = upgrade.replay_session()
    assert session is not None, "collected without --replay"
    try:
        session.run(program, target, ledger)
    except ReplayError as exc:
        run_state.stop_run(f"ontap conformance: --replay: {exc}")
