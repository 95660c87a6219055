"""Suite overhead: requests per second of the suite next to a bare HTTP loop (the floor).

Run ``python -m bench.overhead [--rounds 5] [--seed 1] [--profile] [--label NAME]``. Each round:

1. **suite**: ``python -m pytest conformance/test_stateful.py`` (the state machine, dev
   profile, fixed ``--hypothesis-seed``) against its embedded emulator. Its rate is the
   requests it issued during the test's call phase divided by that phase's wall time
   (``bench.tally_requests`` counts them by kind and times the phase with
   ``perf_counter``). ``run.requests`` and the start/finish stamps of its
   ``conformance.json`` are kept too (whole session, one-second resolution).
2. **floor**: a bare ``requests.Session`` loop against a fresh emulator started the same
   way (``python -m emulator --port 0``), issuing the same number of POST / PATCH /
   DELETE / GET-one / GET-collection / control calls as the suite did, in a shuffled
   order, with bodies like the suite's (CHAP inbound+outbound, address lists).

The ratio suite-time-per-request / floor-time-per-request is taken per round; the report
gives medians. ``--profile`` also runs the suite once in-process under pyinstrument and
lists where its own time goes. Writes ``bench/results/overhead.json`` (``overhead-NAME.json`` with ``--label``; ``--out DIR``
writes elsewhere).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from bench.common import (
    CREDS,
    PASSWORD,
    RESULTS_DIR,
    ROOT,
    USERNAME,
    emulator,
    emulator_env,
    machine,
    machine_label,
    median,
    table,
    write_json,
)

KINDS = ("post", "patch", "delete", "get", "collection", "other")
MAX_FLOOR_REQUESTS = 20000


def suite_command(seed: int, report_dir: Path) -> list[str]:
    """The fixed suite run: the state machine only, dev profile, one seed."""
    return [sys.executable, "-m", "pytest", "conformance/test_stateful.py", "-q",
            "-p", "no:cacheprovider", "-p", "bench.isolate_hypothesis",
            "-p", "bench.tally_requests", "--hypothesis-profile", "dev",
            "--hypothesis-seed", str(seed), "--report-dir", str(report_dir)]


def run_suite(seed: int) -> dict[str, Any]:
    """One suite run; its request counts by kind, call-phase seconds and report figures."""
    with tempfile.TemporaryDirectory(prefix="bench-ovh-") as tmp:
        env = emulator_env()
        env["BENCH_HYPOTHESIS_HOME"] = str(Path(tmp) / "hypothesis")
        env["BENCH_TALLY_FILE"] = str(Path(tmp) / "tally.json")
        report_dir = Path(tmp) / "report"
        began = time.perf_counter()
        proc = subprocess.run(suite_command(seed, report_dir), cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        wall = time.perf_counter() - began
        tally = json.loads((Path(tmp) / "tally.json").read_text())
        report = json.loads((report_dir / "conformance.json").read_text())
    counts = {k: int(tally["counts"].get(k, 0)) for k in KINDS}
    return {"exit_code": proc.returncode, "verdict": report["verdict"],
            "counts": counts, "requests": sum(counts.values()),
            "call_seconds": round(tally["call_seconds"], 3), "process_seconds": round(wall, 3),
            "report_requests": report["run"]["requests"],
            "report_started": report["run"]["started"], "report_finished": report["run"]["finished"]}


def schedule(counts: dict[str, int], seed: int = 0) -> list[str]:
    """The floor's calls: each kind as often as the suite made it, in a shuffled order."""
    calls = [kind for kind in KINDS for _ in range(counts.get(kind, 0))]
    random.Random(seed).shuffle(calls)
    return calls[:MAX_FLOOR_REQUESTS]


def post_body(i: int) -> dict[str, Any]:
    """A POST body like the suite's: CHAP both ways and an address list."""
    return {"svm": {"name": "svm1"}, "initiator": f"iqn.2000-01.org.example.floor:h{i}",
            "authentication_type": "chap",
            "chap": {"inbound": {"user": f"in{i}", "password": f"inbound-secret-{i}"},
                     "outbound": {"user": f"out{i}", "password": f"outbound-secret-{i}"}},
            "initiator_address": {"ranges": [{"start": "192.0.2.1", "end": "192.0.2.20"}],
                                  "masks": [{"address": "198.51.100.0", "netmask": "24"}]}}


def patch_body(i: int) -> dict[str, Any]:
    """A PATCH body like the suite's: a type change with CHAP."""
    return {"authentication_type": "chap",
            "chap": {"inbound": {"user": f"u{i}", "password": f"patched-secret-{i}"}}}


def run_floor(url: str, calls: list[str]) -> dict[str, Any]:
    """Issue ``calls`` with one keep-alive ``requests.Session``; return seconds and statuses."""
    session = requests.Session()
    session.auth = (USERNAME, PASSWORD)
    session.headers["Accept"] = "application/json"
    svm = session.get(f"{url}/api/svm/svms", params={"name": "svm1"}, timeout=10).json()
    svm_uuid = svm["records"][0]["uuid"]
    alive: list[str] = []
    statuses: Counter[int] = Counter()

    def one(kind: str, i: int) -> requests.Response:
        target = alive[-1] if alive else "default"
        path = f"{url}{CREDS}/{svm_uuid}/{quote(target, safe='')}"
        if kind == "post":
            response = session.post(f"{url}{CREDS}", json=post_body(i), timeout=10)
            if response.status_code == 201:
                alive.append(post_body(i)["initiator"])
            return response
        if kind == "patch":
            return session.patch(path, json=patch_body(i), timeout=10)
        if kind == "delete":
            if alive:
                alive.pop()
                return session.delete(path, timeout=10)
            return session.delete(f"{path}-gone", timeout=10)
        if kind == "get":
            return session.get(path, params={"fields": "*"}, timeout=10)
        if kind == "collection":
            return session.get(f"{url}{CREDS}", params={"fields": "*"}, timeout=10)
        alive.clear()
        return session.post(f"{url}/_emulator/reset", timeout=10)

    began = time.perf_counter()
    for i, kind in enumerate(calls):
        statuses[one(kind, i).status_code] += 1
    seconds = time.perf_counter() - began
    session.close()
    return {"seconds": round(seconds, 3), "requests": len(calls),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def one_round(seed: int) -> dict[str, Any]:
    """Suite, then the floor with the suite's mix, against a fresh emulator."""
    suite = run_suite(seed)
    with emulator() as url:
        floor = run_floor(url, schedule(suite["counts"], seed))
    suite_rps = suite["requests"] / suite["call_seconds"] if suite["call_seconds"] else 0.0
    floor_rps = floor["requests"] / floor["seconds"] if floor["seconds"] else 0.0
    return {"suite": suite, "floor": floor, "suite_rps": round(suite_rps, 1),
            "floor_rps": round(floor_rps, 1),
            "ratio": round(floor_rps / suite_rps, 3) if suite_rps else None}


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds."""
    ratios = [r["ratio"] for r in rounds if r["ratio"] is not None]
    return {"median_suite_rps": median([r["suite_rps"] for r in rounds]),
            "median_floor_rps": median([r["floor_rps"] for r in rounds]),
            "median_ratio": median(ratios), "target_ratio": 1.3,
            "median_requests": median([r["suite"]["requests"] for r in rounds])}


def render(rounds: list[dict[str, Any]], totals: dict[str, Any]) -> str:
    """Per-round table and the medians."""
    rows = [[i + 1, r["suite"]["requests"], r["suite"]["call_seconds"], r["suite_rps"],
             r["floor"]["seconds"], r["floor_rps"], r["ratio"]] for i, r in enumerate(rounds)]
    mix = rounds[0]["suite"]["counts"] if rounds else {}
    lines = [table(["round", "requests", "suite s", "suite req/s", "floor s", "floor req/s",
                    "ratio"], rows),
             "mix per run: " + ", ".join(f"{k} {v}" for k, v in mix.items()),
             f"median: suite {totals['median_suite_rps']} req/s, floor "
             f"{totals['median_floor_rps']} req/s, overhead ratio {totals['median_ratio']}x "
             f"(target <= {totals['target_ratio']}x)"]
    return "\n".join(lines)


# ---- profile -----------------------------------------------------------------------------------
BUCKETS = (("HTTP client", ("requests/", "urllib3/", "urllib/", "http/client", "socket.py", "ssl.py",
                            "selectors.py", "email/", "charset_normalizer", "idna/")),
           ("Hypothesis", ("hypothesis/",)), ("conformance", ("conformance/",)),
           ("models", ("models/",)), ("jsonschema", ("jsonschema", "referencing/", "rpds")),
           ("pytest", ("_pytest/", "pluggy/", "pytest_html", "pytest_metadata")),
           ("json", ("json/",)))


def bucket_of(path: str) -> str:
    """Which part of the stack a source file belongs to."""
    path = path.replace("\\", "/")
    for name, needles in BUCKETS:
        if any(n in path for n in needles):
            return name
    return "other"


def profile_suite(seed: int, top: int = 15) -> dict[str, Any]:
    """Run the state machine once in-process under pyinstrument; aggregate self time."""
    import os

    import pytest
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmp:
        saved = dict(os.environ)
        os.environ.update(emulator_env())
        os.environ["BENCH_HYPOTHESIS_HOME"] = str(Path(tmp) / "hypothesis")
        cwd = os.getcwd()
        os.chdir(ROOT)
        profiler = Profiler(interval=0.005)
        try:
            profiler.start()
            pytest.main(["conformance/test_stateful.py", "-q", "-p", "no:cacheprovider",
                         "-p", "bench.isolate_hypothesis", "--hypothesis-profile", "dev",
                         "--hypothesis-seed", str(seed), "--report-dir", str(Path(tmp) / "r")])
            profiler.stop()
        finally:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(saved)
    session = profiler.last_session
    functions: Counter[tuple[str, str]] = Counter()
    buckets: Counter[str] = Counter()

    def walk(frame: Any, caller: tuple[str, str, str]) -> None:
        # Leaf frames hold the time; built-ins and pyinstrument's "[self]" frames are
        # charged to the Python function that called them.
        path = frame.file_path or ""
        real = bool(path) and not path.startswith("<") and frame.function != "[self]"
        here = ((frame.function or "?", f"{frame.file_path_short or path}:{frame.line_no or 0}",
                 path) if real else caller)
        if not frame.children:
            if real or frame.function == "[self]":
                key = here[:2]
            else:
                key = (f"{frame.function} (from {caller[0]})", caller[1])
            functions[key] += frame.time
            buckets[bucket_of(here[2])] += frame.time
        for child in frame.children:
            walk(child, here)

    root = session.root_frame()
    if root is not None:
        walk(root, ("?", "?", ""))
    total = sum(buckets.values()) or 1.0
    return {
        "seconds": round(session.duration, 2),
        "buckets": [{"part": k, "seconds": round(v, 3), "share": round(v / total, 3)}
                    for k, v in buckets.most_common()],
        "top_functions": [{"function": f, "where": w, "seconds": round(v, 3),
                           "share": round(v / total, 3)}
                          for (f, w), v in functions.most_common(top)],
    }


def render_profile(profile: dict[str, Any]) -> str:
    """Self time by part of the stack and the top functions."""
    parts = table(["part", "self s", "share"],
                  [[b["part"], b["seconds"], f"{b['share']:.0%}"] for b in profile["buckets"]])
    top = table(["function", "where", "self s", "share"],
                [[f["function"], f["where"], f["seconds"], f"{f['share']:.0%}"]
                 for f in profile["top_functions"]])
    return f"profile of one suite run ({profile['seconds']} s, in-process):\n{parts}\n\n{top}"


# ---- command line ------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.overhead",
                                description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5, help="rounds (default 5); medians reported")
    p.add_argument("--seed", type=int, default=1, help="Hypothesis seed of the fixed run")
    p.add_argument("--profile", action="store_true",
                   help="also profile one suite run with pyinstrument")
    p.add_argument("--label", default="", help="write overhead-LABEL.json (e.g. before, after)")
    p.add_argument("--out", type=Path, default=None, help="folder for overhead.json (default bench/results)")
    args = p.parse_args(argv)
    if args.label and not args.label.replace("-", "").isalnum():
        p.error("--label: letters, digits and '-' only")
    if args.rounds < 1:
        p.error("--rounds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    rounds = []
    for i in range(args.rounds):
        rounds.append(one_round(args.seed))
        r = rounds[-1]
        print(f"  round {i + 1}: suite {r['suite_rps']} req/s, floor {r['floor_rps']} req/s, "
              f"ratio {r['ratio']}", flush=True)
    totals = summarize(rounds)
    print(render(rounds, totals))
    document: dict[str, Any] = {"benchmark": "overhead", "machine": info, "seed": args.seed,
                                "rounds": rounds, "totals": totals}
    if args.profile:
        document["profile"] = profile_suite(args.seed)
        print(render_profile(document["profile"]))
    print(f"machine: {machine_label(info)}")
    name = f"overhead-{args.label}.json" if args.label else "overhead.json"
    path = write_json(name, document, args.out or RESULTS_DIR)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
