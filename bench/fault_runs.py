"""Wall time of ``pytest conformance`` clean next to ``--emulator-faults RATE``, in one run.

Run ``python -m bench.fault_runs [--rate 0.2] [--pairs 2]``. Each pair is one clean run and
one faulted run, back to back (clean first), so both see the same machine. Every run is
``python -m pytest conformance -q -p no:cacheprovider -p bench.isolate_hypothesis
--report-dir TMP [--emulator-faults RATE]`` with a fresh Hypothesis directory and the
default profile and request timeout (so the fault mode picks its own short timeout).

Per run: wall seconds (interpreter and emulator start included), verdict, ``complete``,
requests, retries and indeterminate writes from ``conformance.json``. Per pair: faulted
seconds / clean seconds. Writes ``bench/results/fault_runs.json``.
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

BUDGET_SECONDS = 900.0  # one run past this is stopped and reported as such


def suite_command(report_dir: Path, rate: float | None) -> list[str]:
    command = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
               "-p", "bench.isolate_hypothesis", "--report-dir", str(report_dir)]
    if rate:
        command += ["--emulator-faults", str(rate)]
    return command


def read_report(report_dir: Path) -> dict[str, Any]:
    """The figures of one run from its ``conformance.json`` (empty if it wrote none)."""
    try:
        document = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    run = document.get("run") or {}
    return {"verdict": document.get("verdict"), "complete": document.get("complete"),
            "requests": run.get("requests"), "retries": run.get("retries"),
            "indeterminate": run.get("indeterminate"),
            "failures": len(document.get("failures") or []),
            "errors": [str(e.get("message", ""))[:200] for e in document.get("errors") or []]}


def run_once(rate: float | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        report_dir = Path(tmp) / "reports"
        env = emulator_env()
        env["BENCH_HYPOTHESIS_HOME"] = str(Path(tmp) / "hypothesis")
        started = time.monotonic()
        try:
            proc = subprocess.run(suite_command(report_dir, rate), cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=BUDGET_SECONDS)
            status: int | str = proc.returncode
            tail = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
        except subprocess.TimeoutExpired:
            status, tail = "timeout", []
        seconds = time.monotonic() - started
        return {"rate": rate or 0.0, "seconds": round(seconds, 2), "exit": status,
                "summary": tail[0] if tail else "", **read_report(report_dir)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fault_runs",
                                description="clean vs --emulator-faults wall time")
    p.add_argument("--rate", type=float, default=0.2, help="--emulator-faults RATE (0.2)")
    p.add_argument("--pairs", type=int, default=2, help="clean + faulted pairs (2)")
    args = p.parse_args(argv)
    if not 0 < args.rate < 1:
        p.error("--rate must be above 0 and below 1")
    if args.pairs < 1:
        p.error("--pairs must be at least 1")
    return args


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    clean = [r["seconds"] for r in runs if not r["rate"]]
    faulted = [r["seconds"] for r in runs if r["rate"]]
    ratios = [round(f / c, 2) for c, f in zip(clean, faulted, strict=False) if c]
    return {"clean_median_seconds": median(clean), "faulted_median_seconds": median(faulted),
            "ratios": ratios, "worst_ratio": max(ratios, default=None),
            "all_conformant": all(r.get("verdict") == "conformant" and r.get("complete")
                                  and r.get("exit") == 0 and not r.get("failures")
                                  and not r.get("errors") for r in runs)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    print(f"fault runs: {args.pairs} pairs, rate {args.rate}; {machine_label(info)}", flush=True)
    runs = []
    for pair in range(1, args.pairs + 1):
        for rate in (None, args.rate):
            result = run_once(rate)
            result["pair"] = pair
            runs.append(result)
            print(f"  pair {pair} {'faults ' + str(rate) if rate else 'clean':12} "
                  f"{result['seconds']:7.2f} s  {result.get('verdict')} "
                  f"(complete {result.get('complete')}, requests {result.get('requests')}, "
                  f"retries {result.get('retries')}, indeterminate "
                  f"{result.get('indeterminate')})", flush=True)
    summary = summarise(runs)
    print(table(["pair", "run", "seconds", "verdict", "complete", "requests", "retries",
                 "indeterminate"],
                [[r["pair"], f"faults {r['rate']}" if r["rate"] else "clean", r["seconds"],
                  r.get("verdict"), r.get("complete"), r.get("requests"), r.get("retries"),
                  r.get("indeterminate")] for r in runs]))
    print(f"faulted / clean per pair: {summary['ratios']} (worst {summary['worst_ratio']}); "
          f"all conformant and complete: {summary['all_conformant']}")
    path = write_json("fault_runs.json", {"machine": info, "args": vars(args), "runs": runs,
                                          "summary": summary}, RESULTS_DIR)
    print(f"wrote {path}")
    return 0 if summary["all_conformant"] else 1


if __name__ == "__main__":
    sys.exit(main())
