"""Self-tests of bench/scaleout.py: its command, figures, speed-ups and table (nothing is run or timed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scaleout


def test_defaults_and_bad_arguments():
    args = scaleout.parse_args([])
    assert args.workers == [1, 2, 4, 8] and args.latency == [20, 0] and args.budget == 50 and args.seed == 1
    for bad in (["--workers", "0"], ["--latency", "-1"], ["--budget", "0"]):
        with pytest.raises(SystemExit):
            scaleout.parse_args(bad)


def test_the_command_runs_the_state_machine_on_n_workers_under_the_budget():
    command = scaleout.suite_command(4, 20, 50.0, 3, Path("/tmp/r"))
    assert command[3] == "conformance/test_stateful.py"
    joined = " ".join(command)
    for part in ("-n 4", "--hypothesis-profile nightly", "--hypothesis-seed 3", "--time-budget 50",
                 "--emulator-latency 20", "--report-dir /tmp/r", "-p bench.isolate_hypothesis"):
        assert part in joined
    assert "--emulator-latency" not in scaleout.suite_command(1, 0, 50.0, 3, Path("/tmp/r"))


def report(programs: int, requests: int, per_stream: dict[str, int]) -> dict:
    return {"verdict": "conformant", "run": {"requests": requests, "time_budget": {"reached": True}},
            "exploration": {"programs": programs, "programs_per_stream": per_stream, "steps": programs * 60}}


def test_figures_come_from_the_report_and_the_wall_time():
    got = scaleout.figures(report(10, 3000, {"0": 5, "1": 5}), wall=60.0, exit_code=0)
    assert got["programs_per_minute"] == 10.0 and got["requests_per_second"] == 50.0
    assert got["programs_per_stream"] == {"0": 5, "1": 5} and got["budget_reached"]


def test_speedups_are_against_one_worker_at_the_same_latency():
    runs = [{"workers": n, "latency_ms": ms, "programs_per_minute": rate, "requests_per_second": rate * 10}
            for ms, n, rate in ((20, 1, 10.0), (20, 2, 19.0), (0, 1, 40.0), (0, 2, 60.0), (5, 2, 7.0))]
    out = {(r["latency_ms"], r["workers"]): r for r in scaleout.speedups(runs)}
    assert out[(20, 2)]["speedup"] == 1.9 and out[(20, 2)]["efficiency"] == 0.95
    assert out[(0, 2)]["speedup"] == 1.5 and out[(0, 2)]["requests_speedup"] == 1.5
    assert out[(20, 1)]["speedup"] == 1.0
    assert out[(5, 2)]["speedup"] is None  # no one-worker run at that latency


def test_the_table_has_a_row_per_run():
    runs = scaleout.speedups([{"workers": 1, "latency_ms": 20, "wall_seconds": 60.0, "verdict": "conformant",
                               **scaleout.figures(report(10, 3000, {"0": 10}), 60.0, 0)}])
    text = scaleout.render(runs)
    assert "programs/min (wall)" in text and "| 20 ms" in text and "10.0" in text


def test_the_stream_rate_uses_the_longest_call_phase_of_the_workers():
    got = scaleout.figures(report(12, 3000, {"0": 6, "1": 6}), wall=90.0, exit_code=0, call_seconds=[50.0, 60.0])
    assert got["programs_per_call_minute"] == 12.0 and got["programs_per_minute"] == 8.0
    assert scaleout.figures(report(1, 10, {"0": 1}), wall=5.0, exit_code=0)["programs_per_call_minute"] is None
    runs = [{"workers": n, "latency_ms": 20, "programs_per_minute": 1.0, "requests_per_second": 1.0,
             "programs_per_call_minute": rate} for n, rate in ((1, 10.0), (2, 18.0))]
    assert [r["call_speedup"] for r in scaleout.speedups(runs)] == [1.0, 1.8]


def test_each_xdist_worker_writes_its_own_tally_and_the_controller_none():
    from bench.tally_requests import tally_path

    assert tally_path("/t/tally.json", None) == Path("/t/tally.json")
    assert tally_path("/t/tally.json", "gw3") == Path("/t/tally-gw3.json")
    assert tally_path("/t/tally.json", None, controller=True) is None
