"""What a ci run costs on a big cluster: wall time, requests, bytes and the suite's memory.

Run ``python -m bench.cluster_size [--records 0 2000 20000] [--latency 0 20] [--profile ci]
[--svms svm1 svm2 svm3] [--timeout 1800] [--memory-factor 3] [--out PATH]``.

For each (records, latency) it starts ``python -m emulator --seed
tests/safety/seed-three-iscsi.json --preload N --latency MS`` on loopback (an admin and a
read-only account with passwords made for the run, never printed), and runs the suite in
live mode as a user would, from a temp directory:
``python -m pytest <repo>/conformance -q -p no:cacheprovider -p bench.isolate_hypothesis
--target URL --svm svm1 --svm svm2 --svm svm3 --hypothesis-profile ci --report-dir TMP``.
Figures per run: wall time (start to exit of the suite process), requests (``run.requests``
of ``conformance.json``), bytes sent to and received from the emulator (its health
``traffic`` counters before and after), the suite process's peak RSS (``ru_maxrss`` of
``os.wait4``), programs (``exploration.programs``), verdict and exit code; ratios against the
0-record run of the same latency (targets: at most 1.3x the requests and 1.5x the wall time).
Then, for the largest cluster, one more run with ``--memory-factor`` times the programs
(profile ``<profile>-x3``, registered by ``-p bench.more_programs``): its peak RSS next to
the first one says whether memory grows with the number of programs.
Writes ``bench/results/cluster_size.json`` (or ``--out PATH``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.common import RESULTS_DIR, ROOT, machine, machine_label, table

SEED_FILE = ROOT / "tests" / "safety" / "seed-three-iscsi.json"
DEFAULT_RECORDS = (0, 2000, 20000)
DEFAULT_LATENCIES = (0, 20)
DEFAULT_SVMS = ("svm1", "svm2", "svm3")
TARGET_REQUESTS = 1.3
TARGET_WALL = 1.5
START_TIMEOUT = 120.0
SIGINT_GRACE = 120.0  # after --timeout, pytest gets this long to write its reports


@dataclass(frozen=True)
class Accounts:
    """The emulator's admin and read-only accounts for one benchmark (made up per run)."""

    admin: tuple[str, str]
    readonly: tuple[str, str]

    @classmethod
    def fresh(cls) -> Accounts:
        return cls(("admin", secrets.token_urlsafe(18)), ("readonly", secrets.token_urlsafe(18)))

    def env(self) -> dict[str, str]:
        return {"ONTAP_USERNAME": self.admin[0], "ONTAP_PASSWORD": self.admin[1],
                "ONTAP_READONLY_USERNAME": self.readonly[0],
                "ONTAP_READONLY_PASSWORD": self.readonly[1]}


@dataclass
class Finished:
    """How a child process ended: exit code, wall seconds, peak RSS (KiB), timed out."""

    exit_code: int
    seconds: float
    max_rss_kib: int
    timed_out: bool = False


def child_env(accounts: Accounts, **extra: str) -> dict[str, str]:
    """Ours without ONTAP_/PYTEST_/HYPOTHESIS_ settings, the repo importable, the accounts."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ONTAP_", "PYTEST_", "HYPOTHESIS_", "BENCH_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return {**env, **accounts.env(), **extra}


def emulator_command(ready: Path, records: int, latency: int) -> list[str]:
    return [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0",
            "--ready-file", str(ready), "--seed", str(SEED_FILE), "--preload", str(records),
            "--latency", str(latency)]


def suite_command(url: str, svms: list[str], profile: str, report_dir: Path,
                  more_programs: bool = False) -> list[str]:
    """The suite in live mode, as a user runs it."""
    command = [sys.executable, "-m", "pytest", str(ROOT / "conformance"), "-q",
               "-p", "no:cacheprovider", "-p", "bench.isolate_hypothesis"]
    if more_programs:
        command += ["-p", "bench.more_programs"]
    command += ["--target", url]
    for svm in svms:
        command += ["--svm", svm]
    return [*command, "--hypothesis-profile", profile, "--report-dir", str(report_dir)]


def reap(proc: subprocess.Popen[bytes], timeout: float | None = None,
         began: float | None = None) -> Finished:
    """Wait for a child with ``os.wait4`` (its own peak RSS); past ``timeout`` seconds send
    SIGINT (pytest then writes its reports), past the grace SIGKILL."""
    began = time.perf_counter() if began is None else began
    deadline = None if timeout is None else began + timeout
    interrupted_at: float | None = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        now = time.perf_counter()
        if deadline is not None and now > deadline and interrupted_at is None:
            proc.send_signal(signal.SIGINT)
            interrupted_at = now
        elif interrupted_at is not None and now > interrupted_at + SIGINT_GRACE:
            proc.kill()
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Finished(proc.returncode, time.perf_counter() - began, int(usage.ru_maxrss),
                    interrupted_at is not None)


class Cluster:
    """An emulator playing a cluster of ``records`` other hosts' credentials."""

    def __init__(self, url: str, accounts: Accounts) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.auth = accounts.admin
        self.session.trust_env = False
        self.finished: Finished | None = None

    def traffic(self) -> dict[str, int]:
        answer = self.session.get(self.url + "/_emulator/health", timeout=60)
        answer.raise_for_status()
        return answer.json()["traffic"]


@contextlib.contextmanager
def cluster(records: int, latency: int, accounts: Accounts, workdir: Path) -> Iterator[Cluster]:
    """Start the emulator; yield it; stop it (SIGTERM) and keep its peak RSS."""
    ready = workdir / "emulator-ready.json"
    with (workdir / "emulator.log").open("wb") as log:
        proc = subprocess.Popen(emulator_command(ready, records, latency), cwd=ROOT,
                                env=child_env(accounts), stdout=log, stderr=subprocess.STDOUT)
        running = None
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not start ({records} records)")
                time.sleep(0.05)
            running = Cluster(json.loads(ready.read_text())["url"], accounts)
            yield running
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                finished = reap(proc, timeout=15)
                if running is not None:
                    running.finished = finished


def figures(report: dict[str, Any] | None, suite: Finished, before: dict[str, int],
            after: dict[str, int]) -> dict[str, Any]:
    """One run's figures from its conformance.json, its process and the traffic counters."""
    run = (report or {}).get("run") or {}
    explored = (report or {}).get("exploration") or {}
    failed = [r.get("id") for r in (report or {}).get("rules") or []
              if isinstance(r, dict) and r.get("status") == "failed"]
    return {"wall_seconds": round(suite.seconds, 2), "exit_code": suite.exit_code,
            "timed_out": suite.timed_out, "verdict": (report or {}).get("verdict"),
            "failed_rules": failed,
            "requests": run.get("requests"), "programs": explored.get("programs"),
            "suite_peak_rss_kib": suite.max_rss_kib,
            "api_requests_seen": after["api_requests"] - before["api_requests"],
            "bytes_to_cluster": after["request_bytes"] - before["request_bytes"],
            "bytes_from_cluster": after["response_body_bytes"] - before["response_body_bytes"]}


def run_one(records: int, latency: int, args: argparse.Namespace, accounts: Accounts,
            factor: int = 1) -> dict[str, Any]:
    """One suite run against a fresh cluster of ``records`` other records."""
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        workdir = Path(tmp)
        report_dir = workdir / "report"
        extra = {"BENCH_HYPOTHESIS_HOME": str(workdir / "hypothesis")}
        profile = args.profile
        if factor > 1:
            from bench.more_programs import profile_name
            extra.update(BENCH_PROGRAMS_PROFILE=args.profile, BENCH_PROGRAMS_FACTOR=str(factor))
            profile = profile_name(args.profile, factor)
        with cluster(records, latency, accounts, workdir) as target:
            before = target.traffic()
            with (workdir / "suite.log").open("wb") as log:
                began = time.perf_counter()
                proc = subprocess.Popen(
                    suite_command(target.url, args.svms, profile, report_dir, factor > 1),
                    cwd=workdir, env=child_env(accounts, **extra), stdout=log,
                    stderr=subprocess.STDOUT)
                suite = reap(proc, args.timeout, began)
            after = target.traffic()
        path = report_dir / "conformance.json"
        report = json.loads(path.read_text()) if path.is_file() else None
        tail = [ln for ln in (workdir / "suite.log").read_text(errors="replace").splitlines()
                if ln.strip()][-2:]
    out = {"records": records, "latency_ms": latency, "profile": profile,
           **figures(report, suite, before, after),
           "emulator_peak_rss_kib": target.finished.max_rss_kib if target.finished else None}
    if report is None:
        out["note"] = " / ".join(tail)[:300]  # the suite's redacted last words
    return out


def _ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 2) if value is not None and base else None


def with_ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run with its requests and wall ratios to the 0-record run of its latency."""
    base = {r["latency_ms"]: r for r in runs if r["records"] == 0}
    out = []
    for run in runs:
        empty = base.get(run["latency_ms"])
        requests_ratio = _ratio(run["requests"], empty and empty["requests"])
        wall_ratio = _ratio(run["wall_seconds"], empty and empty["wall_seconds"])
        within = None
        if requests_ratio is not None and wall_ratio is not None and run["records"]:
            within = requests_ratio <= TARGET_REQUESTS and wall_ratio <= TARGET_WALL
        out.append({**run, "requests_ratio": requests_ratio, "wall_ratio": wall_ratio,
                    "within_targets": within})
    return out


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.0f}"


def render(runs: list[dict[str, Any]], memory: dict[str, Any] | None = None) -> str:
    """The table: one row per run, ratios to the empty cluster at the same latency."""
    rows = []
    for r in runs:
        target = {True: "yes", False: "NO", None: "-"}[r.get("within_targets")]
        rows.append([f"{r['records']:,}", f"{r['latency_ms']} ms", r["profile"],
                     r["wall_seconds"], r.get("wall_ratio") or "-", r["requests"],
                     r.get("requests_ratio") or "-", r["programs"],
                     f"{r['bytes_to_cluster'] / 1e6:.1f}", f"{r['bytes_from_cluster'] / 1e6:.1f}",
                     _mib(r["suite_peak_rss_kib"]),
                     str(r["verdict"]) + (f" ({', '.join(r['failed_rules'])})"
                                     if r.get("failed_rules") else ""),
                     f"{r['exit_code']}{' (timeout)' if r['timed_out'] else ''}", target])
    text = table(["records", "latency", "profile", "wall s", "wall ratio", "requests",
                  "req ratio", "programs", "MB sent", "MB received", "suite peak MiB",
                  "verdict", "exit", "within 1.3x/1.5x"], rows)
    if memory:
        text += (f"\nmemory: {memory['records']:,} records, {memory['latency_ms']} ms "
                 f"({memory['profiles'][0]} / {memory['profiles'][1]}): "
                 f"{memory['programs'][0]} programs -> {_mib(memory['peak_rss_kib'][0])} MiB, "
                 f"{memory['programs'][1]} programs -> {_mib(memory['peak_rss_kib'][1])} MiB "
                 f"(ratio {memory['rss_ratio']}; verdicts {memory['verdicts'][0]} / "
                 f"{memory['verdicts'][1]})")
    return text


def memory_summary(first: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """The peak RSS of one run next to the run with more programs on the same cluster."""
    return {"records": first["records"], "latency_ms": first["latency_ms"],
            "profiles": [first["profile"], more["profile"]],
            "programs": [first["programs"], more["programs"]],
            "verdicts": [first["verdict"], more["verdict"]],
            "peak_rss_kib": [first["suite_peak_rss_kib"], more["suite_peak_rss_kib"]],
            "rss_ratio": _ratio(more["suite_peak_rss_kib"], first["suite_peak_rss_kib"]),
            "programs_ratio": _ratio(more["programs"], first["programs"])}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.cluster_size",
                                description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, nargs="+", default=list(DEFAULT_RECORDS),
                   help="other hosts' records the cluster holds (default 0 2000 20000); "
                        "ratios need 0 among them")
    p.add_argument("--latency", type=int, nargs="+", default=list(DEFAULT_LATENCIES),
                   help="emulator latency in ms (default 0 20)")
    p.add_argument("--profile", default="ci", help="the suite's Hypothesis profile (default ci)")
    p.add_argument("--svms", nargs="+", default=list(DEFAULT_SVMS),
                   help="the SVMs the suite is given (default svm1 svm2 svm3: two with "
                        "iSCSI, one without)")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds per suite run before it is interrupted (default 1800)")
    p.add_argument("--memory-factor", type=int, default=3,
                   help="the extra run on the largest cluster has this many times the "
                        "programs (default 3; 0 or 1: no extra run)")
    p.add_argument("--out", type=Path, default=None,
                   help="the JSON file (default bench/results/cluster_size.json)")
    args = p.parse_args(argv)
    if any(n < 0 or n > 100_000 for n in args.records):
        p.error("--records: each from 0 to 100000")
    if any(ms < 0 or ms > 60_000 for ms in args.latency):
        p.error("--latency: 0 to 60000 ms")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    if not 0 <= args.memory_factor <= 10:
        p.error("--memory-factor: 0 to 10")
    if args.profile not in ("dev", "ci", "nightly", "quick"):
        p.error("--profile: dev, ci, nightly or quick")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    accounts = Accounts.fresh()
    runs = []
    for latency in args.latency:
        for records in args.records:
            runs.append(run_one(records, latency, args, accounts))
            r = runs[-1]
            print(f"  {records} records, {latency} ms: {r['wall_seconds']} s, {r['requests']} "
                  f"requests, {r['programs']} programs, {r['verdict']}"
                  f"{' (timed out)' if r['timed_out'] else ''}", flush=True)
    memory = None
    if args.memory_factor > 1:
        largest = max(args.records)
        latency = min(args.latency)
        first = next(r for r in runs if r["records"] == largest and r["latency_ms"] == latency)
        more = run_one(largest, latency, args, accounts, factor=args.memory_factor)
        print(f"  {largest} records, {latency} ms, {more['profile']}: {more['wall_seconds']} s, "
              f"{more['programs']} programs", flush=True)
        memory = memory_summary(first, more)
        memory["run"] = more
    runs = with_ratios(runs)
    print(render(runs, memory))
    info["loadavg_1min_at_end"] = machine()["loadavg_1min"]
    print(f"machine: {machine_label(info)}")
    document = {"benchmark": "cluster_size", "machine": info, "profile": args.profile,
                "svms": args.svms, "seed_file": str(SEED_FILE.relative_to(ROOT)),
                "targets": {"requests_ratio": TARGET_REQUESTS, "wall_ratio": TARGET_WALL},
                "runs": runs, "memory": memory}
    path = args.out or RESULTS_DIR / "cluster_size.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
