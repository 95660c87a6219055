"""Self-tests of the issue-15 benchmarks on synthetic data: arguments, the seeded mix, the
judging of one exchange, the response reader and the summaries. Nothing is timed here."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from bench import fault_runs, hostile_mix, hostile_throughput
from bench.hostile_mix import Case, Outcome, judge, make_case
from emulator.state import default_seed
from emulator.validation import MAX_ADDRESS_ITEMS

SVM = default_seed()[0].uuid


def test_the_mix_is_seeded_and_covers_every_kind():
    first = [make_case(7, i, SVM) for i in range(400)]
    again = [make_case(7, i, SVM) for i in reversed(range(0, 400, 10))][::-1]  # any order
    assert [(c.kind, c.target, c.body) for c in first[::10]] == \
        [(c.kind, c.target, c.body) for c in again]
    assert {c.kind for c in first} == {k for k, _ in hostile_mix.KINDS}
    assert all(c.kind == "clean" for c in (make_case(7, i, SVM, "clean") for i in range(20)))


def test_big_bodies_stay_just_under_the_limit_and_full_lists_at_the_cap():
    import random
    rng = random.Random(1)
    body = hostile_mix.big_ranges_body(rng)
    assert 900_000 < len(body) < hostile_mix.BODY_TARGET
    assert len(json.loads(body)["initiator_address"]["ranges"]) > 10 * MAX_ADDRESS_ITEMS
    full = json.loads(hostile_mix.full_lists_body(rng))["initiator_address"]
    assert hostile_mix.FULL_LIST == MAX_ADDRESS_ITEMS
    assert len(full["ranges"]) == len(full["masks"]) == MAX_ADDRESS_ITEMS
    assert len({(r["start"], r["end"]) for r in full["ranges"]}) == MAX_ADDRESS_ITEMS


@pytest.mark.parametrize(("case", "outcome", "expected"), [
    (Case("x"), Outcome(None, b"", 5.0, True), ["hang"]),
    (Case("x"), Outcome(None, b"", 0.1, False, "closed without an answer"), ["no-answer"]),
    (Case("x"), Outcome(500, b"", 0.1, False), ["5xx"]),
    (Case("x", secrets=("pw-SECRET1",)), Outcome(400, b'{"m": "pw-SECRET1"}', 0.1, False),
     ["echoed-password"]),
    (Case("x", secrets=("pw",)), Outcome(400, b"pw", 0.1, False), []),
    (Case("x", auth="none"), Outcome(200, b"", 0.1, False), ["auth-bypass"]),
    (Case("x", "POST", auth="readonly"), Outcome(201, b"", 0.1, False), ["auth-bypass"]),
    (Case("x", "GET", auth="readonly"), Outcome(200, b"", 0.1, False), []),
    (Case("x", auth="bad"), Outcome(401, b"", 0.1, False), []),
])
def test_judge(case, outcome, expected):
    assert judge(case, outcome) == expected


def test_the_reader_stops_at_the_end_of_the_first_answer():
    server, client = socket.socketpair()
    with server, client:
        server.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\n\r\nhello"
                       b"HTTP/1.1 200 OK\r\n")
        assert hostile_mix._read_answer(client, time.monotonic() + 2) == (400, b"hello")
    server, client = socket.socketpair()
    with server, client:
        assert hostile_mix._read_answer(client, time.monotonic() + 0.2) == (None, b"")


def test_arguments():
    args = hostile_mix.parse_args([])
    assert (args.requests, args.seed, args.workers, args.label) == (3000, 1, 1, "")
    assert hostile_throughput.parse_args(["--rounds", "2"]).rounds == 2
    assert fault_runs.parse_args([]).rate == 0.2 and fault_runs.parse_args([]).pairs == 2
    for parse, argv in ((hostile_mix.parse_args, ["--workers", "0"]),
                        (hostile_throughput.parse_args, ["--requests", "0"]),
                        (fault_runs.parse_args, ["--rate", "1"]),
                        (fault_runs.parse_args, ["--pairs", "0"])):
        with pytest.raises(SystemExit):
            parse(argv)


def test_the_hostile_throughput_mix_holds_every_worst_case_once():
    mixes = hostile_throughput.mixes(200, 1, SVM)
    assert len(mixes["clean"]) == 200 and {c.kind for c in mixes["clean"]} == {"clean"}
    worst = hostile_mix.worst_cases(SVM)
    targets = [(c.kind, c.target, c.body, c.raw) for c in mixes["hostile"]]
    assert len(mixes["hostile"]) == 200
    assert all(targets.count((c.kind, c.target, c.body, c.raw)) >= 1 for c in worst)
    unpaused = mixes["hostile-unpaused"]
    assert [c.target for c in unpaused] == [c.target for c in mixes["hostile"]]
    assert any(c.pause for c in mixes["hostile"]) and not any(c.pause for c in unpaused)


def test_fault_runs_command_report_and_summary(tmp_path: Path):
    command = fault_runs.suite_command(tmp_path, 0.2)
    assert command[1:4] == ["-m", "pytest", "conformance"]
    assert command[command.index("--emulator-faults") + 1] == "0.2"
    assert "--request-timeout" not in command and "bench.isolate_hypothesis" in command
    assert "--emulator-faults" not in fault_runs.suite_command(tmp_path, None)
    (tmp_path / "conformance.json").write_text(json.dumps({
        "verdict": "conformant", "complete": True, "failures": [], "errors": [],
        "run": {"requests": 10, "retries": 2, "indeterminate": 1}}))
    assert fault_runs.read_report(tmp_path)["retries"] == 2
    assert fault_runs.read_report(tmp_path / "none") == {}
    good = {"verdict": "conformant", "complete": True, "exit": 0, "failures": 0, "errors": []}
    runs = [{"rate": 0.0, "seconds": 10.0, **good}, {"rate": 0.2, "seconds": 25.0, **good},
            {"rate": 0.0, "seconds": 8.0, **good}, {"rate": 0.2, "seconds": 20.0, **good}]
    summary = fault_runs.summarise(runs)
    assert summary["ratios"] == [2.5, 2.5] and summary["worst_ratio"] == 2.5
    assert summary["clean_median_seconds"] == 9.0 and summary["all_conformant"]
    for spoiler in ({"verdict": "inconclusive"}, {"exit": 1}, {"failures": 1},
                    {"errors": ["x"]}, {"complete": False}):
        assert not fault_runs.summarise([runs[0], {**runs[1], **spoiler}])["all_conformant"]
