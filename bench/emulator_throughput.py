"""Requests per second of the emulator's credentials endpoint next to a trivial endpoint.

Run ``python -m bench.emulator_throughput``. It starts the emulator on loopback (port 0),
drives it with keep-alive stdlib connections for a bounded number of requests per round,
prints the median of several rounds and writes ``reports/bench/emulator_throughput.json``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CREDS = "/api/protocols/san/iscsi/credentials"
OUT = ROOT / "reports" / "bench" / "emulator_throughput.json"
MAX_ROUND_SECONDS = 30.0


def start(extra_records: int) -> tuple[subprocess.Popen[bytes], str]:
    ready = Path(tempfile.mkdtemp(prefix="emu-bench-")) / "ready.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONTAP_")}
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "--host", "127.0.0.1",
                             "--port", "0", "--ready-file", str(ready)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the emulator did not start")
        time.sleep(0.02)
    url = json.loads(ready.read_text())["url"]
    conn = connect(url)
    for i in range(extra_records):
        call(conn, "POST", CREDS, {"svm": {"name": "svm1" if i % 2 else "svm2"},
                                   "initiator": f"iqn.1992-08.com.example:bench{i}",
                                   "authentication_type": "none"})
    return proc, url


HEADERS = {"Authorization": "Basic " + base64.b64encode(b"admin:netapp1!").decode(),
           "Content-Type": "application/json"}


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def call(conn: http.client.HTTPConnection, method: str, path: str, body: object = None) -> int:
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=HEADERS)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def workload(name: str) -> Callable[[http.client.HTTPConnection, int, int], int]:
    """One unit of work; returns how many HTTP requests it made."""
    def health(conn, client, i):
        assert call(conn, "GET", "/_emulator/health") == 200
        return 1

    def collection(conn, client, i):
        assert call(conn, "GET", CREDS) == 200
        return 1

    def post_delete(conn, client, i):
        initiator = f"iqn.1992-08.com.example:c{client}-{i}"
        assert call(conn, "POST", CREDS, {"svm": {"name": "svm1"}, "initiator": initiator,
                                          "authentication_type": "none"}) == 201
        path = f"{CREDS}/{svm1_uuid}/{quote(initiator, safe='')}"
        assert call(conn, "DELETE", path) == 200
        return 2

    return {"health": health, "collection": collection, "post_delete": post_delete}[name]


svm1_uuid = ""


def one_round(url: str, name: str, units: int, clients: int) -> float:
    work = workload(name)
    done = [0] * clients

    def run(client: int) -> None:
        conn = connect(url)
        stop = time.monotonic() + MAX_ROUND_SECONDS
        for i in range(units // clients):
            done[client] += work(conn, client, i)
            if time.monotonic() > stop:
                break
        conn.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    global svm1_uuid
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=1000, help="units of work per round")
    p.add_argument("--clients", type=int, default=1, help="concurrent keep-alive connections")
    p.add_argument("--records", type=int, default=20,
                   help="credentials added before measuring (collection size + 2 defaults)")
    args = p.parse_args(argv)
    proc, url = start(args.records)
    try:
        conn = connect(url)
        conn.request("GET", "/api/svm/svms?name=svm1", headers=HEADERS)
        svm1_uuid = json.loads(conn.getresponse().read())["records"][0]["uuid"]
        results: dict[str, dict[str, object]] = {}
        for name in ("health", "collection", "post_delete"):
            one_round(url, name, min(args.requests, 200), args.clients)  # warm-up
            rates = [one_round(url, name, args.requests, args.clients)
                     for _ in range(args.rounds)]
            results[name] = {"median_rps": round(statistics.median(rates), 1),
                             "rounds_rps": [round(r, 1) for r in rates]}
            print(f"{name:<12} median {statistics.median(rates):8.1f} req/s  "
                  f"rounds {', '.join(f'{r:.0f}' for r in rates)}")
    finally:
        proc.terminate()
        proc.wait(15)
    report = {
        "stack": "Starlette on uvicorn (h11), one process",
        "endpoints": {"health": "GET /_emulator/health (trivial, same stack)",
                      "collection": f"GET {CREDS} ({args.records + 2} records)",
                      "post_delete": f"POST {CREDS} + DELETE of the new record"},
        "rounds": args.rounds, "requests_per_round": args.requests, "clients": args.clients,
        "python": platform.python_version(), "cpus": os.cpu_count(), "results": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
