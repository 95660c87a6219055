"""State-machine streams under xdist: one item per worker, a seed per stream, merged figures."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from conformance import plugin
from conformance.face import streams
from conformance.face.progress import Progress
from conformance.judging.ledger import Ledger
from conformance.programs import budget
from conformance.programs.exploration import Exploration, html_fragment

ROOT = Path(__file__).resolve().parents[2]


def worker_config(count: int, uid: str = "abc123") -> SimpleNamespace:
    return SimpleNamespace(workerinput={"workerid": "gw0", "workercount": count, "testrunuid": uid})


def test_one_stream_without_xdist_and_one_per_worker_under_it():
    assert streams.count(SimpleNamespace()) == 1
    assert streams.count(worker_config(1)) == 1
    assert streams.count(worker_config(4)) == 4


def test_stream_zero_keeps_hypothesis_own_seed_and_the_others_derive_theirs():
    assert streams.seed_of(0, "7") is None
    seeds = [streams.seed_of(k, "7") for k in range(1, 5)]
    assert len(set(seeds)) == 4 and all(isinstance(s, int) and s >= 0 for s in seeds)
    assert streams.seed_of(1, "7") == streams.seed_of(1, "7")  # the same run seed, the same stream seed
    assert streams.seed_of(1, "8") != streams.seed_of(1, "7")


def test_without_a_run_seed_a_derandomised_profile_stays_reproducible_and_a_random_one_follows_the_run():
    assert streams.seed_of(2, derandomize=True, run_id="a") == streams.seed_of(2, derandomize=True, run_id="b")
    assert streams.seed_of(2, run_id="a") != streams.seed_of(2, run_id="b")
    assert streams.run_id(worker_config(2, "xyz")) == "xyz"
    with pytest.raises(ValueError, match="0 or more"):
        streams.seed_of(-1)


def test_the_description_says_how_to_replay_a_stream_alone():
    line = streams.describe(1, 2, 12345, "7")
    assert "stream 1 of 2" in line and "--hypothesis-seed 12345" in line
    assert "--hypothesis-seed 7" in streams.describe(0, 2, None, "7")


def test_the_report_counts_programs_per_stream_and_the_controller_sums_them():
    worker0, worker1, controller = Exploration(), Exploration(), Exploration()
    for _ in range(3):
        worker0.program_started(0)
    for _ in range(2):
        worker1.program_started(1)
    controller.absorb(worker0.to_dict())
    controller.absorb(worker1.to_dict())
    figures = controller.to_dict()
    assert figures["programs"] == 5
    assert figures["programs_per_stream"] == {"0": 3, "1": 2}
    assert "5 (stream 0: 3, stream 1: 2)" in html_fragment(figures)


def test_figures_of_a_worker_without_streams_count_as_stream_zero():
    controller = Exploration()
    old = Exploration()
    old.program_started()
    figures = old.to_dict()
    del figures["programs_per_stream"]
    controller.absorb(figures)
    assert controller.to_dict()["programs_per_stream"] == {"0": 1}


def test_the_controller_adds_every_worker_budget():
    mine = budget.Budget(60)
    mine.absorb({"programs": 4, "replays": 1, "reached": False})
    mine.absorb({"programs": 3, "replays": 0, "reached": True})
    assert (mine.programs, mine.replays, mine.reached) == (7, 1, True)


@pytest.fixture
def no_budget_afterwards():
    yield
    budget.start(None)


def test_a_second_stream_in_one_process_gets_its_own_first_program(no_budget_afterwards):
    """Two streams of one worker, one after another: the spent budget still lets the second
    run its first program (Hypothesis calls a test that ran none unsatisfiable)."""
    budget.start(0.0)  # spent from the start
    seen: list[int] = []

    def toy(stream: int) -> type[RuleBasedStateMachine]:
        class Toy(RuleBasedStateMachine):
            def __init__(self) -> None:
                super().__init__()
                self.run = SimpleNamespace(stream=stream)
                budget.before_program(self, Ledger())
                seen.append(stream)

            @rule()
            def step(self) -> None:
                pass
        return Toy

    quick = settings(max_examples=10, stateful_step_count=2, deadline=None, database=None)
    run_state_machine_as_test(toy(0), settings=quick)
    run_state_machine_as_test(toy(1), settings=quick)
    assert seen == [0, 1]
    assert budget.current().programs == 2 and budget.current().reached


def test_progress_lines_name_their_stream():
    class Reporter:
        config = None

        def __init__(self) -> None:
            self.lines: list[str] = []

        def write_line(self, text: str) -> None:
            self.lines.append(text)

    reporter = Reporter()
    Progress(reporter, Ledger(), total=5, interval=0.0, label="stream 1").program_started()
    assert "stateful (stream 1): 1/5 programs" in reporter.lines[-1]


def controller_config(dist: str, *args: str) -> SimpleNamespace:
    return SimpleNamespace(getvalue=lambda name: dist, args=list(args),
                           invocation_params=SimpleNamespace(dir=ROOT),
                           getoption=lambda name, default=None: default)


def test_a_run_of_the_suite_hands_out_streams_one_per_worker():
    pytest.importorskip("xdist")
    from xdist.scheduler import LoadGroupScheduling

    scheduler = plugin.pytest_xdist_make_scheduler(controller_config("load", "conformance"), log=None)
    assert isinstance(scheduler, LoadGroupScheduling)
    assert plugin.pytest_xdist_make_scheduler(controller_config("loadfile", "conformance"), log=None) is None
    assert plugin.pytest_xdist_make_scheduler(controller_config("load", "tests/models"), log=None) is None
