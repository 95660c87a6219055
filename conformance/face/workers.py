"""Several workers, one verdict: the run under pytest-xdist.

Each worker gets its share of the run's settings, judges its share of the tests with a ledger
of its own and hands everything it judged to the controller, which merges the workers' ledgers,
exploration figures and budgets into one report. The controller schedules the state machine's
streams one per worker, and the workers start with them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.face import run_state
from conformance.programs import budget, exploration
from conformance.targets.settings import TargetConfig


def worker_id(config: pytest.Config) -> tuple[int, int] | None:
    """Under pytest-xdist, this worker's index and the number of workers (None elsewhere)."""
    info = getattr(config, "workerinput", None)
    if not info:
        return None
    return int(str(info.get("workerid", "gw0")).removeprefix("gw") or 0), int(info.get("workercount", 1))


def for_worker(target_config: TargetConfig, config: pytest.Config) -> TargetConfig:
    """A worker's share of the run's settings.

    ``--rate-limit`` bounds the whole run, so each of N workers gets a rate of RPS / N; on a
    live target only the first worker may change the defaults (two workers changing one
    SVM's default at once would each see the other's change as a failure).
    """
    worker = worker_id(config)
    if worker is None:
        return target_config
    index, count = worker
    rate = target_config.rate_limit / count if target_config.rate_limit else None
    defaults = target_config.allow_default_changes and (index == 0 or target_config.kind == "emulator")
    group = "".join(c for c in str(config.workerinput.get("testrunuid", "")) if c.isalnum())[:6].lower()
    return replace(target_config, rate_limit=rate, allow_default_changes=defaults,
                   run_group=group or None, worker=index)


def streams_first(items: list[pytest.Item]) -> None:
    """On a worker: the state machine's streams first. The controller's scheduler hands out the
    first work units one per worker, so each worker starts its own stream at once (and the
    longest tests run first). Every worker sorts alike: the collections stay equal."""
    items.sort(key=lambda item: not (run_state.in_suite(item) and item.get_closest_marker("stateful")))


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    """On the xdist controller: give each worker one state-machine stream.

    xdist's default ``load`` scheduling sends each worker a chunk of consecutive tests first,
    so two streams could queue on one worker (and under ``--time-budget`` the second would get
    a single program). For a run of the suite, ``load`` is replaced by xdist's ``loadgroup``
    scheduler: every test is its own unit (the suite marks no ``xdist_group``), the first units
    go one per worker in collection order, and the workers sort the streams first. Other
    ``--dist`` modes are left as chosen.
    """
    if config.getvalue("dist") != "load" or not run_state.aims_at_suite(config):
        return None
    from xdist.scheduler import LoadGroupScheduling

    return LoadGroupScheduling(config, log)


def worker_output() -> dict[str, Any]:
    """What a worker hands the controller at its session's end (a worker writes no report)."""
    state = run_state.state()
    target = state.target_snapshot
    return {
        "ledger": state.ledger.to_wire(),
        "exploration": exploration.current().to_dict(),
        "budget": budget.current().to_wire(),
        "collected_suite": state.collected_suite,
        "target": None if target is None else {
            "url": target.base_url, "kind": target.kind, "ontap_version": target.ontap_version},
        "leftover_journal": str(state.leftover_journal) if state.leftover_journal else None,
    }


def absorb(node: Any, error: Any) -> None:
    """On the xdist controller: merge what a worker judged (or note that it died)."""
    state = run_state.state()
    output = (getattr(node, "workeroutput", None) or {}).get("ontap_conformance")
    name = getattr(node, "gateway", None) and node.gateway.id
    if error or output is None:
        state.ledger.error(f"worker {name or '?'}", f"the worker ended without its results: {error}")
        state.collected_suite = state.collected_suite or state.wants_reports
        state.worker_died = True
        return
    state.ledger.merge(output["ledger"])
    exploration.current().absorb(output.get("exploration") or {})
    budget.current().absorb(output.get("budget") or {})
    state.collected_suite = state.collected_suite or output["collected_suite"]
    if output["target"] and state.worker_target is None:
        state.worker_target = output["target"]
    if output["leftover_journal"]:
        state.leftover_journals.append(Path(output["leftover_journal"]))
