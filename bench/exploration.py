"""Exploration: how deep the state machine gets in the default run, seed by seed.

Run ``python -m bench.exploration [--seeds 5] [--profile dev] [--jobs 2]``. For every seed
1..N it runs the default suite against the clean embedded emulator::

    python -m pytest conformance -q -p no:cacheprovider -p bench.isolate_hypothesis \\
        --hypothesis-profile dev --hypothesis-seed S --report-dir TMP

and reads the ``exploration`` section of ``TMP/conformance.json`` (what the state machine's
programs reached; the example tests do not count). Each figure is compared with the
issue's floor, on every seed:

- some program holds at least 12 records on one SVM;
- at least 60 % of the machine's decided writes are accepted;
- at least 5 keys deleted and created again in one program;
- at least 5 initiators alive on two SVMs at once;
- at least 20 records PATCHed twice or more;
- at least 3 collections read across 3 or more pages.

Writes ``bench/results/exploration.json``; exits 1 when a floor is missed on some seed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS_DIR,
    ROOT,
    emulator_env,
    machine,
    machine_label,
    median,
    table,
    write_json,
)

#: figure of ``exploration`` -> (floor, what it is)
FLOORS: dict[str, tuple[float, str]] = {
    "most_records_alive_on_one_svm": (12, "most records on one SVM"),
    "accepted_share": (0.60, "writes accepted"),
    "delete_recreate": (5, "delete -> re-create"),
    "initiators_on_two_svms": (5, "initiator on two SVMs"),
    "records_patched_twice": (20, "records PATCHed 2+ times"),
    "paged_reads_of_3_or_more_pages": (3, "reads of 3+ pages"),
}


@dataclass
class SeedRun:
    """One default run with one seed."""

    seed: int
    seconds: float
    exit_code: int | None
    verdict: str
    exploration: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def figure(self, name: str) -> float | None:
        if name == "accepted_share":
            return (self.exploration.get("writes") or {}).get("accepted_share")
        value = self.exploration.get(name)
        return value if isinstance(value, int | float) else None

    def missed(self) -> list[str]:
        """The floors this run did not reach."""
        return [name for name, (floor, _) in FLOORS.items()
                if (value := self.figure(name)) is None or value < floor]


def suite_command(seed: int, report_dir: Path, profile: str = "dev") -> list[str]:
    """The default run for one seed (the whole suite, the clean embedded emulator)."""
    return [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
            "-p", "bench.isolate_hypothesis", "--hypothesis-profile", profile,
            "--hypothesis-seed", str(seed), "--report-dir", str(report_dir)]


def run_seed(seed: int, profile: str, budget: float) -> SeedRun:
    """Run the suite with one seed and read its exploration figures."""
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as tmp:
        report_dir = Path(tmp) / "report"
        env = emulator_env()
        env["BENCH_HYPOTHESIS_HOME"] = str(Path(tmp) / "hypothesis")
        began = time.perf_counter()
        try:
            proc = subprocess.run(suite_command(seed, report_dir, profile), cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=budget)
            exit_code, tail = proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        except subprocess.TimeoutExpired:
            exit_code, tail = None, [f"still running after {budget:.0f} s"]
        seconds = time.perf_counter() - began
        report = report_dir / "conformance.json"
        document = json.loads(report.read_text()) if report.is_file() else {}
        return SeedRun(seed, round(seconds, 2), exit_code, str(document.get("verdict", "")),
                       document.get("exploration") or {}, "" if document else " / ".join(tail)[:400])


def _fmt(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if name == "accepted_share" else str(value)


def render(runs: list[SeedRun]) -> str:
    """One row per seed, one column per floor (a missed floor is marked ``!``)."""
    headers = ["seed", "verdict", "s", "programs", "steps", *(label for _, label in FLOORS.values())]
    rows = []
    for run in runs:
        cells = [_fmt(name, run.figure(name)) + ("" if name not in run.missed() else " !")
                 for name in FLOORS]
        rows.append([run.seed, run.verdict or "error", f"{run.seconds:.1f}",
                     run.exploration.get("programs", "-"), run.exploration.get("steps", "-"), *cells])
    floors = ["floor", "", "", "", "", *(_fmt(name, floor) for name, (floor, _) in FLOORS.items())]
    return table(headers, [*rows, floors])


def summarize(runs: list[SeedRun]) -> dict[str, Any]:
    """Per floor: the worst and median figure over the seeds, and the seeds that missed it."""
    out: dict[str, Any] = {}
    for name, (floor, label) in FLOORS.items():
        values = [v for v in (r.figure(name) for r in runs) if v is not None]
        out[name] = {"label": label, "floor": floor, "worst": min(values) if values else None,
                     "median": median(values), "missed_on_seeds": [r.seed for r in runs if name in r.missed()]}
    out["all_floors_met"] = all(not r.missed() for r in runs) and bool(runs)
    out["median_seconds"] = median([r.seconds for r in runs])
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.exploration", description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5, help="Hypothesis seeds 1..N (default 5)")
    p.add_argument("--profile", default="dev", help="Hypothesis profile (default dev)")
    p.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")
    p.add_argument("--budget", type=float, default=300.0, metavar="SECONDS",
                   help="time budget per run (default 300)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for exploration.json")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.jobs < 1 or args.budget <= 0:
        p.error("--seeds, --jobs and --budget must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = list(pool.map(lambda seed: run_seed(seed, args.profile, args.budget),
                             range(1, args.seeds + 1)))
    wall = time.perf_counter() - began
    totals = summarize(runs)
    print(render(runs))
    for run in runs:
        if run.message:
            print(f"  seed {run.seed}: no report ({run.message})")
    print(f"floors met on every seed: {'yes' if totals['all_floors_met'] else 'NO'}; "
          f"median run {totals['median_seconds']:.1f} s (the whole suite, {args.jobs} in parallel)")
    print(f"machine: {machine_label(info)}; wall {wall:.0f} s")
    document = {"benchmark": "exploration", "machine": info, "profile": args.profile,
                "seeds": args.seeds, "jobs": args.jobs, "wall_seconds": round(wall, 1),
                "floors": {name: floor for name, (floor, _) in FLOORS.items()},
                "totals": totals, "runs": [asdict(r) for r in runs]}
    path = write_json("exploration.json", document, args.out)
    print(f"wrote {path}")
    return 0 if totals["all_floors_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
