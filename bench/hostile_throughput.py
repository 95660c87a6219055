"""Requests per second of the emulator under a hostile mix, next to a clean mix.

Run ``python -m bench.hostile_throughput [--requests 600] [--rounds 3] [--workers 2]``.
One emulator on loopback; each round resets it, creates the same 20 records with long
initiators, then sends ``--requests`` requests of one mix from ``--workers`` threads (one raw
socket per request, ``Connection: close``, as ``bench.hostile_mix`` does) while health is
polled every 0.2 s. Rounds alternate clean and hostile.

* **clean**: only ordinary valid requests (create with CHAP and addresses, GET one, GET
  the collection with and without a filter, PATCH, DELETE);
* **hostile**: the seeded mix of ``bench.hostile_mix`` (a fifth of it clean) plus, in every
  round, each worst case of ``worst_cases()`` once (1024 ranges and masks per credential,
  ~1 MB bodies, thousands of wildcards, lying lengths, slow senders, ...). Client-side
  pauses (slow senders, clients that leave) count in the wall time: they are part of what
  the emulator has to live with;
* **hostile-unpaused**: the same requests with those pauses set to 0, so the figure is
  what the emulator's own work (and the bytes on loopback) allows.

Figures: requests/s (median over the rounds), p50/p99/max seconds per request, health poll
p99 and max. Writes ``bench/results/hostile_throughput.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR, machine, machine_label, median, table, write_json
from bench.hostile_mix import (
    Case,
    Emulator,
    HealthPoller,
    _percentile,
    judge,
    make_case,
    send,
    setup_records,
    worst_cases,
)


def one_round(emu: Emulator, cases: list[Case], workers: int) -> dict[str, Any]:
    send(emu.host, emu.port, Case("reset", "POST", "/_emulator/reset"))
    setup_records(emu.host, emu.port)
    poller = HealthPoller(emu)
    poller.start()
    todo = list(reversed(cases))
    lock = threading.Lock()
    seconds: list[float] = []
    problems: list[str] = []

    def work() -> None:
        while True:
            with lock:
                if not todo:
                    return
                case = todo.pop()
            outcome = send(emu.host, emu.port, case)
            with lock:
                seconds.append(outcome.seconds)
                problems.extend(judge(case, outcome))

    started = time.monotonic()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    poller.stop_event.set()
    poller.join(10)
    return {"requests": len(seconds), "wall_seconds": round(wall, 3),
            "requests_per_second": round(len(seconds) / wall, 1),
            "p50_seconds": _r(_percentile(seconds, 0.5)),
            "p99_seconds": _r(_percentile(seconds, 0.99)), "max_seconds": _r(max(seconds)),
            "health_p99_seconds": _r(_percentile(poller.latencies, 0.99)),
            "health_max_seconds": _r(max(poller.latencies, default=None)),
            "health_failures": len(poller.failures),
            "problems": {p: problems.count(p) for p in sorted(set(problems))}}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def mixes(requests: int, seed: int, svm_uuid: str) -> dict[str, list[Case]]:
    clean = [make_case(seed, i, svm_uuid, "clean") for i in range(requests)]
    worst = worst_cases(svm_uuid)
    hostile = [make_case(seed, i, svm_uuid) for i in range(max(0, requests - len(worst)))]
    step = max(1, len(hostile) // max(1, len(worst)))
    for n, case in enumerate(worst):  # spread the worst cases through the round
        hostile.insert(min(len(hostile), n * (step + 1)), case)
    # the same requests without the clients' own pauses: what the emulator itself costs
    unpaused = [dataclasses.replace(c, pause=0.0) for c in hostile]
    return {"clean": clean, "hostile": hostile, "hostile-unpaused": unpaused}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.hostile_throughput",
                                description="emulator requests/s: clean vs hostile mix")
    p.add_argument("--requests", type=int, default=600, help="requests per round (600)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of each mix (3)")
    p.add_argument("--workers", type=int, default=2, help="concurrent clients (2)")
    p.add_argument("--seed", type=int, default=1, help="seed of the mixes (1)")
    args = p.parse_args(argv)
    if min(args.requests, args.rounds, args.workers) < 1:
        p.error("--requests, --rounds and --workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    print(f"hostile throughput: {args.rounds} rounds x {args.requests} requests, "
          f"{args.workers} clients; {machine_label(info)}", flush=True)
    from emulator.state import default_seed
    the_mixes = mixes(args.requests, args.seed, default_seed()[0].uuid)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in the_mixes}
    with tempfile.TemporaryDirectory(prefix="hostile-rps-") as tmp:
        emu = Emulator(Path(tmp))
        emu.start()
        try:
            for n in range(args.rounds):
                for name in the_mixes:
                    result = one_round(emu, the_mixes[name], args.workers)
                    rounds[name].append(result)
                    print(f"  round {n + 1} {name:16} {result['requests_per_second']:7.1f} req/s,"
                          f" p99 {result['p99_seconds']} s, health max "
                          f"{result['health_max_seconds']} s, problems {result['problems']}",
                          flush=True)
        finally:
            emu.stop()
        log = emu.log_text()
    summary = {name: {"median_requests_per_second": median(
                          [r["requests_per_second"] for r in rs]),
                      "worst_health_seconds": max((r["health_max_seconds"] or 0) for r in rs)}
               for name, rs in rounds.items()}
    clean_rps = summary["clean"]["median_requests_per_second"] or 0
    for name in ("hostile", "hostile-unpaused"):
        summary[f"{name}_over_clean"] = round(
            (summary[name]["median_requests_per_second"] or 0) / clean_rps, 3) if clean_rps else None
    summary["tracebacks"] = log.count("Traceback (most recent call last)")
    print(table(["mix", "median req/s", "worst health poll s"],
                [[name, summary[name]["median_requests_per_second"],
                  summary[name]["worst_health_seconds"]] for name in the_mixes]))
    print(f"hostile / clean: {summary['hostile_over_clean']}, without the clients' pauses: "
          f"{summary['hostile-unpaused_over_clean']}; tracebacks in the emulator log: "
          f"{summary['tracebacks']}")
    path = write_json("hostile_throughput.json", {"machine": info, "args": vars(args),
                                                  "rounds": rounds, "summary": summary},
                      RESULTS_DIR)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
