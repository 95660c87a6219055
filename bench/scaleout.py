"""Scale-out: programs per minute of the state machine on 1, 2, 4 and 8 xdist workers.

Run ``python -m bench.scaleout [--workers 1 2 4 8] [--latency 20 0] [--budget 50] [--seed 1]``.
Each cell is one run of ``python -m pytest conformance/test_stateful.py -n N`` (every worker
runs its own stream of the state machine against its own embedded emulator) with the
nightly profile bounded by ``--time-budget`` (no stream starts a program after the budget),
``--emulator-latency MS`` for a latency other than 0, a fixed ``--hypothesis-seed`` and a fresh
Hypothesis directory. Figures per run: programs (``exploration.programs`` of
``conformance.json``), requests (``run.requests``) and the run's wall time (process start to
exit, worker start-up and the programs still running at the budget included), and each
worker's call phase (``-p bench.tally_requests``: the seconds its stream ran, start-up and
teardown excluded). Rates are per minute of wall time (what a nightly run gets) and per
minute of the longest call phase (the streams' steady rate); the speed-up of N workers is its
rate over the rate of one worker at the same latency. Writes ``bench/results/scaleout.json`` (or ``--out DIR``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR, ROOT, emulator_env, machine, machine_label, table, write_json

PROFILE = "nightly"
DEFAULT_WORKERS = (1, 2, 4, 8)
DEFAULT_LATENCIES = (20, 0)
DEFAULT_BUDGET = 50.0


def suite_command(workers: int, latency: int, budget: float, seed: int, report_dir: Path) -> list[str]:
    """The state machine on ``workers`` xdist workers, nightly profile, bounded by ``budget``."""
    command = [sys.executable, "-m", "pytest", "conformance/test_stateful.py", "-q",
               "-p", "no:cacheprovider", "-p", "bench.isolate_hypothesis", "-p", "bench.tally_requests",
               "-n", str(workers),
               "--hypothesis-profile", PROFILE, "--hypothesis-seed", str(seed),
               "--time-budget", f"{budget:g}", "--report-dir", str(report_dir)]
    if latency:
        command += ["--emulator-latency", str(latency)]
    return command


def figures(report: dict[str, Any], wall: float, exit_code: int,
            call_seconds: list[float] | None = None) -> dict[str, Any]:
    """One run's figures from its ``conformance.json``, its wall time and its workers' call phases."""
    explored = report.get("exploration") or {}
    programs = int(explored.get("programs", 0))
    requests = int(report["run"]["requests"])
    longest = max(call_seconds or [0.0])
    return {"call_seconds": [round(s, 2) for s in call_seconds or []],
            "programs_per_call_minute": round(programs / longest * 60, 1) if longest > 0 else None,
            "exit_code": exit_code, "verdict": report["verdict"], "wall_seconds": round(wall, 2),
            "programs": programs, "programs_per_stream": explored.get("programs_per_stream", {}),
            "steps": int(explored.get("steps", 0)), "requests": requests,
            "budget_reached": bool((report["run"].get("time_budget") or {}).get("reached")),
            "programs_per_minute": round(programs / wall * 60, 1) if wall > 0 else None,
            "requests_per_second": round(requests / wall, 1) if wall > 0 else None}


def run_one(workers: int, latency: int, budget: float, seed: int) -> dict[str, Any]:
    """One run of the state machine; its figures."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        env = emulator_env()
        env["BENCH_HYPOTHESIS_HOME"] = str(Path(tmp) / "hypothesis")
        env["BENCH_TALLY_FILE"] = str(Path(tmp) / "tally.json")
        report_dir = Path(tmp) / "report"
        began = time.perf_counter()
        proc = subprocess.run(suite_command(workers, latency, budget, seed, report_dir), cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=budget * 4 + 600)
        wall = time.perf_counter() - began
        path = report_dir / "conformance.json"
        if not path.exists():
            raise RuntimeError(f"-n {workers}, latency {latency} ms: no report; exit {proc.returncode}:\n"
                               + (proc.stdout[-1500:] + proc.stderr[-1500:]))
        report = json.loads(path.read_text())
        calls = [json.loads(p.read_text())["call_seconds"] for p in sorted(Path(tmp).glob("tally-gw*.json"))]
    return {"workers": workers, "latency_ms": latency, **figures(report, wall, proc.returncode, calls)}


def speedups(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run with its speed-up over the one-worker run at its latency (None without one)."""
    base = {r["latency_ms"]: r for r in runs if r["workers"] == 1}
    out = []
    for run in runs:
        one = base.get(run["latency_ms"])
        rate, one_rate = run["programs_per_minute"], one and one["programs_per_minute"]
        requests, one_requests = run["requests_per_second"], one and one["requests_per_second"]
        call, one_call = run.get("programs_per_call_minute"), one and one.get("programs_per_call_minute")
        out.append({**run,
                    "call_speedup": round(call / one_call, 2) if call is not None and one_call else None,
                    "speedup": round(rate / one_rate, 2) if rate is not None and one_rate else None,
                    "requests_speedup": round(requests / one_requests, 2)
                    if requests is not None and one_requests else None,
                    "efficiency": round(rate / one_rate / run["workers"], 2)
                    if rate is not None and one_rate else None})
    return out


def render(runs: list[dict[str, Any]]) -> str:
    """The table: one row per latency and worker count."""
    rows = [[f"{r['latency_ms']} ms", r["workers"], r["wall_seconds"], r["programs"],
             r["programs_per_minute"], r["speedup"], max(r.get("call_seconds") or [0.0]),
             r.get("programs_per_call_minute"), r.get("call_speedup"), r["requests"], r["requests_per_second"],
             r["requests_speedup"]] for r in runs]
    return table(["latency", "workers", "wall s", "programs", "programs/min (wall)", "speed-up",
                  "stream s", "programs/min (streams)", "speed-up (streams)", "requests", "req/s (wall)",
                  "req speed-up"], rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, nargs="+", default=list(DEFAULT_WORKERS),
                   help="worker counts (default 1 2 4 8); speed-ups need 1 among them")
    p.add_argument("--latency", type=int, nargs="+", default=list(DEFAULT_LATENCIES),
                   help="emulator latencies in ms (default 20 0)")
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                   help=f"--time-budget of each run in seconds (default {DEFAULT_BUDGET:g})")
    p.add_argument("--seed", type=int, default=1, help="--hypothesis-seed of every run (default 1)")
    p.add_argument("--out", type=Path, default=None, help="folder for scaleout.json (default bench/results)")
    args = p.parse_args(argv)
    if any(n < 1 for n in args.workers):
        p.error("--workers: every count must be 1 or more")
    if any(ms < 0 or ms > 60000 for ms in args.latency):
        p.error("--latency: 0 to 60000 ms")
    if args.budget <= 0:
        p.error("--budget must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    runs = []
    for latency in args.latency:
        for workers in args.workers:
            runs.append(run_one(workers, latency, args.budget, args.seed))
            r = runs[-1]
            print(f"  latency {latency} ms, -n {workers}: {r['programs']} programs in {r['wall_seconds']} s "
                  f"({r['programs_per_minute']}/min), {r['requests']} requests, {r['verdict']}", flush=True)
    runs = speedups(runs)
    print(render(runs))
    info["loadavg_1min_at_end"] = machine()["loadavg_1min"]
    document = {"benchmark": "scaleout", "machine": info, "profile": PROFILE, "seed": args.seed,
                "time_budget_seconds": args.budget, "runs": runs}
    print(f"machine: {machine_label(info)}")
    path = write_json("scaleout.json", document, args.out or RESULTS_DIR)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
