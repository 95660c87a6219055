"""Transient faults never become verdicts: the suite against a faulty live target, per seed.

Run ``python -m bench.fault_sweep [--seeds 5] [--rate 0.5] [--delay 2] [--timeout 1]
[--profile ci]``. For each fault seed it starts ``python -m emulator --faults RATE
--faults-seed S --fault-delay DELAY`` (a correct emulator, playing a live cluster behind a
bad network) and runs::

    python -m pytest conformance --target URL --svm svm1 --svm svm2 \\
        --request-timeout TIMEOUT --hypothesis-profile PROFILE

It records the verdict, why, how many steps went unjudged, retries and indeterminate
writes, and the wall time. On a correct emulator the verdict must be conformant or
inconclusive at every seed, never nonconformant. Writes ``bench/results/fault_sweep.json``.
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

from bench.common import PASSWORD, ROOT, USERNAME, emulator_env, machine, machine_label, table

RESULTS = ROOT / "bench" / "results"


def one_seed(seed: int, rate: float, delay: float, timeout: float, profile: str) -> dict[str, Any]:
    """Run the suite once against an emulator faulting with this seed."""
    with tempfile.TemporaryDirectory(prefix="fault-sweep-") as tmp:
        ready = Path(tmp) / "ready.json"
        emulator = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0", "--ready-file", str(ready),
             "--faults", str(rate), "--faults-seed", str(seed), "--fault-delay", str(delay)],
            cwd=ROOT, env=emulator_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not ready.exists():
                if emulator.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the emulator did not start")
                time.sleep(0.05)
            url = json.loads(ready.read_text())["url"]
            started = time.monotonic()
            suite = subprocess.run(
                [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
                 "--target", url, "--svm", "svm1", "--svm", "svm2", "--request-timeout", str(timeout),
                 "--hypothesis-profile", profile, "--report-dir", tmp],
                cwd=ROOT, env={**emulator_env(), "ONTAP_USERNAME": USERNAME, "ONTAP_PASSWORD": PASSWORD},
                capture_output=True, text=True, timeout=7200)
            seconds = time.monotonic() - started
        finally:
            emulator.terminate()
            emulator.wait(15)
        document = json.loads((Path(tmp) / "conformance.json").read_text())
    failed = [r["id"] for r in document["rules"] if r["status"] == "failed"]
    return {"seed": seed, "verdict": document["verdict"], "reason": document["verdict_reason"],
            "exit_code": suite.returncode, "failed_rules": failed, "unjudged": len(document["errors"]),
            "flaky": len(document.get("flaky") or []), "requests": document["run"]["requests"],
            "retries": document["run"]["retries"], "indeterminate": document["run"]["indeterminate"],
            "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fault_sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="fault seeds 1..N (default 5)")
    parser.add_argument("--rate", type=float, default=0.5, help="share of requests faulted (default 0.5)")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds a late answer comes (default 2)")
    parser.add_argument("--timeout", type=float, default=1.0, help="the suite's --request-timeout (default 1)")
    parser.add_argument("--profile", default="ci", help="Hypothesis profile (default ci)")
    args = parser.parse_args(argv)
    info = machine()
    print(f"fault sweep: rate {args.rate}, delay {args.delay} s, timeout {args.timeout} s, profile "
          f"{args.profile}; {machine_label(info)}", flush=True)
    runs = []
    for seed in range(1, args.seeds + 1):
        runs.append(one_seed(seed, args.rate, args.delay, args.timeout, args.profile))
        print(f"  seed {seed}: {runs[-1]['verdict']} ({runs[-1]['seconds']} s)", flush=True)
    print(table(["seed", "verdict", "failed rules", "unjudged", "flaky", "requests", "retries",
                 "indeterminate", "seconds"],
                [[r["seed"], r["verdict"], ",".join(r["failed_rules"]) or "-", r["unjudged"], r["flaky"],
                  r["requests"], r["retries"], r["indeterminate"], r["seconds"]] for r in runs]))
    never = all(r["verdict"] != "nonconformant" for r in runs)
    print(f"never nonconformant on a correct emulator: {'yes' if never else 'NO'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "fault_sweep.json"
    path.write_text(json.dumps({"machine": info, "settings": vars(args), "runs": runs,
                                "never_nonconformant": never}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0 if never else 1


if __name__ == "__main__":
    raise SystemExit(main())
