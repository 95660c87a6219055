"""Mutation score: does the suite kill every named emulator defect, and how fast?

Run ``python -m bench.mutation [--seeds N] [--defect NAME ...] [--stateful-only]
[--peer-spec PATH] [--budget SECONDS] [--jobs 2]``. For every defect and seed it runs::

    python -m pytest conformance -q -p no:cacheprovider -x \\
        --hypothesis-profile dev --hypothesis-seed S --emulator-defect NAME --report-dir TMP

(``--stateful-only``: ``conformance/test_stateful.py`` alone, the state machine without the
example tests, over the sequence-only defects unless ``--defect`` names others) and reads
``TMP/conformance.json`` and ``TMP/junit.xml``.

A defect is *killed* by a run only when the run's default verdict (no
``--strict-observed``) is ``nonconformant`` and the rule the defect breaks
(``--list-defects``) has the status ``failed``. A defect of an observed rule that the run
reports as a deviation (``observed_deviations`` or the status ``deviated``) is counted in
its own column, not as a kill. *Seconds to kill* is the wall time of that ``-x`` run
(interpreter and emulator start, the tests before the failing one, and Hypothesis'
shrinking included). A run still going after ``--budget`` seconds is interrupted and
counts as not killed (status ``timeout``). *Killed by* names the test whose failure named
the defect's rule: the state machine or an example test. *Program length* is the number of
steps of the shrunk program (``state.teardown()`` not counted) when the state machine
failed, 1 when an example-based test did.

With ``--peer-spec PATH`` the same defects also go through Schemathesis (see
``bench/peer.py`` for how its verdict is judged). Writes ``bench/results/mutation.json``
(``mutation-stateful.json`` with ``--stateful-only``).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS_DIR,
    ROOT,
    emulator_env,
    fmt_seconds,
    list_defects,
    machine,
    machine_label,
    median,
    table,
    write_json,
)
from models.rules import documented_release

STEP = re.compile(r"^\s*(?:E\s+)?(?:\|\s*)?(?:[\w, ]+ = )?state\.(\w+)\(")
FALSIFYING = re.compile(r"Falsifying (?:explicit )?example|Failing test case")
STATEFUL_TEST = "conformance/test_stateful.py"
MACHINE, EXAMPLE = "state machine", "example test"


@dataclass
class SuiteRun:
    """One ``-x`` run of the suite against one defect with one seed."""

    defect: str
    rule: str
    seed: int
    status: str  # killed | deviated | missed | survived | timeout | error
    seconds: float
    exit_code: int | None
    rules_reported: list[str] = field(default_factory=list)
    failing_test: str = ""
    program_length: int | None = None
    message: str = ""
    verdict: str = ""
    killed_by: str = ""  # MACHINE | EXAMPLE (empty unless killed)

    @property
    def killed(self) -> bool:
        return self.status == "killed"


def suite_command(defect: str, seed: int, report_dir: Path, profile: str = "dev",
                  stateful_only: bool = False, release: str = "9.10.1") -> list[str]:
    """The pytest call for one defect and one seed (default verdict: no --strict-observed),
    the emulator playing ``release`` (where the defect's rule is documented)."""
    return [sys.executable, "-m", "pytest", STATEFUL_TEST if stateful_only else "conformance",
            "-q", "-x", "-p", "no:cacheprovider", "-p", "bench.isolate_hypothesis",
            "--hypothesis-profile", profile, "--hypothesis-seed", str(seed),
            "--emulator-defect", defect, "--emulator-ontap-version", release, "--report-dir", str(report_dir)]


def program_lengths(longrepr: str) -> list[int]:
    """Steps of each shrunk program in a failure text (``state.teardown()`` not counted)."""
    lengths: list[int] = []
    current: int | None = None
    for line in longrepr.splitlines():
        if FALSIFYING.search(line):
            if current is not None:
                lengths.append(current)
            current = 0
            continue
        match = STEP.match(line)
        if match and current is not None and match.group(1) != "teardown":
            current += 1
    if current is not None:
        lengths.append(current)
    return lengths


def failing_tests(junit_xml: str) -> list[tuple[str, str]]:
    """(test name, failure text) of every failed or errored test case in a JUnit file."""
    try:
        root = ET.fromstring(junit_xml)
    except ET.ParseError:
        return []
    found = []
    for case in root.iter("testcase"):
        for child in case:
            if child.tag in ("failure", "error"):
                name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
                found.append((name, (child.get("message") or "") + "\n" + (child.text or "")))
    return found


def failing_test(junit_xml: str) -> tuple[str, str]:
    """(test name, failure text) of the first failed or errored test case in a JUnit file."""
    return next(iter(failing_tests(junit_xml)), ("", ""))


def _rule_ids(value: Any) -> list[str]:
    return str(value or "").replace(",", " ").split()


def rules_reported(document: dict[str, Any]) -> list[str]:
    """Rules a conformance.json blames: failed or deviated rules, failures, deviations."""
    found = {r["id"] for r in document.get("rules", []) if r.get("status") in ("failed", "deviated")}
    found |= {rid for f in document.get("failures", []) for rid in _rule_ids(f.get("rule"))}
    found |= {rid for d in document.get("observed_deviations", []) for rid in _rule_ids(d.get("rule"))}
    return sorted(found)


def rule_status(document: dict[str, Any], rule: str) -> str:
    """What a conformance.json says of one rule: failed, deviated, passed, ... or absent.

    Handles both report forms: the status ``deviated`` and, in the older form, a passed or
    failed observed rule listed under ``observed_deviations``.
    """
    status = next((r.get("status", "") for r in document.get("rules", []) if r.get("id") == rule), "")
    if status != "failed" and rule in {rid for d in document.get("observed_deviations", [])
                                       for rid in _rule_ids(d.get("rule"))}:
        return "deviated"
    return status


def junit_name(nodeid: str) -> str:
    """A pytest node ID as this module names JUnit cases (``pkg.module::test``)."""
    path, _, rest = nodeid.partition("::")
    return f"{path.removesuffix('.py').replace('/', '.')}::{rest}"


def killer(document: dict[str, Any], rule: str, junit_xml: str) -> tuple[str, str]:
    """(test, failure text) of the failure that named ``rule`` (else the first failure)."""
    tests = failing_tests(junit_xml)
    named = {junit_name(str(f.get("test", ""))) for f in document.get("failures", [])
             if rule in _rule_ids(f.get("rule"))}
    return next((t for t in tests if t[0] in named), tests[0] if tests else ("", ""))


def judge(defect: str, rule: str, seed: int, exit_code: int | None, seconds: float,
          document: dict[str, Any] | None, junit_xml: str, timed_out: bool) -> SuiteRun:
    """Turn one run's exit code and reports into a :class:`SuiteRun`."""
    document = document or {}
    rules = rules_reported(document)
    verdict = str(document.get("verdict", ""))
    own = rule_status(document, rule)
    test, text = killer(document, rule, junit_xml)
    lengths = program_lengths(text) if test else []
    length: int | None = (min(lengths) if lengths else 1) if test else None
    failures = document.get("failures") or []
    first_line = str(failures[0].get("message", "")).splitlines()[0][:300] if failures else ""
    if timed_out:
        status = "timeout"
    elif not document or exit_code not in (0, 1):
        status = "error"
    elif verdict == "nonconformant" and own == "failed":
        status = "killed"
    elif own == "deviated":
        status = "deviated"
    elif exit_code == 0 and not rules:
        status = "survived"
    else:
        status = "missed"  # the run failed or deviated, but on other rules only
    by = (MACHINE if "test_stateful" in test else EXAMPLE) if status == "killed" and test else ""
    return SuiteRun(defect, rule, seed, status, round(seconds, 2), exit_code, rules, test,
                    length, first_line, verdict, by)


def run_suite(defect: str, rule: str, seed: int, budget: float, profile: str = "dev",
              stateful_only: bool = False) -> SuiteRun:
    """Run the suite with ``-x`` against one defect and judge it."""
    with tempfile.TemporaryDirectory(prefix="bench-mut-") as tmp:
        report_dir = Path(tmp) / "report"
        env = emulator_env()
        env["BENCH_HYPOTHESIS_HOME"] = str(Path(tmp) / "hypothesis")
        began = time.perf_counter()
        output = Path(tmp) / "output.txt"
        with output.open("wb") as sink:
            proc = subprocess.Popen(suite_command(defect, seed, report_dir, profile, stateful_only,
                                                  documented_release(rule)),
                                    cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        timed_out = False
        try:
            proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.send_signal(signal.SIGINT)  # let pytest write its reports
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        seconds = time.perf_counter() - began
        report = report_dir / "conformance.json"
        junit = report_dir / "junit.xml"
        document = json.loads(report.read_text()) if report.is_file() else None
        run = judge(defect, rule, seed, proc.returncode, seconds, document,
                    junit.read_text(errors="replace") if junit.is_file() else "", timed_out)
        if run.status == "error" or not run.message:
            tail = [ln for ln in output.read_text(errors="replace").splitlines() if ln.strip()]
            run.message = run.message or " / ".join(tail[-3:])[:400]
        return run


# ---- totals and tables -----------------------------------------------------------------------
def summarize(runs: list[SuiteRun], defects: list[dict[str, Any]]) -> dict[str, Any]:
    """Mutation score (a defect counts only if every seed killed it) and kill times."""
    by_defect: dict[str, list[SuiteRun]] = {}
    for run in runs:
        by_defect.setdefault(run.defect, []).append(run)
    killed_all = [d["name"] for d in defects if by_defect.get(d["name"])
                  and all(r.killed for r in by_defect[d["name"]])]
    killed_any = [d["name"] for d in defects if any(r.killed for r in by_defect.get(d["name"], []))]
    deviated = [d["name"] for d in defects if by_defect.get(d["name"])
                and all(r.status == "deviated" for r in by_defect[d["name"]])]
    times = [r.seconds for r in runs if r.killed]
    lengths = [r.program_length for r in runs if r.killed and r.program_length is not None]
    machine_lengths = [r.program_length for r in runs
                       if r.killed and r.killed_by == MACHINE and r.program_length is not None]
    return {
        "defects": len(defects),
        "runs": len(runs),
        "runs_killed": sum(r.killed for r in runs),
        "killed_every_seed": len(killed_all),
        "killed_some_seed": len(killed_any),
        "deviated_every_seed": len(deviated),
        "mutation_score": round(len(killed_all) / len(defects), 4) if defects else None,
        "runs_killed_by_state_machine": sum(r.killed_by == MACHINE for r in runs),
        "runs_killed_by_example_tests": sum(r.killed_by == EXAMPLE for r in runs),
        "median_seconds_to_kill": median(times),
        "worst_seconds_to_kill": max(times) if times else None,
        "median_program_length": median(lengths),
        "median_state_machine_program_length": median(machine_lengths),
        "misses": [asdict(r) for r in runs if not r.killed],
    }


def _killed_by(runs: list[SuiteRun]) -> str:
    """``state machine`` / ``example test`` / both (with counts) for one defect's kills."""
    kinds = [r.killed_by for r in runs if r.killed]
    if not kinds:
        return "-"
    names = sorted(set(kinds))
    if len(names) == 1:
        return names[0]
    return ", ".join(f"{name} {kinds.count(name)}" for name in names)


def defect_rows(runs: list[SuiteRun], defects: list[dict[str, Any]],
                peer: dict[str, dict[str, Any]] | None) -> list[list[Any]]:
    """One row per defect: kills/seeds, deviations, seconds, who killed it, steps, rules, peer."""
    rows = []
    for d in defects:
        mine = [r for r in runs if r.defect == d["name"]]
        killed = [r for r in mine if r.killed]
        times = [r.seconds for r in killed]
        rules = sorted({x for r in mine for x in r.rules_reported})
        lengths = sorted({r.program_length for r in killed if r.program_length is not None})
        others = sorted({r.status for r in mine if not r.killed and r.status != "deviated"})
        deviated = sum(r.status == "deviated" for r in mine)
        row = [d["name"], d["rule"], "sequence" if d.get("sequence") else "request",
               f"{len(killed)}/{len(mine)}" + (f" ({','.join(others)})" if others else ""),
               f"{deviated}/{len(mine)}" if deviated else "-",
               fmt_seconds(median(times)), fmt_seconds(max(times) if times else None),
               _killed_by(mine), ",".join(map(str, lengths)) or "-", ",".join(rules) or "-"]
        if peer is not None:
            p = peer.get(d["name"])
            row += ["-" if p is None else ("yes" if p["killed"] else "no"),
                    "-" if p is None else ("yes" if p.get("killed_beyond_known_noise")
                                           else "no"),
                    "-" if p is None else fmt_seconds(p.get("seconds_to_kill_beyond_known_noise")
                                                      if p.get("killed_beyond_known_noise")
                                                      else p.get("seconds_to_kill"))]
        rows.append(row)
    return rows


# Codes Schemathesis raises against a correct server, intermittently or on another operation
# than in the clean run (shared/peers/README.md section 6.1, and this benchmark's clean runs):
# ST201 schema-violating request accepted, ST202 schema-valid request rejected, ST204 wrong
# response to an undeclared method (TRACE).
KNOWN_NOISE_CODES = frozenset({"ST201", "ST202", "ST204"})

HEADERS = ["defect", "rule", "kind", "killed", "deviated", "median s", "worst s", "killed by",
           "steps", "rules reported"]
PEER_HEADERS = ["st: new pair", "st: new code", "st s"]


def render(runs: list[SuiteRun], defects: list[dict[str, Any]], totals: dict[str, Any],
           peer: dict[str, Any] | None, peer_note: str) -> str:
    """The human-readable report."""
    lines = [table(HEADERS + (PEER_HEADERS if peer else []),
                   defect_rows(runs, defects, peer["defects"] if peer else None)), ""]
    score = totals["mutation_score"]
    lines.append(f"mutation score (killed on every seed, default verdict): {totals['killed_every_seed']}/"
                 f"{totals['defects']} = {'-' if score is None else f'{score:.0%}'}; "
                 f"killed on some seed: {totals['killed_some_seed']}/{totals['defects']}; "
                 f"runs killed {totals['runs_killed']}/{totals['runs']} "
                 f"({totals['runs_killed_by_state_machine']} by the state machine, "
                 f"{totals['runs_killed_by_example_tests']} by example tests); "
                 f"deviated (observed rules) on every seed: {totals['deviated_every_seed']}")
    lines.append(f"time to kill (wall time of the -x run): median "
                 f"{fmt_seconds(totals['median_seconds_to_kill'])} s, worst "
                 f"{fmt_seconds(totals['worst_seconds_to_kill'])} s; median shrunk program "
                 f"{totals['median_program_length']} steps (state machine kills: "
                 f"{totals['median_state_machine_program_length']})")
    for miss in totals["misses"]:
        label = "DEVIATED" if miss["status"] == "deviated" else "MISS"
        lines.append(f"  {label} {miss['defect']} seed {miss['seed']}: {miss['status']} after "
                     f"{miss['seconds']} s; reported {miss['rules_reported'] or 'nothing'}"
                     + (f"; first failure {miss['failing_test']}: {miss['message']}"
                        if miss["failing_test"] else ""))
    if peer:
        lines.append(f"schemathesis: killed {peer['killed']}/{peer['defects_run']} defects by a "
                     f"(check, operation) pair absent from the clean run, median "
                     f"{fmt_seconds(peer['median_seconds'])} s; "
                     f"{peer.get('killed_beyond_known_noise', '-')}/{peer['defects_run']} by a "
                     f"check code outside {', '.join(sorted(KNOWN_NOISE_CODES))}, median "
                     f"{fmt_seconds(peer.get('median_seconds_beyond_known_noise'))} s")
    lines.append(peer_note)
    return "\n".join(lines)


# ---- command line ------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.mutation",
                                description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3, help="Hypothesis seeds per defect (1..N)")
    p.add_argument("--defect", action="append", default=[], metavar="NAME",
                   help="only this defect (repeatable; default: every shipped defect)")
    p.add_argument("--stateful-only", action="store_true",
                   help=f"run {STATEFUL_TEST} alone (the state machine, no example tests), over "
                        "the sequence-only defects unless --defect names others")
    p.add_argument("--peer-spec", type=Path, metavar="PATH",
                   help="NetApp's OpenAPI file: also run Schemathesis on each defect")
    p.add_argument("--budget", type=float, default=60.0, metavar="SECONDS",
                   help="time budget per run, the suite's and Schemathesis' (default 60)")
    p.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")
    p.add_argument("--profile", default="dev", help="Hypothesis profile (default dev)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR,
                   help="folder for the JSON (default bench/results)")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.jobs < 1 or args.budget <= 0:
        p.error("--seeds, --jobs and --budget must be positive")
    if args.peer_spec is not None and not args.peer_spec.is_file():
        p.error(f"--peer-spec {args.peer_spec}: no such file")
    return args


def select_defects(all_defects: list[dict[str, Any]], wanted: list[str],
                   sequence_only: bool = False) -> list[dict[str, Any]]:
    """The defects named on the command line (when none: all, or the sequence-only ones),
    in catalogue order."""
    if not wanted:
        return [d for d in all_defects if d.get("sequence")] if sequence_only else all_defects
    known = {d["name"] for d in all_defects}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise SystemExit(f"unknown defect(s): {', '.join(unknown)} (see python -m emulator "
                         "--list-defects)")
    return [d for d in all_defects if d["name"] in wanted]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()  # at the start: the commit and load the runs actually used
    defects = select_defects(list_defects(), args.defect, sequence_only=args.stateful_only)
    from bench import peer as peer_module

    with tempfile.TemporaryDirectory(prefix="bench-spec-") as spec_dir, \
            ThreadPoolExecutor(max_workers=args.jobs) as pool:
        spec = (peer_module.derive_spec(args.peer_spec, Path(spec_dir))
                if args.peer_spec else None)
        began = time.perf_counter()
        # The pool runs in submission order: every suite run first, then Schemathesis, so
        # the suite's kill times are measured next to each other, not next to the peer.
        suite_futures = [pool.submit(run_suite, d["name"], d["rule"], seed, args.budget,
                                     args.profile, args.stateful_only)
                         for d in defects for seed in range(1, args.seeds + 1)]
        baseline_future = None
        peer_futures = {}
        if spec is not None:
            baseline_future = pool.submit(peer_module.run_peer, spec, None, args.budget)
            for d in defects:
                peer_futures[d["name"]] = pool.submit(peer_module.run_peer, spec, d["name"],
                                                      args.budget)
        runs = []
        for future in suite_futures:
            run = future.result()
            runs.append(run)
            print(f"  {run.defect:<36} seed {run.seed}: {run.status:<8} {run.seconds:6.2f} s "
                  f"{run.killed_by or '-':<13} {run.program_length or '-':>3} steps "
                  f"{','.join(run.rules_reported)}", flush=True)
        peer = None
        if baseline_future is not None:
            baseline = baseline_future.result()
            peer = peer_summary(baseline, {n: f.result() for n, f in peer_futures.items()},
                                args.budget)
        wall = time.perf_counter() - began
    totals = summarize(runs, defects)
    note = (peer_module.VERDICT_NOTE if peer else
            "schemathesis: not run (give --peer-spec PATH to NetApp's OpenAPI file to compare)")
    print(render(runs, defects, totals, peer, note))
    print(f"machine: {machine_label(info)}; {args.jobs} runs in parallel; wall {wall:.0f} s")
    document = {
        "benchmark": "mutation", "machine": info, "profile": args.profile,
        "stateful_only": args.stateful_only, "kill_rule": "default verdict nonconformant and "
        "the defect's own rule failed (observed-rule deviations counted apart)",
        "seeds": args.seeds, "budget_seconds": args.budget, "jobs": args.jobs,
        "wall_seconds": round(wall, 1), "totals": totals,
        "runs": [asdict(r) for r in runs], "schemathesis": peer, "schemathesis_note": note,
    }
    path = write_json("mutation-stateful.json" if args.stateful_only else "mutation.json", document,
                      args.out)
    print(f"wrote {path}")
    return 0


def peer_summary(baseline: Any, runs: dict[str, Any], budget: float) -> dict[str, Any]:
    """Schemathesis verdicts per defect against the clean run's failures."""
    noise = set(baseline.failures)
    per_defect = {}
    for name, run in runs.items():
        new = run.new_failures(noise)
        beyond = [k for k in new if k[0].split()[0] not in KNOWN_NOISE_CODES]
        times = [run.first_failure_at[k] for k in beyond if k in run.first_failure_at]
        per_defect[name] = {
            "killed": run.killed(noise), "exit_code": run.exit_code,
            "seconds_to_kill": run.time_to_kill(noise), "run_seconds": run.seconds,
            "new_failures": [list(k) for k in new], "error": run.error,
            "killed_beyond_known_noise": run.exit_code == 1 and bool(beyond),
            "seconds_to_kill_beyond_known_noise": min(times) if times else None,
        }
    times = [v["seconds_to_kill"] for v in per_defect.values()
             if v["killed"] and v["seconds_to_kill"] is not None]
    strict = [v["seconds_to_kill_beyond_known_noise"] for v in per_defect.values()
              if v["killed_beyond_known_noise"]
              and v["seconds_to_kill_beyond_known_noise"] is not None]
    return {
        "budget_seconds": budget,
        "known_noise_codes": sorted(KNOWN_NOISE_CODES),
        "killed_beyond_known_noise": sum(v["killed_beyond_known_noise"]
                                         for v in per_defect.values()),
        "median_seconds_beyond_known_noise": median(strict),
        "baseline": {"exit_code": baseline.exit_code, "failures": [list(k) for k in sorted(noise)],
                     "error": baseline.error},
        "defects_run": len(per_defect),
        "killed": sum(v["killed"] for v in per_defect.values()),
        "median_seconds": median(times),
        "defects": per_defect,
    }


if __name__ == "__main__":
    sys.exit(main())
