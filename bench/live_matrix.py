"""The live defect matrix: every emulator defect, the emulator started apart and named with ``--target``.

Run ``python -m bench.live_matrix [--defect NAME ...] [--jobs 2] [--budget SECONDS] [--out PATH]``.
For every defect it starts ``python -m emulator --seed tests/safety/seed-three-iscsi.json
--ontap-version <release> --defect NAME`` on a free loopback port (the release is the one where
the defect's rule is documented, ``models.rules.documented_release``) and runs the suite in
live mode, as a user runs it against a cluster::

    python -m pytest conformance -q -p no:cacheprovider -p bench.isolate_hypothesis \\
        --target URL --svm svm1 --svm svm2 --svm svm3 --allow-default-changes \\
        --allow-collection-writes --hypothesis-profile quick --report-dir TMP

with the emulator's read-only account in the environment (``ONTAP_READONLY_USERNAME`` /
``ONTAP_READONLY_PASSWORD``), three SVMs (two with the iSCSI service, one without). A
sequence-only defect runs the ``dev`` profile with ``--hypothesis-seed 1``, as the embedded
self-test does. A defect is *caught* when its rule, and only its rule, has the status
``failed`` (a documented rule) or ``deviated`` with no failed rule (an observed one); a rule
the live target cannot judge by design (the documented starting state of a default) is
``not applicable`` and must be reported as such. Writes ``bench/results/live_matrix.json``.
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
    emulator,
    emulator_env,
    list_defects,
    machine,
    machine_label,
    table,
    write_json,
)
from models.releases import parse_release
from models.rules import BY_ID, DOCUMENTED, documented_release

SEED = ROOT / "tests" / "safety" / "seed-three-iscsi.json"
SVMS = ("svm1", "svm2", "svm3")
READONLY = ("readonly", "readonly-Bench-1!")
#: Rules a live target cannot judge by design: a live default's starting state is unknown.
NOT_JUDGED_LIVE = frozenset({"CRED-DEF-002"})


@dataclass
class LiveRun:
    """One live run of the suite against one defect."""

    defect: str
    rule: str
    release: str
    outcome: str  # caught | missed | not_applicable | timeout | error
    verdict: str = ""
    failed: list[str] = field(default_factory=list)
    deviated: list[str] = field(default_factory=list)
    status: str = ""
    seconds: float = 0.0
    requests: int | None = None
    reason: str = ""


def suite_command(url: str, report_dir: Path, sequence: bool) -> list[str]:
    """The suite in live mode against one started emulator."""
    profile = ["--hypothesis-profile", "dev", "--hypothesis-seed", "1"] if sequence else \
        ["--hypothesis-profile", "quick"]
    svms = [arg for name in SVMS for arg in ("--svm", name)]
    return [sys.executable, "-m", "pytest", str(ROOT / "conformance"), "-q", "-p", "no:cacheprovider",
            "-p", "bench.isolate_hypothesis", "--target", url, *svms, "--allow-default-changes",
            "--allow-collection-writes", *profile, "--report-dir", str(report_dir)]


def classify(rule: str, release: str, document: dict[str, Any] | None) -> tuple[str, list[str], list[str], str]:
    """The outcome of one run: caught, missed or not_applicable; and the failed/deviated rules."""
    if document is None:
        return "error", [], [], ""
    statuses = {r["id"]: r["status"] for r in document.get("rules", [])}
    failed = sorted(r for r, s in statuses.items() if s == "failed")
    deviated = sorted(r for r, s in statuses.items() if s == "deviated")
    status = statuses.get(rule, "")
    if rule in NOT_JUDGED_LIVE:
        return ("not_applicable" if status == "not_applicable" and not failed else "missed"), failed, deviated, status
    if BY_ID[rule].basis_in(parse_release(release)) == DOCUMENTED:
        caught = failed == [rule] and document.get("verdict") == "nonconformant"
    else:
        caught = not failed and rule in deviated
    return ("caught" if caught else "missed"), failed, deviated, status


def run_one(defect: dict[str, Any], budget: float) -> LiveRun:
    """Start the emulator with one defect and run the suite against it in live mode."""
    name, rule = defect["name"], defect["rule"]
    release = documented_release(rule)
    args = ["--seed", str(SEED), "--ontap-version", release, "--defect", name]
    env = {**emulator_env(), "ONTAP_READONLY_USERNAME": READONLY[0], "ONTAP_READONLY_PASSWORD": READONLY[1],
           "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp, emulator(args=args, env=env) as url:
        report_dir = Path(tmp) / "report"
        cwd = Path(tmp) / "cwd"
        cwd.mkdir()
        env["BENCH_HYPOTHESIS_HOME"] = str(Path(tmp) / "hypothesis")
        began = time.perf_counter()
        try:
            subprocess.run(suite_command(url, report_dir, bool(defect.get("sequence"))), cwd=cwd, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=budget)
        except subprocess.TimeoutExpired:
            return LiveRun(name, rule, release, "timeout", seconds=round(time.perf_counter() - began, 1))
        seconds = round(time.perf_counter() - began, 1)
        report = report_dir / "conformance.json"
        document = json.loads(report.read_text()) if report.is_file() else None
    outcome, failed, deviated, status = classify(rule, release, document)
    document = document or {}
    return LiveRun(name, rule, release, outcome, document.get("verdict", ""), failed, deviated, status,
                   seconds, (document.get("run") or {}).get("requests"),
                   str(document.get("verdict_reason", ""))[:300])


def summarize(runs: list[LiveRun]) -> dict[str, Any]:
    """Totals: defects caught on their own rule, not applicable by design, missed."""
    count = {k: sum(1 for r in runs if r.outcome == k) for k in ("caught", "not_applicable", "missed",
                                                                  "timeout", "error")}
    return {"defects": len(runs), **count,
            "missed_defects": [r.defect for r in runs if r.outcome not in ("caught", "not_applicable")]}


def render(runs: list[LiveRun], totals: dict[str, Any], info: dict[str, Any]) -> str:
    rows = [(r.defect, r.rule, r.release, r.outcome, ",".join(r.failed) or "-", ",".join(r.deviated) or "-",
             r.seconds) for r in runs]
    head = (f"live defect matrix ({machine_label(info)}): {totals['caught']} of {totals['defects']} caught on "
            f"exactly their own rule, {totals['not_applicable']} not applicable by design, "
            f"{len(totals['missed_defects'])} missed")
    return head + "\n" + table(["defect", "rule", "release", "outcome", "failed", "deviated", "s"], rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.live_matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--defect", action="append", default=[], metavar="NAME", help="only these defects")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds per run (default 900)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "live_matrix.json")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.budget <= 0:
        parser.error("--jobs must be at least 1 and --budget positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    defects = list_defects()
    if args.defect:
        unknown = sorted(set(args.defect) - {d["name"] for d in defects})
        if unknown:
            print(f"unknown defect(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        defects = [d for d in defects if d["name"] in args.defect]
    info = machine()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = list(pool.map(lambda d: run_one(d, args.budget), defects))
    totals = summarize(runs)
    print(render(runs, totals, info))
    write_json(args.out.name, {"machine": info, "totals": totals, "runs": [asdict(r) for r in runs]},
               args.out.parent)
    return 0 if not totals["missed_defects"] else 1


if __name__ == "__main__":
    sys.exit(main())
